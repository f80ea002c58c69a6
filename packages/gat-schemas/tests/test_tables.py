"""Each schema accepts a valid table and rejects every kind of bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gat_schemas import TABLES, apply_defaults, conform_table, get_table, validate_table
from gat_schemas.errors import InputError
from gat_schemas.validation import Violation

ALL = sorted(TABLES)


def _label(name: str, df: pd.DataFrame, pos: int) -> str:
    ids = [c for c in TABLES[name].id_columns if c in df.columns]
    if not ids:
        return f"#{pos}"
    return ":".join(str(df[c].iloc[pos]) for c in ids)


def _checks(found: list[Violation], column: str) -> set[str]:
    return {v.check for v in found if v.column == column}


@pytest.mark.parametrize("name", ALL)
def test_valid_table_passes_and_extra_columns_are_allowed(make_tables, name):
    df = make_tables()[name].assign(my_note="kept")
    assert validate_table(name, df) == []


def test_registry_is_explicit_and_complete():
    expected = {
        "dist_nodes",
        "dist_branches",
        "dist_caps",
        "dist_switches",
        "der_assets",
        "reliability",
        "switching_devices",
        "outage_scenarios",
        "pf_nodes",
        "pf_branches",
        "pf_summary",
        "pf_scenarios",
        "measurements",
        "se_nodes",
        "se_branches",
        "se_measurements",
        "se_summary",
        "hostcap_summary",
        "hostcap_curves",
        "hostcap_held",
        "der_cost_curves",
        "opf_nodes",
        "opf_branches",
        "opf_der",
        "opf_summary",
        "dist_linecodes",
        "dist_transformers",
        "dist_regulators",
        "dist_loads",
        "dist_cap_controls",
        "load_shapes",
        "pf3_nodes",
        "pf3_branches",
        "pf3_regulators",
        "pf3_summary",
        "der_envelopes",
        "der_envelope_summary",
        "der_envelope_setpoints",
        "price_series",
        "load_series",
        "pv_series",
        "derms_stress_spec",
        "schedule",
        "schedule_network",
        "schedule_summary",
        "derms_stress_scenarios",
        "derms_stress_summary",
        "flisr_runs",
        "load_point_indices",
        "reliability_indices",
        "outage_samples",
        "outage_years",
        "outage_stats",
        "vvo_settings",
        "vvo_periods",
        "vvo_summary",
        "reconfig_switches",
        "reconfig_summary",
        "qsts_steps",
        "qsts_meters",
        "qsts_controls",
        "qsts_voltages",
        "hostcap_timeseries",
    }
    assert set(TABLES) == expected
    with pytest.raises(InputError, match="unknown table 'nope'"):
        get_table("nope")


@pytest.mark.parametrize("name", ALL)
def test_every_column_documents_unit_and_meaning(name):
    for info in TABLES[name].columns():
        assert info.description.strip(), (name, info.name)
        assert info.unit, (name, info.name)
        col = TABLES[name].schema.columns[info.name]
        assert set(col.metadata) >= {"unit", "foreign_key"}


@pytest.mark.parametrize(
    ("name", "column"),
    [(n, c) for n in ALL for c in TABLES[n].required_columns],
)
def test_missing_required_column_is_reported(make_tables, name, column):
    df = make_tables()[name].drop(columns=column)
    found = validate_table(name, df)
    assert any(v.column == column and v.check == "required" for v in found), found
    assert str(found[0])


def _columns_of(dtype: str) -> list[tuple[str, str]]:
    return [(n, i.name) for n in ALL for i in TABLES[n].columns() if i.dtype == dtype]


@pytest.mark.parametrize(("name", "column"), _columns_of("float64"))
def test_text_in_float_column_is_a_dtype_violation(make_tables, name, column):
    df, _ = apply_defaults(name, make_tables()[name])
    df[column] = df[column].astype(object)
    df.loc[0, column] = "oops"
    found = validate_table(name, df)
    assert _checks(found, column) == {"dtype"}, found
    hit = next(v for v in found if v.column == column)
    assert _label(name, df, 0) in hit.row_ids


@pytest.mark.parametrize(("name", "column"), _columns_of("str"))
def test_number_in_string_column_is_a_dtype_violation(make_tables, name, column):
    df, _ = apply_defaults(name, make_tables()[name])
    df[column] = df[column].astype(object)
    df.loc[len(df) - 1, column] = 7
    found = validate_table(name, df)
    assert "dtype" in _checks(found, column), found


@pytest.mark.parametrize(
    ("name", "column"),
    [
        (n, i.name)
        for n in ALL
        for i in TABLES[n].columns()
        if not i.nullable and i.dtype in ("float64", "str")
    ],
)
def test_nan_where_not_nullable_is_reported_with_row_id(make_tables, name, column):
    df, _ = apply_defaults(name, make_tables()[name])
    last = len(df) - 1
    if TABLES[name].schema.columns[column].metadata["dtype"] == "float64":
        df.loc[last, column] = np.nan
    else:
        df[column] = df[column].astype(object)
        df.loc[last, column] = None
    found = validate_table(name, df)
    hits = [v for v in found if v.column == column and v.check == "not_nullable"]
    assert hits, found
    if column not in TABLES[name].id_columns:
        assert _label(name, df, last) in hits[0].row_ids


BAD_VALUES = [
    ("dist_nodes", "phase", "D"),
    ("dist_nodes", "type", "generator"),
    ("dist_nodes", "v_min", -0.1),
    ("dist_nodes", "base_kv", 0.0),
    ("dist_nodes", "customers", -1),
    ("dist_nodes", "load_p", np.inf),
    ("dist_nodes", "load_z_frac", 1.5),
    ("dist_branches", "status", "broken"),
    ("dist_branches", "r", -0.01),
    ("dist_branches", "tap", 0.0),
    ("dist_branches", "thermal_limit", 0.0),
    ("dist_branches", "branch_type", "cable"),
    ("dist_caps", "q_mvar", -1.0),
    ("dist_switches", "switch_type", "valve"),
    ("der_assets", "asset_type", "nuclear"),
    ("der_assets", "efficiency", 0.0),
    ("der_assets", "efficiency", 1.2),
    ("der_assets", "soc_max", 1.5),
    ("der_assets", "ramp_up", -1.0),
    ("reliability", "element_type", "tree"),
    ("reliability", "repair_time_h", 0.0),
    ("switching_devices", "device_type", "valve"),
    ("switching_devices", "normal_state", "ajar"),
    ("outage_scenarios", "duration_h", -2.0),
    ("pf_nodes", "vm_pu", -1.0),
    ("pf_summary", "iterations", -1),
    ("dist_branches", "phases", "AA"),
    ("dist_linecodes", "n_phases", 4),
    ("dist_transformers", "conn_from", "zigzag"),
    ("dist_transformers", "phases", "ABCD"),
    ("dist_regulators", "phase", "AD"),
    ("dist_regulators", "mode", "manual"),
    ("dist_loads", "model", "zip"),
    ("dist_loads", "connection", "star"),
    ("pf3_nodes", "phase", "N"),
    ("price_series", "price", np.inf),
    ("load_series", "scale", -0.5),
    ("pv_series", "p_avail", -0.1),
    ("derms_stress_spec", "load_factor", -1.0),
    ("schedule", "curtailed_mw", -0.1),
    ("schedule_summary", "objective", "profit"),
    ("schedule_summary", "lp_slack", -0.01),
    ("derms_stress_scenarios", "ac_voltage_violations", -1),
    ("derms_stress_summary", "metric", "revenue"),
    ("flisr_runs", "element_type", "tree"),
    ("flisr_runs", "transfer_status", "some"),
    ("flisr_runs", "milp_status", "done"),
    ("flisr_runs", "unserved_mwh", -1.0),
    ("load_point_indices", "lambda_per_yr", -0.1),
    ("reliability_indices", "SAIDI", -1.0),
    ("outage_samples", "year", 0),
    ("outage_samples", "start_h", 8760.0),
    ("outage_samples", "element_type", "tree"),
    ("outage_years", "caidi", -1.0),
    ("outage_stats", "index", "MAIFI"),
    ("outage_stats", "mean", np.inf),
]


@pytest.mark.parametrize(("name", "column", "value"), BAD_VALUES)
def test_out_of_range_and_unknown_enum_values_are_reported(make_tables, name, column, value):
    df, _ = apply_defaults(name, make_tables()[name])
    if isinstance(value, int) and df[column].dtype == np.float64:
        value = float(value)
    df.loc[0, column] = value
    found = validate_table(name, df)
    hits = [v for v in found if v.column == column]
    assert hits, found
    assert _label(name, df, 0) in hits[0].row_ids
    assert "must" in hits[0].message


#: Tables whose fixture rows have no id to duplicate, by design.
NO_ROW_ID = {
    "pf_summary": "keyed by the optional scenario_id only; a single run has one row, no id",
    "pf3_summary": "keyed by the optional scenario_id only; a single run has one row, no id",
    "schedule_summary": "one row per schedule, no id columns (unique_ids=False)",
}


@pytest.mark.parametrize("name", [n for n in ALL if n not in NO_ROW_ID])
def test_duplicate_ids_are_reported(make_tables, name):
    df = make_tables()[name]
    df = pd.concat([df, df.iloc[[0]]], ignore_index=True)
    found = validate_table(name, df)
    dup = [v for v in found if v.check == "unique"]
    assert len(dup) == 1
    assert dup[0].row_ids == (_label(name, df, 0),)


def test_duplicate_output_rows_per_scenario(make_tables):
    df = make_tables()["pf_nodes"]
    batch = pd.concat([df.assign(scenario_id="s1"), df.assign(scenario_id="s2")], ignore_index=True)
    assert validate_table("pf_nodes", batch) == []
    twice = pd.concat([batch, batch.iloc[[0]]], ignore_index=True)
    assert [v.row_ids for v in validate_table("pf_nodes", twice)] == [("s1:n1",)]


def test_integers_in_float_columns_are_widened(make_tables):
    df = make_tables()["dist_nodes"]
    df["load_p"] = np.array([0, 1, 2, 0, 3], dtype=np.int32)
    assert validate_table("dist_nodes", df) == []
    assert conform_table("dist_nodes", df)["load_p"].dtype == np.float64
    assert df["load_p"].dtype == np.int32  # input untouched


def test_apply_defaults_reports_what_it_filled(make_tables):
    df = make_tables()["dist_nodes"].drop(columns="customers")
    filled, applied = apply_defaults("dist_nodes", df)
    assert applied["customers"] == 0
    assert applied["v_set"] == 1.0
    assert applied["q_min"] is None
    assert "customers" not in df.columns
    assert filled["customers"].dtype == np.int64
    assert filled["q_min"].isna().all()
    assert validate_table("dist_nodes", filled) == []
    again, applied_again = apply_defaults("dist_nodes", filled)
    assert applied_again == {}
    pd.testing.assert_frame_equal(again, filled)


def test_row_rules_of_one_table(make_tables):
    t = make_tables()
    nodes = t["dist_nodes"]
    nodes.loc[1, "v_min"] = 1.05  # == v_max on a load node
    nodes.loc[0, "v_min"] = 1.0  # == v_max on the slack: allowed
    found = validate_table("dist_nodes", nodes)
    assert [(v.column, v.row_ids) for v in found] == [("v_min", ("n2",))]

    der = t["der_assets"]
    der.loc[1, "p_min"] = 0.5
    der.loc[1, "energy_cap"] = np.nan
    found = {v.check: v.row_ids for v in validate_table("der_assets", der)}
    assert found == {"p_min<=p_max": ("bat1",), "storage_energy": ("bat1",)}

    rel = t["reliability"]
    rel.loc[2, "failure_rate_per_yr"] = np.nan
    found = validate_table("reliability", rel)
    assert [(v.check, v.row_ids) for v in found] == [("failure_rate", ("n3",))]


def test_violation_string_is_one_plain_line():
    v = Violation("dist_branches", "to_node", ("b7", "b9"), "foreign_key", "refers to node '99'")
    assert str(v) == "dist_branches.to_node rows [b7, b9]: refers to node '99'"
    many = Violation("dist_nodes", "node_id", tuple(f"n{i}" for i in range(25)), "island", "x")
    assert "... 15 more" in str(many)
    assert "\n" not in str(many)
    assert str(Violation("dist_nodes", "", (), "required", "required table is missing")) == (
        "dist_nodes: required table is missing"
    )
