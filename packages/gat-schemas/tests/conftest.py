"""Small valid tables for every schema, built fresh by factories (no shared mutable state)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from gat_schemas import Network


def build_tables() -> dict[str, pd.DataFrame]:
    """A valid 5-node feeder (one tie) with every optional table filled in."""
    nodes = pd.DataFrame(
        {
            "node_id": ["n1", "n2", "n3", "n4", "n5"],
            "phase": ["ABC", "ABC", "ABC", "AB", "C"],
            "type": ["slack", "load", "load", "DER_agg", "load"],
            "v_min": [1.0, 0.95, 0.95, 0.95, 0.9],
            "v_max": [1.0, 1.05, 1.05, 1.05, 1.1],
            "load_p": [0.0, 0.1, 0.2, 0.05, 0.3],
            "load_q": [0.0, 0.05, 0.1, 0.0, 0.1],
            "feeder_id": ["f1"] * 5,
            "base_kv": [12.66] * 5,
            "customers": np.array([0, 10, 20, 5, 30], dtype=np.int64),
        }
    )
    branches = pd.DataFrame(
        {
            "branch_id": ["b1", "b2", "b3", "b4", "b5"],
            "from_node": ["n1", "n2", "n3", "n2", "n4"],
            "to_node": ["n2", "n3", "n4", "n5", "n5"],
            "r": [0.01, 0.02, 0.0, 0.03, 0.05],
            "x": [0.02, 0.03, 0.0, 0.04, 0.05],
            "b": [0.0, 0.001, 0.0, 0.0, 0.0],
            "tap": [1.0] * 5,
            "status": ["closed", "closed", "closed", "closed", "open"],
            "thermal_limit": [10.0, 5.0, np.nan, 5.0, 5.0],
            "branch_type": ["line", "line", "switch", "line", "line"],
            "length_km": [1.0, 2.0, 0.0, 1.5, np.nan],
        }
    )
    caps = pd.DataFrame(
        {
            "cap_id": ["c1"],
            "node_id": ["n3"],
            "phase": ["ABC"],
            "q_mvar": [0.3],
            "status": ["closed"],
        }
    )
    switches = pd.DataFrame(
        {
            "switch_id": ["s1", "s2"],
            "branch_id": ["b3", "b5"],
            "switch_type": ["sectionalizer", "tie"],
            "status": ["closed", "open"],
        }
    )
    der = pd.DataFrame(
        {
            "asset_id": ["pv1", "bat1"],
            "bus_id": ["n3", "n4"],
            "phase": ["ABC", "AB"],
            "asset_type": ["pv", "battery"],
            "p_min": [0.0, -0.2],
            "p_max": [0.5, 0.2],
            "q_min": [-0.1, -0.1],
            "q_max": [0.1, 0.1],
            "ramp_up": [np.nan, 1.0],
            "ramp_down": [np.nan, 1.0],
            "energy_cap": [np.nan, 0.8],
            "soc_min": [np.nan, 0.1],
            "soc_max": [np.nan, 0.9],
            "efficiency": [0.97, 0.95],
            "owner_id": ["o1", None],
            "agg_id": ["a1", "a1"],
            "priority": np.array([1, 2], dtype=np.int64),
            "cost_curve_id": [None, None],
            "daily": ["day", None],
            "yearly": [None, "irregular"],
            "duty": [None, None],
        }
    )
    rel = pd.DataFrame(
        {
            "element_id": ["b1", "b2", "n3"],
            "element_type": ["branch", "branch", "node"],
            "failure_rate_per_yr": [0.1, np.nan, 0.05],
            "failure_rate_per_km_yr": [np.nan, 0.07, np.nan],
            "repair_time_h": [4.0, 3.0, 2.0],
        }
    )
    devices = pd.DataFrame(
        {
            "device_id": ["d1", "d2"],
            "branch_id": ["b1", "b5"],
            "device_type": ["breaker", "tie"],
            "normal_state": ["closed", "open"],
            "automated": [True, False],
            "operate_time_h": [0.0, 1.0],
        }
    )
    outages = pd.DataFrame(
        {
            "scenario_id": ["s1", "s1", "s2"],
            "element_id": ["b1", "b2", "b2"],
            "start_h": [0.0, 1.0, 5.0],
            "duration_h": [2.0, 3.0, 4.0],
        }
    )
    pf_nodes = pd.DataFrame(
        {
            "node_id": ["n1", "n2"],
            "vm_pu": [1.0, 0.98],
            "va_deg": [0.0, -0.5],
            "p_mw": [0.3, -0.1],
            "q_mvar": [0.15, -0.05],
            "v_min": [1.0, 0.99],
            "v_max": [1.0, np.nan],
            "violation": ["", "under"],
            "v_violation_pu": [0.0, 0.01],
        }
    )
    pf_branches = pd.DataFrame(
        {
            "branch_id": ["b1"],
            "from_node": ["n1"],
            "to_node": ["n2"],
            "p_from_mw": [0.3],
            "q_from_mvar": [0.15],
            "p_to_mw": [-0.299],
            "q_to_mvar": [-0.149],
            "p_loss_mw": [0.001],
            "q_loss_mvar": [0.001],
            "s_from_mva": [0.335],
            "rating_mva": [10.0],
            "loading_pct": [3.35],
            "overloaded": [False],
        }
    )
    pf_summary = pd.DataFrame(
        {
            "method": ["nr"],
            "converged": [True],
            "iterations": np.array([3], dtype=np.int64),
            "max_mismatch_mva": [1e-10],
            "total_load_mw": [0.65],
            "total_gen_mw": [0.66],
            "p_loss_mw": [0.01],
            "q_loss_mvar": [0.01],
            "vm_min_pu": [0.97],
            "vm_min_node": ["n5"],
            "vm_max_pu": [1.0],
            "vm_max_node": ["n1"],
            "n_under_v_min": np.array([1], dtype=np.int64),
            "n_over_v_max": np.array([0], dtype=np.int64),
            "n_overloaded": np.array([0], dtype=np.int64),
            "loading_max_pct": [3.35],
            "loading_max_branch": ["b1"],
        }
    )
    # Every column present, so each one's checks are exercised (gat-pf rejects a file
    # that gives both scale and load_p; the schema checks columns one by one).
    pf_scenarios = pd.DataFrame(
        {
            "scenario_id": ["high", "high"],
            "node_id": ["n2", "n5"],
            "scale": [1.2, 1.1],
            "load_p": [0.4, 0.2],
            "load_q": [0.1, 0.05],
        }
    )
    hostcap_summary = pd.DataFrame(
        {
            "bus_id": ["n2", "n3"],
            "load_scale": [1.0, 1.0],
            "hosting_capacity_mw": [2.5, 1.25],
            "limiting_constraint": ["search_cap", "thermal"],
            "limiting_element": [None, "b2"],
            "vm_max_pu_at_hc": [1.02, 1.049],
            "loading_max_pct_at_hc": [40.0, 99.9],
            "ac_converged": [True, True],
            "ac_vm_violation_pu": [0.0, 1e-9],
            "ac_thermal_violation_pct": [0.0, 0.0],
            "opf_status": ["optimal", "optimal"],
        }
    )
    hostcap_curves = pd.DataFrame(
        {
            "load_scale": [1.0, 1.0],
            "bus_id": ["n3", "n3"],
            "step": np.array([1, 2], dtype=np.int64),
            "injection_mw": [1.0, 2.0],
            "vm_max_pu": [1.03, np.nan],
            "loading_max_pct": [60.0, np.nan],
            "feasible": [True, False],
        }
    )
    hostcap_held = pd.DataFrame(
        {
            "load_scale": [1.0, 1.0],
            "element": ["n3.A", "b1.B"],
            "limit": ["v_min", "loading"],
            "value": [0.95, 100.0],
            "held_at": [0.931, 101.4],
        }
    )
    cost_curves = pd.DataFrame({"cost_curve_id": ["cheap"], "c1": [12.5], "c0": [1.0]})
    opf = _opf_tables()
    return {
        "dist_nodes": nodes,
        "dist_branches": branches,
        "dist_caps": caps,
        "dist_switches": switches,
        "der_assets": der,
        "reliability": rel,
        "switching_devices": devices,
        "outage_scenarios": outages,
        "pf_nodes": pf_nodes,
        "pf_branches": pf_branches,
        "pf_summary": pf_summary,
        "pf_scenarios": pf_scenarios,
        "hostcap_summary": hostcap_summary,
        "hostcap_curves": hostcap_curves,
        "hostcap_held": hostcap_held,
        "der_cost_curves": cost_curves,
        **opf,
        **_threephase_tables(),
        **_envelope_tables(),
        **_series_tables(),
        **_schedule_tables(),
        **_flisr_tables(),
        **_outage_mc_tables(),
        **_shape_and_control_tables(),
        **_se_tables(),
        **_qsts_tables(),
        **_vvo_tables(),
        **_reconfig_tables(),
    }


def _shape_and_control_tables() -> dict[str, pd.DataFrame]:
    """Load shapes (one fixed-interval, one by hour) and one capacitor control."""
    shapes = pd.DataFrame(
        {
            "shape_id": ["day", "day", "irregular", "irregular"],
            "step": np.array([0, 1, 0, 1], dtype=np.int64),
            "hour": [0.0, 0.25, 0.0, 1.5],
            "multiplier": [0.5, 1.0, 0.2, 0.8],
            "interval_h": [0.25, 0.25, np.nan, np.nan],
        }
    )
    controls = pd.DataFrame(
        {
            "control_id": ["cc1"],
            "cap_id": ["c1"],
            "control_type": ["kvar"],
            "element_id": ["b2"],
            "terminal": np.array([1], dtype=np.int64),
            "on_setting": [150.0],
            "off_setting": [-225.0],
            "pt_ratio": [1.0],
            "ct_ratio": [1.0],
            "delay_s": [100.0],
            "delay_off_s": [100.0],
            "dead_time_s": [300.0],
            "volt_override": [True],
            "v_min_v": [7110.0],
            "v_max_v": [7740.0],
            "pt_phase": ["A"],
            "ct_phase": ["A"],
        }
    )
    return {"load_shapes": shapes, "dist_cap_controls": controls}


def _threephase_tables() -> dict[str, pd.DataFrame]:
    """Three-phase inputs and outputs, each valid on its own (see test_threephase_tables)."""
    zeros = {key: [0.0, 0.1] for key in ("r12", "r13", "r22", "r23", "r33")}
    linecodes = pd.DataFrame(
        {
            "linecode_id": ["lc1", "lc3"],
            "n_phases": np.array([1, 3], dtype=np.int64),
            "r11": [0.3, 0.2],
            **zeros,
            **{f"x{ij}": [0.0, 0.4] for ij in ("12", "13", "22", "23", "33")},
            "x11": [0.8, 0.6],
            "b11": [2.0, 3.0],
        }
    )
    linecodes.loc[1, ["r22", "r33"]] = 0.2
    transformers = pd.DataFrame(
        {
            "branch_id": ["t1", "t2"],
            "phases": ["ABC", "A"],
            "conn_from": ["delta", "wye_g"],
            "conn_to": ["wye_g", "wye_g"],
            "kv_from": [115.0, 2.4],
            "kv_to": [4.16, 2.4],
            "s_rated_mva": [5.0, 1.666],
            "r_pct": [1.0, 0.01],
            "x_pct": [8.0, 0.01],
            "tap_from": [1.0, 1.0],
            "tap_to": [1.0, 1.0],
        }
    )
    regulators = pd.DataFrame(
        {
            "regulator_id": ["r1", "r2"],
            "branch_id": ["t2", "t1"],
            "phase": ["A", "B"],
            "tap": np.array([10, 0], dtype=np.int64),
            "tap_min": np.array([-16, -16], dtype=np.int64),
            "tap_max": np.array([16, 16], dtype=np.int64),
            "step_pu": [0.00625, 0.00625],
            "mode": ["auto", "fixed"],
            "v_set_v": [122.0, np.nan],
            "band_v": [2.0, np.nan],
            "pt_ratio": [20.0, np.nan],
            "ct_primary_a": [700.0, np.nan],
            "r_comp_v": [3.0, 0.0],
            "x_comp_v": [9.0, 0.0],
        }
    )
    loads = pd.DataFrame(
        {
            "load_id": ["l1", "l2"],
            "node_id": ["n2", "n3"],
            "connection": ["wye", "delta"],
            "model": ["pq", "i"],
            "p_a_mw": [0.1, 0.0],
            "q_a_mvar": [0.05, 0.0],
            "p_b_mw": [0.0, 0.2],
            "q_b_mvar": [0.0, 0.1],
            "p_c_mw": [0.0, 0.0],
            "q_c_mvar": [0.0, 0.0],
            "daily": ["day", None],
            "yearly": [None, None],
            "duty": [None, "irregular"],
        }
    )
    pf3_nodes = pd.DataFrame(
        {
            "node_id": ["n1", "n1"],
            "phase": ["A", "B"],
            "vm_pu": [1.0, 0.99],
            "va_deg": [0.0, -120.5],
            "v_kv": [7.31, 7.24],
            "p_mw": [0.1, 0.1],
            "q_mvar": [0.05, 0.05],
            "v_min": [0.95, 0.95],
            "v_max": [1.05, 1.05],
            "violation": ["", ""],
            "v_violation_pu": [0.0, 0.0],
            "vll_pu": [1.0, 0.99],
            "vll_phases": ["AB", "BA"],
            "v_judged": ["ln", "ln"],
        }
    )
    pf3_branches = pd.DataFrame(
        {
            "branch_id": ["b1", "b1"],
            "phase": ["A", "B"],
            "i_from_a": [14.0, 13.0],
            "i_to_a": [14.0, 13.0],
            "p_from_mw": [0.1, 0.1],
            "q_from_mvar": [0.05, 0.05],
            "p_to_mw": [-0.099, -0.099],
            "q_to_mvar": [-0.049, -0.049],
            "loss_mw": [0.001, 0.001],
            "rating_mva": [0.3, 0.3],
            "ampacity_a": [13.7, 13.7],
            "loading_pct": [102.2, 94.9],
            "overloaded": [True, False],
        }
    )
    pf3_regulators = pd.DataFrame(
        {
            "regulator_id": ["r1", "r2"],
            "branch_id": ["t2", "t1"],
            "phase": ["A", "B"],
            "tap": np.array([10, 0], dtype=np.int64),
            "v_regulated_v": [121.5, np.nan],
        }
    )
    pf3_summary = pd.DataFrame(
        {
            "method": ["zbus"],
            "converged": [True],
            "iterations": np.array([6], dtype=np.int64),
            "regulator_rounds": np.array([1], dtype=np.int64),
            "max_mismatch_mva": [1e-9],
            "total_load_mw": [0.3],
            "total_gen_mw": [0.302],
            "p_loss_mw": [0.002],
            "q_loss_mvar": [0.004],
            "vm_min_pu": [0.97],
            "vm_min_node": ["n3.C"],
            "vm_max_pu": [1.0],
            "vm_max_node": ["n1.A"],
            "unbalance_max_pct": [1.2],
            "unbalance_node": ["n3"],
            "n_under_v_min": np.array([0], dtype=np.int64),
            "n_over_v_max": np.array([0], dtype=np.int64),
            "n_overloaded": np.array([1], dtype=np.int64),
            "loading_max_pct": [102.2],
            "loading_max_branch": ["b1"],
        }
    )
    return {
        "dist_linecodes": linecodes,
        "dist_transformers": transformers,
        "dist_regulators": regulators,
        "dist_loads": loads,
        "pf3_nodes": pf3_nodes,
        "pf3_branches": pf3_branches,
        "pf3_regulators": pf3_regulators,
        "pf3_summary": pf3_summary,
    }


def _opf_tables() -> dict[str, pd.DataFrame]:
    """OPF outputs of a 2-node feeder (socp), AC check included; the optional three-phase
    columns (phase, model, ac_rounds) filled in."""
    nodes = pd.DataFrame(
        {
            "node_id": ["n1", "n2"],
            "phase": ["A", "A"],
            "vm_pu": [1.0, 0.98],
            "va_deg": [np.nan, np.nan],
            "p_mw": [0.3, -0.3],
            "q_mvar": [0.1, -0.1],
            "v_min_pu": [0.95, 0.95],
            "v_max_pu": [1.05, 1.05],
            "vm_ac_pu": [1.0, 0.98],
            "va_ac_deg": [0.0, -0.4],
        }
    )
    branches = pd.DataFrame(
        {
            "branch_id": ["b1"],
            "phase": ["A"],
            "from_node": ["n1"],
            "to_node": ["n2"],
            "p_from_mw": [0.3],
            "q_from_mvar": [0.1],
            "p_to_mw": [-0.299],
            "q_to_mvar": [-0.099],
            "p_loss_mw": [0.001],
            "i_sq_pu": [0.001],
            "cone_gap_pu": [0.0],
            "loading_pct": [3.2],
            "p_from_ac_mw": [0.3],
            "q_from_ac_mvar": [0.1],
            "loading_ac_pct": [3.2],
        }
    )
    der = pd.DataFrame(
        {
            "asset_id": ["pv1"],
            "bus_id": ["n2"],
            "phase": ["A"],
            "asset_type": ["pv"],
            "p_mw": [0.4],
            "q_mvar": [0.0],
            "p_min_mw": [0.0],
            "p_max_mw": [0.5],
            "curtailment_mw": [0.1],
            "s_mva": [0.4],
            "cost_per_h": [0.0],
        }
    )
    summary = pd.DataFrame(
        {
            "network": ["t2"],
            "formulation": ["socp"],
            "objective": ["loss"],
            "objective_value": [0.001],
            "status": ["optimal"],
            "build_s": [0.1],
            "solve_s": [0.01],
            "verify_s": [0.001],
            "cut_rounds": np.array([2], dtype=np.int64),
            "cuts": np.array([3], dtype=np.int64),
            "cone_violation": [0.0],
            "loss_weight": [0.0],
            "relaxation_gap_pu": [0.0],
            "import_mw": [0.301],
            "p_loss_mw": [0.001],
            "der_p_mw": [0.4],
            "curtailment_mw": [0.1],
            "vm_min_pu": [0.98],
            "vm_max_pu": [1.0],
            "ac_converged": [True],
            "ac_p_loss_mw": [0.001],
            "ac_vm_min_pu": [0.98],
            "ac_vm_max_pu": [1.0],
            "ac_vm_violation_pu": [0.0],
            "ac_vm_violation_node": [None],
            "ac_thermal_violation_pct": [0.0],
            "ac_thermal_violation_branch": [None],
            "vm_error_max_pu": [0.0],
            "model": ["three_phase"],
            "ac_rounds": np.array([4], dtype=np.int64),
        }
    )
    return {"opf_nodes": nodes, "opf_branches": branches, "opf_der": der, "opf_summary": summary}


def _envelope_tables() -> dict[str, pd.DataFrame]:
    """DER flexibility envelope of one group: a segment (two vertices) and its set points."""
    envelopes = pd.DataFrame(
        {
            "group_id": ["g1", "g1"],
            "vertex": np.array([0, 1], dtype=np.int64),
            "p_mw": [0.4, -0.4],
            "q_mvar": [0.0, 0.0],
            "theta_deg": [0.06, 180.06],
            "p_ac_mw": [0.4, -0.4],
            "q_ac_mvar": [0.0, 0.0],
            "vm_min_ac_pu": [0.98, 0.95],
            "vm_max_ac_pu": [1.01, 1.0],
            "ac_vm_violation_pu": [0.0, np.nan],
            "ac_thermal_violation_pct": [0.0, np.nan],
            "ac_converged": [True, False],
            "ac_verified": [True, False],
        }
    )
    summary = pd.DataFrame(
        {
            "group_id": ["g1"],
            "asset_count": np.array([1], dtype=np.int64),
            "status": ["optimal"],
            "vertex_count": np.array([2], dtype=np.int64),
            "p_min_mw": [-0.4],
            "p_max_mw": [0.4],
            "q_min_mvar": [0.0],
            "q_max_mvar": [0.0],
            "area_mva2": [0.0],
            "ac_verified": [False],
            "max_ac_violation": [np.nan],
            "max_vm_violation_pu": [np.nan],
            "max_thermal_violation_pct": [np.nan],
            "lp_solves": np.array([32], dtype=np.int64),
            "ac_corrections": np.array([0], dtype=np.int64),
            "solve_s": [0.05],
            "message": [None],
        }
    )
    setpoints = pd.DataFrame(
        {
            "group_id": ["g1", "g1"],
            "vertex": np.array([0, 1], dtype=np.int64),
            "asset_id": ["bat1", "bat1"],
            "p_mw": [0.4, -0.4],
            "q_mvar": [0.0, 0.0],
        }
    )
    return {
        "der_envelopes": envelopes,
        "der_envelope_summary": summary,
        "der_envelope_setpoints": setpoints,
    }


def _hours(n: int) -> pd.DatetimeIndex:
    """``n`` hourly period starts of a summer morning, timezone-aware (UTC+2)."""
    return pd.date_range("2026-07-01 10:00", periods=n, freq="h", tz="Europe/Paris")


def _series_tables() -> dict[str, pd.DataFrame]:
    """Inputs of gat derms schedule and stress-test: three hourly periods of the 5-node feeder.

    load_series and pv_series hold every optional column so each column's checks run (gat-derms
    takes scale or load_p / p_avail, not both; the schema checks columns one by one).
    """
    t = _hours(3)
    prices = pd.DataFrame({"timestamp": t, "price": [60.0, 42.5, -5.0]})
    loads = pd.DataFrame(
        {
            "timestamp": t[[0, 0, 1, 1]],
            "node_id": ["n2", "n3", "n2", "n3"],
            "scale": [1.0, 0.9, 1.1, 1.0],
            "load_p": [0.1, 0.18, 0.11, 0.2],
            "load_q": [0.05, 0.09, 0.055, 0.1],
        }
    )
    pv = pd.DataFrame(
        {
            "timestamp": t,
            "asset_id": ["pv1", "pv1", "pv1"],
            "scale": [0.6, 0.8, 1.0],
            "p_avail": [0.3, 0.4, 0.5],
        }
    )
    spec = pd.DataFrame(
        {
            "scenario_id": ["base", "hot_day", "cloudy"],
            "price_factor": [1.0, 1.5, 0.8],
            "load_factor": [1.0, 1.3, 1.0],
            "pv_factor": [1.0, 1.0, 0.3],
        }
    )
    return {
        "price_series": prices,
        "load_series": loads,
        "pv_series": pv,
        "derms_stress_spec": spec,
    }


def _schedule_tables() -> dict[str, pd.DataFrame]:
    """Schedule of pv1 and bat1 over the three periods (battery discharges, then charges at the
    negative price; PV curtailed then), and a three-scenario stress test."""
    t = _hours(3)
    schedule = pd.DataFrame(
        {
            "timestamp": t[[0, 0, 1, 1, 2, 2]],
            "asset_id": ["pv1", "bat1"] * 3,
            "asset_type": ["pv", "battery"] * 3,
            "p_mw": [0.3, 0.2, 0.4, 0.0, 0.45, -0.2],
            "q_mvar": [0.0, 0.0, 0.02, 0.0, 0.05, 0.0],
            "charge_mw": [np.nan, 0.0, np.nan, 0.0, np.nan, 0.2],
            "discharge_mw": [np.nan, 0.2, np.nan, 0.0, np.nan, 0.0],
            "soc_mwh": [np.nan, 0.2895, np.nan, 0.2895, np.nan, 0.4795],
            "curtailed_mw": [0.0, 0.0, 0.0, 0.0, 0.05, 0.0],
        }
    )
    network = pd.DataFrame(
        {
            "timestamp": t,
            "price": [60.0, 42.5, -5.0],
            "head_p_mw": [0.155, 0.255, 0.405],
            "head_q_mvar": [0.26, 0.24, 0.21],
            "vm_min_pu": [0.982, 0.979, 0.975],
            "vm_max_pu": [1.0, 1.0, 1.0],
            "loading_max_pct": [12.0, 10.5, 14.2],
            "p_loss_mw": [0.004, 0.005, 0.006],
            "ac_converged": [True, True, True],
            "head_p_lp_mw": [0.15, 0.25, 0.4],
            "vm_min_lp_pu": [0.983, 0.98, 0.976],
            "vm_max_lp_pu": [1.0, 1.0, 1.0],
        }
    )
    summary = pd.DataFrame(
        {
            "objective": ["cost"],
            "status": ["Optimal"],
            "periods": np.array([3], dtype=np.int64),
            "dt_hours": [1.0],
            "assets": np.array([2], dtype=np.int64),
            "cost": [18.1125],
            "cost_lp": [17.625],
            "import_mwh": [0.815],
            "curtailed_mwh": [0.05],
            "undelivered_mwh": [0.0],
            "lp_slack": [0.0],
            "ac_corrections": np.array([1], dtype=np.int64),
            "ac_converged_periods": np.array([3], dtype=np.int64),
            "ac_voltage_violations": np.array([0], dtype=np.int64),
            "ac_thermal_violations": np.array([0], dtype=np.int64),
            "worst_vm_min_pu": [0.975],
            "worst_vm_max_pu": [1.0],
            "worst_v_violation_pu": [0.0],
            "worst_loading_pct": [14.2],
            "v_tol_pu": [0.002],
            "thermal_tol_pct": [1.0],
            "build_s": [0.02],
            "solve_s": [0.01],
            "ac_s": [0.03],
        }
    )
    scenarios = pd.DataFrame(
        {
            "scenario_id": ["base", "hot_day", "cloudy"],
            "price_factor": [1.0, 1.5, 0.8],
            "load_factor": [1.0, 1.3, 1.0],
            "pv_factor": [1.0, 1.0, 0.3],
            "cost": [18.1125, 41.2, 22.9],
            "curtailed_mwh": [0.05, 0.05, 0.0],
            "undelivered_mwh": [0.0, 0.0, 0.0],
            "lp_slack": [0.0, 0.004, 0.0],
            "ac_voltage_violations": np.array([0, 2, 0], dtype=np.int64),
            "ac_thermal_violations": np.array([0, 0, 0], dtype=np.int64),
            "worst_v_violation_pu": [0.0, 0.003, 0.0],
            "worst_loading_pct": [14.2, 19.8, 15.1],
            "worst_vm_min_pu": [0.975, 0.947, 0.971],
            "ac_converged_periods": np.array([3, 3, 3], dtype=np.int64),
        }
    )
    stress_summary = pd.DataFrame(
        {
            "metric": ["cost", "curtailed_mwh", "worst_v_violation_pu"],
            "scenarios": np.array([3, 3, 3], dtype=np.int64),
            "mean": [27.4042, 0.0333, 0.001],
            "min": [18.1125, 0.0, 0.0],
            "p05": [18.59, 0.005, 0.0],
            "p50": [22.9, 0.05, 0.0],
            "p95": [39.37, 0.05, 0.0027],
            "max": [41.2, 0.05, 0.003],
        }
    )
    return {
        "schedule": schedule,
        "schedule_network": network,
        "schedule_summary": summary,
        "derms_stress_scenarios": scenarios,
        "derms_stress_summary": stress_summary,
    }


def _flisr_tables() -> dict[str, pd.DataFrame]:
    """FLISR of the scripted outages (b1, then b2 twice) and the analytical indices of the
    5-node feeder (65 customers, 0.65 MW; n5 is fed through the tie d2 after a fault on b2)."""
    runs = pd.DataFrame(
        {
            "scenario_id": ["s1", "s1", "s2"],
            "fault_element": ["b1", "b2", "b2"],
            "element_type": ["branch", "branch", "branch"],
            "failure_rate_per_yr": [0.1, 0.14, 0.14],
            "repair_time_h": [2.0, 3.0, 4.0],
            "tripped_device": ["d1", "d1", "d1"],
            "opened_devices": ["d1", "d1", "d1"],
            "closed_ties": ["", "d2", "d2"],
            "customers_interrupted": np.array([65, 65, 65], dtype=np.int64),
            "customers_momentary": np.array([0, 0, 0], dtype=np.int64),
            "customers_restored_by_switching": np.array([0, 30, 30], dtype=np.int64),
            "customers_transferred": np.array([0, 30, 30], dtype=np.int64),
            "customers_awaiting_repair": np.array([65, 35, 35], dtype=np.int64),
            "customers_blocked_by_limits": np.array([0, 0, 5], dtype=np.int64),
            "restoration_time_h": [np.nan, 1.0, 1.0],
            "unserved_mwh": [1.3, 1.35, 1.7],
            "transfer_status": ["not_needed", "full", "partial"],
            "milp_status": ["not_needed", "optimal", "optimal"],
            "ac_check_ok": [True, True, True],
            "ac_v_min_pu": [1.0, 0.97, 0.968],
            "ac_max_loading_pct": [np.nan, 18.5, 19.1],
            "ac_rounds": np.array([0, 0, 1], dtype=np.int64),
        }
    )
    load_points = pd.DataFrame(
        {
            "node_id": ["n2", "n3", "n4", "n5"],
            "customers": np.array([10, 20, 5, 30], dtype=np.int64),
            "load_mw": [0.1, 0.2, 0.05, 0.3],
            "lambda_per_yr": [0.29, 0.29, 0.29, 0.29],
            "r_h": [3.1724, 3.1724, 3.1724, 2.0345],
            "u_h_per_yr": [0.92, 0.92, 0.92, 0.59],
            "ens_mwh_per_yr": [0.092, 0.184, 0.046, 0.177],
        }
    )
    indices = pd.DataFrame(
        {
            "method": ["analytical"],
            "customers": np.array([65], dtype=np.int64),
            "SAIFI": [0.29],
            "SAIDI": [0.76769],
            "CAIDI": [2.6472],
            "ASAI": [0.99991236],
            "ENS": [0.499],
            "AENS": [0.0076769],
        }
    )
    return {
        "flisr_runs": runs,
        "load_point_indices": load_points,
        "reliability_indices": indices,
    }


def _outage_mc_tables() -> dict[str, pd.DataFrame]:
    """Three simulated years of the 5-node feeder: two failures, one, none."""
    samples = pd.DataFrame(
        {
            "year": np.array([1, 1, 2], dtype=np.int64),
            "event": np.array([1, 2, 1], dtype=np.int64),
            "element_id": ["b1", "b2", "n3"],
            "element_type": ["branch", "branch", "node"],
            "start_h": [1234.5, 5010.25, 300.0],
            "repair_h": [3.2, 5.0, 1.5],
            "duration_h": [3.2, 5.0, 1.5],
            "customers_interrupted": np.array([65, 65, 65], dtype=np.int64),
            "customers_restored_by_switching": np.array([0, 30, 0], dtype=np.int64),
            "customer_hours": [208.0, 205.0, 97.5],
            "unserved_mwh": [2.08, 2.05, 0.975],
        }
    )
    years = pd.DataFrame(
        {
            "year": np.array([1, 2, 3], dtype=np.int64),
            "failures": np.array([2, 1, 0], dtype=np.int64),
            "customers_interrupted": np.array([130, 65, 0], dtype=np.int64),
            "customer_hours": [413.0, 97.5, 0.0],
            "saifi": [2.0, 1.0, 0.0],
            "saidi": [6.353846, 1.5, 0.0],
            "caidi": [3.176923, 1.5, np.nan],
            "asai": [0.99927468, 0.99982877, 1.0],
            "ens_mwh": [4.13, 0.975, 0.0],
            "aens_mwh_per_customer": [0.063538, 0.015, 0.0],
        }
    )
    stats = pd.DataFrame(
        {
            "index": ["SAIFI", "SAIDI", "CAIDI", "ASAI", "ENS", "AENS"],
            "unit": [
                "interruptions/(customer yr)",
                "h/(customer yr)",
                "h/interruption",
                "-",
                "MWh/yr",
                "MWh/(customer yr)",
            ],
            "years": np.array([3, 3, 2, 3, 3, 3], dtype=np.int64),
            "mean": [1.0, 2.61795, 2.33846, 0.999701, 1.70167, 0.0261795],
            "std": [1.0, 3.32117, 1.18576, 0.000379129, 2.15876, 0.0332117],
            "sem": [0.57735, 1.91748, 0.838462, 0.00021889, 1.24636, 0.0191748],
            "p5": [0.1, 0.15, 1.58385, 0.99933, 0.0975, 0.0015],
            "p50": [1.0, 1.5, 2.33846, 0.999829, 0.975, 0.015],
            "p95": [1.9, 5.86846, 3.09308, 0.999983, 3.8145, 0.0586846],
            "analytic": [0.29, 0.76769, 2.6472, 0.99991236, 0.499, 0.0076769],
        }
    )
    return {"outage_samples": samples, "outage_years": years, "outage_stats": stats}


NETWORK_TABLE_NAMES = (
    "dist_nodes",
    "dist_branches",
    "dist_caps",
    "dist_switches",
    "der_assets",
    "der_cost_curves",
    "reliability",
    "switching_devices",
    "outage_scenarios",
)


def build_network(only: tuple[str, ...] | None = None, **replace: pd.DataFrame) -> Network:
    """The valid test network, with tables replaced by keyword.

    ``only`` keeps just the named tables (the fuzz tests use the two required ones to stay fast).
    """
    tables = build_tables()
    chosen = {name: tables[name] for name in (only or NETWORK_TABLE_NAMES)}
    chosen.update(replace)
    return Network(name="t5", base_mva=10.0, tables=chosen, source={"file": "t5.m"})


@pytest.fixture(scope="session")
def make_tables() -> Callable[[], dict[str, pd.DataFrame]]:
    """Factory of fresh valid tables."""
    return build_tables


@pytest.fixture(scope="session")
def make_network() -> Callable[..., Network]:
    """Factory of fresh valid networks (``make_network(dist_nodes=df)`` replaces a table)."""
    return build_network


def _se_tables() -> dict[str, pd.DataFrame]:
    """A measurements table and the state-estimation outputs (every column present)."""
    meas = pd.DataFrame(
        {
            "measurement_id": ["v1", "p1", "f1"],
            "kind": ["v_mag", "p_inj", "p_flow"],
            "element_id": ["n1", "n2", "b1"],
            "side": ["from", "from", "to"],
            "phase": ["ABC", "ABC", "ABC"],
            "value": [1.01, -0.4, 0.39],
            "sigma": [0.005, 0.02, 0.004],
            "pseudo": [False, True, False],
            "snapshot": ["0", "0", "0"],
        }
    )
    snap = ["0", "0"]
    nodes = pd.DataFrame(
        {
            "snapshot": snap,
            "node_id": ["n1", "n2"],
            "phase": ["ABC", "ABC"],
            "vm_pu": [1.01, 0.99],
            "va_deg": [0.0, -0.4],
            "vm_std_pu": [0.002, 0.003],
            "va_std_deg": [0.0, 0.01],
            "p_mw": [0.41, -0.4],
            "q_mvar": [0.2, -0.19],
        }
    )
    branches = pd.DataFrame(
        {
            "snapshot": ["0"],
            "branch_id": ["b1"],
            "phase": ["ABC"],
            "p_from_mw": [0.41],
            "q_from_mvar": [0.2],
            "p_to_mw": [-0.4],
            "q_to_mvar": [-0.19],
            "i_from_a": [np.nan],
        }
    )
    used = meas.drop(columns="snapshot").assign(
        snapshot="0",
        merged=np.array([1, 1, 2], dtype=np.int64),
        estimate=[1.009, -0.41, 0.4],
        residual=[0.001, 0.01, -0.01],
        normalised_residual=[0.3, np.nan, 2.5],
        critical=[False, True, False],
        removed=[False, False, False],
        removal_round=np.zeros(3, dtype=np.int64),
    )
    summary = pd.DataFrame(
        {
            "snapshot": ["0"],
            "model": ["balanced"],
            "converged": [True],
            "iterations": np.array([3], dtype=np.int64),
            "objective_j": [6.4],
            "chi2_dof": np.array([1], dtype=np.int64),
            "chi2_threshold": [3.84],
            "chi2_passed": [False],
            "n_measurements": np.array([3], dtype=np.int64),
            "n_pseudo": np.array([1], dtype=np.int64),
            "n_states": np.array([3], dtype=np.int64),
            "n_zero_injection": np.array([0], dtype=np.int64),
            "n_critical": np.array([1], dtype=np.int64),
            "n_duplicates_merged": np.array([1], dtype=np.int64),
            "n_removed": np.array([0], dtype=np.int64),
            "removed_ids": [""],
            "max_normalised_residual": [2.5],
            "observable": [True],
        }
    )
    return {
        "measurements": meas,
        "se_nodes": nodes,
        "se_branches": branches,
        "se_measurements": used,
        "se_summary": summary,
    }


def _qsts_tables() -> dict[str, pd.DataFrame]:
    """Quasi-static time-series outputs: two steps, the meter, one regulator that moved."""
    steps = pd.DataFrame(
        {
            "step": np.array([0, 1], dtype=np.int64),
            "time_h": [1.0, 2.0],
            "converged": [True, False],
            "controls_settled": [True, True],
            "control_rounds": np.array([1, 2], dtype=np.int64),
            "head_p_mw": [1.2, np.nan],
            "head_q_mvar": [0.3, np.nan],
            "losses_mw": [0.02, np.nan],
            "load_p_mw": [1.19, 1.5],
            "der_p_mw": [0.0, 0.1],
            **{f"v_{e}_{p}_pu": [1.0, np.nan] for e in ("min", "max") for p in "abc"},
            "n_under": np.array([0, 0], dtype=np.int64),
            "n_over": np.array([1, 0], dtype=np.int64),
        }
    )
    meters = pd.DataFrame(
        {
            "meter": ["feeder"],
            "steps": np.array([2], dtype=np.int64),
            "step_h": [1.0],
            "steps_not_converged": np.array([1], dtype=np.int64),
            "energy_mwh": [1.2],
            "reverse_energy_mwh": [0.0],
            "losses_mwh": [0.02],
            "losses_pct": [1.67],
            "load_mwh": [1.19],
            "der_mwh": [0.0],
            "peak_demand_mw": [1.2],
            "peak_step": np.array([0], dtype=np.int64),
            "hours_under": [0.0],
            "hours_over": [1.0],
            "node_hours_under": [0.0],
            "node_hours_over": [1.0],
            "v_min_pu": [1.0],
            "v_max_pu": [1.0],
            "tap_operations": np.array([1], dtype=np.int64),
            "tap_steps": np.array([2], dtype=np.int64),
            "cap_operations": np.array([0], dtype=np.int64),
        }
    )
    controls = pd.DataFrame(
        {
            "device_id": ["reg1", "reg1"],
            "device_kind": ["regulator", "regulator"],
            "step": np.array([0, 1], dtype=np.int64),
            "state": np.array([3, 5], dtype=np.int64),
            "changed": [False, True],
            "operations": np.array([0, 1], dtype=np.int64),
        }
    )
    voltages = pd.DataFrame(
        {
            "step": np.array([0, 0], dtype=np.int64),
            "node_id": ["n1", "n2"],
            "phase": ["A", "A"],
            "vm_pu": [1.0, 0.98],
        }
    )
    ts_hc = pd.DataFrame(
        {
            "bus_id": ["n2", "n3"],
            "phase": ["ABC", "ABC"],
            "hosting_capacity_mw": [1.5, 10.0],
            "limiting_constraint": ["voltage", "search_cap"],
            "limiting_step": np.array([12, -1], dtype=np.int64),
            "vm_max_pu_at_hc": [1.05, 1.02],
            "limiting_element": ["n2.A", None],
            "limiting_limit": ["v_max", None],
            "limiting_value": [1.0512, np.nan],
        }
    )
    return {
        "qsts_steps": steps,
        "qsts_meters": meters,
        "qsts_controls": controls,
        "qsts_voltages": voltages,
        "hostcap_timeseries": ts_hc,
    }


def _vvo_tables() -> dict[str, pd.DataFrame]:
    """Volt/VAR plan outputs: one period, a regulator, a capacitor and a DER, both cases."""
    settings = pd.DataFrame(
        {
            "day_type": ["period"] * 3,
            "period": np.array([0, 0, 0], dtype=np.int64),
            "device_id": ["reg1", "cap1", "pv1"],
            "kind": ["regulator", "capacitor", "der"],
            "setting": [-2.0, 1.0, -0.05],
            "baseline": [3.0, 1.0, 0.0],
            "p_mw": [np.nan, np.nan, 0.4],
        }
    )
    periods = pd.DataFrame(
        {
            "day_type": ["period", "period"],
            "period": np.array([0, 0], dtype=np.int64),
            "case": ["optimised", "baseline"],
            "hour": [0.0, 0.0],
            "hours": [1.0, 1.0],
            "load_scale": [1.0, 1.0],
            "objective": [0.034, 0.045],
            "loss_mw": [0.034, 0.045],
            "head_p_mw": [1.78, 1.79],
            "head_q_mvar": [0.45, 1.5],
            "demand_mw": [1.82, 1.84],
            "vdev_pu": [0.018, 0.023],
            **{f"v_{e}_{p}_pu": [1.0, 1.01] for e in ("min", "max") for p in "abc"},
            "violation_pu": [0.0, 0.019],
            "ac_converged": [True, True],
            "ac_ok": [True, False],
        }
    )
    summary = pd.DataFrame(
        {
            "day_type": ["period", "period"],
            "case": ["optimised", "baseline"],
            "objective_terms": ["loss=1", "loss=1"],
            "objective": [0.034, 0.045],
            "energy_mwh": [1.78, 1.79],
            "peak_mw": [1.78, 1.79],
            "loss_mwh": [0.034, 0.045],
            "v_min_pu": [0.999, 0.995],
            "v_max_pu": [1.05, 1.069],
            "hours_outside": [0.0, 1.0],
            "tap_ops": np.array([0, 0], dtype=np.int64),
            "cap_ops": np.array([0, 0], dtype=np.int64),
            "periods": np.array([1, 1], dtype=np.int64),
            "periods_ac_ok": np.array([1, 0], dtype=np.int64),
            "status": ["optimal", "baseline"],
            "rounds": np.array([3, 0], dtype=np.int64),
            "message": ["converged", None],
        }
    )
    return {"vvo_settings": settings, "vvo_periods": periods, "vvo_summary": summary}


def _reconfig_tables() -> dict[str, pd.DataFrame]:
    """Reconfiguration outputs: a tie closed and a branch opened, one scenario."""
    switches = pd.DataFrame(
        {
            "scenario_id": ["all", "all"],
            "branch_id": ["b1", "b2"],
            "from_node": ["n1", "n2"],
            "to_node": ["n2", "n3"],
            "status_before": ["closed", "open"],
            "status_after": ["open", "closed"],
            "operated": [True, True],
        }
    )
    summary = pd.DataFrame(
        {
            "scenario_id": ["base"],
            "load_scale": [1.0],
            "weight": [1.0],
            "objective": ["loss"],
            "method": ["milp"],
            "loss_before_ac_mw": [0.2027],
            "loss_after_ac_mw": [0.1396],
            "loss_before_relaxed_mw": [0.1764],
            "loss_after_relaxed_mw": [0.1274],
            "loss_gap_mw": [0.0122],
            "v_min_before_pu": [0.913],
            "v_min_after_pu": [0.938],
            "loading_max_before_pct": [np.nan],
            "loading_max_after_pct": [np.nan],
            "limits_ok_after": [True],
            "switch_ops": np.array([2], dtype=np.int64),
            "milp_status": ["optimal"],
            "milp_gap": [0.0],
            "milp_solves": np.array([1], dtype=np.int64),
            "pool_rank": np.array([1], dtype=np.int64),
            "configurations_evaluated": np.array([54], dtype=np.int64),
            "ac_batches": np.array([1], dtype=np.int64),
            "solve_time_s": [1.7],
        }
    )
    return {"reconfig_switches": switches, "reconfig_summary": summary}
