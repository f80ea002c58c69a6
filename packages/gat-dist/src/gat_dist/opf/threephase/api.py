"""The three-phase OPF: sequential LPs on the AC model's sensitivities, every round AC-checked.

Round ``r``: linearise the three-phase AC power flow at the current DER set points (the
physics interface's central differences), solve the LP of :mod:`.lp` within a trust region,
re-solve the AC power flow at the LP's set points and

- accept the step when the AC merit (objective plus ``PENALTY`` times the limit excess)
  improves, then re-linearise there; otherwise halve the trust region;
- tighten, for later rounds, every limit the AC check breaks while the LP kept it (voltage
  bounds by the prediction error plus ``V_MARGIN``; ampacity by ``cap / loading``).

Limits the starting point (every DER at the value of its range nearest 0) already breaks
are held at their value there plus ``OpfOptions.held_tol_pu`` (:mod:`gat_dist.held_limits`):
the node phases' ``v_min_pu``/``v_max_pu`` in ``opf_nodes`` show the limits used.

An accepted step that reached the trust region's edge doubles it (up to its start, the
widest asset range). It stops when an accepted step moves no set point by more than
``STEP_TOL`` MW/Mvar or gains less than ``OBJ_TOL`` of the objective, or the trust region
falls below ``STEP_TOL``, or after ``OpfOptions.max_ac_rounds`` rounds. The answer is
the best AC-checked point; ``opf_summary`` reports its AC check as for balanced networks.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gat_dist.opf.options import OpfOptions

from .ac import AcPoint, evaluate, linearise
from .data import Opf3Data, opf3_data
from .lp import PENALTY, LpResult, Tightening, solve_round, true_objective

if TYPE_CHECKING:
    from gat_dist.opf.api import OpfResult
    from gat_schemas import Network

__all__ = ["FORMULATION_3PH", "run_opf_3ph"]

#: ``opf_summary.formulation`` of the three-phase model.
FORMULATION_3PH = "slp3ph"
#: Set-point change (MW, Mvar) below which the rounds stop.
STEP_TOL = 1e-4
#: Relative objective gain of an accepted step below which the rounds stop.
OBJ_TOL = 1e-7
#: Extra margin of a tightened voltage bound (pu).
V_MARGIN = 1e-4
#: AC limit excess tolerated as met (pu of voltage; % of loading).
TOL_PU, TOL_PCT = 1e-5, 1e-3
#: Largest LP of one round (constraint coefficients) the OPF takes on. The voltage and
#: current rows are dense in the assets (a radial feeder's sensitivities are non-zero along
#: every shared path: 99 % of IEEE 8500's entries exceed 1e-4 pu/MW), so an LP has about
#: (2 T + C) x 2 D coefficients; building and solving one costs about ``LP_BYTES_PER_COEF``
#: bytes each (scipy blocks, HiGHS's copy; measured on IEEE 8500: 1.2 GB for 5 M, 3.6 GB
#: for 20 M when HiGHS gave up under an 8 GB address-space limit).
MAX_LP_COEFS = 8_000_000
LP_BYTES_PER_COEF = 200


def check_size(data: Opf3Data, options: OpfOptions) -> None:
    """Refuse, before any power flow, an OPF whose LP would not fit in a few GB.

    Raises
    ------
    gat_schemas.errors.InputError
        Naming the size, the estimated memory and what to change.
    """
    from gat_schemas.errors import InputError

    n_v = int(data.limited.sum())
    n_c = int((data.rated & options.enforce_thermal).sum())
    coefs = (2 * n_v + n_c) * 2 * data.n_der
    if coefs <= MAX_LP_COEFS:
        return
    most = max(MAX_LP_COEFS // max(2 * (2 * n_v + n_c), 1), 1)
    gb = coefs * LP_BYTES_PER_COEF / 1e9
    raise InputError(
        f"three-phase OPF of {data.network_name}: {data.n_der} controllable DER assets x "
        f"{n_v} limited node phases and {n_c} rated conductors give an LP of "
        f"{coefs / 1e6:.0f} M coefficients a round (about {gb:.0f} GB; the limit is "
        f"{MAX_LP_COEFS / 1e6:.0f} M): pass --assets with at most {most} assets (or "
        "aggregate them per bus), or study a sub-feeder"
    )


def _excess(data: Opf3Data, ac: AcPoint, options: OpfOptions) -> tuple[np.ndarray, ...]:
    """Voltage excess (T,) pu, current excess (C,) as a fraction of the ampacity and
    reverse-flow excess (MW) of one point."""
    vm = ac.vm[0]
    ev = np.where(data.limited, np.maximum(data.v_lo - vm, vm - data.v_hi), -np.inf)
    on = data.rated & options.enforce_thermal
    ec = np.where(on, ac.loading_pct[0] / data.cap - 1.0, -np.inf)
    lim = options.reverse_flow_limit_mw
    er = 0.0 if lim is None else max(-float(ac.head_p_mw[0]) - lim, 0.0)
    return np.maximum(ev, 0.0), np.maximum(np.nan_to_num(ec, nan=0.0), 0.0), er


def _merit(data: Opf3Data, options: OpfOptions, p: np.ndarray, ac: AcPoint) -> float:
    if not ac.converged[0]:
        return math.inf
    ev, ec, er = _excess(data, ac, options)
    # Only what the AC check counts as broken (beyond TOL_PU / TOL_PCT) is penalised: an
    # excess the check calls met must not outweigh the objective's gain.
    ev = np.maximum(ev - TOL_PU, 0.0)
    ec = np.maximum(ec - TOL_PCT / 100.0, 0.0)
    obj = true_objective(data, options, p, float(ac.loss_mw[0]), float(ac.head_p_mw[0]))
    return obj + PENALTY * (float(ev.sum()) + float(ec.sum()) + er)


def _tighten(
    data: Opf3Data, tight: Tightening, lp: LpResult, ac: AcPoint, options: OpfOptions
) -> bool:
    """Tighten the limits the AC check breaks at the LP's point; True if any was."""
    if not ac.converged[0]:
        return False
    vm = ac.vm[0]
    # Only where the LP kept the (tightened) limit: the linear model erred there. A limit the
    # LP itself broke through its elastic slack is not the model's error.
    low = data.limited & (vm < data.v_lo - TOL_PU) & (lp.vm >= data.v_lo + tight.lo - TOL_PU)
    high = data.limited & (vm > data.v_hi + TOL_PU) & (lp.vm <= data.v_hi - tight.hi + TOL_PU)
    err_lo = np.clip(lp.vm - vm, 0.0, None)
    err_hi = np.clip(vm - lp.vm, 0.0, None)
    tight.lo = np.where(low, np.maximum(tight.lo, err_lo + V_MARGIN), tight.lo)
    tight.hi = np.where(high, np.maximum(tight.hi, err_hi + V_MARGIN), tight.hi)
    loading = np.nan_to_num(ac.loading_pct[0], nan=0.0)
    cap = data.cap
    hot = data.rated & options.enforce_thermal & (loading > cap + TOL_PCT)
    hot &= lp.loading_pct <= cap * tight.shrink + TOL_PCT  # the LP kept it: the model erred
    tight.shrink = np.where(hot, tight.shrink * cap / np.where(hot, loading, cap), tight.shrink)
    return bool(low.any() or high.any() or hot.any())


def hold_base_violations(data: Opf3Data, vm: np.ndarray, loading: np.ndarray, tol_pu: float):  # type: ignore[no-untyped-def]
    """``data`` with the limits the point (``vm`` (T,) pu, ``loading`` (C,) %) breaks held
    at its values plus ``tol_pu`` (pu; 100 x ``tol_pu`` percentage points of loading)."""
    from dataclasses import replace

    from gat_dist.held_limits import held_cap, held_voltage

    lo, hi = held_voltage(vm, data.v_lo, data.v_hi, tol_pu)
    cap = held_cap(np.nan_to_num(loading, nan=0.0), data.cap, tol_pu)
    return replace(
        data,
        v_lo=np.where(data.limited, lo, data.v_lo),
        v_hi=np.where(data.limited, hi, data.v_hi),
        cap_pct=np.where(data.rated, cap, data.cap),
    )


def solve_opf_3ph(data: Opf3Data, options: OpfOptions) -> dict:  # type: ignore[type-arg]
    """Run the rounds; return the answer's set points, LP prediction, AC check and facts,
    and (``data``) the model with the starting point's violations held."""
    o = options
    ls = o.load_scale
    p = np.clip(0.0, data.der_p_min, data.der_p_max)
    q = np.clip(0.0, data.der_q_min, data.der_q_max)
    t0 = time.perf_counter()
    lin = linearise(data, p, q, load_scale=ls)
    data = hold_base_violations(data, lin.vm, lin.point.loading_pct[0], o.held_tol_pu)
    merit = _merit(data, o, p, lin.point)
    spans = np.concatenate([data.der_p_max - data.der_p_min, data.der_q_max - data.der_q_min])
    radius = radius0 = float(max(spans.max(initial=0.0), STEP_TOL))
    n_t, n_c = len(data.v_lo), len(data.rated)
    tight = Tightening(np.zeros(n_t), np.zeros(n_t), np.ones(n_c))
    best = {"p": p, "q": q, "vm_lp": lin.vm, "load_lp": lin.loading_pct, "lp_obj": math.nan}
    rounds = lps = tightened = 0
    status = "round_limit"
    verify_s = 0.0
    while rounds < o.max_ac_rounds:
        rounds += 1
        lp = solve_round(data, lin, o, tight, radius)
        lps += 1
        tv = time.perf_counter()
        ac = evaluate(data, lp.p, lp.q, load_scale=ls)
        verify_s += time.perf_counter() - tv
        if _tighten(data, tight, lp, ac, o):
            tightened += 1
        new = _merit(data, o, lp.p, ac)
        step = float(max(np.abs(lp.p - p).max(initial=0.0), np.abs(lp.q - q).max(initial=0.0)))
        if new <= merit + 1e-12 * max(abs(merit), 1.0):
            gain = merit - new
            p, q, merit = lp.p, lp.q, new
            best = {
                "p": p,
                "q": q,
                "vm_lp": lp.vm,
                "load_lp": lp.loading_pct,
                "lp_obj": lp.objective,
            }
            if step <= STEP_TOL or gain <= OBJ_TOL * max(abs(merit), 1.0):
                status = "optimal"
                break
            if step >= radius * (1.0 - 1e-9):
                radius = min(2.0 * radius, radius0)  # the edge held the step: widen
            lin = linearise(data, p, q, load_scale=ls)
        else:
            radius = min(radius, step) / 2.0
            if radius <= STEP_TOL:
                status = "optimal"
                break
    tv = time.perf_counter()
    ac = evaluate(data, best["p"], best["q"], load_scale=ls)
    verify_s += time.perf_counter() - tv
    ev, ec, er = _excess(data, ac, o)
    if status == "optimal" and (ev.max(initial=0.0) > TOL_PU or ec.max(initial=0.0) > 0 or er > 0):
        status = "elastic"  # optimal, but a limit the DER cannot meet is still broken
    return {
        **best,
        "data": data,
        "ac": ac,
        "status": status,
        "rounds": rounds,
        "lps": lps,
        "tightened": tightened,
        "solve_s": time.perf_counter() - t0 - verify_s,
        "verify_s": verify_s,
        "objective": true_objective(
            data, o, best["p"], float(ac.loss_mw[0]), float(ac.head_p_mw[0])
        ),
    }


def _tables(data: Opf3Data, res: dict, options: OpfOptions):  # type: ignore[no-untyped-def,type-arg]
    phys = data.phys
    ac: AcPoint = res["ac"]
    ok = bool(ac.converged[0])
    s_term = ac.s_term[0]
    nodes = pd.DataFrame(
        {
            "node_id": np.asarray(phys.node_ids)[phys.term_node].astype(str),
            "phase": np.asarray(phys.term_phase).astype(str),
            "vm_pu": res["vm_lp"],
            "va_deg": np.full(len(s_term), np.nan),
            "p_mw": s_term.real,
            "q_mvar": s_term.imag,
            "v_min_pu": data.v_lo,
            "v_max_pu": data.v_hi,
            "vm_ac_pu": ac.vm[0],
            "va_ac_deg": np.rad2deg(np.angle(ac.v[0])),
        }
    )
    ids = np.asarray(phys.cond_branch).astype(str)
    m = phys.model
    node_of = np.asarray(m.node_ids)[m.pn_node]  # node of every phase node
    s_f, s_t = ac.s_from[0], ac.s_to[0]
    # The LP's loading (0 where unrated in the model): NaN where unrated, as in the AC check.
    loading_lp = np.where(data.rated, res["load_lp"], np.nan)
    branches = pd.DataFrame(
        {
            "branch_id": ids,
            "phase": np.asarray(phys.cond_phase).astype(str),
            "from_node": node_of[phys.cond_pf].astype(str),
            "to_node": node_of[phys.cond_pt].astype(str),
            "p_from_mw": s_f.real,
            "q_from_mvar": s_f.imag,
            "p_to_mw": s_t.real,
            "q_to_mvar": s_t.imag,
            "p_loss_mw": (s_f + s_t).real,
            "i_sq_pu": np.full(len(ids), np.nan),
            "cone_gap_pu": np.full(len(ids), np.nan),
            "loading_pct": loading_lp,
            "p_from_ac_mw": s_f.real,
            "q_from_ac_mvar": s_f.imag,
            "loading_ac_pct": ac.loading_pct[0],
        }
    )
    p, q = res["p"], res["q"]
    der = pd.DataFrame(
        {
            "asset_id": data.der_ids.astype(str),
            "bus_id": np.asarray(phys.node_ids)[data.der_node].astype(str),
            "phase": data.der_phase.astype(str),
            "asset_type": data.der_type.astype(str),
            "p_mw": p,
            "q_mvar": q,
            "p_min_mw": data.der_p_min,
            "p_max_mw": data.der_p_max,
            "curtailment_mw": np.where(
                data.der_curtailable, np.maximum(data.der_p_max - p, 0.0), 0.0
            ),
            "s_mva": np.hypot(p, q),
            "cost_per_h": data.der_c1 * p + data.der_c0,
        }
    )
    ev, _, _ = _excess(data, ac, options)
    with np.errstate(invalid="ignore", divide="ignore"):
        over = np.where(data.rated, ac.loading_pct[0] - data.cap, 0.0)
    over = np.maximum(np.nan_to_num(over, nan=0.0), 0.0)
    wv, wc = int(np.argmax(ev)) if len(ev) else 0, int(np.argmax(over)) if len(over) else 0
    labels = np.asarray(phys.term_label).astype(str)
    cond = np.asarray(phys.cond_label).astype(str)
    vm_ac = ac.vm[0][data.limited]
    vm_lp = np.asarray(res["vm_lp"])[data.limited]

    def pick(x: float) -> float:
        return float(x) if ok else math.nan

    summary = {
        "network": data.network_name,
        "formulation": FORMULATION_3PH,
        "objective": options.objective.value,
        "objective_value": res["objective"],
        "status": res["status"],
        "solve_s": res["solve_s"],
        "verify_s": res["verify_s"],
        "cut_rounds": int(res["lps"]),
        "cuts": int(res["tightened"]),
        "cone_violation": 0.0,
        "loss_weight": 0.0 if options.objective.value == "loss" else options.loss_weight,
        "relaxation_gap_pu": math.nan,
        "import_mw": pick(ac.head_p_mw[0]),
        "p_loss_mw": pick(ac.loss_mw[0]),
        "der_p_mw": float(p.sum()),
        "curtailment_mw": float(der["curtailment_mw"].sum()),
        "vm_min_pu": float(vm_lp.min()),
        "vm_max_pu": float(vm_lp.max()),
        "ac_converged": ok,
        "ac_p_loss_mw": pick(ac.loss_mw[0]),
        "ac_vm_min_pu": pick(vm_ac.min()),
        "ac_vm_max_pu": pick(vm_ac.max()),
        "ac_vm_violation_pu": pick(ev.max(initial=0.0)),
        "ac_vm_violation_node": labels[wv] if ok and ev.max(initial=0.0) > TOL_PU else None,
        "ac_thermal_violation_pct": pick(over.max(initial=0.0)),
        "ac_thermal_violation_branch": cond[wc] if ok and over.max(initial=0.0) > TOL_PCT else None,
        "vm_error_max_pu": pick(np.abs(vm_lp - vm_ac).max(initial=0.0)),
        "model": "three_phase",
        "ac_rounds": int(res["rounds"]),
    }
    return nodes, branches, der, summary


def run_opf_3ph(
    network: Network,
    *,
    assets: pd.DataFrame | None,
    cost_curves: pd.DataFrame | None,
    options: OpfOptions,
) -> OpfResult:
    """Three-phase OPF of ``network`` (see the module doc); the tables as :func:`run_opf`'s.

    Raises
    ------
    gat_schemas.errors.InputError
        Unusable network, assets or options.
    gat_schemas.errors.NotConvergedError
        When the AC power flow at the starting set points does not converge.
    """
    import gat_pf
    from gat_dist.opf.api import OpfResult
    from gat_pf import ThreePhaseOptions

    t0 = time.perf_counter()
    phys = gat_pf.physics_model(
        network, model="three_phase", options_3ph=ThreePhaseOptions(regulators="fixed")
    )
    data = opf3_data(network, phys, options, assets=assets, cost_curves=cost_curves)
    check_size(data, options)
    build_s = time.perf_counter() - t0
    res = solve_opf_3ph(data, options)
    nodes, branches, der, row = _tables(res["data"], res, options)
    row = {"build_s": build_s, **row}
    order = ["network", "formulation", "objective", "objective_value", "status", "build_s"]
    summary = pd.DataFrame([{k: row[k] for k in order} | row])
    return OpfResult(
        nodes=nodes,
        branches=branches,
        der=der,
        summary=summary,
        status=res["status"],
        objective_value=float(res["objective"]),
        build_s=build_s,
        solve_s=float(res["solve_s"]),
        verify_s=float(res["verify_s"]),
        ac=None,
    )
