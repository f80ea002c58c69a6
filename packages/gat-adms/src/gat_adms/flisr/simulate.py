"""``simulate_flisr``: every single fault resolved, as a :class:`FaultImpacts` and run table."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from gat_adms.impacts import MOMENTARY_H, FaultImpacts
from gat_adms.reliability_data import element_rates, validate_reliability
from gat_schemas import Network, ValidationError, conform_table
from gat_schemas.errors import InputError

from .ac import AcChecker
from .ac3 import PhaseAcChecker
from .grid import FlisrGrid, build_grid
from .milp import RestorationMilp
from .options import FlisrOptions
from .restore import Outcome, resolve_fault
from .zones import device_zones, fault_zones

__all__ = ["FlisrResult", "simulate_flisr"]


@dataclass(frozen=True, eq=False)
class FlisrResult:
    """Result of :func:`simulate_flisr`.

    Attributes
    ----------
    impacts
        Outcome of each fault element for each load point (mean repair times), the input
        of :func:`gat_adms.expected_indices` and of the outage Monte Carlo.
    runs
        ``flisr_runs`` table: one row per fault (per scenario row with ``scenarios``).
    node_ids, branch_ids
        Node and branch ids (``dist_nodes``, ``dist_branches`` order).
    energised, closed
        Final configuration of each fault element (rows as ``impacts.elements``): energised
        nodes (E, N) and closed branches between energised nodes (E, B), after isolation,
        re-closing and transfer.
    milp_solves, ac_checks
        MILP solves and AC power flows run.
    seconds
        Wall time (s).
    """

    impacts: FaultImpacts
    runs: pd.DataFrame
    node_ids: tuple[str, ...]
    branch_ids: tuple[str, ...]
    energised: np.ndarray
    closed: np.ndarray
    milp_solves: int
    ac_checks: int
    seconds: float


def _normal_limits(
    grid: FlisrGrid, shrink: float = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """LinDistFlow of the normal configuration: MILP v^2 floor, v^2 ceiling and ratings
    relaxed to the normal state where it already breaks them.

    ``shrink`` is the MILP's inscribed-polygon factor ``cos(pi / thermal_sides)``: a rating
    is relaxed to ``s / shrink`` where the polygon would not admit the normal flow ``s``
    (a branch loaded above ``shrink`` times its rating would otherwise make the normal
    state, and every plan that keeps it, infeasible)."""
    base = grid.base_mva
    p = np.where(grid.is_slack, 0.0, grid.load_p_mw) / base
    q = np.where(grid.is_slack, 0.0, grid.load_q_mvar) / base
    order = np.argsort(grid.tin)
    for i in order[::-1].tolist():  # children before parents
        if grid.parent[i] >= 0:
            p[grid.parent[i]] += p[i]
            q[grid.parent[i]] += q[i]
    w = np.where(grid.is_slack, grid.v_set**2, 0.0)
    s = np.zeros(grid.n_branch)
    for i in order.tolist():
        b = grid.parent_branch[i]
        if b < 0:
            continue
        j = grid.parent[i]
        tap2 = grid.tap[b] ** 2
        if grid.t[b] == i:  # branch oriented parent -> child
            w[i] = w[j] / tap2 - 2 * (grid.r[b] * p[i] + grid.x[b] * q[i])
        else:
            w[i] = tap2 * (w[j] - 2 * (grid.r[b] * p[i] + grid.x[b] * q[i]))
        s[b] = np.hypot(p[i], q[i])
    w_min = np.minimum(grid.v_min**2, w)
    w_max = np.maximum(grid.v_max**2, w)
    rating = np.where(np.isfinite(grid.rating_pu), np.fmax(grid.rating_pu, s / shrink), np.nan)
    return w_min, w_max, rating


def _locate(
    grid: FlisrGrid, devices: pd.DataFrame, rates: pd.DataFrame
) -> list[tuple[int, int, bool]]:
    """(node, branch, is a device failure) of each fault element; -1 for the unused one."""
    nodes = pd.Index(grid.node_ids)
    branches = pd.Index(grid.branch_ids)
    dev_branch = dict(
        zip(devices["device_id"].astype(str), devices["branch_id"].astype(str), strict=True)
    )
    out = []
    for eid, kind in zip(rates["element_id"], rates["element_type"], strict=True):
        if kind == "node":
            out.append((int(nodes.get_loc(eid)), -1, False))
        else:
            bid = dev_branch[eid] if kind == "device" else eid
            out.append((-1, int(branches.get_loc(bid)), kind == "device"))
    return out


def _row(
    grid: FlisrGrid,
    o: Outcome,
    repair_h: float,
    avg_mw: np.ndarray,
    weighted: np.ndarray,
) -> tuple[dict[str, Any], np.ndarray]:
    """One flisr_runs row, and the node restore times capped by the repair."""
    t = np.where(o.time_h >= repair_h, np.inf, o.time_h)
    hit = o.zones.interrupted
    sustained = hit & (t > MOMENTARY_H)
    finite = np.isfinite(t)
    cust = grid.customers
    point = cust > 0
    cand = o.zones.candidates & weighted
    if not cand.any():
        transfer = "not_needed"
    elif o.milp_status in ("disabled", "infeasible"):
        transfer = o.milp_status
    elif o.ac_rejected:
        transfer = "ac_rejected"
    elif (o.restored | ~cand).all():
        transfer = "full"
    else:
        transfer = "partial" if (o.restored & cand).any() else "none"
    hours = np.where(finite, t, repair_h)
    restored_t = t[sustained & finite]
    ac = o.ac
    row = {
        "tripped_device": o.tripped or None,
        "opened_devices": ",".join(o.opened),
        "closed_ties": ",".join(o.closed),
        "customers_interrupted": int(cust[sustained].sum()),
        "customers_momentary": int(cust[hit & ~sustained].sum()),
        "customers_restored_by_switching": int(cust[sustained & finite].sum()),
        "customers_transferred": int(cust[sustained & finite & o.zones.candidates].sum()),
        "customers_awaiting_repair": int(cust[sustained & ~finite].sum()),
        "customers_blocked_by_limits": int(cust[o.reachable & ~o.restored].sum()),
        "restoration_time_h": float(restored_t.max()) if len(restored_t) else float("nan"),
        "unserved_mwh": float((avg_mw * hours)[sustained & point].sum()),
        "transfer_status": transfer,
        "milp_status": o.milp_status,
        "ac_check_ok": bool(ac.ok),
        "ac_v_min_pu": ac.v_min_pu,
        "ac_max_loading_pct": ac.max_loading_pct,
        "ac_rounds": o.ac_rounds,
    }
    return row, t


def simulate_flisr(
    network: Network,
    reliability: pd.DataFrame | None = None,
    devices: pd.DataFrame | None = None,
    *,
    scenarios: pd.DataFrame | None = None,
    options: FlisrOptions = FlisrOptions(),  # noqa: B008 -- frozen, immutable
    progress: Callable[[int, int], None] | None = None,
    validate: bool = True,
) -> FlisrResult:
    """Simulate fault location, isolation and service restoration for every single fault.

    Parameters
    ----------
    network
        Network with ``dist_nodes`` (``customers`` > 0 marks the load points; ``load_p`` in
        MW) and ``dist_branches``; its normal configuration must be radial. A network
        holding three-phase tables is simulated the same way (zones, protection and
        switching act on all the phases of a branch; the MILP screens on the positive
        sequence) and every configuration is checked by the three-phase power flow
        (:class:`~gat_adms.flisr.ac3.PhaseAcChecker`); its ``dist_loads`` count as the
        nodes' load.
    reliability
        ``reliability`` table (``None``: the network's). Every row is a fault element.
    devices
        ``switching_devices`` table (``None``: the network's).
    scenarios
        ``outage_scenarios`` table: simulate only these outages, one fault per row, with
        ``duration_h`` as the repair time of that row (a scenario must name one element).
        The impacts then cover the distinct elements named, with their mean repair times.
    options
        Restoration settings.
    progress
        Called as ``progress(done, total)`` after each fault element.
    validate
        Check the inputs with :func:`gat_adms.validate_reliability` first (skip only when
        the caller just did).

    Returns
    -------
    FlisrResult

    Raises
    ------
    gat_schemas.ValidationError
        The reliability inputs break a rule of :data:`gat_adms.reliability_data.RULES`.
    gat_schemas.errors.InputError
        Meshed normal configuration, or a scenario naming several elements.
    gat_schemas.errors.SolverError
        HiGHS fails in an unexpected way.
    """
    t0 = time.perf_counter()
    reliability = network.table("reliability") if reliability is None else reliability
    devices = network.table("switching_devices") if devices is None else devices
    if reliability is None or devices is None:
        missing = "reliability" if reliability is None else "switching_devices"
        raise InputError(f"FLISR needs a {missing} table (given, or in the network)")
    if validate:
        found = validate_reliability(network, reliability, devices, scenarios)
        if found:
            raise ValidationError(found, network.name)
    devices = conform_table("switching_devices", devices).reset_index(drop=True)
    rates = element_rates(network, reliability)
    if scenarios is not None:
        scenarios = conform_table("outage_scenarios", scenarios).reset_index(drop=True)
        counts = scenarios["scenario_id"].value_counts()
        multi = counts.index[counts > 1].tolist()
        if multi:
            raise InputError(
                f"outage_scenarios: scenario(s) {', '.join(map(str, multi[:5]))} name several "
                "elements; flisr-sim simulates single faults (one element per scenario)"
            )
        keep = list(dict.fromkeys(scenarios["element_id"].astype(str)))
        rates = rates.set_index("element_id").loc[keep].reset_index()
    grid = build_grid(network, devices)
    checker = PhaseAcChecker(network, grid) if grid.three_phase else AcChecker(network, grid)
    grid = checker.grid  # three-phase: branch ratings from the conductors' ampacity
    avg_mw = np.maximum(grid.demand_mw, 0.0) * options.load_factor
    weighted = (grid.customers > 0) | (grid.load_p_mw > 0)
    w_min, w_max, rating = _normal_limits(grid, math.cos(math.pi / options.thermal_sides))
    if grid.three_phase:
        # The positive-sequence screen does not cap voltages below their no-load value:
        # regulators boosting the feeder head (IEEE 13, 34) would make every plan that
        # sheds load infeasible. The three-phase AC check holds each phase's upper limit.
        idle = replace(grid, load_p_mw=np.zeros(grid.n_node), load_q_mvar=np.zeros(grid.n_node))
        w_max = np.maximum(w_max, _normal_limits(idle)[1])
    milp = (
        RestorationMilp(grid, options, w_min, rating, w_max=w_max)
        if options.restore == "milp"
        else None
    )
    zone = device_zones(grid)
    where = _locate(grid, devices, rates)
    outcomes: list[Outcome] = []
    solves = 0
    for k, (node, branch, device) in enumerate(where):
        z = fault_zones(grid, zone, node=node, branch=branch, device=device)
        o = resolve_fault(grid, z, milp=milp, checker=checker, options=options)
        solves += (
            (o.ac_rounds + 1) if o.milp_status in ("optimal", "time_limit", "infeasible") else 0
        )
        outcomes.append(o)
        if progress is not None:
            progress(k + 1, len(where))
    points = np.flatnonzero(grid.customers > 0)
    repair = rates["repair_time_h"].to_numpy(float)
    rows = []
    interrupted = np.zeros((len(outcomes), len(points)), bool)
    restore = np.zeros((len(outcomes), len(points)))
    for k, o in enumerate(outcomes):
        _, t = _row(grid, o, repair[k], avg_mw, weighted)
        hit = o.zones.interrupted & (t > MOMENTARY_H)
        interrupted[k] = hit[points]
        restore[k] = np.where(hit, t, 0.0)[points]
    by_element = {e: k for k, e in enumerate(rates["element_id"])}
    if scenarios is None:
        plan = [(None, k, repair[k]) for k in range(len(outcomes))]
    else:
        plan = [
            (str(s), by_element[str(e)], float(d))
            for s, e, d in zip(
                scenarios["scenario_id"],
                scenarios["element_id"],
                scenarios["duration_h"],
                strict=True,
            )
        ]
    for sid, k, rep in plan:
        row, _ = _row(grid, outcomes[k], rep, avg_mw, weighted)
        rows.append(
            {
                "scenario_id": sid,
                "fault_element": rates["element_id"].iloc[k],
                "element_type": rates["element_type"].iloc[k],
                "failure_rate_per_yr": float(rates["failure_rate_per_yr"].iloc[k]),
                "repair_time_h": rep,
                **row,
            }
        )
    runs = pd.DataFrame(rows)
    if scenarios is None:
        runs = runs.drop(columns="scenario_id")
    impacts = FaultImpacts(
        elements=tuple(rates["element_id"]),
        element_types=tuple(rates["element_type"]),
        failure_rate_per_yr=rates["failure_rate_per_yr"].to_numpy(float),
        repair_time_h=repair,
        load_points=tuple(grid.node_ids[points]),
        customers=grid.customers[points],
        load_mw=avg_mw[points],
        interrupted=interrupted,
        restore_time_h=restore,
    )
    return FlisrResult(
        impacts=impacts,
        runs=runs,
        node_ids=tuple(grid.node_ids),
        branch_ids=tuple(grid.branch_ids),
        energised=np.array([o.energised for o in outcomes], bool).reshape(-1, grid.n_node),
        closed=np.array([o.closed_branches for o in outcomes], bool).reshape(-1, grid.n_branch),
        milp_solves=solves,
        ac_checks=checker.runs,
        seconds=time.perf_counter() - t0,
    )
