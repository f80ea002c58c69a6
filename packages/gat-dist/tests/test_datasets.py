"""Shipped datasets: every one exports to a valid network whose power flow converges and
reproduces the published results; the generators follow their documented rules."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gat_dist.datasets import (
    DerGeneratorOptions,
    ReliabilityOptions,
    build_dataset,
    customers_from_load,
    data_dir,
    describe_dataset,
    export_dataset,
    generate_der_assets,
    generate_reliability,
    generate_switching_devices,
    list_datasets,
    published_results,
)
from gat_schemas import Network, read_network, validate_network, validate_table
from gat_schemas.errors import InputError

NAMES = [info.name for info in list_datasets()]
BALANCED = [info.name for info in list_datasets() if not info.unbalanced]


@pytest.fixture(scope="module")
def built() -> dict[str, Network]:
    """Every dataset built once with the default seed."""
    return {name: build_dataset(name) for name in NAMES}


def _solve(net: Network) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """(pf_summary, pf3_nodes): three-phase solver for unbalanced feeders, else balanced."""
    if describe_dataset(net.name).unbalanced:
        from gat_pf import build_model_3ph, run_power_flow_3ph

        result = run_power_flow_3ph(build_model_3ph(net))
        return result.summary, result.nodes
    from gat_pf import PowerFlowOptions, run_power_flow

    return run_power_flow(net, options=PowerFlowOptions()).summary, None


def test_at_least_the_four_reference_feeders() -> None:
    assert {"case33bw", "case69", "ieee13", "ieee34"} <= set(NAMES)


def test_every_source_file_is_shipped_with_a_license() -> None:
    root = data_dir()
    assert (root / "README.md").is_file()
    for info in list_datasets():
        for rel in info.source_files:
            assert (root / rel).is_file(), rel
        folder = (root / info.source_files[0]).parent
        assert any("LICENSE" in p.name for p in folder.iterdir()), folder
    # Every shipped file has its origin in the README.
    readme = (root / "README.md").read_text(encoding="utf-8")
    for path in root.rglob("*"):
        if path.is_file() and path.name != "README.md":
            assert path.name in readme, path.name


@pytest.mark.parametrize("name", NAMES)
def test_export_reads_back_valid_with_the_registered_tables_and_counts(
    name: str, tmp_path: Path
) -> None:
    net = export_dataset(name, tmp_path / name)
    back = read_network(tmp_path / name)  # validates every table and cross-table rule
    info = describe_dataset(name)
    assert set(back.tables) == set(info.tables)
    assert len(back.nodes) == info.nodes and len(back.branches) == info.branches
    assert back.source["file"] == "gat_dist/datasets/data/" + info.source_files[0]
    assert back.source["dataset"]["seed"] == 0
    # No machine path: every recorded file is relative to the installed packages.
    text = (tmp_path / name / "network.json").read_text()
    assert str(data_dir()) not in text and str(Path.home()) not in text
    for entry in back.source.get("files", []):
        assert entry["path"].startswith("gat_dist/datasets/data/"), entry
    assert validate_network(net) == []


@pytest.mark.parametrize("name", NAMES)
def test_power_flow_converges(name: str, built: dict[str, Network]) -> None:
    summary, _ = _solve(built[name])
    assert bool(summary["converged"].iloc[0])
    # Power balance: generation = load + losses (MW).
    s = summary.iloc[0]
    assert abs(s["total_gen_mw"] - s["total_load_mw"] - s["p_loss_mw"]) < 1e-6


@pytest.mark.parametrize("name", BALANCED)
def test_balanced_feeder_solves_the_same_in_three_phase_mode(
    name: str, built: dict[str, Network]
) -> None:
    from gat_pf import build_model_3ph, run_power_flow_3ph

    balanced, _ = _solve(built[name])
    three = run_power_flow_3ph(build_model_3ph(built[name])).summary
    assert abs(three["p_loss_mw"].iloc[0] - balanced["p_loss_mw"].iloc[0]) < 1e-7
    assert abs(three["vm_min_pu"].iloc[0] - balanced["vm_min_pu"].iloc[0]) < 1e-7


@pytest.mark.parametrize("name", sorted({r.dataset for r in published_results()}))
def test_power_flow_reproduces_the_published_results(name: str, built: dict[str, Network]) -> None:
    summary, nodes = _solve(built[name])
    for row in published_results(name):
        if row.value.endswith(".csv"):
            assert nodes is not None
            pub = pd.read_csv(data_dir() / row.value, dtype={"node": str})
            both = pub.merge(nodes, left_on=["node", "phase"], right_on=["node_id", "phase"])
            assert len(both) == len(pub)
            want = both["vmag_pu" if row.quantity == "vm_pu" else "vang_deg"].to_numpy()
            err = both[row.quantity].to_numpy() - want
            if row.quantity == "va_deg":
                err = (err + 180.0) % 360.0 - 180.0
            assert np.abs(err).max() <= row.tolerance, (row.quantity, np.abs(err).max())
            continue
        got = summary.iloc[0][row.quantity]
        if row.unit == "-":
            assert str(got) == row.value, row
        else:
            assert abs(float(got) - float(row.value)) <= row.tolerance, (row, got)


def test_same_seed_same_bytes_other_seed_other_assets(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        export_dataset("case33bw", tmp_path / folder, seed=7)
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert "der_assets.parquet" in files
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    other = build_dataset("case33bw", seed=8).tables["der_assets"]
    same = read_network(tmp_path / "a").tables["der_assets"]
    assert not other.equals(same)


def test_unknown_name_is_one_line_listing_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        export_dataset("ieee999", tmp_path / "x")
    msg = str(err.value)
    assert "\n" not in msg and "ieee999" in msg
    assert all(name in msg for name in NAMES)
    assert not (tmp_path / "x").exists()


def test_export_refuses_a_non_empty_folder_without_overwrite(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="not empty"):
        export_dataset("case33bw", tmp_path / "x")
    assert (tmp_path / "x" / "keep.txt").read_text() == "mine"


# -- DER generator --------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_der_assets_follow_the_rules(name: str, built: dict[str, Network]) -> None:
    net = built[name]
    der = net.tables["der_assets"]
    assert validate_table("der_assets", der) == []
    nodes = net.nodes.set_index("node_id")
    load = nodes["load_p"]
    if net.table("dist_loads") is not None:
        per = net.tables["dist_loads"][["p_a_mw", "p_b_mw", "p_c_mw"]].sum(axis=1)
        load = load.add(per.groupby(net.tables["dist_loads"]["node_id"]).sum(), fill_value=0)
    hosts = der["bus_id"]
    assert (load.reindex(hosts).to_numpy() > 0).all()
    assert (nodes.loc[hosts, "type"] != "slack").all()
    for bus, phase in zip(hosts, der["phase"], strict=True):
        assert set(phase) <= set(nodes.loc[bus, "phase"])
    opts = DerGeneratorOptions()
    pv = der[der["asset_type"] == "pv"]
    assert math.isclose(pv["p_max"].sum(), opts.pv_share * load.sum(), rel_tol=0.02)
    n_load = int(((load > 0) & (nodes["type"] != "slack")).sum())
    assert len(pv) == math.ceil(opts.pv_host_share * n_load)
    assert (pv["s_max"] >= pv["p_max"]).all() and (pv["p_min"] == 0).all()
    bat = der[der["asset_type"] == "battery"]
    np.testing.assert_allclose(bat["energy_cap"], opts.battery_hours * bat["p_max"])
    ev = der[der["asset_type"] == "ev"]
    assert (ev["p_max"] == 0).all() and (ev["p_min"] < 0).all()
    if describe_dataset(name).unbalanced:
        assert (ev["phase"].str.len() == 1).all()
    else:
        assert (der["phase"] == "ABC").all()
    assert set(der["cost_curve_id"]) <= set(net.tables["der_cost_curves"]["cost_curve_id"])


@pytest.mark.parametrize("name", ["case69", "ieee13"])
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    share=st.floats(0.0, 1.0),
    spread=st.floats(0.0, 1.0),
)
def test_der_generator_is_valid_for_any_seed_and_share(
    built: dict[str, Network], name: str, seed: int, share: float, spread: float
) -> None:
    net = built[name]
    opts = DerGeneratorOptions(
        pv_host_share=share, ev_host_share=share, flex_host_share=share, size_spread=spread
    )
    der = generate_der_assets(net, seed=seed, options=opts)
    # The der_assets rules of the data contract (as gat derms validate-assets runs them).
    tables = {"dist_nodes": net.nodes, "der_assets": der}
    tables["der_cost_curves"] = net.tables["der_cost_curves"]
    found = validate_network(Network(net.name, net.base_mva, tables))
    assert [v for v in found if v.table in ("der_assets", "der_cost_curves")] == []
    assert der.equals(generate_der_assets(net, seed=seed, options=opts))


def test_a_zero_share_gives_no_asset_of_that_technology(built: dict[str, Network]) -> None:
    opts = DerGeneratorOptions(pv_share=0.0, ev_per_customer=0.0, flex_share=0.0)
    der = generate_der_assets(built["case33bw"], options=opts)
    assert set(der["asset_type"]) == {"battery"}


def test_der_generator_needs_a_load_node(built: dict[str, Network]) -> None:
    net = built["case33bw"]
    nodes = net.nodes.assign(load_p=0.0)
    empty = Network(net.name, net.base_mva, {**net.tables, "dist_nodes": nodes})
    with pytest.raises(InputError, match="no load node"):
        generate_der_assets(empty)


@pytest.mark.parametrize("field", ["pv_host_share", "pv_share", "battery_hours"])
def test_der_options_reject_bad_values(field: str) -> None:
    with pytest.raises(InputError, match=field):
        DerGeneratorOptions(**{field: -1.0})


# -- customers, devices, failure data --------------------------------------------------------


def test_customers_follow_load(built: dict[str, Network]) -> None:
    net = built["case33bw"]
    got = customers_from_load(net, kw_per_customer=5.0)
    load_kw = net.nodes.set_index("node_id")["load_p"] * 1000
    # Node 2 of case33bw: 100 kW -> 20 customers; the slack (no load) has none.
    assert got["2"] == 20 and got["1"] == 0
    assert (got[load_kw > 0] >= 1).all()
    assert (net.nodes["customers"].to_numpy() == got.to_numpy()).all()


def test_case33bw_devices_breaker_fuses_disconnects_and_ties(built: dict[str, Network]) -> None:
    net = built["case33bw"]
    dev = net.tables["switching_devices"]
    kind = dict(zip(dev["branch_id"], dev["device_type"], strict=True))
    # Trunk 1-2-...-18 (branches 1..17); laterals leave it at nodes 2 (19), 3 (23), 6 (26).
    assert kind["1"] == "breaker"
    assert sorted(b for b, k in kind.items() if k == "fuse") == ["18", "22", "25"]
    assert sorted(b for b, k in kind.items() if k == "tie") == ["33", "34", "35", "36", "37"]
    assert sum(k == "disconnect" for k in kind.values()) == ReliabilityOptions().trunk_sections - 1
    ties = dev[dev["device_type"] == "tie"]
    assert (ties["normal_state"] == "open").all()
    assert validate_table("switching_devices", dev) == []


@pytest.mark.parametrize("name", ["case33bw", "case69"])
def test_failure_data_cover_every_closed_branch(name: str, built: dict[str, Network]) -> None:
    net = built[name]
    rel = net.tables["reliability"]
    closed = net.branches.loc[net.branches["status"] == "closed", "branch_id"]
    assert list(rel["element_id"]) == list(closed)
    opts = ReliabilityOptions()
    lines = net.branches.set_index("branch_id").loc[rel["element_id"], "branch_type"] == "line"
    assert (rel["failure_rate_per_km_yr"][lines.to_numpy()] == opts.line_failure_per_km_yr).all()
    # Estimated length: R (ohm) / 0.35 ohm/km; case33bw branch 2 is 0.493 ohm.
    if name == "case33bw":
        length = net.branches.set_index("branch_id")["length_km"]
        assert length["2"] == pytest.approx(0.493 / 0.35, rel=1e-3)


def test_device_rules_refuse_a_meshed_network(built: dict[str, Network]) -> None:
    net = built["case33bw"]
    closed = net.branches.assign(status="closed")
    meshed = Network(net.name, net.base_mva, {**net.tables, "dist_branches": closed})
    with pytest.raises(InputError, match="loop"):
        generate_switching_devices(meshed)


def test_failure_data_need_line_lengths(built: dict[str, Network]) -> None:
    net = built["case69"]
    no_length = net.branches.assign(length_km=np.nan)
    bare = Network(net.name, net.base_mva, {**net.tables, "dist_branches": no_length})
    with pytest.raises(InputError, match="length_km"):
        generate_reliability(bare)


def test_ieee13_breaker_below_the_regulators_and_parallel_regulators_are_no_loop(
    built: dict[str, Network],
) -> None:
    net = built["ieee13"]
    dev = net.tables["switching_devices"]
    kind = dict(zip(dev["branch_id"], dev["device_type"], strict=True))
    # Trunk SourceBus-650-RG60-632-670-671-692-675: the substation transformer and the three
    # single-phase regulators 650-RG60 come first, so the breaker is on line 650632.
    assert kind["650632"] == "breaker"
    assert sorted(b for b, k in kind.items() if k == "fuse") == [
        "632633", "632645", "671680", "671684",
    ]  # fmt: skip
    rel = net.tables["reliability"].set_index("element_id")
    assert (rel.loc[["Reg1", "Reg2", "Reg3", "Sub", "XFM1"], "failure_rate_per_yr"] == 0.015).all()
    assert rel.loc["671692", "failure_rate_per_yr"] == ReliabilityOptions().switch_failure_per_yr
    # Lines keep the lengths of the source (650-632 is 2000 ft).
    length = net.branches.set_index("branch_id")["length_km"]
    assert length["650632"] == pytest.approx(0.6096)


def _random_feeder(parents: list[int]) -> Network:
    """A radial feeder: node i + 1 hangs below node parents[i] (<= i); node 0 is the slack."""
    n = len(parents) + 1
    ids = [f"n{i}" for i in range(n)]
    nodes = pd.DataFrame(
        {
            "node_id": ids,
            "phase": "ABC",
            "type": ["slack"] + ["load"] * (n - 1),
            "v_min": 0.9,
            "v_max": 1.1,
            "load_p": [0.0] + [0.1] * (n - 1),
            "load_q": 0.0,
            "feeder_id": "f",
            "base_kv": 11.0,
        }
    )
    branches = pd.DataFrame(
        {
            "branch_id": [f"b{i + 1}" for i in range(n - 1)],
            "from_node": [ids[p] for p in parents],
            "to_node": ids[1:],
            "r": 0.01,
            "x": 0.01,
            "b": 0.0,
            "tap": 1.0,
            "status": "closed",
            "thermal_limit": np.nan,
        }
    )
    return Network("random", 1.0, {"dist_nodes": nodes, "dist_branches": branches})


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=40))
def test_device_rules_on_random_radial_feeders(draws: list[int]) -> None:
    parents = [d % (i + 1) for i, d in enumerate(draws)]
    net = _random_feeder(parents)
    dev = generate_switching_devices(net)
    assert validate_table("switching_devices", dev) == []
    # One breaker per feeder leaving the slack (the first trunk line starts there).
    assert (dev["device_type"] == "breaker").sum() == parents.count(0)
    assert dev["branch_id"].is_unique and dev["device_id"].is_unique
    # The breaker sits on the slack's branch towards the deepest node; every fuse sits on a
    # branch from a trunk node to a node off the trunk (a lateral's first branch).
    depth = [0]
    for p in parents:
        depth.append(depth[p] + 1)
    far = max(range(len(depth)), key=lambda i: (depth[i], -i))
    trunk = {far}
    while far:
        far = parents[far - 1]
        trunk.add(far)
    br = net.branches.set_index("branch_id")
    for bid, kind in zip(dev["branch_id"], dev["device_type"], strict=True):
        f, t = int(br.loc[bid, "from_node"][1:]), int(br.loc[bid, "to_node"][1:])
        if kind == "fuse":
            assert f in trunk and t not in trunk and f != 0
        elif kind == "breaker":
            assert f == 0
        else:
            assert f in trunk and t in trunk
    laterals = sum(
        1 for i, p in enumerate(parents) if p in trunk and p != 0 and (i + 1) not in trunk
    )
    assert (dev["device_type"] == "fuse").sum() == laterals
    rel = generate_reliability(net.__class__(net.name, 1.0, {
        **net.tables, "dist_branches": net.branches.assign(length_km=1.0)
    }))  # fmt: skip
    assert validate_table("reliability", rel) == [] and len(rel) == len(parents)
