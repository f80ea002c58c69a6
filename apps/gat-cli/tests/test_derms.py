"""``gat derms validate-assets``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[3]
ASSETS = REPO / "test_data" / "assets" / "case33bw_der.csv"
CURVES = REPO / "test_data" / "assets" / "case33bw_cost_curves.csv"
CASE33 = REPO / "test_data" / "networks" / "case33bw"


def _shipped() -> pd.DataFrame:
    return pd.read_csv(ASSETS, dtype={"asset_id": str, "bus_id": str})


def test_valid_assets_one_line_summary(gat) -> None:  # type: ignore[no-untyped-def]
    code, out, err = gat(
        "derms",
        "validate-assets",
        "--assets",
        ASSETS,
        "--grid-file",
        CASE33,
        "--cost-curves",
        CURVES,
    )
    assert code == 0, err
    lines = out.strip().splitlines()
    assert len(lines) == 1
    df = _shipped()
    counts = df["asset_type"].value_counts()
    for kind, n in counts.items():
        assert f"{n} {kind}" in lines[0]
    assert f"total p_max {df['p_max'].sum():.3f} MW" in lines[0]
    assert f"{len(df)} assets valid" in lines[0]


def test_invalid_assets_list_every_violation(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    df = _shipped()
    df.loc[df["asset_id"] == "pv18", "p_min"] = 5.0
    df.loc[df["asset_id"] == "bat25", "bus_id"] = "999"
    bad = tmp_path / "der.parquet"
    df.to_parquet(bad, index=False)
    code, out, err = gat("derms", "validate-assets", "--assets", bad, "--grid-file", CASE33)
    assert code == 1
    assert "der_assets.p_min rows [pv18]" in out
    assert "der_assets.bus_id rows [bat25]" in out
    assert "der_assets.s_max rows [pv18]" in out  # |p_min| = 5 is beyond s_max too
    assert len(err.strip().splitlines()) == 1 and str(bad) in err


def test_json_report(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = gat("--format", "json", "derms", "validate-assets", "--assets", ASSETS)
    assert code == 0
    report = json.loads(out)
    assert report["valid"] is True and report["violations"] == []
    assert report["asset_count"] == len(_shipped())
    assert abs(report["p_max_mw"] - _shipped()["p_max"].sum()) < 1e-12

    df = _shipped()
    df.loc[df["asset_id"] == "bat25", "energy_cap"] = 0.0
    bad = tmp_path / "der.csv"
    df.to_csv(bad, index=False)
    code, out, _ = gat("--format", "json", "derms", "validate-assets", "--assets", bad)
    assert code == 1
    report = json.loads(out)
    assert report["valid"] is False
    assert {
        "table": "der_assets",
        "column": "energy_cap",
        "row_ids": ["bat25"],
        "check": "storage_energy",
        "message": "storage asset needs energy_cap > 0",
    } in report["violations"]


def test_bad_files_exit_1_with_one_line(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    text = tmp_path / "der.txt"
    text.write_text("asset_id\npv1\n")
    broken = tmp_path / "der.csv"
    broken.write_text('asset_id,p_min\n"pv1,0.0\n')
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    for path in (text, broken, empty):
        code, out, err = gat("derms", "validate-assets", "--assets", path)
        assert code == 1, path
        assert out == "" and len(err.strip().splitlines()) == 1 and str(path) in err
    code, _, err = gat("derms", "validate-assets", "--assets", tmp_path / "missing.csv")
    assert code == 2 and "does not exist" in err
