"""Shared fixtures of the CLI tests: the repository's shipped data, and a runner."""

from __future__ import annotations

from pathlib import Path

import pytest

from gat_cli.main import run

REPO = Path(__file__).resolve().parents[3]
MATPOWER = REPO / "test_data" / "matpower"


@pytest.fixture()
def gat(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run ``gat ARGS`` in-process; return (exit code, stdout, stderr)."""

    def _run(*args: object) -> tuple[int, str, str]:
        code = run([str(a) for a in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return _run


@pytest.fixture()
def case33(tmp_path: Path, gat) -> Path:  # type: ignore[no-untyped-def]
    """case33bw imported into a fresh network folder."""
    out = tmp_path / "case33bw"
    code, _, err = gat("dist", "import", "matpower", "--file", MATPOWER / "case33bw.m", "-d", out)
    assert code == 0, err
    return out
