"""``gat tui`` building blocks: braille rasterisation, colour scale, table filter, plot data."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gat_cli.main import run
from gat_cli.tui.canvas import BRAILLE_BASE, fit_transform, rasterise
from gat_cli.tui.data import node_quantities, node_rows, open_folder
from gat_cli.tui.feeder import GRADIENT, colour_classes
from gat_cli.tui.geometry import feeder_geometry
from gat_cli.tui.plot import plot_specs
from gat_cli.tui.tables import filter_frame
from gat_schemas import InputError
from gat_schemas.io import read_parquet


# -- canvas -------------------------------------------------------------------------------
def test_horizontal_segment_fills_the_top_dot_row() -> None:
    # Dots (0, 0) .. (7, 0): the top row of 4 cells, both columns: dots 1 and 4 (0x01 | 0x08).
    r = rasterise(
        4, 1, segments=(np.array([0.0]), np.array([0.0]), np.array([7.0]), np.array([0.0]))
    )
    assert r.mask.tolist() == [[0x09, 0x09, 0x09, 0x09]]
    assert r.row_text(0) == chr(BRAILLE_BASE + 0x09) * 4


def test_vertical_segment_fills_the_left_dot_column() -> None:
    # Dots (0, 0) .. (0, 3): the left column of one cell: dots 1, 2, 3, 7 = 0x47.
    r = rasterise(
        2, 1, segments=(np.array([0.0]), np.array([0.0]), np.array([0.0]), np.array([3.0]))
    )
    assert r.mask.tolist() == [[0x47, 0]]


def test_points_and_colour_priority() -> None:
    # Two points in one cell: its colour is the higher class; a point beats a segment.
    r = rasterise(
        2,
        1,
        segments=(np.array([0.0]), np.array([3.0]), np.array([3.0]), np.array([3.0])),
        segment_colour=np.array([9]),
        points=(np.array([0.0, 1.0]), np.array([0.0, 0.0])),
        point_colour=np.array([2, 5]),
    )
    assert r.mask[0, 0] == 0x01 | 0x08 | 0x40 | 0x80  # top row + bottom row
    assert r.colour[0, 0] == 5
    assert r.colour[0, 1] == 9  # only the segment reaches the second cell


def test_dotted_segment_draws_one_dot_in_three() -> None:
    seg = (np.array([0.0]), np.array([0.0]), np.array([8.0]), np.array([0.0]))
    dotted = rasterise(5, 1, segments=seg, segment_dotted=np.array([True]))
    solid = rasterise(5, 1, segments=seg)

    def dots(mask: np.ndarray) -> int:
        return sum(bin(int(v)).count("1") for v in mask.ravel())

    assert dots(dotted.mask) == 3  # dots 0, 3 and 6 of 0..8
    assert dots(solid.mask) == 9


def test_fit_transform_spans_the_canvas_and_flips_y() -> None:
    dx, dy = fit_transform(np.array([0.0, 10.0]), np.array([0.0, 5.0]), 10, 5, margin=0)
    assert dx.tolist() == [0.0, 19.0]
    assert dy.tolist() == [19.0, 0.0]  # world y up, screen y down
    # One distinct value is centred instead of dividing by zero.
    cx, _ = fit_transform(np.array([3.0, 3.0]), np.array([0.0, 1.0]), 10, 5)
    assert cx.tolist() == [9.5, 9.5]


def test_colour_classes_worst_gets_the_last_colour() -> None:
    v = np.array([0.95, 1.0, 1.05, np.nan])
    low_bad = colour_classes(v, "low")
    assert low_bad[0] == 1 + len(GRADIENT)  # lowest voltage: the worst colour
    assert low_bad[2] == 2  # highest: the best
    assert low_bad[3] == 1  # no value
    high_bad = colour_classes(v, "high")
    assert high_bad[2] == 1 + len(GRADIENT) and high_bad[0] == 2


# -- table filter -------------------------------------------------------------------------
def test_filter_expression_and_text() -> None:
    df = pd.DataFrame({"node_id": ["a1", "b2", "c3"], "vm_pu": [0.94, 0.99, 1.02]})
    assert filter_frame(df, "vm_pu < 0.95")["node_id"].tolist() == ["a1"]
    assert filter_frame(df, "vm_pu >= 0.99")["node_id"].tolist() == ["b2", "c3"]
    assert filter_frame(df, "node_id = c3")["vm_pu"].tolist() == [1.02]
    assert filter_frame(df, "B2")["node_id"].tolist() == ["b2"]
    assert len(filter_frame(df, "  ")) == 3
    with pytest.raises(InputError, match="no column 'vm'"):
        filter_frame(df, "vm < 1")
    with pytest.raises(InputError, match="needs a number"):
        filter_frame(df, "node_id < abc")


# -- folder data --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def case33_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("parts")
    net = base / "case33bw"
    assert run(["dataset", "export", "case33bw", "-d", str(net)]) == 0
    assert run(["dist", "pf", "--grid-file", str(net), "-d", str(base / "pf")]) == 0
    assert run(["dist", "hostcap", "--grid-file", str(net), "-d", str(base / "hc")]) == 0
    scenarios = base / "scenarios.csv"
    scenarios.write_text("scenario_id,scale\nlow,0.5\nhigh,1.5\n")
    sc = ["--scenarios", str(scenarios), "-d", str(base / "sc")]
    assert run(["dist", "pf", "--grid-file", str(net), *sc]) == 0
    return {"network": net, "pf": base / "pf", "hc": base / "hc", "sc": base / "sc"}


def test_scenario_batch_is_read_and_shows_the_worst(case33_runs: dict[str, Path]) -> None:
    view = open_folder(case33_runs["sc"])
    assert set(view.tables["pf_nodes"]["scenario_id"].astype(str)) == {"low", "high"}
    (voltage,) = node_quantities(view.tables)
    summary = read_parquet(case33_runs["sc"] / "pf_summary.parquet")
    assert voltage.values.min() == pytest.approx(float(summary["vm_min_pu"].min()))
    profile = plot_specs(view.tables, feeder_geometry(view.network))["profile"]
    assert np.nanmin(profile.series[0].points[1]) == pytest.approx(voltage.values.min())


def test_profile_minimum_is_pf_summary_minimum(case33_runs: dict[str, Path]) -> None:
    view = open_folder(case33_runs["pf"])
    spec = plot_specs(view.tables, feeder_geometry(view.network))["profile"]
    (series,) = spec.series
    summary = read_parquet(case33_runs["pf"] / "pf_summary.parquet")
    assert np.nanmin(series.points[1]) == pytest.approx(float(summary["vm_min_pu"].iloc[0]))
    # Distances from the layout: the source at 0 km, every node placed.
    assert np.nanmin(series.points[0]) == 0.0
    assert np.isfinite(series.points[0]).all()


def test_hostcap_plot_and_node_rows(case33_runs: dict[str, Path]) -> None:
    view = open_folder(case33_runs["hc"])
    spec = plot_specs(view.tables, feeder_geometry(view.network))["hosting capacity"]
    hc = read_parquet(case33_runs["hc"] / "hostcap_summary.parquet")
    bars = spec.series[0].segments
    assert sorted(bars[3].tolist(), reverse=True) == bars[3].tolist()
    assert bars[3].max() == pytest.approx(hc["hosting_capacity_mw"].max())
    found = dict(node_rows(view.tables, "18"))
    assert found["hostcap_summary"]["bus_id"].tolist() == ["18"]
    assert set(found["dist_branches"]["branch_id"]) == set(
        view.tables["dist_branches"].query("from_node == '18' or to_node == '18'")["branch_id"]
    )


def test_gat_help_does_not_import_textual() -> None:
    code = (
        "import sys; from gat_cli.main import run; run(['--help']); "
        "sys.exit(1 if 'textual' in sys.modules else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, "gat --help imported textual"
    assert "tui" in proc.stdout


def test_outage_years_plot(tmp_path: Path) -> None:
    net, out = tmp_path / "ieee13", tmp_path / "mc"
    assert run(["dataset", "export", "ieee13", "-d", str(net)]) == 0
    mc = ["--samples", "50", "--seed", "1", "-d", str(out)]
    assert run(["adms", "outage-mc", "--grid-file", str(net), *mc]) == 0
    view = open_folder(out)
    spec = plot_specs(view.tables, feeder_geometry(view.network))["outage years"]
    years = read_parquet(out / "outage_years.parquet")
    bars = spec.series[0].segments[3]
    assert len(bars) == 50 and bars[0] == years["saidi"].max()
    assert spec.hlines[0][0] == pytest.approx(years["saidi"].mean())


def test_qsts_and_pv_shape_hostcap_folders(tmp_path: Path) -> None:
    """A `dist qsts` folder plots its step table; a `dist hostcap --pv-shape` folder
    (hostcap_timeseries, no hostcap_summary) colours and plots its capacities."""
    qsts_dir = Path(__file__).resolve().parents[3] / "test_data" / "qsts"
    net = tmp_path / "i13pv"
    dss = qsts_dir / "ieee13_pv_daily.dss"
    assert run(["dist", "import", "opendss", "--file", str(dss), "-d", str(net)]) == 0
    assert run(["dist", "qsts", "--grid-file", str(net), "-d", str(tmp_path / "q")]) == 0
    view = open_folder(tmp_path / "q")
    specs = plot_specs(view.tables, feeder_geometry(view.network))
    steps = read_parquet(tmp_path / "q" / "qsts_steps.parquet")
    head = specs["time series power"].series[0]
    assert head.label == "head P"
    # Every step's value is held over its interval: (time_h - 1, time_h) at head_p_mw.
    x0, y0, x1, y1 = (a[: len(steps)] for a in head.segments)
    assert np.allclose(x1, steps["time_h"]) and np.allclose(x1 - x0, 1.0)
    assert np.allclose(y0, steps["head_p_mw"]) and np.allclose(y1, steps["head_p_mw"])
    high = specs["time series voltage"].series[0].segments[1][: len(steps)]
    assert high.max() == pytest.approx(
        read_parquet(tmp_path / "q" / "qsts_meters.parquet")["v_max_pu"].iloc[0]
    )
    hc_args = [
        "--pv-shape",
        str(qsts_dir / "clearsky_pv_shape.csv"),
        "--bus",
        "611",
        "--tol",
        "0.05",
    ]
    assert (
        run(["dist", "hostcap", "--grid-file", str(net), "-d", str(tmp_path / "hc"), *hc_args]) == 0
    )
    view = open_folder(tmp_path / "hc")
    hc = read_parquet(tmp_path / "hc" / "hostcap_timeseries.parquet")
    (quantity,) = node_quantities(view.tables)
    assert quantity.values["611"] == pytest.approx(hc["hosting_capacity_mw"].min())
    spec = plot_specs(view.tables, feeder_geometry(view.network))["hosting capacity"]
    assert spec.series[0].segments[3].max() == pytest.approx(hc["hosting_capacity_mw"].max())


def test_qsts_plot_leaves_steps_not_converged_out() -> None:
    """Head power and losses of a step that did not converge (its last iterate) are not
    drawn; the scheduled load is; the voltage band has a gap there."""
    steps = pd.DataFrame(
        {
            "time_h": [1.0, 2.0, 3.0],
            "converged": [True, False, True],
            "head_p_mw": [1.0, 33.0, 2.0],
            "load_p_mw": [1.1, 9.0, 2.1],
            "der_p_mw": [0.0, 0.0, 0.0],
            "losses_mw": [0.1, 13.0, 0.1],
            **{f"v_{b}_{p}_pu": [1.0, np.nan, 1.0] for b in ("min", "max") for p in "abc"},
        }
    )
    specs = plot_specs({"qsts_steps": steps}, None)
    power = {s.label: s.segments for s in specs["time series power"].series}
    assert 33.0 not in power["head P"][1] and 13.0 not in power["losses"][1]
    assert np.isfinite(np.concatenate(power["head P"])).all()
    assert 9.0 in power["load"][1]
    assert "1 not converged" in specs["time series power"].title
    high = specs["time series voltage"].series[0].segments
    # Only the runs of steps 1 and 3 (from 0 h and 2 h), no jump into or out of the gap.
    assert np.isfinite(np.concatenate(high)).all() and sorted(high[0]) == [0.0, 2.0]
