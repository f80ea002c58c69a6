"""Ctrl-C inside a command: one line, exit 130, the run recorded as failed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gat_cli.main import run

REPO = Path(__file__).resolve().parents[3]


def test_ctrl_c_in_a_command_exits_130(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import gat_dist.qsts

    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    # Ctrl-C while the QSTS steps run (click turns it into Abort; it was 'aborted', exit 1).
    monkeypatch.setattr(gat_dist.qsts, "run_qsts", interrupted)
    net = tmp_path / "i13pv"
    dss = REPO / "test_data" / "qsts" / "ieee13_pv_daily.dss"
    assert run(["dist", "import", "opendss", "--file", str(dss), "-d", str(net)]) == 0
    capsys.readouterr()
    code = run(["dist", "qsts", "--grid-file", str(net), "-d", str(tmp_path / "q")])
    err = capsys.readouterr().err
    assert code == 130 and err.strip().splitlines()[-1] == "gat: interrupted"
    record = json.loads((tmp_path / "q" / "run.json").read_text())
    assert record["status"] == "failed" and "KeyboardInterrupt" in record["error"]
