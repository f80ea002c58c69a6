"""Three-phase OPF (``gat_dist.opf`` on networks the physics interface calls three-phase).

Expected values come from outside the OPF: the three-phase power flow of the same set points
through the physics interface, not the OPF's evaluation code), AC losses of perturbed set
points solved through the physics interface directly, and the networks' own limits.
The set points are written as injections on terminals found by ``injection_points``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gat_dist.datasets import build_dataset
from gat_dist.opf import OpfOptions, run_opf
from gat_schemas import InputError

pytest.importorskip("highspy")

#: IEEE 13's regulator output (RG60.C) is at 1.0686 pu at its published taps, which no DER
#: changes; the tests use 1.07 pu and leave the 400 A default line ratings out.
OPTIONS = {"v_max": 1.07, "enforce_thermal": False}


@pytest.fixture(scope="module")
def ieee13():  # type: ignore[no-untyped-def]
    return build_dataset("ieee13")


@pytest.fixture(scope="module")
def loss_result(ieee13):  # type: ignore[no-untyped-def]
    return run_opf(ieee13, options=OpfOptions(objective="loss", **OPTIONS))


def _losses(net, p_der: np.ndarray, q_der: np.ndarray, assets: pd.DataFrame) -> float:  # type: ignore[no-untyped-def]
    """AC losses (MW) with every asset's set point spread over its phases, solved through the
    physics interface (not the OPF's own AC code)."""
    import gat_pf
    from gat_pf import Injection, ThreePhaseOptions

    phys = gat_pf.physics_model(net, options_3ph=ThreePhaseOptions(regulators="fixed"))
    pts = phys.injection_points(assets["bus_id"].astype(str), phase_mode="each")
    n_t = len(phys.term_node)
    p, q = np.zeros((len(p_der), n_t)), np.zeros((len(p_der), n_t))
    labels = list(pts.label)
    for d, (bus, ph) in enumerate(zip(assets["bus_id"], assets["phase"], strict=True)):
        mine = [k for k, lab in enumerate(labels) if lab.split(".")[0] == str(bus)]
        mine = [k for k in mine if pts.phase[k] in ph] or mine
        for k in mine:
            p[:, pts.terms[k, 0]] += p_der[:, d] / len(mine)
            q[:, pts.terms[k, 0]] += q_der[:, d] / len(mine)
    sol = phys.solve(Injection(np.arange(n_t), p, q))
    assert sol.converged.all()
    lim = phys.limits(sol)
    return lim, sol


def test_loss_opf_on_ieee13_meets_limits_and_is_ac_checked(loss_result, ieee13) -> None:  # type: ignore[no-untyped-def]
    s = loss_result.summary.iloc[0]
    assert s["model"] == "three_phase"
    assert s["formulation"] == "slp3ph"
    assert s["status"] == "optimal"
    assert bool(s["ac_converged"])
    assert s["ac_vm_violation_pu"] <= 1e-5
    assert s["vm_error_max_pu"] < 1e-3
    nodes = loss_result.nodes
    limited = ~nodes["node_id"].isin(["SourceBus_vsource"])
    assert (nodes.loc[limited, "vm_ac_pu"] <= 1.07 + 1e-5).all()
    assert (nodes.loc[limited, "vm_ac_pu"] >= 0.95 - 1e-5).all()
    # One row per node phase: 652 has phase A only, 611 phase C only.
    assert nodes.loc[nodes.node_id == "652", "phase"].tolist() == ["A"]
    assert nodes.loc[nodes.node_id == "611", "phase"].tolist() == ["C"]


def test_loss_opf_voltages_equal_an_independent_three_phase_power_flow(loss_result, ieee13) -> None:  # type: ignore[no-untyped-def]
    der = loss_result.der
    assets = ieee13.table("der_assets").set_index("asset_id").loc[der.asset_id].reset_index()
    lim, _ = _losses(ieee13, der.p_mw.to_numpy()[None, :], der.q_mvar.to_numpy()[None, :], assets)
    import gat_pf

    phys = gat_pf.physics_model(ieee13)
    got = loss_result.nodes["vm_ac_pu"].to_numpy()
    labels = np.asarray(phys.term_label).astype(str)
    table = (loss_result.nodes.node_id + "." + loss_result.nodes.phase).to_numpy()
    assert (labels == table).all()
    assert np.abs(got - lim.vm_pu[0]).max() < 1e-8


def test_loss_opf_beats_the_base_case_and_every_feasible_nudge(loss_result, ieee13) -> None:  # type: ignore[no-untyped-def]
    """A local optimum: AC losses at the answer are no higher than with all DER at 0 or with
    any one asset's p or q moved 5 kW/kvar inside its limits (where voltages stay in band)."""
    der = loss_result.der
    assets = ieee13.table("der_assets").set_index("asset_id").loc[der.asset_id].reset_index()
    p0, q0 = der.p_mw.to_numpy(), der.q_mvar.to_numpy()
    rows_p, rows_q = [np.zeros_like(p0)], [np.zeros_like(q0)]
    step = 5e-3
    for d in range(len(p0)):
        for dp, dq in ((step, 0), (-step, 0), (0, step), (0, -step)):
            p, q = p0.copy(), q0.copy()
            p[d] += dp
            q[d] += dq
            ok = assets.p_min[d] <= p[d] <= assets.p_max[d]
            ok &= assets.q_min[d] <= q[d] <= assets.q_max[d]
            s_max = assets.s_max[d]
            ok &= not np.isfinite(s_max) or np.hypot(p[d], q[d]) <= s_max
            if ok:
                rows_p.append(p)
                rows_q.append(q)
    lim, sol = _losses(ieee13, np.array(rows_p), np.array(rows_q), assets)
    import gat_pf
    from gat_dist.opf.threephase.ac import _branch_powers
    from gat_pf import ThreePhaseOptions

    phys = gat_pf.physics_model(ieee13, options_3ph=ThreePhaseOptions(regulators="fixed"))
    s_f, s_t, _ = _branch_powers(phys, sol)
    loss = (s_f + s_t).real.sum(axis=1)
    best = float(loss_result.summary.ac_p_loss_mw.iloc[0])
    assert best < loss[0] - 0.05  # DER at 0: 110.6 kW; the optimum is far below
    limited = ~np.asarray(phys.term_slack)
    vm = lim.vm_pu[:, limited]
    feasible = ((vm <= 1.07) & (vm >= 0.95)).all(axis=1)
    assert loss[1:][feasible[1:]].min() >= best - 1e-6


def test_cost_and_curtailment_objectives_run(ieee13) -> None:  # type: ignore[no-untyped-def]
    for objective in ("cost", "curtailment"):
        r = run_opf(ieee13, options=OpfOptions(objective=objective, **OPTIONS))
        s = r.summary.iloc[0]
        assert s["ac_converged"]
        assert s["ac_vm_violation_pu"] <= 1e-5
    # Curtailment: with no limit in the way, every pv asset gives all it has.
    assert r.der.loc[r.der.asset_type == "pv", "curtailment_mw"].max() < 1e-3


def test_single_phase_asset_on_a_missing_phase_is_refused(ieee13) -> None:  # type: ignore[no-untyped-def]
    assets = ieee13.table("der_assets").copy()
    assets.loc[assets.asset_id == "ev_652", "phase"] = "B"  # 652 has phase A only
    with pytest.raises(InputError, match="phase B is not at node 652"):
        run_opf(ieee13, assets=assets, options=OpfOptions(**OPTIONS))


def test_limits_broken_without_der_are_held_not_reported(ieee13) -> None:  # type: ignore[no-untyped-def]
    """At 1.05 pu the regulator outputs RG60.A/C (1.063 and 1.0686 pu at the published taps,
    upstream of every DER's effect that matters) break v_max before any DER moves: they
    are held at that value + held_tol_pu (0.001), shown as the node phases' v_max_pu, and
    the answer keeps them; with held_tol_pu = 0 they are held exactly."""
    r = run_opf(ieee13, options=OpfOptions(objective="loss", enforce_thermal=False))
    s = r.summary.iloc[0]
    assert s["status"] == "optimal"
    assert s["ac_vm_violation_pu"] <= 1e-5
    nodes = r.nodes.assign(label=r.nodes.node_id + "." + r.nodes.phase).set_index("label")
    rg = nodes.loc["RG60.C"]
    assert 1.0686 + 0.001 - 1e-4 < rg.v_max_pu < 1.0686 + 0.001 + 1e-4
    assert rg.vm_ac_pu <= rg.v_max_pu + 1e-5
    assert (nodes.drop(index=["RG60.A", "RG60.C"]).v_max_pu >= 1.05).all()


def test_defaults_on_ieee13_converge_and_pass_the_ac_check(ieee13) -> None:  # type: ignore[no-untyped-def]
    """At its defaults (1.05 pu, 400 A default ratings) IEEE 13 holds RG60.A/C and 650632
    at their base values + 0.001. The answer sits on voltage limits, so every LP step lands
    a few 1e-7 pu outside them in the AC check: within TOL_PU (met), which the rounds must
    not price as broken, else the trust region zig-zags to the round limit."""
    o = OpfOptions()
    r = run_opf(ieee13, options=o)
    s = r.summary.iloc[0]
    assert s["status"] == "optimal"
    assert s["ac_rounds"] < o.max_ac_rounds
    assert s["ac_vm_violation_pu"] <= 1e-5
    assert s["ac_thermal_violation_pct"] <= 1e-3
    assert s["ac_vm_violation_node"] is None


def test_asset_on_an_unknown_node_names_the_asset(ieee13) -> None:  # type: ignore[no-untyped-def]
    """The error names the table, column and row (asset id) of the bad reference."""
    assets = ieee13.table("der_assets").copy()
    assets.loc[assets.asset_id == "pv_634", "bus_id"] = "999"
    with pytest.raises(InputError, match=r"der_assets, column bus_id, rows pv_634 \(999\)"):
        run_opf(ieee13, assets=assets, options=OpfOptions(**OPTIONS))
