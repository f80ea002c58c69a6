"""The balanced (positive-sequence) model behind :class:`gat_pf.physics.PhysicsModel`.

One terminal per node (phase ``ABC``: the node stands for all its phases; injections are
three-phase totals), one conductor per active branch. Solves go through
:func:`gat_pf.solve_batch` unchanged, so results equal the ones workflows got by calling it
directly; loading is larger-end apparent power over ``thermal_limit`` as in ``pf_branches``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from gat_schemas.errors import InputError, NotConvergedError

from ._api import solve_batch
from ._model import PowerFlowModel, build_model
from ._physics_caps import balanced_variant, cap_ids_on0, cap_rows, capacitor_table
from .physics import Injection, InjectionPoints, LimitArrays, Solution, check_phase_mode

if TYPE_CHECKING:
    from gat_schemas import Network

    from ._options import PowerFlowOptions

__all__ = ["BalancedPhysics"]

#: A scenario whose solver raised counts as converged when its largest power mismatch is
#: below this (pu): the solver raises for the whole batch when any scenario fails.
_ACCEPT_MISMATCH_PU = 1e-6
_BUS_PQ, _BUS_PV, _BUS_SLACK = 0, 1, 2
_SQRT3 = float(np.sqrt(3.0))


@dataclass(frozen=True, eq=False)
class BalancedPhysics:
    """:class:`~gat_pf.physics.PhysicsModel` of a balanced network (see the module doc).

    ``model`` is the :class:`~gat_pf.PowerFlowModel`; ``node_base_kv`` (N,) the nodes'
    line-to-line base (kV, NaN when ``dist_nodes.base_kv`` is absent: currents are then NaN);
    ``cond_index`` (C,) the active branches (model order) that are the conductors.
    """

    model: PowerFlowModel
    pf_options: Any
    node_base_kv: np.ndarray
    cond_index: np.ndarray
    head_bus: np.ndarray
    head_node: np.ndarray
    cap_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    cap_on0: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    cap_node: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    cap_q_mvar: np.ndarray = field(default_factory=lambda: np.zeros(0))
    kind: str = "balanced"

    @classmethod
    def build(cls, network: Network, pf_options: PowerFlowOptions) -> BalancedPhysics:
        """Build from a network (raises like :func:`gat_pf.build_model`)."""
        model = build_model(network)
        nodes = network.nodes
        kv = np.full(model.n_nodes, np.nan)
        if "base_kv" in nodes.columns:
            pos = {nid: k for k, nid in enumerate(model.node_ids)}
            at = nodes["node_id"].astype(str).map(pos).to_numpy()
            kv[at] = nodes["base_kv"].to_numpy(dtype=float)
        slack = model.node_type == _BUS_SLACK
        head_bus = np.unique(model.node_bus[slack])
        first = {int(model.node_bus[i]): i for i in np.flatnonzero(slack)[::-1]}
        caps = capacitor_table(network)
        cap_ids, cap_on0 = cap_ids_on0(caps)
        pos = {str(nid): k for k, nid in enumerate(model.node_ids)}
        cap_node = np.array(
            [] if caps is None else [pos.get(str(n), -1) for n in caps["node_id"]], dtype=np.int64
        )
        cap_q = np.zeros(0) if caps is None else caps["q_mvar"].to_numpy(dtype=float)
        return cls(
            model=model,
            pf_options=pf_options,
            node_base_kv=kv,
            cond_index=np.flatnonzero(model.branch_active),
            head_bus=head_bus,
            head_node=np.array([first[int(b)] for b in head_bus], dtype=np.int64),
            cap_ids=cap_ids,
            cap_on0=cap_on0,
            cap_node=cap_node,
            cap_q_mvar=cap_q,
        )

    # --- the Protocol's attributes -------------------------------------------------------
    @property
    def base_mva(self) -> float:
        """System power base (MVA)."""
        return float(self.model.base_mva)

    @property
    def node_ids(self) -> np.ndarray:
        """(N,) node ids (model order)."""
        return self.model.node_ids

    @property
    def term_node(self) -> np.ndarray:
        """(T,) = (N,): one terminal per node."""
        return np.arange(self.model.n_nodes)

    @property
    def term_phase(self) -> np.ndarray:
        """(T,) ``"ABC"``."""
        return np.full(self.model.n_nodes, "ABC", dtype=object)

    @property
    def term_label(self) -> np.ndarray:
        """(T,) node ids."""
        return self.model.node_ids

    @property
    def term_v_min(self) -> np.ndarray:
        """(T,) ``dist_nodes.v_min`` (pu)."""
        return self.model.node_v_min

    @property
    def term_v_max(self) -> np.ndarray:
        """(T,) ``dist_nodes.v_max`` (pu)."""
        return self.model.node_v_max

    @property
    def term_slack(self) -> np.ndarray:
        """(T,) slack nodes."""
        return self.model.node_type == _BUS_SLACK

    @property
    def term_ll_partner(self) -> np.ndarray:
        """(T,) all -1: a balanced node is judged on its (positive-sequence) magnitude."""
        return np.full(len(self.model.node_type), -1, dtype=np.int64)

    @property
    def cond_branch(self) -> np.ndarray:
        """(C,) branch ids of the active branches."""
        return self.model.branch_ids[self.cond_index]

    @property
    def cond_phase(self) -> np.ndarray:
        """(C,) ``"ABC"``."""
        return np.full(len(self.cond_index), "ABC", dtype=object)

    @property
    def cond_label(self) -> np.ndarray:
        """(C,) branch ids (one conductor per branch)."""
        return self.cond_branch

    @property
    def cond_rated(self) -> np.ndarray:
        """(C,) branches with a ``thermal_limit``."""
        return np.isfinite(self.model.branch_rating[self.cond_index])

    @property
    def ampacity_a(self) -> np.ndarray:
        """(C,) ``thermal_limit`` as a current at the from end's base voltage (A)."""
        m = self.model
        kv = self.node_base_kv[m.branch_f_node[self.cond_index]]
        with np.errstate(invalid="ignore", divide="ignore"):
            return m.branch_rating[self.cond_index] * 1e3 / (_SQRT3 * kv)

    @property
    def vuf_node(self) -> np.ndarray:
        """(0,): the balanced model has no unbalance."""
        return np.zeros(0, dtype=object)

    @property
    def regulator_ids(self) -> np.ndarray:
        """(0,): regulators keep their fixed ``tap`` in the balanced model."""
        return np.zeros(0, dtype=object)

    @property
    def head_node_ids(self) -> np.ndarray:
        """(H,) the first slack node of every slack bus."""
        return self.model.node_ids[self.head_node]

    # --- the Protocol's methods ----------------------------------------------------------
    def injection_points(self, node_ids: Any, *, phase_mode: str = "all") -> InjectionPoints:
        """One point per node (phase ``ABC``) whatever ``phase_mode``."""
        check_phase_mode(phase_mode)
        ids = np.asarray(list(node_ids), dtype=object).astype(str)
        pos = {nid: k for k, nid in enumerate(self.model.node_ids)}
        at = np.array([pos[i] for i in ids], dtype=np.int64)
        terms = np.full((len(at), 3), -1, dtype=np.int64)
        weight = np.zeros((len(at), 3))
        terms[:, 0], weight[:, 0] = at, 1.0
        return InjectionPoints(
            label=ids.astype(object),
            node=ids.astype(object),
            phase=np.full(len(at), "ABC", dtype=object),
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
        """Solve S scenarios with :func:`gat_pf.solve_batch` (see the Protocol; ``start`` is
        not used: the balanced solvers converge in a few iterations from their own start;
        ``taps`` has no column, R = 0; ``cap_on`` (K,) or (S, K): one solve per distinct
        capacitor state, on a model variant with those banks' shunts)."""
        if taps is not None and np.asarray(taps).size:
            raise InputError("solve: the balanced model has no regulators (taps must be empty)")
        n_s = _n_scenarios(injection, load_scale, n_scenarios)
        caps = cap_rows(cap_on, self.cap_on0, n_s)
        if caps is not None:
            return self._solve_caps(injection, load_scale, n_s, caps)
        m = self.model
        base = m.base_mva
        gen_p = np.repeat(m.node_gen.real[None, :] * base, n_s, axis=0)
        gen_q = np.repeat(m.node_gen.imag[None, :] * base, n_s, axis=0)
        if injection is not None:
            gen_p[:, injection.terms] += injection.p_mw
            if np.any(injection.q_mvar):
                gen_q[:, injection.terms] += injection.q_mvar
        ls = np.asarray(load_scale, dtype=float)
        scale = None if ls.ndim == 0 and float(ls) == 1.0 else (float(ls) if ls.ndim == 0 else ls)
        try:
            batch = solve_batch(
                m, gen_p_mw=gen_p, gen_q_mvar=gen_q, load_scale=scale, options=self.pf_options
            )
            v, ok = batch.voltages, np.asarray(batch.converged, dtype=bool)
            iters = np.asarray(batch.iterations)
            mis = np.asarray(batch.max_mismatch_mva, dtype=float)
        except NotConvergedError as exc:
            if exc.last_iterate is None:
                v, ok = np.ones((n_s, m.n_nodes), dtype=complex), np.zeros(n_s, dtype=bool)
            else:
                v = np.asarray(exc.last_iterate, dtype=complex).reshape(n_s, m.n_nodes)
                ok = _solved(m, v, gen_p + 1j * gen_q, 1.0 if scale is None else scale)
            iters = np.full(n_s, -1, dtype=np.int64)
            mis = np.full(n_s, np.nan)
        return Solution(
            v=v,
            converged=ok,
            iterations=iters,
            max_mismatch_mva=mis,
            taps=np.zeros((n_s, 0), dtype=np.int64),
            injection=injection,
            load_scale=load_scale,
        )

    def _solve_caps(
        self, injection: Injection | None, load_scale: Any, n_s: int, caps: np.ndarray
    ) -> Solution:
        """One solve per distinct capacitor state (rows of ``caps``), results in row order."""
        uniq, inv = np.unique(caps, axis=0, return_inverse=True)
        inv = inv.ravel()
        ls = np.asarray(load_scale, dtype=float)
        parts = []
        for u, state in enumerate(uniq):
            rows = np.flatnonzero(inv == u)
            var = dataclasses.replace(self, model=balanced_variant(self, state))
            inj = (
                None
                if injection is None
                else Injection(injection.terms, injection.p_mw[rows], injection.q_mvar[rows])
            )
            parts.append(
                (
                    rows,
                    var.solve(
                        inj, load_scale=ls if ls.ndim == 0 else ls[rows], n_scenarios=len(rows)
                    ),
                )
            )
        v = np.zeros((n_s, self.model.n_nodes), dtype=complex)
        ok = np.zeros(n_s, dtype=bool)
        iters = np.zeros(n_s, dtype=np.int64)
        mis = np.zeros(n_s)
        for rows, sol in parts:
            v[rows], ok[rows], iters[rows], mis[rows] = (
                sol.v,
                sol.converged,
                sol.iterations,
                sol.max_mismatch_mva,
            )
        return Solution(
            v=v,
            converged=ok,
            iterations=iters,
            max_mismatch_mva=mis,
            taps=np.zeros((n_s, 0), dtype=np.int64),
            injection=injection,
            load_scale=load_scale,
            state={"cap_on": np.array(caps)},
        )

    def limits(self, solution: Solution) -> LimitArrays:
        """Limit arrays of a balanced solution (see :class:`~gat_pf.physics.LimitArrays`)."""
        m = self.model
        v = solution.v
        n_s = v.shape[0]
        vm = np.abs(v)
        with np.errstate(invalid="ignore"):
            margin = np.minimum(m.node_v_max - vm, vm - m.node_v_min)
        margin[:, self.term_slack] = np.nan
        a, s_f, s_t = self._flows(v)
        s_max = np.maximum(np.abs(s_f), np.abs(s_t)) * m.base_mva
        with np.errstate(invalid="ignore", divide="ignore"):
            loading = s_max / m.branch_rating[a] * 100.0
            kv_f = self.node_base_kv[m.branch_f_node[a]]
            kv_t = self.node_base_kv[m.branch_t_node[a]]
            i_base_f = m.base_mva * 1e3 / (_SQRT3 * kv_f)
            i_base_t = m.base_mva * 1e3 / (_SQRT3 * kv_t)
            v_bus = np.zeros((n_s, m.n_bus), dtype=complex)
            v_bus[:, m.node_bus] = v
            i_f = np.abs(s_f) / np.abs(v_bus[:, m.branch_f_bus[a]]) * i_base_f
            i_t = np.abs(s_t) / np.abs(v_bus[:, m.branch_t_bus[a]]) * i_base_t
        return LimitArrays(
            vm_pu=vm,
            v_margin_pu=margin,
            current_a=np.maximum(i_f, i_t),
            loading_pct=loading,
            vuf_pct=np.zeros((n_s, 0)),
            head_p_mw=self._head_flows(a, s_f, s_t),
            regulator_p_mw=np.zeros((n_s, 0)),
        )

    def _flows(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Active branch indices and the power entering them at both ends, (S, C) pu."""
        m = self.model
        a = self.cond_index
        v_bus = np.zeros((v.shape[0], m.n_bus), dtype=complex)
        v_bus[:, m.node_bus] = v
        fb, tb = m.branch_f_bus[a], m.branch_t_bus[a]
        yff, yft, ytf, ytt = (y[a] for y in m.branch_y)
        vf, vt = v_bus[:, fb], v_bus[:, tb]
        return a, vf * np.conj(yff * vf + yft * vt), vt * np.conj(ytf * vf + ytt * vt)

    def _head_flows(self, a: np.ndarray, s_f: np.ndarray, s_t: np.ndarray) -> np.ndarray:
        """Active power from each slack bus into the feeder (S, H), MW."""
        m = self.model
        fb, tb = m.branch_f_bus[a], m.branch_t_bus[a]
        head = np.zeros((s_f.shape[0], len(self.head_bus)))
        for j, bus in enumerate(self.head_bus):
            head[:, j] = s_f[:, fb == bus].real.sum(axis=1) + s_t[:, tb == bus].real.sum(axis=1)
        return head * m.base_mva


def _n_scenarios(injection: Injection | None, load_scale: Any, n_scenarios: int | None) -> int:
    """S from the injection, an (S,) or (S, N) load scale or ``n_scenarios`` (1 by default)."""
    if injection is not None:
        return injection.n_scenarios
    ls = np.asarray(load_scale, dtype=float)
    if ls.ndim in (1, 2):
        return len(ls)
    return 1 if n_scenarios is None else int(n_scenarios)


def _solved(
    model: PowerFlowModel, v: np.ndarray, gen_mw: np.ndarray, load_scale: Any
) -> np.ndarray:
    """Per-scenario convergence from the power mismatch of voltages ``v`` (S, N)."""
    with np.errstate(all="ignore"):
        v_bus = np.zeros((v.shape[0], model.n_bus), dtype=complex)
        v_bus[:, model.node_bus] = v
        vm = np.abs(v)
        ls = np.asarray(load_scale, dtype=float)
        ls = ls[:, None] if ls.ndim == 1 else ls
        z, i = model.node_z_frac, model.node_i_frac
        load = model.node_load[None, :] * ls * ((1.0 - z - i) + i * vm + z * vm * vm)
        t = model.node_type
        gen = gen_mw / model.base_mva
        gen = np.where(t == _BUS_PQ, gen, np.where(t == _BUS_PV, gen.real + 0j, 0j))
        spec = np.asarray((model.node_to_bus @ (gen - load).T).T)
        calc = v_bus * np.conj(np.asarray((model.ybus @ v_bus.T).T))
        d = calc - spec
        pq = model.bus_type == _BUS_PQ
        pv = model.bus_type == _BUS_PV
        worst = np.maximum(
            np.max(np.abs(d.real) * (pq | pv), axis=1, initial=0.0),
            np.max(np.abs(d.imag) * pq, axis=1, initial=0.0),
        )
    return np.isfinite(worst) & (worst < _ACCEPT_MISMATCH_PU)
