"""Three-phase AC check of a switching configuration: node-phase voltages and conductor loading.

The same contract as :class:`~gat_adms.flisr.ac.AcChecker` (the restoration loop cannot tell
them apart), on a network holding three-phase tables: the energised part of a configuration
is solved by the three-phase power flow (regulators in their own control mode, so ``auto``
regulators follow the new configuration), and

- each node-phase voltage is held to ``[min(v_min, normal vm), max(v_max, normal vm)]`` of
  that phase (a phase that already runs outside its band at peak is not a new violation);
- each branch's loading is its most loaded conductor (% of its rating: ``thermal_limit``
  shared over its conductors, as in ``pf3_branches``), held to ``max(100 %, normal
  loading)``; a bundle of parallel units counts as its most loaded member.

A transfer plan is also held to the isolated state of its fault (``holds_isolation``):
losing unbalanced load shifts the phase voltages (a phase of the remaining feeder can rise
above the band the normal state kept), and a plan that only inherits that shift is not
refused for it. The reported check of a configuration is against the normal state.

For the restoration MILP, which sees the positive sequence only, a node's voltage is its
lowest phase and a branch's apparent power is its loading times its rating: the correction
rounds then tighten the MILP by the gap between the worst phase and LinDistFlow.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from gat_schemas import Network
from gat_schemas.errors import GatError

from .ac import AcCheck
from .grid import FlisrGrid

__all__ = ["PhaseAcChecker", "PhaseLimits", "phase_limits"]

_V_TOL = 1e-4  # pu
_LOADING_TOL = 0.01  # percentage points
_PHASES = "ABC"
#: Tables of a network that describe one element each and follow it in or out of service.
_BY_NODE = ("dist_loads", "dist_caps")
_BY_BRANCH = ("dist_transformers", "dist_regulators")


@dataclass(frozen=True, eq=False)
class PhaseLimits:
    """What the AC check reads from one three-phase power flow (T node-phases, C conductors).

    Attributes
    ----------
    converged
        The power flow converged (the arrays are empty when not).
    node_id, phase
        (T,) node id and phase letter of every node-phase.
    vm_pu
        (T,) voltage magnitude (pu of the node's line-to-neutral base).
    branch_id
        (C,) branch id of every conductor.
    loading_pct
        (C,) loading of the conductor (% of its ampacity at its more loaded end; NaN when
        unrated).
    ampacity_a
        (C,) rated current of the conductor (A; NaN = unrated).
    """

    converged: bool
    node_id: np.ndarray
    phase: np.ndarray
    vm_pu: np.ndarray
    branch_id: np.ndarray
    loading_pct: np.ndarray
    ampacity_a: np.ndarray


def phase_limits(network: Network) -> PhaseLimits:
    """Solve the three-phase power flow of ``network`` and return its limit arrays.

    The one place the FLISR check calls the physics: :func:`gat_pf.physics_model` (three-
    phase, regulators as ``dist_regulators.mode`` says), one solve, its limit arrays. A
    power flow that fails (no convergence, floating phases) is reported as not converged.
    """
    import gat_pf

    empty = np.zeros(0)
    try:
        model = gat_pf.physics_model(network, model="three_phase")
        sol = model.solve()
    except GatError:
        return PhaseLimits(False, empty, empty, empty, empty, empty, empty)
    if not bool(sol.converged[0]):
        return PhaseLimits(False, empty, empty, empty, empty, empty, empty)
    lim = model.limits(sol)
    return PhaseLimits(
        converged=True,
        node_id=np.asarray(model.node_ids, dtype=str)[model.term_node],
        phase=np.asarray(model.term_phase, dtype=str),
        vm_pu=lim.vm_pu[0],
        branch_id=np.asarray(model.cond_branch, dtype=str),
        loading_pct=lim.loading_pct[0],
        ampacity_a=np.asarray(model.ampacity_a, dtype=float),
    )


def _ratings_pu(grid: FlisrGrid, network: Network, lim: PhaseLimits) -> np.ndarray:
    """Three-phase rating of every branch for the MILP (pu on ``base_mva``): its weakest
    conductor's ampacity times its conductor count at the from node's line-to-neutral
    voltage; a bundle's representative carries the sum of its members; NaN = unrated."""
    nb = grid.n_branch
    b = pd.Index(grid.branch_ids).get_indexer(lim.branch_id)
    amp = np.full(nb, np.inf)
    np.fmin.at(amp, b, lim.ampacity_a)
    count = np.bincount(b, minlength=nb)
    kv = pd.to_numeric(network.nodes["base_kv"], errors="coerce").to_numpy(float)
    v_ln = kv[grid.f] / np.sqrt(3.0)
    ok = np.isfinite(amp) & (count > 0)
    rating = np.full(nb, np.nan)
    rating[ok] = amp[ok] * count[ok] * v_ln[ok] / 1e3
    rating = rating / grid.base_mva
    members = np.flatnonzero(grid.bundle != np.arange(nb))
    if len(members):
        reps = np.unique(grid.bundle[members])
        total = rating.copy()
        np.add.at(total, grid.bundle[members], rating[members])
        rating[reps] = total[reps]
    # Branches the power flow does not see (open ones) keep their thermal_limit.
    return np.where(count > 0, rating, grid.rating_pu)


class PhaseAcChecker:
    """Runs three-phase AC power flows of configurations of one network.

    The normal configuration is solved once; its node-phase voltages and branch loadings
    set the limits that pre-existing violations are held to.

    Attributes
    ----------
    normal
        AC check of the normal configuration.
    runs
        Power flows run.
    loading_hi
        Loading each branch is held to (%, per branch).
    """

    #: Transfer plans are judged against the normal and the isolated state of their fault.
    holds_isolation = True

    def __init__(self, network: Network, grid: FlisrGrid) -> None:
        self.grid = grid
        self.network = network
        self.runs = 0
        self._node_pos = pd.Index(grid.node_ids)
        self._branch_pos = pd.Index(grid.branch_ids)
        self.branch_ids = grid.branch_ids.astype(str)
        self.node_ids = grid.node_ids.astype(str)
        n = grid.n_node
        v_min = np.repeat(grid.v_min[:, None], 3, axis=1)
        v_max = np.repeat(grid.v_max[:, None], 3, axis=1)
        self.v_lo, self.v_hi = v_min, v_max
        self.loading_hi = np.full(grid.n_branch, 100.0)
        self.runs += 1
        lim = phase_limits(self._subnetwork(np.ones(n, bool), grid.closed))
        if lim.converged:
            # The MILP's ratings are the conductors' (ampacity), as the check's.
            self.grid = grid = replace(grid, rating_pu=_ratings_pu(grid, network, lim))
        normal, vm3, loading = self._read(lim, np.ones(n, bool), grid.closed)
        if normal.converged:
            self.v_lo = np.fmin(v_min, vm3)
            self.v_hi = np.fmax(v_max, vm3)
            self.loading_hi = np.fmax(self.loading_hi, loading)
            normal = self._check(np.ones(n, bool), grid.closed, vm3, loading, normal.s_pu)
        self.normal = normal

    def _subnetwork(self, energised: np.ndarray, use: np.ndarray) -> Network:
        net = self.network
        tables: dict[str, pd.DataFrame] = {}
        nodes = net.nodes.loc[energised]
        branches = net.branches.loc[use].copy()
        branches["status"] = "closed"
        tables["dist_nodes"] = nodes
        tables["dist_branches"] = branches
        live_nodes = set(self.node_ids[energised])
        live_branches = set(self.branch_ids[use])
        for name in _BY_NODE:
            df = net.table(name)
            if df is not None:
                tables[name] = df.loc[df["node_id"].astype(str).isin(live_nodes)]
        for name in _BY_BRANCH:
            df = net.table(name)
            if df is not None:
                tables[name] = df.loc[df["branch_id"].astype(str).isin(live_branches)]
        codes = net.table("dist_linecodes")
        if codes is not None:
            tables["dist_linecodes"] = codes
        return Network(net.name, net.base_mva, tables)

    def _solve(
        self, energised: np.ndarray, closed: np.ndarray
    ) -> tuple[AcCheck, np.ndarray, np.ndarray]:
        """Power flow of a configuration: an unchecked AcCheck (converged, s_pu), the
        node-phase voltages (N, 3) and the branch loadings (B,) (NaN where absent)."""
        g = self.grid
        use = closed & energised[g.f] & energised[g.t]
        if not (energised & ~g.is_slack).any():  # only sources live: nothing to solve
            lim = PhaseLimits(True, *([np.zeros(0)] * 6))
        else:
            self.runs += 1
            lim = phase_limits(self._subnetwork(energised, use))
        return self._read(lim, energised, use)

    def _read(
        self, lim: PhaseLimits, energised: np.ndarray, use: np.ndarray
    ) -> tuple[AcCheck, np.ndarray, np.ndarray]:
        g = self.grid
        use = use & energised[g.f] & energised[g.t]
        n, nb = g.n_node, g.n_branch
        vm3 = np.full((n, 3), np.nan)
        loading = np.full(nb, np.nan)
        s = np.zeros(nb)
        nan = float("nan")
        if not lim.converged:
            check = AcCheck(False, False, nan, nan, np.full(n, np.nan), s)
            return check, vm3, loading
        node = self._node_pos.get_indexer(lim.node_id)
        phase = np.array([_PHASES.index(p) for p in lim.phase], np.int64)
        vm3[node, phase] = lim.vm_pu
        b = self._branch_pos.get_indexer(lim.branch_id)
        np.fmax.at(loading, b, lim.loading_pct)
        # A bundle of parallel units counts as one branch: its most loaded member.
        members = np.flatnonzero(g.bundle != np.arange(nb))
        np.fmax.at(loading, g.bundle[members], loading[members])
        # The MILP's apparent power of a rated branch: its loading times its rating.
        rated = use & np.isfinite(loading) & np.isfinite(g.rating_pu)
        s[rated] = loading[rated] / 100.0 * g.rating_pu[rated]
        check = AcCheck(True, True, nan, nan, np.full(n, np.nan), s)
        return check, vm3, loading

    def _check(
        self,
        energised: np.ndarray,
        closed: np.ndarray,
        vm3: np.ndarray,
        loading: np.ndarray,
        s_pu: np.ndarray,
        hold: AcCheck | None = None,
    ) -> AcCheck:
        g = self.grid
        use = closed & energised[g.f] & energised[g.t]
        v_lo, v_hi, loading_hi = self.v_lo, self.v_hi, self.loading_hi
        if hold is not None and hold.vm_phase is not None and hold.loading is not None:
            v_lo = np.fmin(v_lo, hold.vm_phase)
            v_hi = np.fmax(v_hi, hold.vm_phase)
            loading_hi = np.fmax(loading_hi, hold.loading)
        low3 = vm3 < v_lo - _V_TOL
        high3 = vm3 > v_hi + _V_TOL
        low = np.flatnonzero(energised & low3.any(axis=1))
        high = energised & high3.any(axis=1)
        own = g.bundle == np.arange(g.n_branch)
        over = np.flatnonzero(use & own & (loading > loading_hi + _LOADING_TOL))
        live = np.isfinite(vm3).any(axis=1)
        vm = np.where(live, np.where(np.isfinite(vm3), vm3, np.inf).min(axis=1), np.nan)
        rated = use & np.isfinite(loading)
        return AcCheck(
            ok=not (len(low) or high.any() or len(over)),
            converged=True,
            v_min_pu=float(np.nanmin(vm)) if np.isfinite(vm).any() else float("nan"),
            max_loading_pct=float(loading[rated].max()) if rated.any() else float("nan"),
            vm=vm,
            s_pu=s_pu,
            low_nodes=low,
            over_branches=over,
            vm_phase=vm3,
            loading=loading,
        )

    def run(
        self, energised: np.ndarray, closed: np.ndarray, *, hold: AcCheck | None = None
    ) -> AcCheck:
        """Solve the three-phase power flow of the nodes ``energised`` joined by ``closed``.

        Parameters
        ----------
        energised
            Node mask; every energised island must hold one slack node.
        closed
            Branch mask (only branches between energised nodes are used; bundle members
            follow their representative).
        hold
            Check of the isolated state of the fault: its voltages and loadings relax the
            limits further (a plan is judged against the worse of both states).
        """
        g = self.grid
        if not energised.any():  # nothing live (a fault at the only source): nothing to break
            nan = float("nan")
            return AcCheck(True, True, nan, nan, np.full(g.n_node, np.nan), np.zeros(g.n_branch))
        closed = closed[g.bundle]
        check, vm3, loading = self._solve(energised, closed)
        if not check.converged:
            return check
        return self._check(energised, closed, vm3, loading, check.s_pu, hold)
