"""``gat adms vvo-plan`` and ``gat dist opf --objective vvo`` on the ieee13 dataset."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from gat_cli.main import run

pytestmark = pytest.mark.solver

REPO = Path(__file__).resolve().parents[3]
SHAPES = REPO / "test_data" / "vvo" / "day_types.csv"


@pytest.fixture(scope="module")
def ieee13(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("vvo") / "ieee13"
    assert run(["dataset", "export", "ieee13", "-d", str(out)]) == 0
    return out


def test_vvo_plan_writes_the_three_tables(tmp_path: Path, gat, ieee13) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "plan"
    code, stdout, err = gat(
        "adms", "vvo-plan", "--grid-file", ieee13, "--load-shapes", SHAPES,
        "--day-types", "weekday", "--pv-shape", "pv", "--periods", "3",
        "--max-tap-ops", "2", "--max-cap-ops", "1", "-d", out,
    )  # fmt: skip
    assert code == 0, err
    assert "weekday: objective" in stdout and "AC check: 3/3 periods pass" in stdout
    settings = pd.read_parquet(out / "vvo_settings.parquet")
    assert set(settings["kind"]) == {"regulator", "capacitor", "der"}
    assert settings["period"].nunique() == 3
    periods = pd.read_parquet(out / "vvo_periods.parquet")
    assert set(periods["case"]) == {"optimised", "baseline"}
    assert periods.loc[periods.case == "optimised", "ac_ok"].all()
    summary = pd.read_parquet(out / "vvo_summary.parquet").set_index("case")
    assert summary.loc["optimised", "objective"] <= summary.loc["baseline", "objective"]
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["status"] == "success"
    assert manifest["params"]["max_tap_ops"] == 2


def test_dist_opf_objective_vvo_one_period(tmp_path: Path, gat, ieee13) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "opf"
    code, stdout, err = gat(
        "--format", "json", "dist", "opf", "--grid-file", ieee13, "--objective", "vvo",
        "--vvo-objective", "loss=1,voltage-deviation=1", "-d", out,
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(stdout)
    rows = {r["case"]: r for r in data["summary"]}
    assert rows["optimised"]["status"] == "optimal"
    assert rows["optimised"]["objective"] < rows["baseline"]["objective"]
    assert (out / "vvo_settings.parquet").is_file() and not (out / "opf_summary.parquet").exists()


def test_bad_inputs_exit_1_with_one_line(tmp_path: Path, gat, ieee13) -> None:  # type: ignore[no-untyped-def]
    code, _, err = gat(
        "adms", "vvo-plan", "--grid-file", ieee13, "--load-shapes", SHAPES,
        "--day-types", "holiday", "-d", tmp_path / "a",
    )  # fmt: skip
    assert code == 1 and "unknown shape(s) holiday" in err and "Traceback" not in err
    code, _, err = gat("adms", "vvo-plan", "--grid-file", ieee13, "-d", tmp_path / "b")
    assert code == 1 and "no load_shapes table" in err
    code, _, err = gat(
        "dist", "opf", "--grid-file", ieee13, "--objective", "vvo", "--vvo-objective", "power",
        "-d", tmp_path / "c",
    )  # fmt: skip
    assert code == 1 and "unknown term 'power'" in err
    code, _, err = gat(
        "dist", "opf", "--grid-file", ieee13, "--objective", "vvo", "--import-price", "30",
        "-d", tmp_path / "e",
    )  # fmt: skip
    assert code == 1 and "--import-price: not used by --objective vvo" in err


def test_help_and_subprocess(ieee13: Path, tmp_path: Path) -> None:
    gat_bin = Path(sys.executable).with_name("gat")
    res = subprocess.run(
        [str(gat_bin), "adms", "vvo-plan", "--help"], capture_output=True, text=True, check=False
    )
    assert res.returncode == 0 and "--max-tap-ops" in res.stdout
    res = subprocess.run(
        [
            str(gat_bin), "adms", "vvo-plan", "--grid-file", str(ieee13), "--load-shapes",
            str(SHAPES), "--day-types", "weekend", "--periods", "1", "-d", str(tmp_path / "s"),
        ],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr


def test_day_types_are_shards_and_resume_reads_them(tmp_path: Path, gat, ieee13) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "r"
    args = (
        "adms", "vvo-plan", "--grid-file", ieee13, "--load-shapes", SHAPES,
        "--day-types", "weekday,weekend", "--periods", "1", "-d", out,
    )  # fmt: skip
    code, _, err = gat(*args)
    assert code == 0, err
    first = pd.read_parquet(out / "vvo_summary.parquet")
    assert list(first.day_type.unique()) == ["weekday", "weekend"]
    manifest = json.loads((out / "run.json").read_text())
    assert {s["id"] for s in manifest["shards"]} == {"day=0-weekday", "day=1-weekend"}
    code, _, err = gat(*args, "--resume")
    assert code == 0, err
    pd.testing.assert_frame_equal(pd.read_parquet(out / "vvo_summary.parquet"), first)


def test_day_types_by_date_from_a_yearly_csv(tmp_path: Path, gat, ieee13) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    lines = (REPO / "test_data" / "opendss" / "der" / "LoadShape1.CSV").read_text().split()
    year = pd.DataFrame(
        {
            "shape_id": "LoadShape1",
            "step": np.arange(len(lines)),
            "hour": np.arange(len(lines), dtype=float),
            "multiplier": [float(x) for x in lines],
            "interval_h": 1.0,
        }
    )
    csv = tmp_path / "year.csv"
    year.to_csv(csv, index=False)
    code, stdout, err = gat(
        "adms", "vvo-plan", "--grid-file", ieee13, "--load-shapes", csv,
        "--day-types", "weekday-summer,weekend-winter", "--year-start", "2009-01-01",
        "--periods", "1", "-d", tmp_path / "o",
    )  # fmt: skip
    assert code == 0, err
    assert "weekday-summer: objective" in stdout and "weekend-winter: objective" in stdout
    code, _, err = gat(
        "adms", "vvo-plan", "--grid-file", ieee13, "--load-shapes", csv,
        "--day-types", "weekday", "--year-start", "2009-13-01", "-d", tmp_path / "p",
    )  # fmt: skip
    assert code == 1 and "not a date" in err


def test_a_missing_multiplier_names_file_column_and_row(tmp_path: Path, gat, ieee13) -> None:  # type: ignore[no-untyped-def]
    """An empty multiplier in a load_shapes file: one line with the file, table.column and
    the row (shape:step), exit 1; also in the short (step, multiplier) form."""
    shapes = pd.read_csv(SHAPES)
    shapes.loc[(shapes.shape_id == "weekday") & (shapes.step == 1), "multiplier"] = float("nan")
    bad = tmp_path / "bad.csv"
    shapes.to_csv(bad, index=False)
    code, _, err = gat(
        "adms", "vvo-plan", "--grid-file", ieee13, "--load-shapes", bad,
        "--day-types", "weekday", "--periods", "2", "-d", tmp_path / "a",
    )  # fmt: skip
    assert code == 1 and "Traceback" not in err
    assert f"{bad}: load_shapes.multiplier rows [weekday:1]" in err
    short = tmp_path / "short.csv"
    short.write_text("step,multiplier\n0,0.6\n1,\n")
    code, _, err = gat(
        "adms", "vvo-plan", "--grid-file", ieee13, "--load-shapes", short, "-d", tmp_path / "b"
    )
    assert code == 1 and f"{short}: load_shapes.multiplier rows step 1" in err
