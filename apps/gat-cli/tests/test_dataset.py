"""``gat dataset list|describe|export``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from gat_dist.datasets import list_datasets

NAMES = [i.name for i in list_datasets()]


def test_list_text_and_json(gat) -> None:  # type: ignore[no-untyped-def]
    code, out, err = gat("dataset", "list")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0].split()[:3] == ["name", "nodes", "branches"]
    assert [line.split()[0] for line in lines[1:]] == NAMES
    assert any(line.split()[:3] == ["case33bw", "33", "37"] for line in lines)
    code, out, _ = gat("--format", "json", "dataset", "list")
    assert code == 0
    listed = json.loads(out)["datasets"]
    assert [d["name"] for d in listed] == NAMES
    assert all(d["license"] and d["citation"] and d["tables"] for d in listed)


def test_describe_text_and_json(gat) -> None:  # type: ignore[no-untyped-def]
    code, out, err = gat("dataset", "describe", "case33bw")
    assert code == 0, err
    assert out.startswith("case33bw: ")
    assert "Baran" in out and "license:" in out and "p_loss_mw = 0.20267 MW (+- 5e-05 MW)" in out
    assert "switching_devices" in out
    code, out, _ = gat("--format", "json", "dataset", "describe", "case69")
    assert code == 0
    info = json.loads(out)
    assert info["name"] == "case69" and info["nodes"] == 69 and info["nominal_kv"] == 12.66
    assert {r["quantity"] for r in info["published_values"]} >= {"p_loss_mw", "vm_min_pu"}


def test_unknown_name_one_line_listing_known(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    for args in (("describe", "ieee999"), ("export", "ieee999", "-d", tmp_path / "x")):
        code, out, err = gat("dataset", *args)
        assert code == 1 and out == ""
        assert len(err.strip().splitlines()) == 1
        assert "unknown dataset 'ieee999'" in err and all(n in err for n in NAMES)
    assert not (tmp_path / "x").exists()


def test_export_writes_a_valid_network_with_run_json(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    out_dir = tmp_path / "c33"
    code, out, err = gat("dataset", "export", "case33bw", "-d", out_dir, "--seed", "4")
    assert code == 0, err
    assert out.startswith("exported case33bw: 33 nodes, 37 branches")
    run = json.loads((out_dir / "run.json").read_text())
    assert run["status"] == "success" and run["command"] == "dataset export"
    assert run["seed"] == 4 and run["params"]["name"] == "case33bw"
    written = {Path(o["path"]).name for o in run["outputs"]}
    assert {"network.json", "der_assets.parquet", "reliability.parquet"} <= written
    assert not [p for p in out_dir.iterdir() if p.name.startswith(".")]
    code, out, err = gat("validate", out_dir)
    assert code == 0 and "is valid" in out, err
    code, out, err = gat(
        "derms",
        "validate-assets",
        "--assets",
        out_dir / "der_assets.parquet",
        "--grid-file",
        out_dir,
    )
    assert code == 0 and "assets valid" in out, err
    code, _, err = gat("dist", "pf", "--grid-file", out_dir, "-d", tmp_path / "pf")
    assert code == 0, err


def test_same_seed_same_bytes(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    for d in ("a", "b"):
        code, _, err = gat("dataset", "export", "case69", "-d", tmp_path / d, "--seed", "11")
        assert code == 0, err
    names = [*sorted(p.name for p in (tmp_path / "a").glob("*.parquet")), "network.json"]
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_force_policy_and_json_summary(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    out_dir = tmp_path / "mine"
    out_dir.mkdir()
    (out_dir / "notes.txt").write_text("keep")
    code, _, err = gat("dataset", "export", "case33bw", "-d", out_dir)
    assert code == 1 and "--force" in err
    assert not (out_dir / "network.json").exists()
    code, out, err = gat(
        "--format", "json", "dataset", "export", "case33bw", "-d", out_dir, "--force"
    )
    assert code == 0, err
    summary = json.loads(out)
    assert summary["tables"]["dist_nodes"] == 33 and summary["seed"] == 0
    assert summary["customers"] > 0 and sum(summary["der_by_type"].values()) > 0
    # notes.txt is still beside the earlier run: replacing that run needs --force again.
    code, _, err = gat("dataset", "export", "case33bw", "-d", out_dir, "--seed", "2")
    assert code == 1 and "notes.txt" in err and "--force" in err
    code, _, err = gat("dataset", "export", "case33bw", "-d", out_dir, "--seed", "2", "--force")
    assert code == 0, err
    assert (out_dir / "notes.txt").read_text() == "keep"
    # An earlier GAT run alone may be replaced without --force.
    (out_dir / "notes.txt").unlink()
    code, _, err = gat("dataset", "export", "case33bw", "-d", out_dir, "--seed", "3")
    assert code == 0, err


def test_help_lists_the_three_commands(gat) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = gat("dataset", "--help")
    assert code == 0
    for name in ("list", "describe", "export"):
        assert f"  {name} " in out
    code, out, _ = gat("dataset", "export", "--help")
    assert code == 0 and "--seed" in out and "--force" in out


def test_runs_as_a_subprocess(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(
        ["gat", "dataset", "export", "case69", "-d", str(tmp_path / "c69")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "c69" / "network.json").is_file()


def test_exported_reliability_tables_drive_flisr(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    out_dir = tmp_path / "c33"
    code, _, err = gat("dataset", "export", "case33bw", "-d", out_dir)
    assert code == 0, err
    code, out, err = gat("adms", "flisr-sim", "--grid-file", out_dir, "-d", tmp_path / "flisr")
    assert code == 0, err
    assert "SAIFI" in out and "AC check: every restoration feasible" in out
