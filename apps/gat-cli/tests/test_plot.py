"""``gat plot``: every kind drawn from outputs the real commands wrote on shipped datasets.

Each figure is checked for what its axes carry (expected values come from the output
tables themselves, read independently of the plotting code), and the command for the file
it writes and its one-line errors.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.patches import Polygon

from gat_cli.main import run
from gat_cli.plots import PlotInput, render_plot

REPO = Path(__file__).resolve().parents[3]
DERMS = REPO / "test_data" / "derms"
SWEEP = REPO / "test_data" / "scenarios" / "load_sweep.csv"


def _gat(*args: object) -> None:
    code = run([str(a) for a in args])
    assert code == 0, args


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Output folders of the real commands (written once for this module, read only)."""
    t = tmp_path_factory.mktemp("plot_runs")
    _gat("dataset", "export", "case33bw", "-d", t / "c33")
    _gat("dataset", "export", "ieee13", "-d", t / "i13")
    _gat("dataset", "export", "ieee34", "-d", t / "i34")
    _gat("dist", "pf", "--grid-file", t / "c33", "-d", t / "pf")
    _gat("dist", "pf", "--grid-file", t / "c33", "-d", t / "sweep", "--scenarios", SWEEP)
    _gat("dist", "pf", "--grid-file", t / "i13", "-d", t / "pf13", "--unbalanced")
    _gat("dist", "pf", "--grid-file", t / "i34", "-d", t / "pf34")
    hc = ("--v-max", "1.05", "--load-scale", "1.0", "--load-scale", "0.5")
    _gat("dist", "hostcap", "--grid-file", t / "c33", "-d", t / "hc", *hc)
    _gat(
        "dist", "hostcap", "--grid-file", t / "i13", "-d", t / "hc13",
        "--phase-mode", "each", "--v-max", "1.08", "--check", "voltage,unbalance",
    )  # fmt: skip
    derms = ("--grid-file", DERMS / "case33bw", "--assets", DERMS / "der_assets.csv")
    _gat("derms", "envelope", *derms, "-d", t / "env", "--directions", "8")
    _gat(
        "derms", "schedule", *derms, "--price-series", DERMS / "prices.csv",
        "--load-series", DERMS / "loads.csv", "--pv-series", DERMS / "pv.csv",
        "-d", t / "sch", "--v-min", "0.94",
    )  # fmt: skip
    _gat("adms", "flisr-sim", "--grid-file", t / "c33", "-d", t / "flisr", "--restore", "none")
    _gat(
        "adms", "outage-mc", "--grid-file", t / "c33", "-d", t / "mc",
        "--samples", "40", "--restore", "none",
    )  # fmt: skip
    return {p.name: p for p in t.iterdir()}


def _fig(kind: str, out: Path, **options: object):  # type: ignore[no-untyped-def]
    return render_plot(kind, PlotInput(out_dir=out), **options)


def _points(ax) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Offsets of every labelled scatter of ``ax`` (the plotted data points)."""
    found = [
        c.get_offsets()
        for c in ax.collections
        if isinstance(c, PathCollection) and not c.get_label().startswith("_")
    ]
    return np.concatenate(found)


def _gid(ax, gid: str):  # type: ignore[no-untyped-def]
    return next(c for c in ax.collections if c.get_gid() == gid)


# ---------------------------------------------------------------- profile


def test_profile_minimum_is_the_power_flow_minimum(runs) -> None:  # type: ignore[no-untyped-def]
    fig = _fig("profile", runs["pf"])
    ax = fig.axes[0]
    pts = _points(ax)
    nodes = pd.read_parquet(runs["pf"] / "pf_nodes.parquet")
    summary = pd.read_parquet(runs["pf"] / "pf_summary.parquet")
    assert len(pts) == len(nodes)
    assert pts[:, 1].min() == pytest.approx(summary["vm_min_pu"].iloc[0], abs=1e-12)
    assert "km" in ax.get_xlabel() and "pu" in ax.get_ylabel()
    # Dataset lengths: node 18 (the far end) at the sum of lengths of branches 1..17.
    branches = pd.read_parquet(runs["c33"] / "dist_branches.parquet").set_index("branch_id")
    far = branches.loc[[str(i) for i in range(1, 18)], "length_km"].sum()
    assert pts[:, 0].max() == pytest.approx(far)
    limits = sorted(line.get_ydata()[0] for line in ax.get_lines() if line.get_linestyle() == "--")
    assert limits == pytest.approx([0.9, 1.1])


def test_profile_overlays_the_scenarios(runs) -> None:  # type: ignore[no-untyped-def]
    ax = _fig("profile", runs["sweep"]).axes[0]
    summary = pd.read_parquet(runs["sweep"] / "pf_summary.parquet")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert set(summary["scenario_id"]) <= set(labels)
    pts = _points(ax)
    assert len(pts) == 33 * len(summary)
    assert pts[:, 1].min() == pytest.approx(summary["vm_min_pu"].min(), abs=1e-12)


@pytest.mark.parametrize("run_name", ["pf13", "pf34"])
def test_profile_three_phase_has_one_series_per_phase(runs, run_name) -> None:  # type: ignore[no-untyped-def]
    ax = _fig("profile", runs[run_name]).axes[0]
    labels = {t.get_text() for t in ax.get_legend().get_texts()}
    assert {"phase A", "phase B", "phase C"} <= labels
    nodes = pd.read_parquet(runs[run_name] / "pf3_nodes.parquet")
    summary = pd.read_parquet(runs[run_name] / "pf3_summary.parquet")
    pts = _points(ax)
    assert len(pts) == len(nodes)
    assert pts[:, 1].min() == pytest.approx(summary["vm_min_pu"].iloc[0], abs=1e-12)


# ---------------------------------------------------------------- map


def test_map_coloured_by_voltage_has_every_node(runs) -> None:  # type: ignore[no-untyped-def]
    fig = _fig("map", runs["pf13"], color_by="voltage")
    nodes = _gid(fig.axes[0], "nodes")
    net_nodes = pd.read_parquet(runs["i13"] / "dist_nodes.parquet")
    assert len(nodes.get_offsets()) == len(net_nodes)
    # Data coordinates (OpenDSS BusCoords) are drawn as given.
    assert np.allclose(nodes.get_offsets(), net_nodes[["x", "y"]].to_numpy())
    pf3 = pd.read_parquet(runs["pf13"] / "pf3_nodes.parquet")
    expected = pf3.groupby("node_id")["vm_pu"].min().reindex(net_nodes["node_id"])
    assert np.allclose(np.ma.filled(nodes.get_array(), np.nan), expected, equal_nan=True)


def test_map_saidi_contributions_add_up_to_saidi(runs) -> None:  # type: ignore[no-untyped-def]
    fig = _fig("map", runs["flisr"])  # auto: SAIDI contribution
    values = np.ma.filled(_gid(fig.axes[0], "nodes").get_array(), np.nan)
    saidi = pd.read_parquet(runs["flisr"] / "reliability_indices.parquet")["SAIDI"].iloc[0]
    assert np.nansum(values) == pytest.approx(saidi, rel=1e-9)


def test_map_hostcap_and_dashed_ties(runs) -> None:  # type: ignore[no-untyped-def]
    fig = _fig("map", runs["hc"])  # auto: hosting capacity
    ax = fig.axes[0]
    values = np.ma.filled(_gid(ax, "nodes").get_array(), np.nan)
    hc = pd.read_parquet(runs["hc"] / "hostcap_summary.parquet")
    assert np.nanmin(values) == pytest.approx(hc["hosting_capacity_mw"].min())
    assert np.isfinite(values).sum() == hc["bus_id"].nunique()
    dashed = [
        c
        for c in ax.collections
        if isinstance(c, LineCollection) and c.get_linestyle()[0][1] is not None
    ]
    assert len(dashed) == 1 and len(dashed[0].get_segments()) == 5  # the five open ties


def test_map_loading_colours_branches(runs) -> None:  # type: ignore[no-untyped-def]
    fig = _fig("map", runs["pf13"], color_by="loading")
    branches = _gid(fig.axes[0], "branches")
    summary = pd.read_parquet(runs["pf13"] / "pf3_summary.parquet")
    assert np.nanmax(np.ma.filled(branches.get_array(), np.nan)) == pytest.approx(
        summary["loading_max_pct"].iloc[0]
    )


# ---------------------------------------------------------------- hostcap, envelope


@pytest.mark.parametrize("run_name", ["hc", "hc13"])
def test_hostcap_bars_are_the_capacities(runs, run_name) -> None:  # type: ignore[no-untyped-def]
    fig = _fig("hostcap", runs[run_name])
    hc = pd.read_parquet(runs[run_name] / "hostcap_summary.parquet")
    levels = list(dict.fromkeys(hc["load_scale"]))
    assert len(fig.axes) == len(levels)
    for ax, level in zip(fig.axes, levels, strict=True):
        heights = [p.get_height() for c in ax.containers for p in c.patches]
        want = hc.loc[hc["load_scale"] == level, "hosting_capacity_mw"]
        assert sorted(heights) == pytest.approx(sorted(want))
    legend = {t.get_text() for t in fig.axes[0].get_legend().get_texts()}
    assert len(legend) == hc["limiting_constraint"].nunique()


def test_envelope_polygons_and_verified_vertices(runs) -> None:  # type: ignore[no-untyped-def]
    ax = _fig("envelope", runs["env"]).axes[0]
    env = pd.read_parquet(runs["env"] / "der_envelopes.parquet")
    polygons = [p for p in ax.patches if isinstance(p, Polygon)]
    assert len(polygons) == env["group_id"].nunique()
    verified = np.concatenate(
        [c.get_offsets() for c in ax.collections if c.get_gid() == "verified"]
    )
    assert len(verified) == int(env["ac_verified"].sum())
    assert sorted(verified[:, 0]) == pytest.approx(sorted(env.loc[env["ac_verified"], "p_mw"]))
    assert "MW" in ax.get_xlabel() and "Mvar" in ax.get_ylabel()


# ---------------------------------------------------------------- schedule, reliability


def test_schedule_panels_carry_head_import_soc_and_price(runs) -> None:  # type: ignore[no-untyped-def]
    fig = _fig("schedule", runs["sch"])
    ax_p, ax_soc, ax_price = fig.axes
    net = pd.read_parquet(runs["sch"] / "schedule_network.parquet")
    sch = pd.read_parquet(runs["sch"] / "schedule.parquet")
    head = next(line for line in ax_p.get_lines() if line.get_label() == "feeder-head import")
    assert np.allclose(head.get_ydata(), net["head_p_mw"])
    storage = sch.loc[sch["soc_mwh"].notna(), "asset_id"].unique()
    assert len(ax_soc.get_lines()) == len(storage)
    assert np.allclose(ax_price.get_lines()[0].get_ydata(), net["price"])
    legend = {t.get_text() for t in ax_p.get_legend().get_texts()}
    assert set(sch["asset_type"]) <= legend


def _patches(fig, gid: str) -> list:  # type: ignore[no-untyped-def]
    return [p for ax in fig.axes for p in ax.patches if p.get_gid() == gid]


def test_reliability_of_flisr_shows_load_points_and_indices(runs) -> None:  # type: ignore[no-untyped-def]
    fig = _fig("reliability", runs["flisr"])
    lp = pd.read_parquet(runs["flisr"] / "load_point_indices.parquet")
    for gid in ("u_h_per_yr", "ens_mwh_per_yr"):
        heights = [p.get_height() for p in _patches(fig, gid)]
        assert sorted(heights) == pytest.approx(sorted(lp[gid]))
    idx = pd.read_parquet(runs["flisr"] / "reliability_indices.parquet").iloc[0]
    cells = [
        c.get_text().get_text()
        for ax in fig.axes
        for t in ax.tables
        for c in t.get_celld().values()
    ]
    assert f"{idx['SAIDI']:.4g}" in cells and f"{idx['SAIFI']:.4g}" in cells


def test_reliability_of_monte_carlo_shows_distributions(runs) -> None:  # type: ignore[no-untyped-def]
    fig = _fig("reliability", runs["mc"])
    years = pd.read_parquet(runs["mc"] / "outage_years.parquet")
    for column in ("saifi", "saidi", "ens_mwh"):
        assert sum(p.get_height() for p in _patches(fig, column)) == len(years)


# ---------------------------------------------------------------- the command


@pytest.mark.parametrize(
    ("run_name", "kind"),
    [
        ("pf", "profile"),
        ("pf13", "profile"),
        ("hc", "hostcap"),
        ("env", "envelope"),
        ("sch", "schedule"),
        ("flisr", "reliability"),
        ("mc", "reliability"),
    ],
)
def test_command_infers_the_kind_and_writes_the_file(runs, run_name, kind, tmp_path, gat) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "fig.png"
    code, stdout, err = gat("plot", "--from", runs[run_name], "-o", out)
    assert code == 0, err
    assert stdout.startswith(kind)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 10_000


def test_map_svg_with_the_network_only_and_json_summary(runs, tmp_path, gat) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "feeder.svg"
    code, stdout, err = gat(
        "plot", "map", "--grid-file", runs["i34"], "-o", out, "--format", "json"
    )
    assert code == 0, err
    summary = json.loads(stdout)
    assert summary["kind"] == "map" and summary["bytes"] == out.stat().st_size
    assert out.read_text().lstrip().startswith("<?xml")


def test_grid_file_comes_from_run_json_or_the_option(runs, tmp_path, gat) -> None:  # type: ignore[no-untyped-def]
    moved = tmp_path / "pf"
    shutil.copytree(runs["pf13"], moved)
    net = tmp_path / "net"
    shutil.copytree(runs["i13"], net)
    record = json.loads((moved / "run.json").read_text())
    for item in record["inputs"]:
        item["path"] = str(tmp_path / "gone")
    record["params"]["grid_file"] = str(tmp_path / "gone")
    (moved / "run.json").write_text(json.dumps(record))
    code, _, err = gat("plot", "profile", "--from", moved, "-o", tmp_path / "a.png")
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and "--grid-file" in err and "gone" in err
    code, _, err = gat("plot", "--from", moved, "--grid-file", net, "-o", tmp_path / "a.png")
    assert code == 0, err


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("envelope", "--from", "{pf}"), 1, "holds no der_envelopes table"),
        (("--from", "{c33}"), 1, "has no default plot"),
        (("profile",), 2, "needs --from"),
        ((), 2, "--grid-file"),
    ],
)
def test_errors_are_one_line(runs, tmp_path, gat, args, code, message) -> None:  # type: ignore[no-untyped-def]
    args = [a.format(pf=runs["pf"], c33=runs["c33"]) for a in args]
    got, _, err = gat("plot", *args, "-o", tmp_path / "x.png")
    assert got == code, err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.png").exists()


def test_bad_suffix_is_refused(runs, tmp_path, gat) -> None:  # type: ignore[no-untyped-def]
    code, _, err = gat("plot", "--from", runs["pf"], "-o", tmp_path / "x.pdf")
    assert code == 1 and ".png or .svg" in err


def test_plot_help_imports_no_matplotlib() -> None:
    probe = (
        "import sys\nfrom gat_cli.main import run\n"
        "try:\n    run(['plot', '--help'])\nexcept SystemExit:\n    pass\n"
        "print('MPL', 'matplotlib' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "MPL False" in proc.stdout


def test_broken_tables_and_run_json_are_one_line_errors(runs, tmp_path, gat) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad"
    shutil.copytree(runs["pf"], bad)
    nodes = pd.read_parquet(bad / "pf_nodes.parquet").drop(columns=["vm_pu"])
    nodes.to_parquet(bad / "pf_nodes.parquet")
    code, _, err = gat("plot", "--from", bad, "-o", tmp_path / "x.png")
    assert code == 1 and "pf_nodes.vm_pu: required column is missing" in err
    (bad / "pf_nodes.parquet").write_text("not parquet")
    code, _, err = gat("plot", "--from", bad, "-o", tmp_path / "x.png")
    assert code == 1 and "not a readable Parquet file" in err
    shutil.copy(runs["pf"] / "pf_nodes.parquet", bad / "pf_nodes.parquet")
    (bad / "run.json").write_text("{")
    code, _, err = gat("plot", "profile", "--from", bad, "-o", tmp_path / "x.png")
    assert code == 1 and "not a readable run.json" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "x.png").exists()


def test_profile_takes_the_line_to_line_magnitude_where_pf3_judges_it() -> None:
    # A node of an ungrounded three-wire section (pf3_nodes.v_judged == "ll", IEEE 37's
    # 799) is drawn and labelled with its line-to-line magnitude, not its line-to-ground one.
    from gat_cli.plots.profile import _voltages

    table = pd.DataFrame(
        {
            "node_id": ["799", "799", "701"],
            "phase": ["A", "C", "A"],
            "vm_pu": [0.871, 0.95, 0.99],
            "v_min": 0.95,
            "v_max": 1.05,
            "vll_pu": [1.01, 0.923, 1.0],
            "vll_phases": ["AB", "CA", "AB"],
            "v_judged": ["ll", "ll", "ln"],
        }
    )
    v = _voltages("pf3_nodes", table)
    assert v["vm_pu"].tolist() == [1.01, 0.923, 0.99]
    assert v["where"].tolist() == ["799.AB line to line", "799.CA line to line", "701.A"]
