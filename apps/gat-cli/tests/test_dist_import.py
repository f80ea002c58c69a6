"""``gat dist import matpower``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

MATPOWER = Path(__file__).resolve().parents[3] / "test_data" / "matpower"


def test_import_case33bw_converts_units_and_writes_manifest(case33: Path) -> None:
    nodes = pd.read_parquet(case33 / "dist_nodes.parquet")
    branches = pd.read_parquet(case33 / "dist_branches.parquet")
    assert nodes["load_p"].sum() == pytest.approx(3.715, abs=1e-9)
    assert nodes["load_q"].sum() == pytest.approx(2.300, abs=1e-9)
    assert (branches["status"] == "open").sum() == 5
    manifest = json.loads((case33 / "run.json").read_text())
    assert manifest["status"] == "success"
    assert manifest["command"] == "dist import matpower"
    assert {o["path"] for o in manifest["outputs"]} >= {
        "network.json",
        "dist_nodes.parquet",
        "dist_branches.parquet",
    }
    assert manifest["inputs"][0]["sha256"]
    assert not [p for p in case33.iterdir() if p.name.startswith(".")]


def test_import_options_prefix_feeder_root(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "n"
    code, stdout, err = gat(
        "--format",
        "json",
        "dist",
        "import",
        "matpower",
        "--file",
        MATPOWER / "case33bw.m",
        "-d",
        out,
        "--prefix",
        "A_",
        "--feeder-id",
        "F1",
        "--root",
        "1",
    )
    assert code == 0, err
    summary = json.loads(stdout)
    assert summary["nodes"] == 33
    nodes = pd.read_parquet(out / "dist_nodes.parquet")
    assert nodes["node_id"].str.startswith("A_").all()
    assert set(nodes["feeder_id"]) == {"F1"}


def test_import_refuses_a_folder_with_user_files(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    code, _, err = gat("dist", "import", "matpower", "--file", MATPOWER / "case33bw.m", "-d", out)
    assert code == 1
    assert "--force" in err and "\n" not in err.strip()
    assert (out / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_bad_file_fails_in_one_line_and_leaves_no_tables(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "broken.m"
    text = (
        (MATPOWER / "case33bw.m")
        .read_text()
        .replace(
            "mpc.bus(:, [PD, QD]) = mpc.bus(:, [PD, QD]) / 1e3;",
            "mpc.bus(:, PD) = sqrt(mpc.bus(:, PD));",
        )
    )
    bad.write_text(text)
    out = tmp_path / "out"
    code, _, err = gat("dist", "import", "matpower", "--file", bad, "-d", out)
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "broken.m:125" in lines[0] and "sqrt" in lines[0]
    assert "Traceback" not in err
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["status"] == "failed" and "broken.m" in manifest["error"]
    assert sorted(p.name for p in out.iterdir()) == ["run.json"]


def test_debug_shows_traceback(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "empty.m"
    bad.write_text("")
    code, _, err = gat("--debug", "dist", "import", "matpower", "--file", bad, "-d", tmp_path / "o")
    assert code == 1
    assert "Traceback" in err


def test_output_folder_may_not_hold_the_input(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "case33bw.m"
    src.write_bytes((MATPOWER / "case33bw.m").read_bytes())
    code, _, err = gat("dist", "import", "matpower", "--file", src, "-d", tmp_path, "--force")
    assert code == 1 and "holds the input" in err
    assert src.read_bytes() == (MATPOWER / "case33bw.m").read_bytes()
