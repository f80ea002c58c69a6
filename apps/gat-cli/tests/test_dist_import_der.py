"""``gat dist import opendss`` with DER, load shapes, capacitor controls and fuses."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

DER = Path(__file__).resolve().parents[3] / "test_data" / "opendss" / "der"


def test_der_case_imports_validates_and_its_assets_pass_derms(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "der"
    code, stdout, err = gat("dist", "import", "opendss", "--file", DER / "der_case.dss", "-d", out)
    assert code == 0, err
    assert "4 DER (PVSystem, Generator, Storage) -> der_assets" in stdout
    assert "2 loadshape(s) -> load_shapes (11673 points" in stdout
    manifest = json.loads((out / "run.json").read_text())
    written = {Path(o["path"]).name for o in manifest["outputs"]}
    assert {"der_assets.parquet", "load_shapes.parquet", "dist_loads.parquet"} <= written
    code, stdout, err = gat(
        "derms", "validate-assets", "--assets", out / "der_assets.parquet", "--grid-file", out
    )
    assert code == 0, stdout + err
    assert "4 assets valid (1 battery, 2 genset, 1 pv)" in stdout
    code, stdout, err = gat("validate", out)
    assert code == 0, stdout + err
    code, stdout, err = gat("dist", "pf", "--unbalanced", "--grid-file", out, "-d", tmp_path / "pf")
    assert code == 0, err
    # No DER injection: the feeder head supplies the loads plus losses.
    summary = pd.read_parquet(tmp_path / "pf" / "pf3_summary.parquet").iloc[0]
    assert summary["total_gen_mw"] > summary["total_load_mw"] > 0.5


def test_protection_case_writes_controls_and_devices(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "p"
    case = DER / "ieee8500_protection_case.dss"
    code, stdout, err = gat("dist", "import", "opendss", "--file", case, "-d", out)
    assert code == 0, err
    assert "30 fuse, 1 relay -> switching_devices" in stdout
    devices = pd.read_parquet(out / "switching_devices.parquet")
    assert sorted(devices["device_type"].unique()) == ["breaker", "fuse"]
    controls = pd.read_parquet(out / "dist_cap_controls.parquet")
    assert len(controls) == 9 and set(controls["control_type"]) == {"kvar"}
    code, stdout, err = gat("validate", out)
    assert code == 0, stdout + err


def test_undefined_shape_is_one_line_error(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.dss"
    bad.write_text(
        "New Circuit.t basekv=12.47 bus1=src\n"
        "New Line.l1 bus1=src bus2=b r1=0.1 x1=0.1 r0=0.3 x0=0.3 units=km length=1\n"
        "New Load.x bus1=b kv=12.47 kw=10 kvar=1 yearly=nosuch\n"
    )
    code, _, err = gat("dist", "import", "opendss", "--file", bad, "-d", tmp_path / "out")
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and "yearly=nosuch" in err
