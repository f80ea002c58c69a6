"""What a time-series study needs from a :class:`~gat_pf.physics.PhysicsModel` beyond limits.

Functions over the Protocol (both models), like :func:`gat_pf.physics.sensitivities`:

- :func:`regulator_settings`: each regulator's control settings (set point, band, one tap
  step on the PT secondary, tap limits) as arrays;
- :func:`regulator_control_v`: the voltage each regulator's control sees (PT secondary,
  after line-drop compensation) in every scenario of a solution;
- :func:`power_totals`: active and reactive power at the feeder heads and the active power
  lost in the branches, per scenario;
- :func:`conductor_power`: the power entering every conductor at each end (what a
  capacitor control of type kvar measures); :func:`conductor_current_a`: its current (what
  a control of type current measures); :func:`term_base_kv`: terminal voltage bases.
- :func:`nodal_switch_currents` and :func:`physics_like`: whether some branch currents come
  from the nodal balance (ideal switches), and a model of an edited network of the same
  kind and settings.

The balanced model has no regulators (R = 0). Sign conventions: head flows from the slack
node into the feeder (MW, Mvar; negative = reverse flow); losses positive (MW).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "PowerTotals",
    "RegulatorSettings",
    "conductor_current_a",
    "conductor_power",
    "nodal_switch_currents",
    "physics_like",
    "power_totals",
    "regulator_control_v",
    "regulator_settings",
    "term_base_kv",
]


@dataclass(frozen=True, eq=False)
class RegulatorSettings:
    """Control settings of the R regulators of a model (``regulator_ids`` order).

    Attributes
    ----------
    tap0, tap_min, tap_max
        (R,) starting tap (``dist_regulators.tap``) and tap limits (steps).
    auto
        (R,) bool: the regulator's ``mode`` is ``auto`` (its control may move it).
    v_set_v, band_v
        (R,) set point and dead-band width on the PT secondary (V; NaN when not given).
    step_v
        (R,) one tap step seen on the PT secondary (V; NaN without ``pt_ratio``).
    """

    tap0: np.ndarray
    tap_min: np.ndarray
    tap_max: np.ndarray
    auto: np.ndarray
    v_set_v: np.ndarray
    band_v: np.ndarray
    step_v: np.ndarray

    def __len__(self) -> int:
        return len(self.tap0)


@dataclass(frozen=True, eq=False)
class PowerTotals:
    """Feeder-level power of S scenarios.

    Attributes
    ----------
    head_p_mw, head_q_mvar
        (S, H) power from each slack node into the feeder (MW, Mvar; negative = reverse).
    losses_mw, losses_mvar
        (S,) power absorbed by all branches with impedance (lines, transformers,
        regulators): the sum over conductors of the power entering at both ends (MW, Mvar;
        reactive includes line charging, so it may be negative).
    """

    head_p_mw: np.ndarray
    head_q_mvar: np.ndarray
    losses_mw: np.ndarray
    losses_mvar: np.ndarray


def regulator_settings(model: Any) -> RegulatorSettings:
    """Control settings of the model's regulators (empty arrays for the balanced model)."""
    regs = getattr(getattr(model, "model", None), "regulators", None)
    if model.kind != "three_phase" or regs is None:
        i, f = np.zeros(0, dtype=np.int64), np.zeros(0)
        return RegulatorSettings(i, i, i, np.zeros(0, dtype=bool), f, f, f)
    with np.errstate(invalid="ignore", divide="ignore"):
        step_v = regs.step * regs.v_rated_kv * 1e3 / regs.pt_ratio
    return RegulatorSettings(
        tap0=np.asarray(regs.tap0, dtype=np.int64),
        tap_min=np.asarray(regs.tap_min, dtype=np.int64),
        tap_max=np.asarray(regs.tap_max, dtype=np.int64),
        auto=np.asarray(regs.auto, dtype=bool),
        v_set_v=np.asarray(regs.v_set_v, dtype=float),
        band_v=np.asarray(regs.band_v, dtype=float),
        step_v=np.asarray(step_v, dtype=float),
    )


def regulator_control_v(model: Any, solution: Any) -> np.ndarray:
    """(S, R) voltage each regulator's control sees on its PT secondary (V) at the
    solution's taps, after line-drop compensation (NaN for a regulator without PT)."""
    n_s = solution.v.shape[0]
    regs = getattr(getattr(model, "model", None), "regulators", None)
    if model.kind != "three_phase" or regs is None:
        return np.zeros((n_s, 0))
    m = model.model
    v = solution.v
    taps = np.asarray(solution.taps, dtype=np.int64).reshape(n_s, -1)
    if n_s and (taps == taps[:1]).all():
        to_pn, scale_v, term, coef = _control_map(m, taps[0])
    else:
        coef = _control_coefs(m, taps)  # (S, R, n): each scenario at its own taps
        to_pn, scale_v, term = _control_static(m)[:3]
    ref = np.asarray(regs.ref_pn)
    with np.errstate(invalid="ignore", divide="ignore"):
        v_w = v[:, to_pn]
        if (ref >= 0).any():  # delta units: the PT measures phase to phase
            v_w = v_w - np.where(ref >= 0, v[:, np.maximum(ref, 0)], 0.0)
        v_pt = v_w * scale_v
        drop = (v[:, term] * coef).sum(axis=-1)  # compensator drop (V), (S, R)
        out = np.abs(v_pt - drop)
    return out


def _control_map(m: Any, row: np.ndarray) -> tuple[np.ndarray, np.ndarray, Any, Any]:
    """Per tap vector (cached, least recently used first out): the regulators' to-side phase
    nodes, the factor turning their pu voltage into PT-secondary volts, and the compensator's
    voltage drop (V) as weights ``coef`` (R, n) on terminals ``term`` (R, n) (padded with
    weight 0): ``(r + jx) * I_line / ct_primary / pt``-free form of
    :func:`gat_pf._threephase._regulators.control_voltage`. Only ``coef`` depends on the
    taps, each regulator's row on its own branch's block alone."""
    from ._threephase._branches import regulated_block

    key = "ctl-vc:" + ",".join(map(str, row.tolist()))
    maps = m._cache.setdefault("ctl-vc", {})
    got = maps.pop(key, None)
    if got is None:
        to_pn, scale_v, term, a, z, slot, y_row = _control_static(m)
        coef = np.zeros(term.shape, dtype=complex)
        for r in range(len(slot)):
            y = regulated_block(m, int(slot[r]), row)[y_row[r]]
            coef[r, : len(y)] = (-y * a[r] * 1e3) * z[r]
        got = (to_pn, scale_v, term, coef)
        if len(maps) >= 4096:
            del maps[next(iter(maps))]
    maps[key] = got  # most recently used last
    return got


def _control_coefs(m: Any, taps: np.ndarray) -> np.ndarray:
    """(S, R, n) compensator weights of :func:`_control_map` for a batch at many tap
    vectors: each regulator's row from its own branch's block at the scenario's own taps
    (:func:`~gat_pf._threephase._branches.regulated_block_rows`; no map per tap vector)."""
    from ._threephase._branches import regulated_block_rows

    _, _, term, a, z, slot, y_row = _control_static(m)
    coef = np.zeros((taps.shape[0], *term.shape), dtype=complex)
    if not taps.shape[0]:
        return coef
    for s in np.unique(slot).tolist():
        # The regulators of one branch share its block, at each scenario's own taps.
        blocks = regulated_block_rows(m, s, taps)  # (S, n, n)
        for r in np.flatnonzero(slot == s).tolist():
            rows = (-blocks[:, y_row[r]] * a[r] * 1e3) * z[r]
            coef[:, r, : rows.shape[1]] = rows
    return coef


def _control_static(m: Any) -> tuple[np.ndarray, ...]:
    """The tap-independent parts of :func:`_control_map` (cached): to-side phase nodes,
    PT factor, padded terminals, per regulator ``(s_phase / v_base, z_comp)`` (z 0 without a
    current transformer), its branch's regulated slot and the block row of its to terminal."""
    got = m._cache.get("ctl-vc-static")
    if got is not None:
        return got
    regs = m.regulators
    n_r = len(regs.ids)
    vb = m.pn_vbase_kv
    s_phase = m.base_mva / 3.0
    regulated = m.branches.regulated
    slot = np.asarray(regs.slot, dtype=np.int64)
    to_pn = np.zeros(n_r, dtype=np.int64)
    y_row = np.zeros(n_r, dtype=np.int64)
    a = np.zeros(n_r)
    zs = np.zeros(n_r, dtype=complex)
    terms = []
    for r in range(n_r):
        t = np.asarray(regulated[slot[r]].term)
        k = len(t) // 2
        y_row[r] = k + regs.core[r]
        to_pn[r] = t[y_row[r]]
        z = (regs.r_comp_v[r] + 1j * regs.x_comp_v[r]) / regs.ct_primary_a[r]
        if not np.isfinite(z):
            z = 0.0  # no current transformer: no compensation
        a[r], zs[r] = s_phase / vb[to_pn[r]], z
        terms.append(t)
    width = max((len(t) for t in terms), default=0)
    term = np.zeros((n_r, width), dtype=np.int64)
    for r in range(n_r):
        term[r] = terms[r][0]  # padding: one of its own terminals, at weight 0
        term[r, : len(terms[r])] = terms[r]
    scale_v = vb[to_pn] * 1e3 / regs.pt_ratio
    got = (to_pn, scale_v, term, a, zs, slot, y_row)
    m._cache["ctl-vc-static"] = got
    return got


def unique_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(rows, axis=0, return_inverse=True)`` (inverse flat), at once when every
    row is the same (a batch at one tap vector, the common case)."""
    rows = np.asarray(rows)
    if rows.shape[0] and (rows == rows[:1]).all():
        return rows[:1].copy(), np.zeros(rows.shape[0], dtype=np.int64)
    if rows.ndim == 2 and rows.dtype.kind in "iu" and rows.shape[0] and rows.shape[1]:
        # Integer rows (tap vectors) as one mixed-radix integer each, first column most
        # significant: the same sorted rows and inverse as np.unique(axis=0), on 1-D keys.
        lo = rows.min(axis=0).astype(np.int64)
        span = rows.max(axis=0).astype(np.int64) - lo + 1
        if float(np.prod(span.astype(float))) < 2.0**62:
            key = np.zeros(rows.shape[0], dtype=np.int64)
            for c in range(rows.shape[1]):
                key = key * span[c] + (rows[:, c] - lo[c])
            _, first, inv = np.unique(key, return_index=True, return_inverse=True)
            return rows[first], inv.ravel()
    uniq, inv = np.unique(rows, axis=0, return_inverse=True)
    return uniq, inv.ravel()


def power_totals(model: Any, solution: Any) -> PowerTotals:
    """Head flows and branch losses of every scenario of ``solution`` (see the module doc)."""
    if model.kind == "three_phase":
        return _totals_3ph(model, solution)
    return _totals_balanced(model, solution)


def _totals_balanced(phys: Any, solution: Any) -> PowerTotals:
    m = phys.model
    a, s_f, s_t = phys._flows(solution.v)
    fb, tb = m.branch_f_bus[a], m.branch_t_bus[a]
    head = np.zeros((s_f.shape[0], len(phys.head_bus)), dtype=complex)
    for j, bus in enumerate(phys.head_bus):
        head[:, j] = s_f[:, fb == bus].sum(axis=1) + s_t[:, tb == bus].sum(axis=1)
    loss = (s_f + s_t).sum(axis=1) * m.base_mva
    head = head * m.base_mva
    return PowerTotals(head.real, head.imag, loss.real, loss.imag)


def conductor_power(
    model: Any, solution: Any, conds: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Complex power entering every conductor at its from and to ends, (S, C) each (MVA;
    ``cond_branch``/``cond_phase`` order; P + jQ, positive into the branch).

    ``conds`` (C',) conductor indices: only those columns, (S, C') each (what a few
    capacitor controls measure; the three-phase model then multiplies by the rows of its
    current maps alone)."""
    if model.kind == "three_phase":
        if conds is not None:
            got = _some_flows_3ph(model, solution, np.asarray(conds, dtype=np.int64))
            if got is not None:
                return got
        s_f, s_t, _ = _flows_3ph(model, solution)
    else:
        _, s_f, s_t = model._flows(solution.v)
        s_f, s_t = s_f * model.model.base_mva, s_t * model.model.base_mva
    if conds is None:
        return s_f, s_t
    return s_f[:, conds], s_t[:, conds]


def _some_flows_3ph(
    phys: Any, solution: Any, conds: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """Conductor end powers (S, C') of conductors ``conds`` that are not regulated nor ideal
    switches: their currents are ``y @ v`` of fixed branch blocks, so the few rows of the
    current maps are built once per conductor set (whatever the taps). ``None`` when some
    conductor's block depends on the taps (then the caller takes every conductor)."""
    import scipy.sparse as sp

    m = phys.model
    key = "cp-static:" + conds.tobytes().hex()
    got = m._cache.get(key)
    if got is None:
        col = np.asarray(phys.cond_cols)[conds]  # columns in flows_3ph's order
        r_f, c_f, v_f, v_t = [], [], [], []
        off = 0
        for g in m.branches.groups:
            n_b, two_k = g.term.shape
            k = two_k // 2
            rel = col - off
            hit = np.flatnonzero((rel >= 0) & (rel < n_b * k))
            if len(hit):
                c, j = rel[hit] // n_b, rel[hit] % n_b
                r_f.append(np.repeat(hit, two_k))
                c_f.append(g.term[j].ravel())
                v_f.append(g.y[j, c, :].ravel())
                v_t.append(g.y[j, k + c, :].ravel())
            off += n_b * k
        done = np.concatenate(r_f) if r_f else np.zeros(0, np.int64)
        if len(np.unique(done)) != len(conds):
            m._cache[key] = got = False
        else:
            shape = (len(conds), m.n_pn)
            cols = np.concatenate(c_f)
            got = (
                sp.csr_matrix((np.concatenate(v_f), (done, cols)), shape=shape),
                sp.csr_matrix((np.concatenate(v_t), (done, cols)), shape=shape),
            )
            m._cache[key] = got
    if got is False:
        return None
    sub_f, sub_t = got
    v = solution.v
    vt = np.ascontiguousarray(v.T)
    s_phase = m.base_mva / 3.0
    i_f, i_t = (sub_f @ vt).T, (sub_t @ vt).T
    s_f = v[:, phys.cond_pf[conds]] * np.conj(i_f) * s_phase
    s_t = v[:, phys.cond_pt[conds]] * np.conj(i_t) * s_phase
    return s_f, s_t


def conductor_current_a(
    model: Any,
    solution: Any,
    conds: np.ndarray,
    powers: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Current magnitude at the from and to ends of conductors ``conds`` (C',), (S, C')
    each (A per phase; a balanced conductor carries three phases, each a third of its
    power), from :func:`conductor_power` (or its result ``powers`` for ``conds``, when
    the caller has it) and the end terminals' voltages."""
    conds = np.asarray(conds, dtype=np.int64)
    s_f, s_t = conductor_power(model, solution, conds=conds) if powers is None else powers
    if model.kind == "three_phase":
        t_f, t_t, per = np.asarray(model.cond_pf), np.asarray(model.cond_pt), 1.0
    else:
        m = model.model
        # Terminals are nodes; a bus (nodes merged by ideal switches) has one voltage.
        first = np.full(m.n_bus, -1, dtype=np.int64)
        first[m.node_bus[::-1]] = np.arange(len(m.node_bus))[::-1]
        a = model.cond_index
        t_f, t_t, per = first[m.branch_f_bus[a]], first[m.branch_t_bus[a]], 3.0
    vm, vb = np.abs(solution.v), term_base_kv(model)

    def amps(s: np.ndarray, ends: np.ndarray) -> np.ndarray:
        t = ends[conds]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.abs(s) * 1e3 / (vm[:, t] * vb[t]) / per

    return amps(s_f, t_f), amps(s_t, t_t)


def nodal_switch_currents(model: Any) -> bool:
    """Whether some branch currents of ``model`` come from the nodal balance (ideal switches
    merging nodes), so that they see the shunts (capacitor states) of the merged nodes."""
    if model.kind == "three_phase":
        return bool(len(np.asarray(model.model.branches.merged_pairs)))
    return bool(np.asarray(model.model.branch_merged).any())


def physics_like(model: Any, network: Any) -> Any:
    """The physics model of ``network`` (an edited copy of ``model``'s) with ``model``'s
    kind and solver settings."""
    from .physics import physics_model

    if model.kind == "three_phase":
        return physics_model(network, model="three_phase", options_3ph=model.options)
    return physics_model(network, model="balanced", pf_options=model.pf_options)


def term_base_kv(model: Any) -> np.ndarray:
    """(T,) line-to-neutral base voltage of every terminal (kV; NaN when unknown)."""
    if model.kind == "three_phase":
        return np.asarray(model.model.pn_vbase_kv, dtype=float)
    return np.asarray(model.node_base_kv, dtype=float) / np.sqrt(3.0)


def _totals_3ph(phys: Any, solution: Any) -> PowerTotals:
    from ._physics_3ph_currents import regulated_currents, total_maps

    maps = total_maps(phys)
    if maps is None:
        s_f, s_t, head = _flows_3ph(phys, solution)
        loss = (s_f + s_t).sum(axis=1)
        return PowerTotals(head.real, head.imag, loss.real, loss.imag)
    # Losses = the sum over conductors of v_from conj(i_from) + v_to conj(i_to) =
    # sum over terminals of v conj(the currents its conductor ends carry): one terminal map
    # (static conductors) and the regulated conductors' few columns, no (S, C) powers.
    node_map, head_map, pick_f, pick_t = maps
    m = phys.model
    v = solution.v
    n_s = v.shape[0]
    s_phase = m.base_mva / 3.0
    vt = np.ascontiguousarray(v.T)
    s = (v * np.conj((node_map @ vt).T)).sum(axis=1)
    i_head = head_map @ vt
    if m.regulators is not None:
        taps = np.asarray(solution.taps, dtype=np.int64).reshape(n_s, -1)
        r_f, r_t, cols = regulated_currents(phys, v, taps)
        s = s + (v[:, phys.cond_pf[cols]] * np.conj(r_f)).sum(axis=1)
        s = s + (v[:, phys.cond_pt[cols]] * np.conj(r_t)).sum(axis=1)
        i_head = i_head + pick_f[:, cols] @ r_f.T + pick_t[:, cols] @ r_t.T
    head = np.zeros((n_s, len(phys.head_pn)), dtype=complex)
    if phys.head_pn:
        heads = np.concatenate(phys.head_pn)
        ends = np.cumsum([len(pn) for pn in phys.head_pn])[:-1]
        s_head = v[:, heads] * np.conj(np.asarray(i_head).T)
        head = np.stack([p.sum(axis=1) for p in np.split(s_head, ends, axis=1)], axis=1)
        head = head * s_phase
    loss = s * s_phase
    return PowerTotals(head.real, head.imag, loss.real, loss.imag)


def _flows_3ph(phys: Any, solution: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Conductor end powers (S, C) and head powers (S, H), MVA."""
    from ._physics_3ph import _with_injections
    from ._physics_3ph_currents import current_parts, regulated_currents, static_parts
    from ._threephase._tables import flows_3ph

    m = phys.model
    v = solution.v
    n_s = v.shape[0]
    n_c = len(phys.cond_cols)
    s_phase = m.base_mva / 3.0
    heads = np.concatenate(phys.head_pn) if phys.head_pn else np.zeros(0, np.int64)
    ends = np.cumsum([len(pn) for pn in phys.head_pn])[:-1]
    head = np.zeros((n_s, len(phys.head_pn)), dtype=complex)
    s_from = np.zeros((n_s, n_c), dtype=complex)
    s_to = np.zeros((n_s, n_c), dtype=complex)
    taps = np.asarray(solution.taps, dtype=np.int64).reshape(n_s, -1)
    fast = static_parts(phys)
    if fast is not None:
        # Every scenario at once: the static branches' maps, then the regulated conductors'
        # rows (0 in those maps) from their blocks at each scenario's own taps.
        mat_f, mat_t, pick_f, pick_t = fast
        vt = np.ascontiguousarray(v.T)
        i_ft, i_tt = mat_f @ vt, mat_t @ vt
        if m.regulators is not None:
            r_f, r_t, cols = regulated_currents(phys, v, taps)
            i_ft[cols], i_tt[cols] = r_f.T, r_t.T
        s_from = v[:, phys.cond_pf] * np.conj(i_ft.T) * s_phase
        s_to = v[:, phys.cond_pt] * np.conj(i_tt.T) * s_phase
        if len(heads):
            s_head = v[:, heads] * np.conj((pick_f @ i_ft + pick_t @ i_tt).T)
            head = (
                np.stack([part.sum(axis=1) for part in np.split(s_head, ends, axis=1)], axis=1)
                * s_phase
            )
        return s_from, s_to, head
    uniq, inv = unique_rows(taps)
    for u in range(len(uniq)):
        rows = np.flatnonzero(inv == u)
        vr = v[rows]
        parts = current_parts(phys, taps[rows], through_switches=True)
        if parts is not None:
            _, mat_f, mat_t, reg_f, reg_t, pick_f, pick_t = parts
            vt = np.ascontiguousarray(vr.T)
            i_ft, i_tt = mat_f @ vt, mat_t @ vt
            if reg_f is not None:
                i_ft += reg_f @ vt
                i_tt += reg_t @ vt
            i_f, i_t = i_ft.T, i_tt.T
            s_head = vr[:, heads] * np.conj((pick_f @ i_ft + pick_t @ i_tt).T)
        else:
            inj = solution.injection
            model = _with_injections(m, None if inj is None else inj.terms)
            scale = solution.state.get("scale")
            fl = flows_3ph(
                model,
                vr,
                taps[rows] if m.regulators is not None else None,
                None if scale is None else scale[rows],
            )
            i_f = fl.i_from[:, phys.cond_cols]
            i_t = fl.i_to[:, phys.cond_cols]
            s_head = fl.s_node[:, heads]
        s_from[rows] = vr[:, phys.cond_pf] * np.conj(i_f) * s_phase
        s_to[rows] = vr[:, phys.cond_pt] * np.conj(i_t) * s_phase
        if len(heads):
            head[rows] = (
                np.stack([part.sum(axis=1) for part in np.split(s_head, ends, axis=1)], axis=1)
                * s_phase
            )
    return s_from, s_to, head
