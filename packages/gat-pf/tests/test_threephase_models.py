"""Three-phase element models checked against hand results: transformer connections and
phase shifts, ungrounded windings, load models, ideal switches, regulators and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from gat_pf_testlib import make_branches, make_nodes, network

from gat_pf import ThreePhaseOptions, build_model_3ph, run_power_flow_3ph, solve_batch_3ph
from gat_pf._threephase import _api
from gat_schemas.errors import InputError, NotConvergedError

TIGHT = ThreePhaseOptions(tol=1e-12)
SQRT3 = np.sqrt(3.0)


def _two_nodes(kv_to: float, phase_to: str = "ABC", **node_extra) -> pd.DataFrame:
    nodes = make_nodes(["s", "t"], ["slack", "load"], [0.0, 0.0], [0.0, 0.0], **node_extra)
    nodes["base_kv"] = [12.47, kv_to]
    nodes["phase"] = ["ABC", phase_to]
    return nodes


def _transformer_net(conn_from, conn_to, phases="ABC", kv=(12.47, 4.16), loads=None, **tr):
    nodes = _two_nodes(kv[1] if len(phases) == 3 or conn_to == "delta" else kv[1] * SQRT3, phases)
    br = make_branches(["s"], ["t"], [1e-3], [1e-2], branch_type=["transformer"])
    row = {
        "branch_id": "L1",
        "phases": phases,
        "conn_from": conn_from,
        "conn_to": conn_to,
        "kv_from": kv[0],
        "kv_to": kv[1],
        "s_rated_mva": 1.0,
        "r_pct": 1.0,
        "x_pct": 5.0,
        **tr,
    }
    tables = {"dist_transformers": pd.DataFrame([row])}
    if loads is not None:
        tables["dist_loads"] = loads
    return network(nodes, br, base_mva=1.0, **tables)


@pytest.mark.parametrize(
    ("conn_from", "conn_to", "shift"),
    [
        ("wye_g", "wye_g", 0.0),
        ("delta", "wye_g", -30.0),
        ("wye_g", "delta", -30.0),
        ("delta", "delta", 0.0),
        ("wye", "wye", 0.0),
    ],
)
def test_no_load_bank_ratio_and_phase_shift(conn_from, conn_to, shift):
    res = run_power_flow_3ph(_transformer_net(conn_from, conn_to, tap_to=1.025), options=TIGHT)
    t = res.nodes[res.nodes.node_id == "t"]
    # Rated 12.47/4.16 on 12.47/4.16 bases: 1 pu, scaled by the to tap, shifted per ANSI
    # (less the drop of the 1 ppm anti-floating shunt through 5 % reactance: about 5e-8 pu).
    assert np.abs(t.vm_pu - 1.025).max() < 1e-7
    expected = np.array([0.0, -120.0, 120.0]) + shift
    assert np.abs((t.va_deg.to_numpy() - expected + 180) % 360 - 180).max() < 1e-5  # shunt: 6e-7


def test_single_phase_unit_ratio():
    # Grounded both sides: no anti-floating shunt needed, so the ratio is exact.
    net = _transformer_net("wye_g", "wye_g", phases="B", kv=(7.2, 0.24), ppm_antifloat=0.0)
    res = run_power_flow_3ph(net, options=TIGHT)
    t = res.nodes[res.nodes.node_id == "t"]
    # 12.47 kV / sqrt 3 = 7.1996 kV on a 7.2 kV winding: 0.99994 of rated 0.24 kV.
    assert t.v_kv.iloc[0] == pytest.approx(0.24 * 12.47 / SQRT3 / 7.2, rel=1e-9)
    assert t.va_deg.iloc[0] == pytest.approx(-120.0, abs=1e-7)


def _legs(conn, model, p, q):
    return pd.DataFrame(
        [
            {
                "load_id": "ld",
                "node_id": "t",
                "connection": conn,
                "model": model,
                "p_a_mw": p[0],
                "q_a_mvar": q[0],
                "p_b_mw": p[1],
                "q_b_mvar": q[1],
                "p_c_mw": p[2],
                "q_c_mvar": q[2],
            }
        ]
    )


def test_delta_secondary_with_only_delta_loads_is_referenced():
    loads = _legs("delta", "pq", [0.2, 0.05, 0.1], [0.05, 0.0, 0.02])
    res = run_power_flow_3ph(_transformer_net("delta", "delta", loads=loads), options=TIGHT)
    t = res.nodes[res.nodes.node_id == "t"]
    v = (t.vm_pu * np.exp(1j * np.deg2rad(t.va_deg))).to_numpy()
    # The common-mode reference keeps the neutral shift at zero (no ground path exists).
    assert abs(v.sum()) < 1e-5
    s = res.summary.iloc[0]
    assert s.total_load_mw == pytest.approx(0.35, rel=1e-9)
    assert s.total_gen_mw == pytest.approx(s.total_load_mw + s.p_loss_mw, abs=1e-9)


def test_ungrounded_wye_bank_feeding_a_three_wire_load():
    loads = _legs("delta", "pq", [0.12, 0.1, 0.08], [0.03, 0.02, 0.0])
    res = run_power_flow_3ph(_transformer_net("wye", "wye", loads=loads), options=TIGHT)
    s = res.summary.iloc[0]
    assert s.total_load_mw == pytest.approx(0.3, rel=1e-9)
    assert s.total_gen_mw == pytest.approx(s.total_load_mw + s.p_loss_mw, abs=1e-9)
    t = res.nodes[res.nodes.node_id == "t"]
    v = (t.vm_pu * np.exp(1j * np.deg2rad(t.va_deg))).to_numpy()
    assert abs(v.sum()) < 1e-5


def _switch_net(v_set, loads):
    nodes = _two_nodes(12.47, v_set=[v_set, 1.0])
    br = make_branches(["s"], ["t"], [0.0], [0.0], branch_type=["switch"])
    return network(nodes, br, base_mva=1.0, dist_loads=loads)


@pytest.mark.parametrize(("model", "power"), [("pq", 0), ("i", 1), ("z", 2)])
@pytest.mark.parametrize("conn", ["wye", "delta"])
def test_load_models_scale_with_voltage(model, power, conn):
    p, q = [0.3, 0.0, 0.1], [0.1, 0.0, 0.05]
    res = run_power_flow_3ph(_switch_net(0.9, _legs(conn, model, p, q)), options=TIGHT)
    s = res.summary.iloc[0]
    assert s.total_load_mw == pytest.approx(0.4 * 0.9**power, rel=1e-12)
    # The ideal switch carries the whole load; its from-end power is what the load draws.
    sw = res.branches
    assert sw.p_from_mw.sum() == pytest.approx(0.4 * 0.9**power, rel=1e-9)
    assert sw.loss_mw.abs().max() < 1e-12


def test_delta_leg_current():
    res = run_power_flow_3ph(_switch_net(1.0, _legs("delta", "pq", [0.3, 0, 0], [0.4, 0, 0])))
    sw = res.branches.set_index("phase")
    # 0.5 MVA on leg AB at 12.47 kV line to line: |I| = 500 / 12.47 A in phases A and B.
    assert sw.i_from_a["A"] == pytest.approx(500.0 / 12.47, rel=1e-9)
    assert sw.i_from_a["B"] == pytest.approx(500.0 / 12.47, rel=1e-9)
    assert sw.i_from_a["C"] == pytest.approx(0.0, abs=1e-9)


def _regulated(mode="fixed", tap=4, band=2.0):
    nodes = make_nodes(["s", "m", "t"], ["slack", "load", "load"], [0.0, 0.0, 0.9], [0, 0, 0.3])
    nodes["base_kv"] = 4.16
    br = make_branches(["s", "m"], ["m", "t"], [1e-4, 0.02], [1e-4, 0.04])
    br["branch_type"] = ["transformer", "line"]
    tr = pd.DataFrame(
        [
            {
                "branch_id": "L1",
                "phases": "ABC",
                "conn_from": "wye_g",
                "conn_to": "wye_g",
                "kv_from": 4.16,
                "kv_to": 4.16,
                "s_rated_mva": 5.0,
                "r_pct": 0.01,
                "x_pct": 0.01,
            }
        ]
    )
    regs = pd.DataFrame(
        {
            "regulator_id": ["ra", "rb", "rc"],
            "branch_id": "L1",
            "phase": ["A", "B", "C"],
            "tap": np.array([tap] * 3, dtype=np.int64),
            "mode": mode,
            "v_set_v": 122.0,
            "band_v": band,
            "pt_ratio": 20.0,
            "ct_primary_a": 700.0,
            "r_comp_v": 3.0,
            "x_comp_v": 9.0,
        }
    )
    return network(nodes, br, base_mva=1.0, dist_transformers=tr, dist_regulators=regs)


def test_fixed_tap_scales_the_to_side():
    res = run_power_flow_3ph(_regulated(tap=4), options=ThreePhaseOptions(regulators="fixed"))
    m = res.nodes[res.nodes.node_id == "m"]
    assert np.abs(m.vm_pu - 1.025).max() < 1e-3  # 4 steps of 0.625 %, minus a tiny drop
    assert res.taps.tolist() == [4, 4, 4]


def test_auto_regulators_reach_the_band_and_fixed_mode_ignores_them():
    res = run_power_flow_3ph(_regulated(mode="auto", tap=0))
    assert res.regulator_rounds >= 2
    assert (np.abs(res.regulators.v_regulated_v - 122.0) <= 1.0 + 1e-9).all()
    fixed = run_power_flow_3ph(
        _regulated(mode="auto", tap=0), options=ThreePhaseOptions(regulators="fixed")
    )
    assert fixed.taps.tolist() == [0, 0, 0] and fixed.regulator_rounds == 1


def test_hunting_regulators_are_reported():
    net = _regulated(mode="auto", tap=0, band=0.01)  # band far narrower than a step (0.75 V)
    batch = solve_batch_3ph(net)
    assert not batch.converged[0]
    with pytest.raises(NotConvergedError, match="regulators did not settle"):
        run_power_flow_3ph(net)


def test_bad_input_is_a_clear_error():
    nodes = make_nodes(["s", "t"], ["slack", "source"], [0.0, 0.1], [0.0, 0.0])
    br = make_branches(["s"], ["t"], [0.01], [0.02])
    with pytest.raises(InputError, match="source-node voltages"):
        run_power_flow_3ph(network(nodes, br))
    nodes = make_nodes(["s", "t"], ["slack", "load"], [0.0, 0.1], [0.0, 0.0])
    with pytest.raises(InputError, match="phases AB are not all present"):
        run_power_flow_3ph(network(nodes.assign(phase=["ABC", "A"]), br.assign(phases="AB")))
    with pytest.raises(InputError, match="no phase common"):
        run_power_flow_3ph(network(nodes.assign(phase=["B", "A"]), br))
    with pytest.raises(InputError, match="regulator control"):
        ThreePhaseOptions(regulators="manual")


def test_newton_fallback_settles_grounded_loads_behind_an_ungrounded_bank():
    # The loads alone fix the floating neutral: the fixed point on the network's matrix
    # cannot settle it, Newton can (the fallback). With the loads' admittances in the
    # factorised matrix (solve_batch_3ph's fixed point) the fixed point settles it too, at
    # Newton's answer.
    loads = _legs("wye", "pq", [0.12, 0.1, 0.08], [0.03, 0.02, 0.0])
    model = build_model_3ph(_transformer_net("wye", "wye", loads=loads))
    plain = _api._solve(model, None, 1, ThreePhaseOptions(method="fixed_point", max_iter=50))
    assert not plain[1][0]
    v, conv, *_, used = _api._solve(model, None, 1, ThreePhaseOptions())
    assert conv[0] and used[0] == "zbus+newton"
    res = run_power_flow_3ph(model)
    assert res.summary.method[0] == "zbus"
    assert np.abs(res.voltages - v[0, model.pn_bus]).max() < 1e-9
    s = res.summary.iloc[0]
    assert s.total_load_mw == pytest.approx(0.3, rel=1e-9)
    assert s.total_gen_mw == pytest.approx(s.total_load_mw + s.p_loss_mw, abs=1e-9)
    t = res.nodes[res.nodes.node_id == "t"]
    # Every load sees its power at its own (shifted) phase-to-neutral voltage; the neutral
    # shift makes the phase magnitudes differ by far more than the load imbalance would.
    assert t.vm_pu.max() - t.vm_pu.min() > 0.1


def test_newton_equals_the_fixed_point():
    net = _regulated(tap=4)
    opts = {"regulators": "fixed", "tol": 1e-10}
    a = solve_batch_3ph(net, load_scale=[1.0, 2.0], options=ThreePhaseOptions(**opts))
    b = solve_batch_3ph(
        net, load_scale=[1.0, 2.0], options=ThreePhaseOptions(method="newton", **opts)
    )
    assert a.converged.all() and b.converged.all()
    assert (b.iterations <= a.iterations).all()
    assert np.abs(a.voltages - b.voltages).max() < 1e-9
    assert list(b.method) == ["newton", "newton"]
    with pytest.raises(InputError, match="three-phase method"):
        ThreePhaseOptions(method="gauss")


def test_regulator_on_a_transformer_branch_without_winding_data():
    # No dist_transformers row: each phase is the balanced pi model, the tap scales its to side.
    net = _regulated(tap=8)
    tables = dict(net.tables)
    del tables["dist_transformers"]
    res = run_power_flow_3ph(net.__class__(net.name, net.base_mva, tables), options=TIGHT)
    banked = run_power_flow_3ph(net, options=TIGHT)
    m = res.nodes[res.nodes.node_id == "m"]
    assert np.abs(m.vm_pu - 1.05).max() < 2e-3  # 8 steps of 0.625 %, minus a small drop
    assert np.abs(m.vm_pu.to_numpy() - banked.nodes[banked.nodes.node_id == "m"].vm_pu).max() < 1e-3


def test_a_load_with_no_return_path_is_named():
    # One phase-to-neutral load behind a delta secondary: its current has no way back.
    loads = _legs("wye", "pq", [0.1, 0.0, 0.0], [0.02, 0.0, 0.0])
    net = _transformer_net("wye_g", "delta", loads=loads)
    with pytest.raises(NotConvergedError, match=r"phase-to-neutral loads at t sit behind"):
        run_power_flow_3ph(net, options=ThreePhaseOptions(max_iter=30))
    grounded = _transformer_net("delta", "wye_g", loads=loads)
    assert len(build_model_3ph(grounded).floating_loads()) == 0


def test_fixed_loads_ignore_load_scale():
    """A ``dist_loads.fixed`` load (OpenDSS status=fixed) keeps its rated power under any
    ``load_scale``, in the batch solver and the physics interface; the others scale."""
    from gat_pf import physics_model, power_totals

    loads = pd.concat(
        [
            _legs("wye", "pq", [0.3, 0.0, 0.0], [0.1, 0.0, 0.0]).assign(load_id="f", fixed=True),
            _legs("wye", "pq", [0.0, 0.2, 0.0], [0.0, 0.05, 0.0]).assign(fixed=False),
        ],
        ignore_index=True,
    )
    net = _switch_net(1.0, loads)
    scale = np.array([0.5, 2.0])
    want = 0.3 + 0.2 * scale  # MW: the ideal switch is lossless, the head carries the load
    batch = solve_batch_3ph(net, load_scale=scale, options=TIGHT)
    assert batch.converged.all()
    phys = physics_model(net, options_3ph=TIGHT)
    sol = phys.solve(load_scale=scale)
    assert sol.converged.all()
    head = power_totals(phys, sol).head_p_mw[:, 0]
    np.testing.assert_allclose(head, want, rtol=1e-9)
    per_node = np.broadcast_to(scale[:, None], (2, 2))
    head_n = power_totals(phys, phys.solve(load_scale=per_node)).head_p_mw[:, 0]
    np.testing.assert_allclose(head_n, want, rtol=1e-9)
    np.testing.assert_allclose(batch.voltages, sol.v, atol=1e-9)
