"""A seeded synthetic DER portfolio for a feeder: PV, batteries, EVs and flexible loads.

The portfolio is synthetic (no measured data): its purpose is to give every shipped feeder
something realistic to schedule, envelope and host. The rules, applied per technology:

1. **Hosts.** The load nodes are the non-slack nodes with a positive active load (from
   ``dist_nodes.load_p`` plus ``dist_loads``). ``ceil(host_share x number of load nodes)``
   of them (at least one) host the technology; they are drawn without replacement with
   probability proportional to their load, so heavily loaded nodes host more often.
2. **Sizes.** A host's size is its load times a lognormal factor (``exp(N(0, size_spread))``);
   the sizes are then scaled so that the technology's total is the stated share of the
   feeder's total load, and rounded to 1 kW (0.001 MW; at least 1 kW). A technology whose
   share is 0 gets no asset.
3. **Ratings** from the typical values below (:class:`DerGeneratorOptions` holds them).

=============  =======================================================================
technology     rating rule (p in MW, generation positive)
=============  =======================================================================
``pv``         p in [0, size]; inverter ``s_max = 1.1 x size`` (10 % oversized so it
               keeps reactive headroom at full sun); q in [-0.44, 0.44] x s_max (IEEE
               1547-2018 category B reactive capability); ramp 10 % of size per minute
               (6 x size MW/h, a common grid-code limit); efficiency 0.97 (inverter).
``battery``    p in [-size, size]; ``energy_cap = 2 h x size``; soc in [0.1, 0.9];
               one-way efficiency 0.95 (about 0.90 round trip, lithium-ion);
               ``s_max = size``; q in [-0.44, 0.44] x s_max; ramp: full range in one
               minute (60 x 2 x size MW/h).
``ev``         An aggregate of ``max(1, round(ev_per_customer x customers))`` electric
               vehicles on 7.2 kW level-2 chargers (240 V, 30 A): p in [-n x 7.2 kW, 0]
               (charging only, no vehicle-to-grid); ``energy_cap = n x 60 kWh``; soc in
               [0.2, 0.9]; efficiency 0.92 (charger and battery, one way); unity power
               factor (q = 0); ``s_max = n x 7.2 kW``; ramp: full range in one minute.
               EV hosts are drawn like the others; their size follows the vehicle count
               (not the load scaling of rule 2).
``flex_load``  Shiftable demand of the node (water heaters, HVAC): p in [-f, f] around
               the node's base load, f = flex_share x node load (p > 0 = consumption
               reduced, p < 0 = consumption added); q = 0; no inverter (``s_max`` NaN);
               not storage; efficiency 1; ramp: full range in 15 minutes (4 x 2 f MW/h).
=============  =======================================================================

Phases: on a balanced feeder (every node ``ABC`` and no ``dist_loads`` table) every asset is
``ABC``, a balanced aggregate of the customers' units. On an unbalanced feeder PV, batteries
and flexible loads take the phases of their node, and an EV aggregate sits on one phase of its
node, drawn at random, so single-phase assets always sit on a phase their node has.

Ownership and dispatch: PV, EVs and flexible loads are ``owner_id = "customer"`` in aggregator
``agg1``; batteries are ``"utility"`` and not aggregated. ``priority`` (smaller first):
battery 1, flex_load 2, ev 3, pv 4 (PV is curtailed last). Cost curves
(:func:`der_cost_curves`): ``pv_zero`` and ``ev_zero`` 0, ``battery_wear`` 20 currency/MWh
discharged, ``flex_comp`` 50 currency/MWh of consumption reduced.

Asset ids are ``<asset_type>_<node_id>`` (one asset per technology per node).
Every random draw comes from ``numpy.random.default_rng(seed)``: the same network, options
and seed give the same table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gat_schemas.errors import InputError
from gat_schemas.network import Network

from ._loads import node_load_mw, node_phases

__all__ = ["DerGeneratorOptions", "der_cost_curves", "generate_der_assets"]

#: IEEE 1547-2018 category B: reactive power capability as a fraction of the apparent rating.
_Q_FRACTION = 0.44
_OWNER = {"pv": "customer", "battery": "utility", "ev": "customer", "flex_load": "customer"}
_AGG = {"pv": "agg1", "battery": None, "ev": "agg1", "flex_load": "agg1"}
_PRIORITY = {"battery": 1, "flex_load": 2, "ev": 3, "pv": 4}
_COST = {"pv": "pv_zero", "battery": "battery_wear", "ev": "ev_zero", "flex_load": "flex_comp"}
_COLUMNS = (
    "asset_id", "bus_id", "phase", "asset_type", "p_min", "p_max", "q_min", "q_max",
    "ramp_up", "ramp_down", "energy_cap", "soc_min", "soc_max", "efficiency", "owner_id",
    "agg_id", "priority", "cost_curve_id", "s_max",
)  # fmt: skip
_TEXT = ("asset_id", "bus_id", "phase", "asset_type", "owner_id", "agg_id", "cost_curve_id")
_FLOATS = tuple(c for c in _COLUMNS if c not in (*_TEXT, "priority"))
_NO_STORAGE = {"energy_cap": np.nan, "soc_min": np.nan, "soc_max": np.nan}


@dataclass(frozen=True)
class DerGeneratorOptions:
    """Shares and typical ratings of the synthetic portfolio (see the module docstring).

    Parameters
    ----------
    pv_share
        Total PV rating as a fraction of the feeder's total active load (-).
    pv_host_share
        Fraction of the load nodes that host PV (-).
    battery_share
        Total battery power rating as a fraction of the feeder's total load (-).
    battery_host_share
        Fraction of the load nodes that host a battery (-).
    battery_hours
        Battery energy / power (h).
    ev_per_customer
        Electric vehicles per customer at an EV host node (-).
    ev_host_share
        Fraction of the load nodes that host an EV aggregate (-).
    ev_charger_kw
        Charger rating of one vehicle (kW).
    ev_battery_kwh
        Usable battery of one vehicle (kWh).
    flex_share
        Shiftable fraction of a host node's load (-).
    flex_host_share
        Fraction of the load nodes with flexible load (-).
    size_spread
        Standard deviation of the log of the size factor (-); 0 = sizes exactly
        proportional to load.
    """

    pv_share: float = 0.5
    pv_host_share: float = 0.4
    battery_share: float = 0.15
    battery_host_share: float = 0.1
    battery_hours: float = 2.0
    ev_per_customer: float = 0.2
    ev_host_share: float = 0.3
    ev_charger_kw: float = 7.2
    ev_battery_kwh: float = 60.0
    flex_share: float = 0.1
    flex_host_share: float = 0.3
    size_spread: float = 0.25

    def __post_init__(self) -> None:
        for name in ("pv_host_share", "battery_host_share", "ev_host_share", "flex_host_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise InputError(f"DerGeneratorOptions.{name} must be in [0, 1], got {value}")
        for name in (
            "pv_share", "battery_share", "battery_hours", "ev_per_customer", "ev_charger_kw",
            "ev_battery_kwh", "flex_share", "size_spread",
        ):  # fmt: skip
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0.0):
                raise InputError(f"DerGeneratorOptions.{name} must be >= 0, got {value}")
        for name in ("battery_hours", "ev_charger_kw", "ev_battery_kwh"):
            if getattr(self, name) <= 0.0:
                raise InputError(f"DerGeneratorOptions.{name} must be > 0")


def _hosts(rng: np.random.Generator, load: pd.Series, share: float) -> np.ndarray:
    """Positions (in ``load`` order) of the host nodes, drawn with probability ~ load."""
    if share <= 0.0:
        return np.zeros(0, dtype=np.int64)
    n = len(load)
    k = min(n, max(1, math.ceil(share * n)))
    w = load.to_numpy(dtype=float)
    picked = rng.choice(n, size=k, replace=False, p=w / w.sum())
    return np.sort(picked)


def _sizes(rng: np.random.Generator, load: np.ndarray, total: float, spread: float) -> np.ndarray:
    """Sizes ~ load x lognormal, scaled to ``total`` MW, rounded to 1 kW (>= 1 kW)."""
    factor = np.exp(rng.normal(0.0, spread, size=len(load))) if spread > 0 else np.ones(len(load))
    w = load * factor
    raw = total * w / w.sum()
    return np.maximum(np.round(raw * 1000.0) / 1000.0, 0.001)


def _row(kind: str, bus: str, phase: str, **values: float) -> dict[str, object]:
    row: dict[str, object] = {
        "asset_id": f"{kind}_{bus}",
        "bus_id": bus,
        "phase": phase,
        "asset_type": kind,
        "owner_id": _OWNER[kind],
        "agg_id": _AGG[kind],
        "priority": _PRIORITY[kind],
        "cost_curve_id": _COST[kind],
    }
    row.update(_NO_STORAGE)
    row.update(values)
    return row


def generate_der_assets(
    net: Network,
    *,
    seed: int = 0,
    options: DerGeneratorOptions | None = None,
) -> pd.DataFrame:
    """Generate the synthetic ``der_assets`` table of a feeder (rules in the module docstring).

    Parameters
    ----------
    net
        The feeder. Loads are read from ``dist_nodes.load_p`` (MW) and ``dist_loads``;
        EV counts use ``dist_nodes.customers`` when present (else one customer per node).
    seed
        Seed of ``numpy.random.default_rng``; the same inputs and seed give the same table.
    options
        Shares and ratings (default :class:`DerGeneratorOptions`).

    Returns
    -------
    pandas.DataFrame
        A ``der_assets`` table (MW, Mvar, MVA, MWh, MW/h; generation positive), ordered by
        technology (pv, battery, ev, flex_load) and then by node order.

    Raises
    ------
    InputError
        The network has no load node (no non-slack node with a positive load).
    """
    opts = options if options is not None else DerGeneratorOptions()
    rng = np.random.default_rng(seed)
    nodes = net.nodes
    load_all = node_load_mw(net)
    is_load = (load_all.to_numpy() > 0) & (nodes["type"].to_numpy() != "slack")
    load = load_all[is_load]
    if load.empty:
        raise InputError(f"network {net.name}: no load node to place DER on (no load > 0)")
    phases = node_phases(net)[is_load]
    balanced = net.table("dist_loads") is None and bool((node_phases(net) == "ABC").all())
    if "customers" in nodes.columns:
        customers = pd.Series(nodes["customers"].to_numpy(), index=nodes["node_id"].to_numpy())
        customers = customers[is_load].astype(np.int64)
    else:
        customers = pd.Series(1, index=load.index, dtype=np.int64)
    ids = load.index.to_numpy()
    total = float(load.sum())
    rows: list[dict[str, object]] = []

    def phase_of(pos: int) -> str:
        return "ABC" if balanced else str(phases.iloc[pos])

    def sized(share: float, fraction: float) -> list[tuple[int, float]]:
        pos = _hosts(rng, load, share if fraction > 0 else 0.0)
        sizes = _sizes(rng, load.to_numpy()[pos], fraction * total, opts.size_spread)
        return list(zip(pos.tolist(), sizes.tolist(), strict=True))

    for i, size in sized(opts.pv_host_share, opts.pv_share):
        s, q = 1.1 * size, _Q_FRACTION * 1.1 * size
        values = {"p_min": 0.0, "p_max": size, "q_min": -q, "q_max": q, "s_max": s}
        values |= {"ramp_up": 6.0 * size, "ramp_down": 6.0 * size, "efficiency": 0.97}
        rows.append(_row("pv", ids[i], phase_of(i), **values))
    for i, size in sized(opts.battery_host_share, opts.battery_share):
        q, ramp = _Q_FRACTION * size, 60.0 * 2.0 * size
        values = {"p_min": -size, "p_max": size, "q_min": -q, "q_max": q, "s_max": size}
        values |= {"ramp_up": ramp, "ramp_down": ramp, "efficiency": 0.95}
        values |= {"energy_cap": opts.battery_hours * size, "soc_min": 0.1, "soc_max": 0.9}
        rows.append(_row("battery", ids[i], phase_of(i), **values))
    ev_share = opts.ev_host_share if opts.ev_per_customer > 0 else 0.0
    for i in _hosts(rng, load, ev_share).tolist():
        n_ev = max(1, round(opts.ev_per_customer * int(customers.iloc[i])))
        p = n_ev * opts.ev_charger_kw / 1000.0
        phase = phase_of(i) if balanced else str(rng.choice(list(phase_of(i))))
        values = {"p_min": -p, "p_max": 0.0, "q_min": 0.0, "q_max": 0.0, "s_max": p}
        values |= {"ramp_up": 60.0 * p, "ramp_down": 60.0 * p, "efficiency": 0.92}
        values |= {"energy_cap": n_ev * opts.ev_battery_kwh / 1000.0}
        values |= {"soc_min": 0.2, "soc_max": 0.9}
        rows.append(_row("ev", ids[i], phase, **values))
    flex_share = opts.flex_host_share if opts.flex_share > 0 else 0.0
    for i in _hosts(rng, load, flex_share).tolist():
        f = max(round(opts.flex_share * float(load.iloc[i]) * 1000.0) / 1000.0, 0.001)
        values = {"p_min": -f, "p_max": f, "q_min": 0.0, "q_max": 0.0, "s_max": np.nan}
        values |= {"ramp_up": 8.0 * f, "ramp_down": 8.0 * f, "efficiency": 1.0}
        rows.append(_row("flex_load", ids[i], phase_of(i), **values))
    df = pd.DataFrame(rows, columns=list(_COLUMNS))
    for col in _TEXT:
        df[col] = df[col].astype(object).where(df[col].notna(), None)
    df["priority"] = df["priority"].astype(np.int64)
    df[list(_FLOATS)] = df[list(_FLOATS)].astype(np.float64)
    return df


def der_cost_curves() -> pd.DataFrame:
    """The ``der_cost_curves`` table the generated assets refer to (currency/MWh, currency/h).

    ``pv_zero`` and ``ev_zero`` cost nothing; ``battery_wear`` costs 20 per MWh discharged
    (charging earns it back, a simple wear proxy); ``flex_comp`` pays the customer 50 per MWh
    of consumption reduced.
    """
    return pd.DataFrame(
        {
            "cost_curve_id": ["pv_zero", "battery_wear", "ev_zero", "flex_comp"],
            "c1": [0.0, 20.0, 0.0, 50.0],
            "c0": [0.0, 0.0, 0.0, 0.0],
        }
    )
