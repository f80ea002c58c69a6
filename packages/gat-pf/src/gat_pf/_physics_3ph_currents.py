"""Conductor currents of the three-phase physics model as sparse linear maps of its voltages.

At given regulator taps every branch block's terminal currents are ``y @ v`` of its
terminals' voltages, so a batch's conductor currents are two sparse matrix products; built
once per tap setting and kept in the model's cache. Ideal switches (phase nodes merged by
zero-impedance branches) carry currents that depend on the loads, so models with them, and
batches whose scenarios use different taps, keep :func:`gat_pf._threephase._tables.flows_3ph`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from ._threephase._branches import regulated_groups

if TYPE_CHECKING:
    from ._physics_3ph import ThreePhasePhysics

__all__ = ["current_parts", "linear_currents", "regulated_currents", "total_maps"]


def linear_currents(
    phys: ThreePhasePhysics, taps: np.ndarray, *, through_switches: bool = False
) -> tuple[sp.csr_matrix, sp.csr_matrix, sp.csr_matrix] | None:
    """Conductor currents as sparse linear maps of the terminal voltages, or ``None``.

    Returns ``(M_f, M_t, M_head)``: ``i_from = (M_f @ v.T).T`` and ``i_to`` likewise, (C, T)
    in conductor order; ``M_head`` (the head terminals, in ``head_pn`` order, x T) gives the
    current each head terminal sends into the branches. Built from the branch blocks
    (static, then regulated at the taps) in :func:`flows_3ph`'s column order and cached per
    tap setting. ``None`` when the scenarios' taps differ or ideal switches merge phase nodes.

    ``through_switches``: build the maps even when ideal switches merge phase nodes (the
    conductors with impedance still carry currents linear in the voltages; the switches'
    own currents are not in the maps), unless a switch touches a head terminal, whose
    current would then miss the switch's share.
    """
    m = phys.model
    parts = current_parts(phys, taps, through_switches=through_switches)
    if parts is None:
        return None
    key, mat_f, mat_t, reg_f, reg_t, pick_f, pick_t = parts
    cached = m._cache.get(key)
    if cached is not None:
        return cached
    if reg_f is not None:
        mat_f, mat_t = (mat_f + reg_f).tocsr(), (mat_t + reg_t).tocsr()
    # A head terminal's current into the branches: the from-end currents of conductors
    # leaving it plus the to-end currents of conductors arriving at it.
    mat_head = (pick_f @ mat_f + pick_t @ mat_t).tocsr()
    out = (mat_f, mat_t, mat_head)
    m._cache[key] = out
    return out


def current_parts(phys: ThreePhasePhysics, taps: np.ndarray, *, through_switches: bool = False):  # type: ignore[no-untyped-def]
    """The pieces of :func:`linear_currents` without summing them (``None`` where it
    refuses): ``(key, static_f, static_t, reg_f, reg_t, pick_f, pick_t)`` with the static
    branches' maps (built once), the regulated branches' maps at the taps (``None`` without
    regulators; small, kept per tap vector) and the (H, C) head picks: ``i_f = static_f @ v
    + reg_f @ v`` and the head currents ``pick_f @ i_f + pick_t @ i_t``. A time series at a
    new tap vector every step needs only the regulated part anew."""
    m = phys.model
    pairs = np.asarray(m.branches.merged_pairs)
    if len(pairs) and not through_switches:
        return None
    if len(pairs) and phys.head_pn and np.isin(pairs, np.concatenate(phys.head_pn)).any():
        return None
    row = None
    if m.regulators is not None:
        t = np.asarray(taps)
        if t.shape[0] and not (t == t[:1]).all():
            return None
        row = t[0] if t.shape[0] else np.asarray(m.regulators.tap0)
    key = ("phys-lins:" if len(pairs) else "phys-lin:") + (
        "" if row is None else ",".join(map(str, np.asarray(row).tolist()))
    )
    n_pn = m.n_pn
    n_c = len(phys.cond_cols)
    mat_f, mat_t, off, pos = _static_rows(phys, pairs)
    reg_f = reg_t = None
    if m.regulators is not None:
        regs = m._cache.setdefault("phys-lin-reg", {})
        got = regs.get(key)
        if got is None:
            got = _rows(regulated_groups(m, row), off, pos, n_c, n_pn)
            if len(regs) >= 256:
                regs.clear()
            regs[key] = got
        reg_f, reg_t, off = got
    # Ideal switches are the last conductors of flows_3ph's columns; their rows stay 0.
    if off != n_c and not (len(pairs) and through_switches and off < n_c):
        return None
    pick_f, pick_t = _head_picks(phys, n_c, n_pn)
    return key, mat_f, mat_t, reg_f, reg_t, pick_f, pick_t


def _rows(
    groups: Any, off: int, pos: np.ndarray, n_c: int, n_pn: int
) -> tuple[sp.csr_matrix, sp.csr_matrix, int]:
    """From- and to-end current maps (C, T) of the conductors of ``groups``, whose rows in
    flows order start at ``off`` (other rows 0); returns them and the next row."""
    rows_f, cols, vals_f, vals_t = [], [], [], []
    for g in groups:
        n_b, two_k = g.term.shape
        k = two_k // 2
        for c in range(k):
            rows_f.append(np.repeat(off + np.arange(n_b), two_k))
            cols.append(g.term.ravel())
            vals_f.append(g.y[:, c, :].ravel())
            vals_t.append(g.y[:, k + c, :].ravel())
            off += n_b
    r_all = np.concatenate(rows_f) if rows_f else np.zeros(0, np.int64)
    c_all = np.concatenate(cols) if cols else np.zeros(0, np.int64)
    f_all = np.concatenate(vals_f) if vals_f else np.zeros(0, complex)
    t_all = np.concatenate(vals_t) if vals_t else np.zeros(0, complex)
    if off > n_c:  # more rows than conductors: the caller refuses the maps
        empty = sp.csr_matrix((n_c, n_pn), dtype=complex)
        return empty, empty, off
    r_all = pos[r_all]
    mat_f = sp.csr_matrix((f_all, (r_all, c_all)), shape=(n_c, n_pn))
    mat_t = sp.csr_matrix((t_all, (r_all, c_all)), shape=(n_c, n_pn))
    return mat_f, mat_t, off


def _head_picks(phys: ThreePhasePhysics, n_c: int, n_pn: int) -> tuple[Any, Any]:
    """(H, C) 0/1 maps: conductor c has its from (to) end at head terminal h (cached)."""
    m = phys.model
    got = m._cache.get("phys-lin-heads")
    if got is not None:
        return got
    heads = np.concatenate(phys.head_pn) if phys.head_pn else np.zeros(0, np.int64)
    slot = np.full(n_pn, -1, dtype=np.int64)
    slot[heads] = np.arange(len(heads))
    n_h = len(heads)

    def pick(ends: np.ndarray) -> sp.csr_matrix:
        c = np.flatnonzero(slot[ends] >= 0)
        return sp.csr_matrix((np.ones(len(c)), (slot[ends[c]], c)), shape=(n_h, n_c))

    got = (pick(phys.cond_pf), pick(phys.cond_pt))
    m._cache["phys-lin-heads"] = got
    return got


def regulated_currents(
    phys: ThreePhasePhysics, v: np.ndarray, taps: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """From- and to-end currents (S, C_r) of the regulated branches' conductors, each
    scenario at its own taps (pu), and their conductor indices (C_r,) in ``cond_cols``
    order: ``y @ v`` of each branch's block at its own regulators' taps, the blocks of a
    branch gathered per distinct own-tap setting (a batch of many tap vectors takes one
    product per branch, not one set of maps per vector). The static conductors' rows of
    :func:`current_parts` and these rows make up every conductor with impedance."""
    from ._threephase._branches import regulated_block, regulated_block_rows

    m = phys.model
    n_s = v.shape[0]
    taps = np.asarray(taps, dtype=np.int64).reshape(n_s, -1)
    layout, cols = _regulated_layout(phys)
    i_f = np.empty((n_s, len(cols)), dtype=complex)
    i_t = np.empty((n_s, len(cols)), dtype=complex)
    same = n_s == 1 or bool((taps == taps[:1]).all())
    for slot, term, _own, at in layout:
        k = len(term) // 2
        if same:
            y = regulated_block(m, slot, taps[0])[None]
        else:
            y = regulated_block_rows(m, slot, taps)
        cur = (y * v[:, None, term]).sum(axis=-1)  # (S, 2k): y @ v per scenario
        i_f[:, at : at + k] = cur[:, :k]
        i_t[:, at : at + k] = cur[:, k:]
    return i_f, i_t, cols


def _regulated_layout(phys: ThreePhasePhysics) -> tuple[list[Any], np.ndarray]:
    """Per regulated branch ``(slot, terminals, its regulators, first column)`` and the
    conductor indices (C_r,) of :func:`regulated_currents`' columns (cached per model)."""
    m = phys.model
    got = m._cache.get("phys-lin-reglayout")
    if got is not None:
        return got
    regulated = m.branches.regulated
    n_c = len(phys.cond_cols)
    pos = np.empty(n_c, dtype=np.int64)
    pos[phys.cond_cols] = np.arange(n_c)
    # Rows in flows order: after the static groups, by block size, then slot, conductor-major.
    off = sum(g.term.shape[0] * (g.term.shape[1] // 2) for g in m.branches.groups)
    by_size: dict[int, list[int]] = {}
    for slot, reg in enumerate(regulated):
        by_size.setdefault(len(reg.term), []).append(slot)
    layout, cols, at = [], [], 0
    reg_slot = np.asarray(m.regulators.slot)
    for two_k, slots in sorted(by_size.items()):
        k, n_b = two_k // 2, len(slots)
        for j, slot in enumerate(slots):
            term = np.asarray(regulated[slot].term)
            layout.append((slot, term, np.flatnonzero(reg_slot == slot), at))
            cols.append(pos[off + np.arange(k) * n_b + j])
            at += k
        off += k * n_b
    got = (layout, np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64))
    m._cache["phys-lin-reglayout"] = got
    return got


def static_parts(phys: ThreePhasePhysics) -> tuple[Any, Any, Any, Any] | None:
    """``(static_f, static_t, pick_f, pick_t)`` of :func:`current_parts` with
    ``through_switches`` (tap-independent, cached), or ``None`` where it refuses; the
    regulated conductors' rows of the static maps are 0 (see :func:`regulated_currents`)."""
    m = phys.model
    pairs = np.asarray(m.branches.merged_pairs)
    if len(pairs) and phys.head_pn and np.isin(pairs, np.concatenate(phys.head_pn)).any():
        return None
    n_c = len(phys.cond_cols)
    mat_f, mat_t, off, _ = _static_rows(phys, pairs)
    off += sum(len(reg.term) // 2 for reg in m.branches.regulated)
    if off != n_c and not (len(pairs) and off < n_c):
        return None
    return (mat_f, mat_t, *_head_picks(phys, n_c, m.n_pn))


def _static_rows(phys: Any, pairs: np.ndarray) -> tuple[Any, Any, int, np.ndarray]:
    """The static branches' current-map rows in conductor order (the physics'
    ``cond_cols`` permutation of flows' columns), kept on the model: ``(mat_f, mat_t,
    rows used, pos)``."""
    m = phys.model
    n_c = len(phys.cond_cols)
    skey = "phys-lin-static:" + ("s" if len(pairs) else "")
    static = m._cache.get(skey)
    if static is None:
        pos = np.empty(n_c, dtype=np.int64)
        pos[phys.cond_cols] = np.arange(n_c)
        static = (*_rows(m.branches.groups, 0, pos, n_c, m.n_pn), pos)
        m._cache[skey] = static
    return static


def total_maps(phys: ThreePhasePhysics) -> tuple[Any, ...] | None:
    """``(terminal map (T, T), head map (H, T), pick_f, pick_t)`` for the power totals
    (``gat_pf._physics_controls._totals_3ph``) from the static current maps (cached on the
    model; ``None`` where :func:`static_parts` refuses): row t of the terminal map sums the
    static conductors' end currents at terminal t (pu)."""
    m = phys.model
    got = m._cache.get("phys-total-maps")
    if got is not None:
        return got or None
    fast = static_parts(phys)
    if fast is None:
        m._cache["phys-total-maps"] = ()
        return None
    mat_f, mat_t, pick_f, pick_t = fast
    n_c = mat_f.shape[0]
    at = np.arange(n_c)
    p_f = sp.csr_matrix((np.ones(n_c), (phys.cond_pf, at)), shape=(m.n_pn, n_c))
    p_t = sp.csr_matrix((np.ones(n_c), (phys.cond_pt, at)), shape=(m.n_pn, n_c))
    got = (
        (p_f @ mat_f + p_t @ mat_t).tocsr(),
        (pick_f @ mat_f + pick_t @ mat_t).tocsr(),
        pick_f.tocsc(),
        pick_t.tocsc(),
    )
    m._cache["phys-total-maps"] = got
    return got
