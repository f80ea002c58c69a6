"""The three-phase model behind :class:`gat_pf.physics.PhysicsModel`.

Terminals are the phase nodes of :class:`~gat_pf.ThreePhaseModel` (node order, then A, B, C);
conductors the phase conductors of every closed branch (as in ``pf3_branches``). Extra
injections are extra constant-power load elements, one for P and one for Q per terminal,
whose per-scenario factors carry the MW and Mvar, so a batch of S trials is one call of the
three-phase batch solver (fixed point, Newton fallback, regulator loop) with no change to it.

Ampacity of a conductor (A): the branch's ``normamps``, else its line code's ``normamps``,
else ``thermal_limit`` (MVA, whole branch) shared by its conductors at each end's
line-to-neutral base (transformers therefore have a rated current per end), else NaN.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from gat_schemas.errors import InputError

from ._physics_3ph_limits import limits_3ph
from ._physics_3ph_parts import _anchor, _tap_deltas, _with_injections, _with_load_admittance
from ._physics_caps import (
    cap_ids_on0,
    cap_rows,
    capacitor_table,
    rows_of,
    three_phase_cap_deltas,
    three_phase_caps,
)
from ._physics_controls import unique_rows
from ._threephase._api import ThreePhaseOptions, _factor, _solve
from ._threephase._grounding import judged_columns
from ._threephase._model import PHASE_LETTERS, ThreePhaseModel
from ._threephase._ratings import branch_normamps, build_model_3ph
from ._threephase._solve import fixed_point
from ._threephase._tables import _phase_chars, flows_3ph
from .physics import (
    Injection,
    InjectionPoints,
    LimitArrays,
    Solution,
    check_phase_mode,
)

if TYPE_CHECKING:
    from gat_schemas import Network

__all__ = ["ThreePhasePhysics"]

#: Iteration limit of a fixed-point solve without a start (see :meth:`ThreePhasePhysics.solve`).
_COLD_MAX_ITER = 500


@dataclass(frozen=True, eq=False)
class ThreePhasePhysics:
    """:class:`~gat_pf.physics.PhysicsModel` of a three-phase network (see the module doc).

    ``model`` is the :class:`~gat_pf.ThreePhaseModel`; ``cond_cols`` (C,) the conductor
    columns of :func:`flows_3ph` in (branch, conductor) order; ``amp_from``/``amp_to`` (C,)
    rated currents at each end (A); ``reg_col`` (R,) conductor of every regulator phase;
    ``cap_ids``/``cap_on0`` (K,) the capacitor banks and their tables' states, ``cap_pn``/
    ``cap_y`` each bank's phase nodes and closed admittance block (see
    :mod:`gat_pf._physics_caps`).
    """

    model: ThreePhaseModel
    options: ThreePhaseOptions
    cond_cols: np.ndarray
    cond_b: np.ndarray
    cond_pf: np.ndarray
    cond_pt: np.ndarray
    amp_from: np.ndarray
    amp_to: np.ndarray
    reg_col: np.ndarray
    vuf_index: np.ndarray
    head_pn: tuple[np.ndarray, ...]
    head_nodes: np.ndarray
    cap_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    cap_on0: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    cap_pn: tuple[np.ndarray, ...] = ()
    cap_y: tuple[np.ndarray, ...] = ()
    cond_letters: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    kind: str = "three_phase"

    @classmethod
    def build(cls, network: Network, options: ThreePhaseOptions) -> ThreePhasePhysics:
        """Build from a network (raises like :func:`gat_pf.build_model_3ph`)."""
        m = build_model_3ph(network)
        fl = flows_3ph(m, np.ones((1, m.n_pn), dtype=complex), _taps0(m), None)
        order = np.lexsort((fl.cond, fl.branch))
        b, c = fl.branch[order], fl.cond[order]
        pf, pt = fl.pn_from[order], fl.pn_to[order]
        vb = m.pn_vbase_kv
        amp = branch_normamps(m)
        n_cond = np.bincount(b, minlength=len(m.branch_ids))[b]
        with np.errstate(invalid="ignore", divide="ignore"):
            amp_f = np.where(
                np.isfinite(amp[b]), amp[b], m.branch_rating_mva[b] * 1e3 / (n_cond * vb[pf])
            )
            amp_t = np.where(
                np.isfinite(amp[b]), amp[b], m.branch_rating_mva[b] * 1e3 / (n_cond * vb[pt])
            )
        reg_col = np.zeros(0, dtype=np.int64)
        if m.regulators is not None:
            # The column of each regulator's (branch, conductor): ``(b, c)`` is sorted.
            width = int(c.max(initial=0)) + 1
            key = b.astype(np.int64) * width + c
            want = np.asarray(m.regulators.branch, np.int64) * width + m.regulators.core
            reg_col = np.searchsorted(key, want).astype(np.int64)
            if len(want) and not (key[np.minimum(reg_col, len(key) - 1)] == want).all():
                raise KeyError("a regulator's conductor has no flow column")
        slack_nodes = np.flatnonzero(m.node_type == "slack")
        heads = tuple(m.pn_index[n][m.pn_index[n] >= 0] for n in slack_nodes)
        full = np.flatnonzero((m.pn_index >= 0).all(axis=1))
        cap_ids, cap_on0 = cap_ids_on0(capacitor_table(network))
        cap_pn, cap_y = three_phase_caps(network, m)
        return cls(
            model=m,
            options=options,
            cond_cols=order,
            cond_b=b,
            cond_letters=_phase_chars(m)[b, c],
            cond_pf=pf,
            cond_pt=pt,
            amp_from=amp_f,
            amp_to=amp_t,
            reg_col=reg_col,
            vuf_index=m.pn_index[full],
            head_pn=heads,
            head_nodes=slack_nodes,
            cap_ids=cap_ids,
            cap_on0=cap_on0,
            cap_pn=cap_pn,
            cap_y=cap_y,
        )

    # --- the Protocol's attributes -------------------------------------------------------
    @property
    def base_mva(self) -> float:
        """System power base (MVA)."""
        return float(self.model.base_mva)

    @property
    def node_ids(self) -> np.ndarray:
        """(N,) node ids (``dist_nodes`` order)."""
        return self.model.node_ids

    @property
    def term_node(self) -> np.ndarray:
        """(T,) node index of every phase node."""
        return self.model.pn_node

    @property
    def term_phase(self) -> np.ndarray:
        """(T,) ``A``, ``B`` or ``C``."""
        return np.array(list(PHASE_LETTERS), dtype=object)[self.model.pn_phase]

    @property
    def term_label(self) -> np.ndarray:
        """(T,) ``node.phase``."""
        return self.model.pn_labels().astype(object)

    @property
    def term_v_min(self) -> np.ndarray:
        """(T,) ``dist_nodes.v_min`` of the node (pu)."""
        return self.model.node_v_min[self.model.pn_node]

    @property
    def term_v_max(self) -> np.ndarray:
        """(T,) ``dist_nodes.v_max`` of the node (pu)."""
        return self.model.node_v_max[self.model.pn_node]

    @property
    def term_slack(self) -> np.ndarray:
        """(T,) phase nodes whose voltage a slack fixes."""
        return np.isin(self.model.pn_bus, self.model.bp_slack)

    @property
    def term_ll_partner(self) -> np.ndarray:
        """(T,) the terminal whose difference gives the line-to-line voltage judged at a
        terminal of an ungrounded section (the next phase of its node), -1 elsewhere (see
        :mod:`gat_pf._threephase._grounding`)."""
        key = f"term_ll_partner:{len(self.model.loads.pn_a)}"
        got = self.model._cache.get(key)
        if got is None:
            got = np.full(self.model.n_pn, -1, dtype=np.int64)
            cols, partner = judged_columns(self.model)
            got[cols] = partner
            got.flags.writeable = False
            self.model._cache[key] = got
        return got

    @property
    def cond_branch(self) -> np.ndarray:
        """(C,) branch id of every conductor."""
        return self.model.branch_ids[self.cond_b]

    @property
    def cond_phase(self) -> np.ndarray:
        """(C,) phase label of every conductor, as ``pf3_branches`` writes it: the branch's
        phase letters in conductor order (a center-tap unit's secondary legs are its
        ``phases_to`` letters, so the two legs of one unit have distinct labels)."""
        if len(self.cond_letters) == len(self.cond_b):
            return self.cond_letters
        return np.array(list(PHASE_LETTERS), dtype=object)[self.model.pn_phase[self.cond_pf]]

    @property
    def cond_label(self) -> np.ndarray:
        """(C,) ``branch.phase``."""
        return (self.cond_branch.astype(str) + "." + self.cond_phase.astype(str)).astype(object)

    @property
    def cond_rated(self) -> np.ndarray:
        """(C,) conductors with a rated current at both ends."""
        return np.isfinite(self.amp_from) & np.isfinite(self.amp_to)

    @property
    def ampacity_a(self) -> np.ndarray:
        """(C,) rated current at the from end (A; NaN = unrated)."""
        return self.amp_from

    @property
    def vuf_node(self) -> np.ndarray:
        """(F,) three-phase node ids."""
        return self.model.node_ids[self.model.pn_node[self.vuf_index[:, 0]]]

    @property
    def regulator_ids(self) -> np.ndarray:
        """(R,) ``dist_regulators`` ids."""
        regs = self.model.regulators
        return np.zeros(0, dtype=object) if regs is None else regs.ids

    @property
    def head_node_ids(self) -> np.ndarray:
        """(H,) slack node ids."""
        return self.model.node_ids[self.head_nodes]

    # --- the Protocol's methods ----------------------------------------------------------
    def injection_points(self, node_ids: Any, *, phase_mode: str = "all") -> InjectionPoints:
        """``all``: one point per node over its phases (equal shares); ``each``: one per phase."""
        check_phase_mode(phase_mode)
        m = self.model
        ids = np.asarray(list(node_ids), dtype=object).astype(str)
        pos = {nid: k for k, nid in enumerate(m.node_ids.astype(str))}
        at = np.array([pos[i] for i in ids], dtype=np.int64)
        idx = m.pn_index[at]  # (J, 3)
        letters = np.array(list(PHASE_LETTERS))
        if phase_mode == "all":
            have = idx >= 0
            n = have.sum(axis=1)
            terms = np.full((len(at), 3), -1, dtype=np.int64)
            weight = np.zeros((len(at), 3))
            for j in range(len(at)):
                k = idx[j][have[j]]
                terms[j, : len(k)] = k
                weight[j, : len(k)] = 1.0 / n[j]
            phase = np.array(["".join(letters[h]) for h in have], dtype=object)
            return InjectionPoints(
                label=ids.astype(object),
                node=ids.astype(object),
                phase=phase,
                terms=terms,
                weight=weight,
            )
        jj, kk = np.nonzero(idx >= 0)
        terms = np.full((len(jj), 3), -1, dtype=np.int64)
        weight = np.zeros((len(jj), 3))
        terms[:, 0], weight[:, 0] = idx[jj, kk], 1.0
        return InjectionPoints(
            label=np.char.add(np.char.add(ids[jj], "."), letters[kk]).astype(object),
            node=ids[jj].astype(object),
            phase=letters[kk].astype(object),
            terms=terms,
            weight=weight,
        )

    def solve(
        self,
        injection: Injection | None = None,
        *,
        load_scale: Any = 1.0,
        n_scenarios: int | None = None,
        start: np.ndarray | None = None,
        taps: np.ndarray | None = None,
        cap_on: np.ndarray | None = None,
    ) -> Solution:
        """Solve S scenarios in one call of the three-phase batch solver.

        ``taps`` (R,) or (S, R) holds the regulators at these positions (steps,
        ``regulator_ids`` order) instead of ``dist_regulators.tap`` or the regulator loop:
        the fixed point is called directly for each distinct tap vector (one factorisation
        each, kept in the model's cache); scenarios it does not settle are reported not
        converged (no Newton fallback on this path).

        ``start`` (S, T) terminal voltages to start from (direct fixed-point path only; rows
        that are not finite start from the no-load voltages of the solver). The options'
        ``max_iter`` applies to started solves; a solve without ``start`` may take up to
        ``max(max_iter, 500)`` iterations.

        ``cap_on`` (K,) or (S, K) bool: the capacitor banks (``cap_ids`` order) in or out per
        scenario instead of ``dist_caps.status``; banks that differ from the tables' are
        low-rank changes on the tables' factor (:mod:`gat_pf._physics_caps`). Needs the
        direct fixed-point path (``taps`` given, or fixed regulators and
        ``method="fixed_point"``).

        The solver sees the loads' nominal admittances in its matrix (see
        :func:`_with_load_admittance`); with fixed taps and ``method="fixed_point"`` the fixed
        point is called directly (no regulator loop).
        """
        from ._physics_balanced import _n_scenarios

        m = self.model
        n_s = _n_scenarios(injection, load_scale, n_scenarios)
        scale = _load_factors(m, load_scale, n_s)
        fast, n_comp = _with_load_admittance(m)
        terms = None if injection is None else injection.terms
        regs = m.regulators
        fixed = regs is None or self.options.regulators == "fixed" or not regs.auto.any()
        direct = (fixed and self.options.method == "fixed_point") or taps is not None
        n_r = 0 if regs is None else len(regs.ids)
        if taps is not None:
            taps = np.asarray(taps)
            taps = np.broadcast_to(taps if taps.ndim == 2 else taps[None, :], (n_s, n_r))
            if not np.isfinite(taps).all():
                raise InputError("solve: taps must be finite steps")
            taps = np.rint(taps).astype(np.int64)
        caps = cap_rows(cap_on, self.cap_on0, n_s)
        if caps is not None and not direct:
            raise InputError(
                "solve: cap_on needs fixed regulator taps (pass taps=, or regulators='fixed' "
                "with method='fixed_point')"
            )
        # The fixed point alone takes complex factors: one element per terminal carries
        # P + jQ. Newton-Raphson's derivatives need real factors: a P and a Q element.
        solver_model = _with_injections(fast, terms, combined=direct)
        parts = [scale, np.ones((n_s, n_comp))]
        if injection is not None and direct:
            parts.append(injection.p_mw + 1j * injection.q_mvar)
        elif injection is not None:
            parts += [injection.p_mw, injection.q_mvar]
        solver_scale = np.concatenate(parts, axis=1)
        if direct:
            if taps is None:
                taps = np.broadcast_to(
                    np.zeros(0, np.int64) if regs is None else np.asarray(regs.tap0), (n_s, n_r)
                )
            tap_rows = np.array(taps, dtype=np.int64)
            v_start = None
            if start is not None:
                st = np.asarray(start, dtype=complex)
                if st.shape == (n_s, m.n_pn) and np.isfinite(st).all():
                    v_start = np.zeros((n_s, m.n_bp), dtype=complex)
                    v_start[:, m.pn_bus] = st
            v = np.zeros((n_s, m.n_bp), dtype=complex)
            conv = np.zeros(n_s, dtype=bool)
            iters = np.zeros(n_s, dtype=np.int64)
            mis = np.zeros(n_s)
            uniq, inv = unique_rows(tap_rows)
            counts = np.bincount(inv, minlength=len(uniq))
            todo = np.arange(len(uniq))
            max_iter = (
                self.options.max_iter
                if v_start is not None
                else max(self.options.max_iter, _COLD_MAX_ITER)
            )
            anchor = _anchor(solver_model, uniq, counts)
            cap_d = () if caps is None else three_phase_cap_deltas(self, caps, m.pn_bus)
            if anchor is None and cap_d:
                # Capacitor states as low-rank changes on the factor of this tap vector.
                anchor = uniq[0]
            if anchor is not None:
                # One factorisation (a vector already factorised, else the commonest) and
                # one fixed point for all rows, the other vectors' regulator blocks as
                # per-row low-rank updates; rows it does not settle are solved below with
                # their own factors.
                tap_d = (
                    ()
                    if regs is None or (tap_rows == anchor[None, :]).all()
                    else _tap_deltas(solver_model, tap_rows, anchor)
                )
                res = fixed_point(
                    _factor(solver_model, None if regs is None else anchor),
                    solver_model.loads,
                    m.n_bp,
                    m.v_slack,
                    solver_scale,
                    n_s,
                    tol=self.options.tol,
                    max_iter=max_iter,
                    v_start=v_start,
                    deltas=tap_d + cap_d,
                )
                v[:], conv[:], iters[:], mis[:] = (
                    res.v,
                    res.converged,
                    res.iterations,
                    res.mismatch,
                )
                todo = np.unique(inv[~res.converged])
            for u in todo:
                row = uniq[u]
                rows = np.flatnonzero(inv == u) if len(uniq) > 1 else np.arange(n_s)
                fac = _factor(solver_model, None if regs is None else row)
                res = fixed_point(
                    fac,
                    solver_model.loads,
                    m.n_bp,
                    m.v_slack,
                    solver_scale[rows],
                    len(rows),
                    tol=self.options.tol,
                    # A cold start (no-load voltages) may need more iterations than the
                    # warm-started trials of a search that set a low max_iter.
                    max_iter=max_iter,
                    v_start=None if v_start is None else v_start[rows],
                    deltas=rows_of(cap_d, rows),
                )
                v[rows], conv[rows], iters[rows], mis[rows] = (
                    res.v,
                    res.converged,
                    res.iterations,
                    res.mismatch,
                )
        else:
            v, conv, iters, mis, tap_rows, *_ = _solve(
                solver_model, solver_scale, n_s, self.options
            )
        state_scale = (
            scale
            if injection is None
            else np.concatenate([scale, injection.p_mw, injection.q_mvar], axis=1)
        )
        return Solution(
            v=v[:, m.pn_bus],
            converged=np.asarray(conv, dtype=bool),
            iterations=np.asarray(iters),
            max_mismatch_mva=np.asarray(mis) * m.base_mva / 3.0,
            taps=tap_rows,
            injection=injection,
            load_scale=load_scale,
            state={"scale": state_scale}
            if caps is None
            else {"scale": state_scale, "cap_on": np.array(caps)},
        )

    def limits(self, solution: Solution) -> LimitArrays:
        """Limit arrays of a three-phase solution (see :class:`~gat_pf.physics.LimitArrays`
        and :func:`~gat_pf._physics_3ph_limits.limits_3ph`)."""
        return limits_3ph(self, solution)


def _load_factors(m: ThreePhaseModel, load_scale: Any, n_s: int) -> np.ndarray:
    """Per-element factors (S, E): ``load_scale`` on loads, 1 on node generation.

    ``load_scale``: a scalar, (S,) per scenario or (S, N) per node (model node order).
    """
    ls = np.asarray(load_scale, dtype=float)
    if ls.ndim == 2:
        per = np.broadcast_to(ls, (n_s, len(m.node_ids)))[:, m.loads.node]
        return np.where(m.loads.scaled[None, :], per, 1.0)
    ls_col = np.broadcast_to(ls.reshape(-1, 1) if ls.ndim else ls, (n_s, 1))
    return np.where(m.loads.scaled[None, :], ls_col, 1.0)


def _taps0(m: ThreePhaseModel) -> np.ndarray | None:
    return None if m.regulators is None else np.asarray(m.regulators.tap0)[None, :]
