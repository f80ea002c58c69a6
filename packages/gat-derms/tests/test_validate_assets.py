"""validate_assets: each rule fires on the right assets; shipped data is valid; never raises."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gat_derms import validate_assets
from gat_dist.table_files import read_table_file
from gat_schemas import Network, read_network

REPO = Path(__file__).resolve().parents[3]
ASSETS = REPO / "test_data" / "assets" / "case33bw_der.csv"
CURVES = REPO / "test_data" / "assets" / "case33bw_cost_curves.csv"
CASE33 = REPO / "test_data" / "networks" / "case33bw"


@pytest.fixture(scope="module")
def net() -> Network:
    return read_network(CASE33)


@pytest.fixture()
def assets() -> pd.DataFrame:
    return read_table_file(ASSETS, "der_assets", validate=False)


def _set(df: pd.DataFrame, which: str, /, **values: object) -> pd.DataFrame:
    """A copy of ``df`` with ``values`` set on the asset ``which``."""
    out = df.copy()
    row = out.index[out["asset_id"] == which][0]
    for col, val in values.items():
        out.loc[row, col] = val
    return out


_SCHEMA_CHECKS = {
    "must be in [0, 1]": "range",
    "must be in (0, 1]": "range",
    "must be >= 0": "ge0",
}


def _fired(found: list, column: str) -> dict[str, tuple[str, ...]]:
    """Check name -> row ids of the violations of ``column`` (schema ranges shortened)."""
    return {_SCHEMA_CHECKS.get(v.check, v.check): v.row_ids for v in found if v.column == column}


def test_shipped_assets_are_valid(assets: pd.DataFrame, net: Network) -> None:
    curves = read_table_file(CURVES, "der_cost_curves")
    assert validate_assets(assets) == []
    assert validate_assets(assets, network=net) == []
    assert validate_assets(assets, network=net, cost_curves=curves) == []


@pytest.mark.parametrize(
    ("asset", "values", "column", "check"),
    [
        ("pv18", {"p_min": 1.25}, "p_min", "p_min<=p_max"),
        ("bat25", {"q_min": 0.35}, "q_min", "q_min<=q_max"),
        ("bat25", {"soc_min": 0.95}, "soc_min", "soc_min<=soc_max"),
        ("bat25", {"soc_max": 1.2}, "soc_max", "range"),
        ("bat25", {"soc_min": -0.1}, "soc_min", "range"),
        ("bat25", {"energy_cap": 0.0}, "energy_cap", "storage_energy"),
        ("bat25", {"energy_cap": np.nan}, "energy_cap", "storage_energy"),
        ("pv33", {"efficiency": 0.0}, "efficiency", "range"),
        ("pv33", {"efficiency": 1.05}, "efficiency", "range"),
        ("bat25", {"ramp_up": -0.1}, "ramp_up", "ge0"),
        ("bat25", {"ramp_down": -1.0}, "ramp_down", "ge0"),
        ("pv18", {"s_max": 1.1}, "s_max", "s_max>=|p|"),
        ("bat25", {"p_min": -0.45, "s_max": 0.42}, "s_max", "s_max>=|p|"),
        ("pv33", {"q_min": -2.2}, "s_max", "s_max>=|q|"),
        ("pv33", {"asset_id": "pv18"}, "asset_id", "unique"),
    ],
)
def test_each_rule_names_the_asset(
    assets: pd.DataFrame, asset: str, values: dict, column: str, check: str
) -> None:
    bad = _set(assets, asset, **values)
    found = validate_assets(bad)
    fired = _fired(found, column)
    assert check in fired, found
    expected = ("pv18",) if check == "unique" else (asset,)
    assert fired[check] == expected
    assert all(v.table == "der_assets" for v in found)


def test_s_max_rule_is_on_the_axes_not_the_corners(assets: pd.DataFrame) -> None:
    # bat25: |p| <= 0.4, |q| <= 0.3; s_max = 0.4 reaches both axes but not the corner 0.5.
    assert validate_assets(_set(assets, "bat25", s_max=0.4)) == []
    found = validate_assets(_set(assets, "bat25", s_max=0.399))
    assert [(v.check, v.row_ids) for v in found] == [("s_max>=|p|", ("bat25",))]
    # NaN s_max = no circle limit, nothing to cover.
    assert validate_assets(_set(assets, "pv18", s_max=np.nan)) == []


def test_bus_and_phase_need_the_network(assets: pd.DataFrame, net: Network) -> None:
    bad = _set(assets, "pv33", bus_id="999")
    assert validate_assets(bad) == []  # without a network the bus cannot be checked
    fired = _fired(validate_assets(bad, network=net), "bus_id")
    assert fired == {"foreign_key": ("pv33",)}

    nodes = net.nodes.copy()
    nodes.loc[nodes["node_id"] == "25", "phase"] = "AB"
    nodes.loc[nodes["node_id"] == "18", "phase"] = "A"
    tables = dict(net.tables) | {"dist_nodes": nodes}
    narrow = Network(net.name, net.base_mva, tables)
    found = validate_assets(_set(assets, "pv18", phase="A"), network=narrow)
    assert _fired(found, "phase") == {"phase_subset": ("bat25",)}  # ABC is not within AB
    found = validate_assets(_set(assets, "pv18", phase="B"), network=narrow)
    assert sorted(v.row_ids for v in found) == [("bat25",), ("pv18",)]


def test_cost_curve_ids_from_file_or_network(assets: pd.DataFrame, net: Network) -> None:
    curves = read_table_file(CURVES, "der_cost_curves")
    bad = _set(assets, "bat25", cost_curve_id="no_such_curve")
    assert validate_assets(bad, network=net) == []  # no cost-curve table: not checked
    fired = _fired(validate_assets(bad, cost_curves=curves), "cost_curve_id")
    assert fired == {"foreign_key": ("bat25",)}
    with_curves = Network(net.name, net.base_mva, dict(net.tables) | {"der_cost_curves": curves})
    fired = _fired(validate_assets(bad, network=with_curves), "cost_curve_id")
    assert fired == {"foreign_key": ("bat25",)}
    # A given table wins over the network's.
    only_pv = curves[curves["cost_curve_id"] == "pv_zero"]
    found = validate_assets(assets, network=with_curves, cost_curves=only_pv)
    assert _fired(found, "cost_curve_id") == {"foreign_key": ("bat25",)}


def test_every_violation_at_once(assets: pd.DataFrame, net: Network) -> None:
    bad = _set(assets, "pv18", p_min=2.0, bus_id="77")
    bad = _set(bad, "bat25", efficiency=1.5, energy_cap=0.0, ramp_up=-1.0)
    bad = _set(bad, "pv33", q_min=0.5, s_max=0.1)
    found = validate_assets(bad, network=net)
    got = {(v.column, _SCHEMA_CHECKS.get(v.check, v.check), v.row_ids) for v in found}
    assert got >= {
        ("p_min", "p_min<=p_max", ("pv18",)),
        ("bus_id", "foreign_key", ("pv18",)),
        ("efficiency", "range", ("bat25",)),
        ("energy_cap", "storage_energy", ("bat25",)),
        ("ramp_up", "ge0", ("bat25",)),
        ("q_min", "q_min<=q_max", ("pv33",)),
    }
    assert {"pv18", "pv33"} <= {r for v in found if v.column == "s_max" for r in v.row_ids}


def test_missing_column_and_wrong_type(assets: pd.DataFrame) -> None:
    found = validate_assets(assets.drop(columns=["efficiency"]))
    assert [(v.column, v.check) for v in found] == [("efficiency", "required")]
    found = validate_assets(assets.assign(p_max=["a", "b", "c"]))
    assert ("p_max", "dtype") in {(v.column, v.check) for v in found}
    assert validate_assets("not a frame")[0].check == "type"  # type: ignore[arg-type]


_BAD = {
    "p_min": st.floats(min_value=5.0, max_value=1e6),  # above every p_max
    "q_max": st.floats(min_value=-1e6, max_value=-5.0),  # below every q_min
    "efficiency": st.one_of(st.floats(max_value=0.0), st.floats(min_value=1.0001)),
    "soc_max": st.one_of(st.floats(min_value=1.0001), st.floats(max_value=-1e-6)),
    "ramp_up": st.floats(max_value=-1e-9),
    "s_max": st.floats(min_value=1e-6, max_value=0.29),  # below every |bound| pair
    "phase": st.text(max_size=4).filter(
        lambda s: s not in ("A", "B", "C", "AB", "BC", "CA", "ABC")
    ),
    "asset_type": st.text(max_size=6).filter(lambda s: s not in ("pv", "battery", "ev")),
    "bus_id": st.text(min_size=1, max_size=5).filter(
        lambda s: s not in {str(i) for i in range(1, 34)}
    ),
    "p_max": st.sampled_from([np.inf, -np.inf, np.nan]),
}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    row=st.sampled_from(["pv18", "bat25", "pv33"]),
    column=st.sampled_from(sorted(_BAD)),
    data=st.data(),
    noise=st.lists(
        st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.none(), st.text(max_size=3)),
        min_size=3,
        max_size=3,
    ),
)
def test_random_bad_values_give_violations_not_exceptions(
    assets: pd.DataFrame, net: Network, row: str, column: str, data: st.DataObject, noise: list
) -> None:
    value = data.draw(_BAD[column])
    if column == "soc_max" and row != "bat25":
        row = "bat25"  # soc columns are NaN for PV (not storage)
    bad = _set(assets, row, **{column: value})
    found = validate_assets(bad, network=net)
    assert found, (row, column, value)
    assert row in {r for v in found for r in v.row_ids} or any(
        v.column == column and not v.row_ids for v in found
    )
    # Arbitrary junk in any column never raises either.
    junk = bad.copy()
    junk["priority"] = pd.Series(noise, dtype=object)
    assert isinstance(validate_assets(junk), list)
