"""``gat dist import matpower --per-phase``: case533mt's per-phase data as three-phase."""

from __future__ import annotations

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def test_per_phase_import(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    m = REPO / "test_data" / "matpower" / "case533mt_hi.m"
    code, out, err = gat("dist", "import", "matpower", "--file", m, "-d", tmp_path / "a")
    assert code == 0, err
    assert "6.9282, 77.9423 kV, base 16.6667 MVA" in out
    code, out, err = gat(
        "dist", "import", "matpower", "--file", m, "-d", tmp_path / "b", "--per-phase"
    )  # fmt: skip
    assert code == 0, err
    assert "12, 135 kV, base 50 MVA" in out and "total load 44.6206 MW" in out
    assert "note: per-phase data:" in out
    params = json.loads((tmp_path / "b" / "run.json").read_text())["params"]
    assert params["per_phase"] is True
