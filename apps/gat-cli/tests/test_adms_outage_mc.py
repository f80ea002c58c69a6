"""``gat adms outage-mc``: outputs, same seed same bytes, bad input, resume after a hard kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[3]
ADMS = REPO / "test_data" / "adms"
FEEDER = (
    "--grid-file",
    ADMS / "feeder4_tie",
    "--reliability",
    ADMS / "feeder4_reliability.csv",
    "--switches",
    ADMS / "feeder4_tie_switching_devices.csv",
)
TABLES = ("outage_samples.parquet", "outage_years.parquet", "outage_stats.parquet")


def test_help_lists_the_options(gat) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = gat("adms", "outage-mc", "--help")
    assert code == 0
    for opt in (
        "--grid-file",
        "--reliability",
        "--switches",
        "--samples",
        "--seed",
        "--repair-dist",
        "--repair-cv",
        "--block-size",
        "--restore",
        "--load-factor",
        "--ac-corrections",
        "--time-limit",
        "--executor",
        "--workers",
        "--scheduler",
        "--resume",
        "--force",
    ):
        assert opt in out


def test_outage_mc_writes_the_three_tables(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    from gat_adms import expected_indices, simulate_flisr
    from gat_dist.table_files import read_table_file
    from gat_schemas import read_network

    out = tmp_path / "mc"
    code, stdout, err = gat(
        "adms", "outage-mc", *FEEDER, "-d", out, "--samples", 2000, "--block-size", 500
    )
    assert code == 0, err
    s = pd.read_parquet(out / "outage_samples.parquet")
    y = pd.read_parquet(out / "outage_years.parquet")
    st = pd.read_parquet(out / "outage_stats.parquet").set_index("index")
    assert list(s.columns)[:6] == [
        "year",
        "event",
        "element_id",
        "element_type",
        "start_h",
        "repair_h",
    ]
    assert len(y) == 2000 and y["failures"].sum() == len(s)
    assert st.index.tolist() == ["SAIFI", "SAIDI", "CAIDI", "ASAI", "ENS", "AENS"]
    flisr = simulate_flisr(
        read_network(ADMS / "feeder4_tie"),
        read_table_file(ADMS / "feeder4_reliability.csv", "reliability"),
        read_table_file(ADMS / "feeder4_tie_switching_devices.csv", "switching_devices"),
    )
    ana = expected_indices(flisr.impacts)
    assert st.loc["SAIDI", "analytic"] == pytest.approx(ana.saidi)
    assert abs(st.loc["SAIDI", "mean"] - ana.saidi) < 4 * st.loc["SAIDI", "sem"]
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "success" and run["seed"] == 0
    assert [sh["id"] for sh in run["shards"]] == ["b0", "b1", "b2", "b3"]
    assert run["params"]["repair_dist"] == "exponential" and run["params"]["samples"] == 2000
    assert len(run["inputs"]) == 3
    assert "2000 simulated years" in stdout and "SAIFI" in stdout and "analytic" in stdout


def test_json_summary(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    code, stdout, err = gat(
        "--format",
        "json",
        "adms",
        "outage-mc",
        *FEEDER,
        "-d",
        tmp_path / "j",
        "--samples",
        300,
        "--repair-dist",
        "lognormal",
        "--repair-cv",
        0.8,
    )
    assert code == 0, err
    data = json.loads(stdout)
    assert data["years"] == 300 and data["repair_dist"] == "lognormal"
    assert set(data["indices"]) == {"SAIFI", "SAIDI", "CAIDI", "ASAI", "ENS", "AENS"}
    assert data["failures"] == int(
        pd.read_parquet(tmp_path / "j" / "outage_years.parquet")["failures"].sum()
    )


def test_same_seed_same_bytes(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    # Process and Dask executors give the same tables too: see gat-adms test_montecarlo.py.
    args = (*FEEDER, "--samples", 900, "--block-size", 300)
    for out, seed in (("a", 7), ("b", 7), ("c", 8)):
        code, _, err = gat("adms", "outage-mc", *args, "--seed", seed, "-d", tmp_path / out)
        assert code == 0, err
    for name in TABLES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a" / TABLES[0]).read_bytes() != (tmp_path / "c" / TABLES[0]).read_bytes()


@pytest.fixture()
def bad_reliability(tmp_path: Path) -> Path:
    text = (ADMS / "feeder4_reliability.csv").read_text()
    path = tmp_path / "bad_reliability.csv"
    path.write_text(text.replace("M2,branch,,0.1,4.0", "M2,branch,,0.1,-4.0"))
    assert path.read_text() != text
    return path


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--samples", "0"), 2, "--samples"),
        (("--samples", "10", "--repair-cv", "0"), 2, "--repair-cv"),
        (("--samples", "10", "--load-factor", "2"), 2, "--load-factor"),
        (("--samples", "10", "--repair-dist", "weibull"), 2, "--repair-dist"),
        (("--samples", "10", "--scheduler", "tcp://127.0.0.1:9"), 1, "needs the dask executor"),
    ],
)
def test_bad_options(tmp_path: Path, gat, args, code, message) -> None:  # type: ignore[no-untyped-def]
    got, _, err = gat("adms", "outage-mc", *FEEDER, "-d", tmp_path / "x", *args)
    assert got == code and message in err


def test_bad_table_is_one_line_and_writes_no_table(
    tmp_path: Path, gat, bad_reliability: Path
) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "x"
    code, stdout, err = gat(
        "adms",
        "outage-mc",
        "--grid-file",
        ADMS / "feeder4",
        "--reliability",
        bad_reliability,
        "--switches",
        ADMS / "feeder4_switching_devices.csv",
        "-d",
        out,
        "--samples",
        10,
    )
    assert code == 1 and stdout == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "bad_reliability.csv" in err and "repair_time_h" in err and "[M2]" in err
    assert not any((out / name).exists() for name in TABLES)
    assert json.loads((out / "run.json").read_text())["status"] == "failed"


def test_unknown_element_and_missing_table_name_the_file(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "reliability.csv"
    bad.write_text((ADMS / "feeder4_reliability.csv").read_text().replace("\nM2,", "\nMX,"))
    switches = ADMS / "feeder4_switching_devices.csv"
    grid = ("--grid-file", ADMS / "feeder4", "--samples", 10)
    code, _, err = gat(
        "adms",
        "outage-mc",
        *grid,
        "--reliability",
        bad,
        "--switches",
        switches,
        "-d",
        tmp_path / "a",
    )
    assert code == 1 and "reliability.csv" in err and "[MX]" in err and "dist_branches" in err
    code, _, err = gat("adms", "outage-mc", *grid, "--switches", switches, "-d", tmp_path / "b")
    assert code == 1 and "no reliability table in the network folder; give --reliability" in err


def test_resume_refuses_other_parameters(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "mc"
    assert gat("adms", "outage-mc", *FEEDER, "-d", out, "--samples", 100)[0] == 0
    code, _, err = gat(
        "adms", "outage-mc", *FEEDER, "-d", out, "--samples", 100, "--seed", 3, "--resume"
    )
    assert code == 1 and "parameters differ from the recorded run: seed" in err


def _shards_recorded(run_json: Path) -> int:
    try:
        return len(json.loads(run_json.read_text())["shards"])
    except (OSError, ValueError, KeyError):
        return 0


def test_killed_run_resumes_to_identical_bytes(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    args = (*FEEDER, "--samples", "4000", "--block-size", "500", "--seed", "5")  # 8 blocks
    whole = tmp_path / "whole"
    assert gat("adms", "outage-mc", *args, "-d", whole)[0] == 0

    out = tmp_path / "killed"
    env = {**os.environ, "GAT_TEST_SHARD_DELAY_S": "0.25"}
    cmd = [sys.executable, "-m", "gat_cli", "adms", "outage-mc", *map(str, args), "-d", str(out)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while _shards_recorded(out / "run.json") < 3 and time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    proc.stderr.close()  # type: ignore[union-attr]
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "running" and 3 <= len(run["shards"]) < 8
    assert not any((out / name).exists() for name in TABLES)
    done = {
        p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (out / "_shards").rglob("*.parquet")
    }

    code, _, err = gat("adms", "outage-mc", *args, "-d", out, "--resume")
    assert code == 0, err
    for p, stamp in done.items():  # finished blocks were not sampled again
        assert (p.stat().st_ino, p.stat().st_mtime_ns) == stamp
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "success" and len(run["shards"]) == 8
    for name in TABLES:
        assert (out / name).read_bytes() == (whole / name).read_bytes(), name
