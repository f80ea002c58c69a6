"""``gat plot qsts`` and ``gat plot vvo`` on outputs the real commands write (IEEE 13 PV day,
IEEE 34 Volt/VAR plan), checked against their tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gat_cli.main import run
from gat_cli.plots import PlotInput, render_plot

REPO = Path(__file__).resolve().parents[3]
IEEE13_PV = REPO / "test_data" / "qsts" / "ieee13_pv_daily.dss"
PV_SHAPE = REPO / "test_data" / "qsts" / "clearsky_pv_shape.csv"


def _gat(*args: object) -> None:
    assert run([str(a) for a in args]) == 0, args


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A QSTS day and a 4-period Volt/VAR plan (written once for this module, read only)."""
    t = tmp_path_factory.mktemp("plot_qsts_vvo")
    _gat("dist", "import", "opendss", "--file", IEEE13_PV, "-d", t / "i13pv")
    _gat("dist", "qsts", "--grid-file", t / "i13pv", "-d", t / "qsts")
    _gat(
        "dist", "hostcap", "--grid-file", t / "i13pv", "-d", t / "hcday",
        "--pv-shape", PV_SHAPE, "--bus", "611", "--bus", "652", "--tol", "0.05",
    )  # fmt: skip
    _gat("dataset", "export", "ieee34", "-d", t / "i34")
    _gat("adms", "vvo-plan", "--grid-file", t / "i34", "-d", t / "vvo", "--periods", "4")
    return {p.name: p for p in t.iterdir()}


def _stairs(ax, label: str) -> np.ndarray:  # type: ignore[no-untyped-def]
    patch = next(p for p in ax.patches if p.get_label() == label)
    return np.asarray(patch.get_data().values, dtype=float)


def test_qsts_panels_carry_the_step_table(runs) -> None:  # type: ignore[no-untyped-def]
    fig = render_plot("qsts", PlotInput(out_dir=runs["qsts"]))
    ax_p, ax_v, ax_c = fig.axes
    steps = pd.read_parquet(runs["qsts"] / "qsts_steps.parquet")
    assert np.allclose(_stairs(ax_p, "head P"), steps["head_p_mw"])
    assert np.allclose(_stairs(ax_p, "DER"), steps["der_p_mw"])
    assert np.allclose(_stairs(ax_v, "min A"), steps["v_min_a_pu"])
    # The limits drawn are the network's (IEEE 13 from OpenDSS: 0.95 / 1.05), in the legend.
    legend = [t.get_text() for t in ax_v.get_legend().get_texts()]
    assert "limits 0.95 / 1.05 pu" in legend
    assert sorted(line.get_ydata()[0] for line in ax_v.get_lines()) == [0.95, 1.05]
    edges = next(p for p in ax_p.patches if p.get_label() == "head P").get_data().edges
    assert edges[0] == pytest.approx(0.0) and edges[-1] == pytest.approx(steps["time_h"].max())
    controls = pd.read_parquet(runs["qsts"] / "qsts_controls.parquet")
    for device, rows in controls.groupby("device_id"):
        assert np.allclose(
            _stairs(ax_c, f"{device} (regulator)"), rows.sort_values("step")["state"]
        )
    meters = pd.read_parquet(runs["qsts"] / "qsts_meters.parquet").iloc[0]
    assert f"{meters['energy_mwh']:.3f} MWh" in fig.get_suptitle()


def test_vvo_compares_plan_and_baseline(runs) -> None:  # type: ignore[no-untyped-def]
    fig = render_plot("vvo", PlotInput(out_dir=runs["vvo"]))
    ax_l, ax_v, ax_s = fig.axes
    periods = pd.read_parquet(runs["vvo"] / "vvo_periods.parquet")
    for case in ("optimised", "baseline"):
        rows = periods[periods["case"] == case].sort_values("period")
        assert np.allclose(_stairs(ax_l, case), rows["loss_mw"])
        low = rows[["v_min_a_pu", "v_min_b_pu", "v_min_c_pu"]].min(axis=1)
        assert np.allclose(_stairs(ax_v, f"{case} min"), low)
    nodes = pd.read_parquet(runs["i34"] / "dist_nodes.parquet")
    free = nodes[nodes["v_min"] < nodes["v_max"]]
    want = f"limits {free['v_min'].mode().iloc[0]:g} / {free['v_max'].mode().iloc[0]:g} pu"
    assert want in [t.get_text() for t in ax_v.get_legend().get_texts()]
    settings = pd.read_parquet(runs["vvo"] / "vvo_settings.parquet")
    first = settings[settings["kind"] == "regulator"]["device_id"].iloc[0]
    want = settings[settings["device_id"] == first].sort_values("period")["setting"]
    assert np.allclose(_stairs(ax_s, first), want)
    summary = pd.read_parquet(runs["vvo"] / "vvo_summary.parquet").set_index("case")
    assert f"{summary.loc['optimised', 'loss_mwh']:.3f}" in fig.get_suptitle()


def test_hostcap_of_a_pv_shape_run(runs) -> None:  # type: ignore[no-untyped-def]
    """`dist hostcap --pv-shape` writes hostcap_timeseries (no hostcap_summary): the bars
    and the map's node colours are its capacities."""
    hc = pd.read_parquet(runs["hcday"] / "hostcap_timeseries.parquet")
    fig = render_plot("hostcap", PlotInput(out_dir=runs["hcday"]))
    (ax,) = fig.axes
    heights = [p.get_height() for c in ax.containers for p in c.patches]
    assert sorted(heights) == pytest.approx(sorted(hc["hosting_capacity_mw"]))
    assert "time series" in ax.get_title(loc="left")
    fig = render_plot("map", PlotInput(out_dir=runs["hcday"]))
    nodes = next(c for c in fig.axes[0].collections if c.get_gid() == "nodes")
    values = np.ma.filled(nodes.get_array(), np.nan)
    assert np.isfinite(values).sum() == hc["bus_id"].nunique()
    assert np.nanmin(values) == pytest.approx(hc["hosting_capacity_mw"].min())


@pytest.mark.parametrize(
    ("run_name", "kind"), [("qsts", "qsts"), ("vvo", "vvo"), ("hcday", "hostcap")]
)
def test_kind_inferred_and_file_written(runs, run_name, kind, tmp_path, gat) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "f.png"
    code, stdout, err = gat("plot", "--from", runs[run_name], "-o", out)
    assert code == 0, err
    assert stdout.startswith(kind) and out.stat().st_size > 10_000


def test_qsts_steps_not_converged_draw_no_flow(tmp_path: Path) -> None:
    """case33bw at 1 to 6 times its load: the steps that do not converge keep the power of
    their last iterate in qsts_steps; the figure leaves a gap there (load and DER, which are
    scheduled, are drawn) and marks each such step in the middle of its interval."""
    shape = tmp_path / "big.csv"
    mult = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 1.0, 0.5]
    pd.DataFrame(
        {
            "shape_id": "big",
            "step": range(8),
            "hour": [float(h) for h in range(8)],
            "multiplier": mult,
            "interval_h": 1.0,
        }
    ).to_csv(shape, index=False)
    out = tmp_path / "q"
    case33 = REPO / "test_data" / "networks" / "case33bw"
    _gat("dist", "qsts", "--grid-file", case33, "-d", out, "--load-shapes", shape,
         "--load-shape", "big", "--steps", "8")  # fmt: skip
    steps = pd.read_parquet(out / "qsts_steps.parquet")
    bad = ~steps["converged"].to_numpy(dtype=bool)
    assert bad.any() and not bad.all()
    ax_p = render_plot("qsts", PlotInput(out_dir=out)).axes[0]
    head = _stairs(ax_p, "head P")
    assert np.isnan(head[bad]).all()
    assert np.allclose(head[~bad], steps.loc[~bad, "head_p_mw"])
    assert np.allclose(_stairs(ax_p, "load"), steps["load_p_mw"])
    (crosses,) = [ln for ln in ax_p.get_lines() if ln.get_label().startswith("not converged")]
    assert np.allclose(crosses.get_xdata(), steps.loc[bad, "time_h"] - 0.5)
    assert "not converged (no flow drawn)" in [t.get_text() for t in ax_p.get_legend().get_texts()]
