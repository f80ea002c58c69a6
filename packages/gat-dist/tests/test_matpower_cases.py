"""Every MATPOWER case shipped in test_data/matpower against hand-worked expected values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gat_dist import import_matpower, parse_matpower
from gat_schemas import read_network, validate_network, write_network

HERE = Path(__file__).resolve().parent
MATPOWER = HERE.parents[2] / "test_data" / "matpower"
CASES = pd.read_csv(
    HERE / "data" / "matpower_cases.csv", dtype={"open_branch_ids": str, "slack_bus": str}
)
BRANCHES = pd.read_csv(HERE / "data" / "matpower_branch_pu.csv")
ROWS = [row for _, row in CASES.iterrows()]
IDS = list(CASES["case"])


def test_every_shipped_case_has_expected_values() -> None:
    shipped = sorted(p.stem for p in MATPOWER.glob("*.m"))
    assert shipped == sorted(IDS)


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_parse_counts_and_base(row: pd.Series) -> None:
    case = parse_matpower(MATPOWER / f"{row['case']}.m")
    assert case.version == str(row["format_version"])
    assert case.base_mva == row["base_mva"]
    assert case.bus.shape[0] == row["buses"]
    assert case.branch.shape[0] == row["branches"]
    assert case.gen.shape[0] == row["gens"]
    assert len(case.conversions) == row["conversions"]
    assert not case.bus.flags.writeable


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_import_totals_ties_and_validity(row: pd.Series) -> None:
    net = import_matpower(MATPOWER / f"{row['case']}.m")
    nodes, branches = net.nodes, net.branches
    assert len(nodes) == row["buses"]
    assert len(branches) == row["branches"]
    assert nodes["load_p"].sum() == pytest.approx(row["load_p_mw"], rel=1e-9)
    assert nodes["load_q"].sum() == pytest.approx(row["load_q_mvar"], rel=1e-9)
    open_ids = sorted(branches.loc[branches["status"] == "open", "branch_id"], key=int)
    expected = [] if pd.isna(row["open_branch_ids"]) else row["open_branch_ids"].split()
    assert len(open_ids) == row["open_branches"]
    assert open_ids == expected
    slack = nodes[nodes["type"] == "slack"]
    assert list(slack["node_id"]) == str(row["slack_bus"]).split()  # several substations
    assert (slack["base_kv"] == row["base_kv"]).all()
    assert net.base_mva == row["base_mva"]
    assert net.source["format"] == "matpower"
    assert len(net.source["conversions"]) == row["conversions"]
    assert validate_network(net) == []


@pytest.mark.parametrize(
    "row",
    [r for _, r in BRANCHES.iterrows()],
    ids=[f"{c}-{b}" for c, b in zip(BRANCHES["case"], BRANCHES["branch_id"], strict=True)],
)
def test_branch_impedance_per_unit(row: pd.Series) -> None:
    # The table must agree with itself (file value / base impedance)...
    z_base = row["base_kv"] ** 2 / row["base_mva"] if row["file_unit"] == "ohm" else 1.0
    assert z_base == pytest.approx(row["z_base_ohm"], rel=1e-9)
    assert row["r_file"] / z_base == pytest.approx(row["r_pu"], rel=1e-8, abs=1e-15)
    # ...and the importer with the table.
    net = import_matpower(MATPOWER / f"{row['case']}.m")
    br = net.branches.set_index("branch_id").loc[str(row["branch_id"])]
    assert br["r"] == pytest.approx(row["r_pu"], rel=1e-8, abs=1e-15)
    assert br["x"] == pytest.approx(row["x_pu"], rel=1e-8, abs=1e-15)


def test_case33bw_as_in_issue_2() -> None:
    net = import_matpower(MATPOWER / "case33bw.m")
    nodes = net.nodes
    assert nodes["load_p"].sum() == pytest.approx(3.715)
    assert nodes["load_q"].sum() == pytest.approx(2.300)
    assert (nodes["base_kv"] == 12.66).all()
    # Branch 1: 0.0922 ohm on Z_base = 12.66^2 / 10 ohm.
    r1 = net.branches.set_index("branch_id").loc["1", "r"]
    assert r1 == pytest.approx(0.0922 / (12.66**2 / 10))
    conv = net.source["conversions"]
    assert "ohms to per unit" in conv[0] and "line 122" in conv[0]
    assert "divided by 1000" in conv[1]
    assert np.isnan(net.branches["thermal_limit"]).all()  # rateA = 0: unrated


def test_t_case9_pf_matches_matpower_solution_inputs() -> None:
    """The version-1 file parses to the same inputs MATPOWER stored with its solution."""
    case = parse_matpower(MATPOWER / "t_case9_pf.m")
    bus = pd.read_csv(MATPOWER / "t_case9_pf_solution_bus.csv")
    gen = pd.read_csv(MATPOWER / "t_case9_pf_solution_gen.csv")
    branch = pd.read_csv(MATPOWER / "t_case9_pf_solution_branch.csv")
    inputs = ["bus_i", "type", "Pd_MW", "Qd_MVAr", "Gs_MW", "Bs_MVAr", "area"]
    np.testing.assert_array_equal(case.bus[:, :7], bus[inputs].to_numpy())
    np.testing.assert_array_equal(
        case.bus[:, 9:13], bus[["baseKV_kV", "zone", "Vmax_pu", "Vmin_pu"]]
    )
    np.testing.assert_array_equal(case.gen[:, 0], gen["bus"])
    np.testing.assert_array_equal(case.gen[:, 3:10], gen.iloc[:, 3:10].to_numpy())
    np.testing.assert_array_equal(case.branch[:, :11], branch.iloc[:, :11].to_numpy())
    net = import_matpower(MATPOWER / "t_case9_pf.m")
    nodes = net.nodes.set_index("node_id")
    assert list(nodes.index) == ["1", "2", "30", "4", "5", "6", "7", "8", "9"]
    assert nodes.loc["30", "type"] == "source"
    assert nodes.loc["30", "gen_p"] == 85.0
    assert nodes.loc["30", "q_max"] == 300.0


def test_round_trip_through_network_folder(tmp_path: Path) -> None:
    net = import_matpower(MATPOWER / "case136ma.m")
    write_network(net, tmp_path / "net")
    back = read_network(tmp_path / "net")
    pd.testing.assert_frame_equal(
        back.branches[net.branches.columns].reset_index(drop=True), net.branches, check_dtype=False
    )
    assert back.source["sha256"] == net.source["sha256"]
    assert list(back.source["conversions"]) == list(net.source["conversions"])
