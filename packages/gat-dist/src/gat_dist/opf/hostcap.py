"""Hosting capacity by OPF: :func:`hostcap_opf`, one node at a time on one built model."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gat_schemas.errors import InputError

from .api import OpfProblem
from .extract import Solution, injections
from .options import Formulation, Objective, OpfOptions
from .verify import ac_check

if TYPE_CHECKING:
    from gat_schemas import Network

__all__ = ["HostcapOpfResult", "hostcap_opf"]


@dataclass(frozen=True, eq=False)
class HostcapOpfResult:
    """Result of :func:`hostcap_opf`.

    Attributes
    ----------
    summary
        One row per (load_scale, bus_id): ``hosting_capacity_mw`` (MW, largest injection
        the OPF allows at the node with the DER controllable), ``limiting_constraint``
        (voltage, thermal, reverse_flow, or search_cap: the injection reached
        ``max_injection_mw``), ``limiting_element``,
        ``vm_max_pu_at_hc`` and ``loading_max_pct_at_hc`` from the AC check, the AC
        violations found, ``ac_converged``, ``opf_status``, ``cut_rounds``, ``solve_s``.
    build_s, solve_s, verify_s
        Wall times (s): one model build, all OPF solves, all (batched) AC checks.
    """

    summary: pd.DataFrame
    build_s: float
    solve_s: float
    verify_s: float


def _limiting(prob: OpfProblem, sol: Solution, b: int, max_pu: float) -> tuple[str, str]:
    """The constraint family with the smallest relative margin at a hosting solution."""
    d, o = prob.data, prob.options
    if sol.p_host[b] >= max_pu * (1 - 1e-6):
        return "search_cap", ""
    margins: list[tuple[float, str, str]] = []
    if o.formulation is not Formulation.DC:
        free = ~(d.bus_slack | d.bus_source)
        vm = np.sqrt(np.maximum(sol.v, 0.0))
        mv = np.where(free, (d.bus_vmax - vm) / d.bus_vmax, np.inf)
        k = int(np.argmin(mv))
        margins.append((float(mv[k]), "voltage", str(d.bus_name[k])))
    if o.enforce_thermal and np.isfinite(d.br_rating).any():
        lossy = o.formulation is Formulation.SOCP
        q = np.nan_to_num(sol.q_br)
        pr = sol.p_br - (d.br_r * sol.l if lossy else 0.0)
        qr = q - (d.br_x * sol.l if lossy else 0.0)
        s = np.maximum(np.hypot(sol.p_br, q), np.hypot(pr, qr))
        mt = np.where(np.isfinite(d.br_rating), 1.0 - s / d.br_rating, np.inf)
        e = int(np.argmin(mt))
        margins.append((float(mt[e]), "thermal", str(d.pf.branch_ids[d.br_row[e]])))
    if o.reverse_flow_limit_mw is not None:
        lim = o.reverse_flow_limit_mw
        mr = (sol.p_slack.sum() * d.base_mva + lim) / max(lim, 1.0)
        margins.append((float(mr), "reverse_flow", "feeder head"))
    if not margins:
        return "search_cap", ""
    _, family, element = min(margins)
    return family, element


def hostcap_opf(
    network: Network,
    nodes: Sequence[str] | None = None,
    *,
    assets: pd.DataFrame | None = None,
    cost_curves: pd.DataFrame | None = None,
    options: OpfOptions = OpfOptions(objective=Objective.HOSTCAP),  # noqa: B008 -- frozen
    max_injection_mw: float = 10.0,
    power_factor: float = 1.0,
    load_scales: Sequence[float] = (1.0,),
) -> HostcapOpfResult:
    """Hosting capacity by OPF: the largest injection at each node, one node at a time.

    One model is built; each node's solve changes the objective weight and the bound of
    that node's injection only, and keeps the cuts of earlier solves. The DER assets stay
    controllable (curtailment and reactive support). Every node's answer is re-checked by
    the AC power flow, all nodes of a load scale in one batch.

    Parameters
    ----------
    network
        The network.
    nodes
        Node ids to study (default: every node that is not a slack or source node).
    assets, cost_curves
        As in :func:`run_opf`.
    options
        OPF options; the objective is forced to ``hostcap``. ``v_max``,
        ``enforce_thermal`` and ``reverse_flow_limit_mw`` select the checks.
    max_injection_mw
        Largest injection tried (MW); a node reaching it reports ``limiting_constraint``
        ``search_cap``.
    power_factor
        Power factor of the injection (0, 1]; below 1 the injection absorbs reactive power
        (Mvar = MW tan(acos(pf))), as inverters do to limit voltage rise.
    load_scales
        Factors on every load; each is solved on the same model.

    Returns
    -------
    HostcapOpfResult
    """
    if not 0 < power_factor <= 1:
        raise InputError(f"hostcap: power factor must be in (0, 1], got {power_factor}")
    if not max_injection_mw > 0:
        raise InputError(f"hostcap: max injection must be > 0 MW, got {max_injection_mw}")
    options = replace(options, objective=Objective.HOSTCAP, host_power_factor=power_factor)
    prob = OpfProblem(network, assets=assets, cost_curves=cost_curves, options=options)
    d = prob.data
    pf = d.pf
    free = ~np.isin(pf.node_type, (1, 2))
    ids = [str(n) for n in pf.node_ids[free]] if nodes is None else [str(n) for n in nodes]
    q_ratio = options.host_q_ratio
    max_pu = max_injection_mw / d.base_mva
    rows = []
    solve_s = verify_s = 0.0
    index = {str(n): i for i, n in enumerate(pf.node_ids)}
    for scale in load_scales:
        prob.set_load_scale(float(scale))
        sols, stats_all = [], []
        for node in ids:
            stats, sol = prob.solve_host(node, max_injection_mw=max_injection_mw)
            sols.append(sol)
            stats_all.append(stats)
            solve_s += stats.solve_s
        t0 = time.perf_counter()
        p = np.zeros((len(ids), pf.n_nodes))
        q = np.zeros((len(ids), pf.n_nodes))
        for s, sol in enumerate(sols):
            p[s], q[s] = injections(d, sol, q_ratio)
        ac = ac_check(d, p, q, load_scale=float(scale))
        verify_s += time.perf_counter() - t0
        for s, (node, sol, stats) in enumerate(zip(ids, sols, stats_all, strict=True)):
            b = int(pf.node_bus[index[node]])
            family, element = _limiting(prob, sol, b, max_pu)
            ok = bool(ac.converged[s])
            rows.append(
                {
                    "bus_id": node,
                    "load_scale": float(scale),
                    "hosting_capacity_mw": float(sol.p_host[b] * d.base_mva),
                    "limiting_constraint": family,
                    "limiting_element": element,
                    "vm_max_pu_at_hc": float(np.nanmax(ac.vm[s])) if ok else math.nan,
                    "loading_max_pct_at_hc": float(np.nanmax(ac.loading_pct[s], initial=0.0))
                    if ok
                    else math.nan,
                    "ac_vm_violation_pu": float(ac.vm_violation_pu[s]) if ok else math.nan,
                    "ac_thermal_violation_pct": float(ac.thermal_violation_pct[s])
                    if ok
                    else math.nan,
                    "ac_converged": ok,
                    "opf_status": stats.status,
                    "cut_rounds": stats.rounds,
                    "loss_weight": stats.loss_weight,
                    "solve_s": stats.solve_s,
                }
            )
    return HostcapOpfResult(
        summary=pd.DataFrame(rows), build_s=prob.build_s, solve_s=solve_s, verify_s=verify_s
    )
