"""The OPF array model (built once from the tables) and the Pyomo index sets.

All powers are per unit on ``base_mva`` and voltages are squared magnitudes ``v = |V|^2``
(pu), except where a name ends in ``_mw``/``_mvar``. Buses are those of the power-flow model
(nodes joined by closed zero-impedance switches share one bus).

Branch-flow orientation: every active branch ``e`` runs from its ``parent`` bus (towards the
feeder head) to its ``child`` bus. The ideal transformer of a tapped branch sits at its
*from* end, so the series impedance sees ``k v`` at each end with ``k = 1 / tap^2`` at the
from end and ``k = 1`` at the to end (``kp``, ``kc`` for parent and child).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from gat_schemas.errors import InputError

from .options import Formulation, Objective, OpfOptions

if TYPE_CHECKING:
    from gat_pf import PowerFlowModel
    from gat_schemas import Network

__all__ = ["CURTAILABLE", "OpfData", "declare_sets", "opf_data"]

#: Asset types whose ``p_max`` is the available (weather-driven) power: p_max - p is curtailed.
CURTAILABLE = ("pv", "wind")
_BUS_PV, _BUS_SLACK = 1, 2


@dataclass(frozen=True, eq=False)
class OpfData:
    """A network, its DER assets and cost curves as arrays for the OPF (see module doc)."""

    pf: PowerFlowModel
    network_name: str
    base_mva: float
    n_bus: int
    bus_name: np.ndarray
    bus_slack: np.ndarray
    bus_source: np.ndarray
    bus_v_set: np.ndarray
    bus_vmin: np.ndarray
    bus_vmax: np.ndarray
    bus_load_p: np.ndarray
    bus_load_q: np.ndarray
    bus_load_pv: np.ndarray
    bus_load_qv: np.ndarray
    bus_g: np.ndarray
    bus_b: np.ndarray
    bus_gen_p: np.ndarray
    bus_q_min: np.ndarray
    bus_q_max: np.ndarray
    node_vmin: np.ndarray
    node_vmax: np.ndarray
    br_row: np.ndarray
    br_parent: np.ndarray
    br_child: np.ndarray
    br_from_is_parent: np.ndarray
    br_kp: np.ndarray
    br_kc: np.ndarray
    br_r: np.ndarray
    br_x: np.ndarray
    br_half_b: np.ndarray
    br_bdc: np.ndarray
    br_shift: np.ndarray
    br_rating: np.ndarray
    der_ids: np.ndarray
    der_bus: np.ndarray
    der_node: np.ndarray
    der_type: np.ndarray
    der_p_min: np.ndarray
    der_p_max: np.ndarray
    der_q_min: np.ndarray
    der_q_max: np.ndarray
    der_s_max: np.ndarray
    der_c1: np.ndarray
    der_c0: np.ndarray

    @property
    def n_branch(self) -> int:
        """Number of active branches in the OPF."""
        return len(self.br_row)

    @property
    def n_der(self) -> int:
        """Number of DER assets."""
        return len(self.der_ids)

    @property
    def der_curtailable(self) -> np.ndarray:
        """True for pv and wind assets (their p_max is available power)."""
        return np.isin(self.der_type, CURTAILABLE)


def _per_bus(pf: PowerFlowModel, values: np.ndarray) -> np.ndarray:
    return np.bincount(pf.node_bus, weights=values, minlength=pf.n_bus)


def _orient(pf: PowerFlowModel, act: np.ndarray, radial: bool) -> tuple[np.ndarray, np.ndarray]:
    """Parent and child bus of each active branch (from/to when the network is meshed)."""
    f, t = pf.branch_f_bus[act], pf.branch_t_bus[act]
    if not radial:
        return f, t
    from scipy.sparse.csgraph import breadth_first_order

    pred = np.full(pf.n_bus, -9999, dtype=np.int64)
    for root in np.flatnonzero(pf.bus_type == _BUS_SLACK):
        _, p = breadth_first_order(pf.topology.bus_graph, int(root), directed=False)
        seen = p != -9999
        pred[seen] = p[seen]
        pred[root] = -1
    from_is_parent = pred[t] == f
    return np.where(from_is_parent, f, t), np.where(from_is_parent, t, f)


def _assets(
    assets: pd.DataFrame | None,
    curves: pd.DataFrame | None,
    pf: PowerFlowModel,
    need_costs: bool,
) -> dict[str, np.ndarray]:
    """DER arrays (pu); cost curves are required only when ``need_costs`` (cost objective)."""
    if assets is None or len(assets) == 0:
        empty = np.zeros(0)
        return {
            "der_ids": np.zeros(0, dtype=object),
            "der_bus": np.zeros(0, dtype=np.int64),
            "der_node": np.zeros(0, dtype=np.int64),
            "der_type": np.zeros(0, dtype=object),
            **{k: empty for k in ("p_min", "p_max", "q_min", "q_max", "s_max", "c1", "c0")},
        }
    index = {str(n): i for i, n in enumerate(pf.node_ids)}
    bus_ids = assets["bus_id"].astype(str).to_numpy()
    bad = [k for k, b in enumerate(bus_ids) if b not in index]
    if bad:
        ids = assets["asset_id"].astype(str).to_numpy() if "asset_id" in assets.columns else None
        rows = ", ".join(
            f"{ids[k]} ({bus_ids[k]})" if ids is not None else f"row {k} ({bus_ids[k]})"
            for k in bad[:5]
        )
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise InputError(
            f"table der_assets, column bus_id, rows {rows}{more}: node not in dist_nodes"
        )
    der_nodes = np.array([index[b] for b in bus_ids], dtype=np.int64)
    base = pf.base_mva
    s_max = (
        assets["s_max"].to_numpy(dtype=float)
        if "s_max" in assets.columns
        else np.full(len(assets), np.nan)
    )
    c1, c0 = np.zeros(len(assets)), np.zeros(len(assets))
    if "cost_curve_id" in assets.columns:
        ids = assets["cost_curve_id"].to_numpy(dtype=object)
        has = pd.notna(ids)
        if curves is None and not need_costs:
            has[:] = False
        if has.any():
            if curves is None:
                raise InputError(
                    "table der_assets, column cost_curve_id: assets refer to cost curves but "
                    "no der_cost_curves table was given"
                )
            table = curves.set_index(curves["cost_curve_id"].astype(str))
            unknown = sorted({str(c) for c in ids[has] if str(c) not in table.index})
            if unknown:
                raise InputError(
                    f"table der_assets, column cost_curve_id: {', '.join(unknown[:5])} not in "
                    "der_cost_curves"
                )
            keys = [str(c) for c in ids[has]]
            c1[has] = table.loc[keys, "c1"].to_numpy(dtype=float)
            if "c0" in table.columns:
                c0[has] = table.loc[keys, "c0"].fillna(0.0).to_numpy(dtype=float)
    return {
        "der_ids": assets["asset_id"].astype(str).to_numpy(dtype=object),
        "der_bus": pf.node_bus[der_nodes],
        "der_node": der_nodes,
        "der_type": assets["asset_type"].astype(str).to_numpy(dtype=object),
        "p_min": assets["p_min"].to_numpy(dtype=float) / base,
        "p_max": assets["p_max"].to_numpy(dtype=float) / base,
        "q_min": assets["q_min"].to_numpy(dtype=float) / base,
        "q_max": assets["q_max"].to_numpy(dtype=float) / base,
        "s_max": s_max / base,
        "c1": c1,
        "c0": c0,
    }


def opf_data(
    network: Network,
    pf: PowerFlowModel,
    options: OpfOptions,
    *,
    assets: pd.DataFrame | None = None,
    cost_curves: pd.DataFrame | None = None,
) -> OpfData:
    """Build the OPF array model.

    Parameters
    ----------
    network
        The network (``dist_nodes`` gives the voltage limits).
    pf
        Its power-flow model (``gat_pf.build_model(network)``).
    options
        OPF options (formulation, voltage-limit overrides).
    assets, cost_curves
        ``der_assets`` and ``der_cost_curves`` tables (``None``: none).

    Raises
    ------
    gat_schemas.errors.InputError
        A branch-flow formulation on a meshed network, an island without slack, or assets
        that refer to unknown nodes or cost curves.
    """
    radial = options.formulation is not Formulation.DC
    if radial and not pf.is_radial:
        raise InputError(
            f"network {network.name}: formulation {options.formulation.value} needs a radial "
            "network (closed branches form a loop); use --formulation dc"
        )
    if len(pf.topology.promoted):
        raise InputError(
            f"network {network.name}: an island has no slack node; the OPF needs one per island"
        )
    nodes = network.nodes
    n_bus = pf.n_bus
    node_vmin = nodes["v_min"].to_numpy(dtype=float)
    node_vmax = nodes["v_max"].to_numpy(dtype=float)
    if options.v_min is not None:
        node_vmin = np.full_like(node_vmin, options.v_min)
    if options.v_max is not None:
        node_vmax = np.full_like(node_vmax, options.v_max)
    bus_vmin = np.full(n_bus, -np.inf)
    bus_vmax = np.full(n_bus, np.inf)
    np.maximum.at(bus_vmin, pf.node_bus, node_vmin)
    np.minimum.at(bus_vmax, pf.node_bus, node_vmax)
    bus_name = np.empty(n_bus, dtype=object)
    bus_name[pf.node_bus[::-1]] = pf.node_ids[::-1].astype(str)

    load = pf.node_load
    z, i = pf.node_z_frac, pf.node_i_frac
    # ZIP loads: constant-impedance share is linear in v = |V|^2; constant-current share is
    # linearised as |V| ~ (1 + v) / 2 (exact at 1 pu, the AC check reports the difference).
    const = 1.0 - z - i + i / 2.0
    slope = z + i / 2.0
    pv_node = pf.node_type == _BUS_PV
    q_min = np.where(pv_node, pf.node_q_min, 0.0)
    q_max = np.where(pv_node, pf.node_q_max, 0.0)

    act = np.flatnonzero(pf.branch_active)
    parent, child = _orient(pf, act, radial)
    from_is_parent = parent == pf.branch_f_bus[act]
    tap = pf.branch_tap[act]
    k_from = 1.0 / (tap * tap)
    kp = np.where(from_is_parent, k_from, 1.0)
    kc = np.where(from_is_parent, 1.0, k_from)
    half_b = pf.branch_b[act] / 2.0
    # Line charging as bus shunts: b/2 at each end, behind the tap at the from end.
    charging = np.bincount(
        pf.branch_f_bus[act], weights=half_b * k_from, minlength=n_bus
    ) + np.bincount(pf.branch_t_bus[act], weights=half_b, minlength=n_bus)
    x = pf.branch_x[act]
    with np.errstate(divide="ignore"):
        bdc = np.where(x != 0, 1.0 / (x * tap), 0.0)
    if options.formulation is Formulation.DC and (x == 0).any():
        raise InputError(
            f"formulation dc needs x != 0 on every closed branch; table dist_branches, column x "
            f"is 0 on {', '.join(map(str, pf.branch_ids[act[x == 0]][:5]))}"
        )
    der = _assets(assets, cost_curves, pf, options.objective is Objective.COST)
    return OpfData(
        pf=pf,
        network_name=network.name,
        base_mva=pf.base_mva,
        n_bus=n_bus,
        bus_name=bus_name,
        bus_slack=pf.bus_type == _BUS_SLACK,
        bus_source=pf.bus_type == _BUS_PV,
        bus_v_set=pf.bus_v_set.astype(float),
        bus_vmin=bus_vmin,
        bus_vmax=bus_vmax,
        bus_load_p=_per_bus(pf, load.real * const),
        bus_load_q=_per_bus(pf, load.imag * const),
        bus_load_pv=_per_bus(pf, load.real * slope),
        bus_load_qv=_per_bus(pf, load.imag * slope),
        bus_g=pf.bus_shunt.real.astype(float),
        bus_b=pf.bus_shunt.imag + charging,
        bus_gen_p=_per_bus(pf, np.where(pv_node, pf.node_gen.real, 0.0)),
        bus_q_min=_per_bus(pf, q_min),
        bus_q_max=_per_bus(pf, q_max),
        node_vmin=node_vmin,
        node_vmax=node_vmax,
        br_row=act,
        br_parent=parent,
        br_child=child,
        br_from_is_parent=from_is_parent,
        br_kp=kp,
        br_kc=kc,
        br_r=pf.branch_r[act].astype(float),
        br_x=x.astype(float),
        br_half_b=half_b,
        br_bdc=bdc,
        br_shift=pf.branch_shift[act].astype(float),
        br_rating=pf.branch_rating[act] / pf.base_mva,
        der_ids=der["der_ids"],
        der_bus=der["der_bus"],
        der_node=der["der_node"],
        der_type=der["der_type"],
        der_p_min=der["p_min"],
        der_p_max=der["p_max"],
        der_q_min=der["q_min"],
        der_q_max=der["q_max"],
        der_s_max=der["s_max"],
        der_c1=der["c1"],
        der_c0=der["c0"],
    )


def declare_sets(m: pyo.ConcreteModel, data: OpfData) -> None:
    """Index sets: buses ``B`` (non-slack ``B_ns``), branches ``E``, rated ``E_rated``,
    DER assets ``D``, slack buses ``B_slack``, source buses ``B_src``."""
    m.B = pyo.Set(initialize=range(data.n_bus), ordered=True)
    m.B_slack = pyo.Set(initialize=np.flatnonzero(data.bus_slack).tolist(), ordered=True)
    m.B_src = pyo.Set(initialize=np.flatnonzero(data.bus_source).tolist(), ordered=True)
    fixed = data.bus_slack | data.bus_source
    m.B_ns = pyo.Set(initialize=np.flatnonzero(~fixed).tolist(), ordered=True)
    m.E = pyo.Set(initialize=range(data.n_branch), ordered=True)
    m.E_rated = pyo.Set(
        initialize=np.flatnonzero(np.isfinite(data.br_rating)).tolist(), ordered=True
    )
    m.D = pyo.Set(initialize=range(data.n_der), ordered=True)
