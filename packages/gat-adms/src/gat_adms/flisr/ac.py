"""AC check of a switching configuration: a full power flow of the energised part.

A limit counts as violated only where the configuration is worse than the normal state
(so a feeder that already runs below ``v_min`` at peak does not fail every check): a node
voltage below ``min(v_min, normal vm)`` or above ``max(v_max, normal vm)``, or a branch
loading above ``max(100 %, normal loading)``, each beyond a small tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gat_schemas import Network
from gat_schemas.errors import GatError

from .grid import FlisrGrid

__all__ = ["AcCheck", "AcChecker"]

_V_TOL = 1e-4  # pu
_LOADING_TOL = 0.01  # percentage points


@dataclass(frozen=True, eq=False)
class AcCheck:
    """Outcome of one AC check.

    Attributes
    ----------
    ok
        Converged and no new voltage or thermal violation.
    converged
        The power flow converged.
    v_min_pu
        Lowest voltage of an energised node (pu); NaN when not converged.
    max_loading_pct
        Highest branch loading (% of thermal_limit); NaN when no rated branch carries flow.
    vm
        Voltage magnitude per node (pu), NaN where not energised.
    s_pu
        Apparent power entering each closed branch (pu, the larger end), 0 elsewhere.
    low_nodes, over_branches
        Nodes under the lower limit and branches over their rating (indices).
    vm_phase, loading
        Three-phase check only (``None`` otherwise): voltage of every node-phase (N, 3) (pu,
        NaN where absent or not energised) and loading of every branch (B,) (%, its most
        loaded conductor).
    """

    ok: bool
    converged: bool
    v_min_pu: float
    max_loading_pct: float
    vm: np.ndarray
    s_pu: np.ndarray
    low_nodes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    over_branches: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    vm_phase: np.ndarray | None = None
    loading: np.ndarray | None = None


class AcChecker:
    """Runs AC power flows of configurations of one network (``gat_pf``).

    The normal configuration is solved once; its voltages and loadings set the limits
    that pre-existing violations are held to.
    """

    #: Plans are judged against the normal state only (see :class:`~.ac3.PhaseAcChecker`).
    holds_isolation = False

    def __init__(self, network: Network, grid: FlisrGrid) -> None:
        self.grid = grid
        self.name, self.base_mva = network.name, float(network.base_mva)
        self.nodes = network.nodes.reset_index(drop=True)
        self.branches = network.branches.reset_index(drop=True)
        # Capacitors follow their node in or out of service (the power flow counts closed
        # ones as shunts); the other tables do not enter a balanced power flow.
        self.caps = network.table("dist_caps")
        self.v_lo = grid.v_min.copy()
        self.v_hi = grid.v_max.copy()
        self.loading_hi = np.full(grid.n_branch, 100.0)
        self.runs = 0
        normal = self.run(np.ones(grid.n_node, bool), grid.closed)
        if normal.converged:
            self.v_lo = np.minimum(self.v_lo, normal.vm)
            self.v_hi = np.maximum(self.v_hi, normal.vm)
            loading = self._loading(normal.s_pu)
            self.loading_hi = np.fmax(self.loading_hi, loading)
        self.normal = normal

    def _loading(self, s_pu: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return s_pu / self.grid.rating_pu * 100.0

    def run(self, energised: np.ndarray, closed: np.ndarray) -> AcCheck:
        """Solve the power flow of the nodes ``energised`` joined by the branches ``closed``.

        Parameters
        ----------
        energised
            Node mask; every energised island must hold one slack node.
        closed
            Branch mask (only branches between energised nodes are used).
        """
        import gat_pf

        g = self.grid
        self.runs += 1
        use = closed & energised[g.f] & energised[g.t]
        branches = self.branches.loc[use].copy()
        branches["status"] = "closed"
        nodes = self.nodes.loc[energised]
        tables = {"dist_nodes": nodes, "dist_branches": branches}
        if self.caps is not None:
            live = self.caps["node_id"].astype(str).isin(set(nodes["node_id"].astype(str)))
            tables["dist_caps"] = self.caps.loc[live.to_numpy()]
        sub = Network(self.name, self.base_mva, tables)
        vm = np.full(g.n_node, np.nan)
        s = np.zeros(g.n_branch)
        if not energised.any():  # nothing live (a fault at the only source): nothing to break
            return AcCheck(
                ok=True,
                converged=True,
                v_min_pu=float("nan"),
                max_loading_pct=float("nan"),
                vm=vm,
                s_pu=s,
            )
        try:
            res = gat_pf.run_power_flow(sub)
        except GatError:
            return AcCheck(
                ok=False,
                converged=False,
                v_min_pu=float("nan"),
                max_loading_pct=float("nan"),
                vm=vm,
                s_pu=s,
            )
        vm[np.flatnonzero(energised)] = res.nodes["vm_pu"].to_numpy(float)
        sf = res.branches["s_from_mva"].to_numpy(float)
        st = np.hypot(
            res.branches["p_to_mw"].to_numpy(float), res.branches["q_to_mvar"].to_numpy(float)
        )
        s[np.flatnonzero(use)] = np.maximum(sf, st) / self.base_mva
        loading = self._loading(s)
        low = np.flatnonzero(energised & (vm < self.v_lo - _V_TOL))
        high = energised & (vm > self.v_hi + _V_TOL)
        over = np.flatnonzero(use & (loading > self.loading_hi + _LOADING_TOL))
        rated = use & np.isfinite(loading)
        return AcCheck(
            ok=not (len(low) or high.any() or len(over)),
            converged=True,
            v_min_pu=float(np.nanmin(vm)),
            max_loading_pct=float(loading[rated].max()) if rated.any() else float("nan"),
            vm=vm,
            s_pu=s,
            low_nodes=low,
            over_branches=over,
        )
