"""``gat dist import opendss``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

OPENDSS = Path(__file__).resolve().parents[3] / "test_data" / "opendss"
IEEE13 = OPENDSS / "ieee13" / "IEEE13Nodeckt.dss"


def test_import_ieee13_writes_the_three_phase_tables(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "ieee13"
    code, stdout, err = gat("dist", "import", "opendss", "--file", IEEE13, "-d", out)
    assert code == 0, err
    assert stdout.startswith("imported IEEE13Nodeckt: 17 nodes, 18 branches")
    assert "15 loads, total 3.4663 MW" in stdout and "3 regulators, 2 capacitors" in stdout
    assert "note: source IEEE13Nodeckt" in stdout
    names = {p.name for p in out.iterdir()}
    assert names == {
        "network.json",
        "run.json",
        *(
            f"{t}.parquet"
            for t in (
                "dist_nodes",
                "dist_branches",
                "dist_linecodes",
                "dist_transformers",
                "dist_regulators",
                "dist_loads",
                "dist_caps",
            )
        ),
    }
    loads = pd.read_parquet(out / "dist_loads.parquet")
    assert len(loads) == 15
    network = json.loads((out / "network.json").read_text())
    assert network["source"]["format"] == "opendss"
    assert [Path(f["path"]).name for f in network["source"]["files"]] == [
        "IEEE13Nodeckt.dss",
        "IEEELineCodes.DSS",
    ]
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["status"] == "success" and manifest["command"] == "dist import opendss"
    assert manifest["params"]["base_mva"] == 1.0 and manifest["inputs"][0]["sha256"]


def test_json_summary_and_options(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "n"
    code, stdout, err = gat(
        "--format",
        "json",
        "dist",
        "import",
        "opendss",
        "--file",
        OPENDSS / "ieee34" / "ieee34Mod2.dss",
        "-d",
        out,
        "--name",
        "ieee34",
        "--feeder-id",
        "F34",
        "--base-mva",
        "10",
        "--v-min",
        "0.9",
        "--v-max",
        "1.1",
    )
    assert code == 0, err
    summary = json.loads(stdout)
    assert summary["network"] == "ieee34" and summary["base_mva"] == 10.0
    assert summary["tables"]["dist_regulators"] == 6
    assert summary["base_kv"] == [4.16, 24.9, 69.0]
    nodes = pd.read_parquet(out / "dist_nodes.parquet")
    assert set(nodes["feeder_id"]) == {"F34"} and (nodes["v_min"] == 0.9).all()
    # The loads' vminpu=0.85 is modelled (the load band; constant-impedance loads have none).
    loads = pd.read_parquet(out / "dist_loads.parquet")
    band = loads["v_min_pu"].dropna()
    assert len(band) > 20 and (abs(band - 0.85) < 1e-5).all()


def test_unsupported_input_fails_in_one_line(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.dss"
    bad.write_text(
        IEEE13.read_text().replace("Set Voltagebases", "New GICLine.g bus1=675\nSet Voltagebases")
    )
    for name in ("IEEELineCodes.DSS", "IEEE13Node_BusXY.csv"):
        (tmp_path / name).write_bytes((IEEE13.parent / name).read_bytes())
    out = tmp_path / "out"
    code, _, err = gat("dist", "import", "opendss", "--file", bad, "-d", out)
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "object class 'GICLine' (bad.dss:147)" in lines[0]
    assert "Traceback" not in err
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["status"] == "failed" and "GICLine" in manifest["error"]
    assert sorted(p.name for p in out.iterdir()) == ["run.json"]


def test_mod1_is_rejected_with_the_line(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    # Mod 1 imports as it is (its model=4 loads have exponents 1 and 2); two of its loads
    # turned into ZIP loads without their seven ZIPV numbers are each named with their line.
    script = tmp_path / "mod1_zip.dss"
    script.write_text(
        f"Redirect {OPENDSS / 'ieee34' / 'ieee34Mod1.dss'}\n"
        "Load.D808_810sb.model=8\nLoad.D808_810rb.model=8\n"
    )
    code, _, err = gat("dist", "import", "opendss", "--file", script, "-d", tmp_path / "o")
    assert code == 1 and "mod1_zip.dss:2: load D808_810sb: model=8 needs zipv=" in err
    assert "mod1_zip.dss:3: load D808_810rb: model=8 needs zipv=" in err


def test_missing_file_is_a_usage_error(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    nope = tmp_path / "nope.dss"
    code, _, err = gat("dist", "import", "opendss", "--file", nope, "-d", tmp_path / "o")
    assert code == 2 and "does not exist" in err


def test_positional_script_is_a_deprecated_spelling(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    code, _, err = gat("dist", "import", "opendss", IEEE13, "-d", tmp_path / "o")
    assert code == 0, err
    assert err.splitlines()[0] == (
        "gat: warning: the positional DSS_FILE is deprecated; use --file DSS_FILE"
    )
    code, _, err = gat("dist", "import", "opendss", "-d", tmp_path / "p")
    assert code == 2 and "Missing option '--file'" in err
    code, _, err = gat("dist", "import", "opendss", IEEE13, "--file", IEEE13, "-d", tmp_path / "q")
    assert code == 2 and "once" in err


def test_help(gat) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = gat("dist", "import", "opendss", "--help")
    assert code == 0
    for option in (
        "--file",
        "--out-dir",
        "--base-mva",
        "--v-min",
        "--v-max",
        "--feeder-id",
        "--force",
    ):
        assert option in out


@pytest.mark.slow
def test_runs_as_a_subprocess(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(
        ["gat", "dist", "import", "opendss", "--file", str(IEEE13), "-d", str(tmp_path / "n")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "n" / "dist_loads.parquet").is_file()


def test_refused_import_lists_everything_beside_the_folder(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    """Item 1 of issue 13: one pass, the count and first few on stderr, all in the report."""
    ieee123 = OPENDSS / "ieee123"
    for f in ieee123.glob("*.DSS"):
        (tmp_path / f.name).write_bytes(f.read_bytes())
    master = (ieee123 / "IEEE123Master.dss").read_text()
    bad = tmp_path / "IEEE123Master.dss"
    bad.write_text(master + "".join(f"New GICLine.g{k} bus1=150\n" for k in range(10)))
    out = tmp_path / "net"
    code, _, err = gat("dist", "import", "opendss", "--file", bad, "-d", out)
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "10 unsupported OpenDSS input(s)" in err and "; and 2 more" in err
    assert "(all 10 listed in " in err and "net.import_report.txt)" in err
    report = tmp_path / "net.import_report.txt"
    lines = report.read_text().splitlines()
    assert [ln for ln in lines if "GICLine" in ln] == [
        f"object class 'GICLine' (IEEE123Master.dss:{223 + k})" for k in range(10)
    ]
    assert sorted(p.name for p in out.iterdir()) == ["run.json"]  # no half network folder
    code, stdout, _ = gat("--format", "json", "dist", "import", "opendss", "--file", bad, "-d", out)
    summary = json.loads(stdout)
    assert code == 1 and len(summary["problems"]) == summary["unsupported"] == 10
    assert summary["import_report"] == str(report)
    # Fixed: the import succeeds and the stale report goes.
    bad.write_text(master)
    code, stdout, err = gat("dist", "import", "opendss", "--file", bad, "-d", out, "--force")
    assert code == 0, err
    assert not report.exists()
    assert "ganged" not in err
    nodes = pd.read_parquet(out / "dist_nodes.parquet")
    assert len(nodes) == 133 and (nodes["type"] == "slack").sum() == 1
