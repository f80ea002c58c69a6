"""Shared fixtures of the gat-dist tests: where the repository's test data lives."""

from __future__ import annotations

from pathlib import Path

import pytest

#: The repository root (tests -> gat-dist -> packages -> root).
REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def matpower_dir() -> Path:
    """``test_data/matpower`` (MATPOWER case files copied into the repository)."""
    return REPO_ROOT / "test_data" / "matpower"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """``packages/gat-dist/tests/data`` (expected values with their README)."""
    return Path(__file__).resolve().parent / "data"


#: A small version-2 case used by the syntax and mapping tests: slack bus 1, PV bus 2 with a
#: generator, load bus 3, an open tie 1-3.
SMALL_CASE = """function mpc = small
%% a comment line
mpc.version = '2';
mpc.baseMVA = 100;
%   bus_i type Pd Qd Gs Bs area Vm Va baseKV zone Vmax Vmin
mpc.bus = [
    1  3  0    0   0  0  1  1.02  0  11  1  1.1  0.9;
    2  2  1.5  0.5 0  0  1  1     0  11  1  1.1  0.9;
    3  1  2.0  1.0 0  0.1  1  1   0  11  1  1.1  0.9;
];
mpc.gen = [
    1  0    0  10  -10  1.02  100  1  50  0;
    2  1.0  0  Inf -Inf 1.01  100  1  50  0;
];
mpc.branch = [
    1  2  0.01  0.02  0  5  0  0  0  0  1;
    2  3  0.01  0.02  0  0  0  0  0  0  1;
    1  3  0.01  0.02  0  0  0  0  0  0  0;
];
"""


@pytest.fixture
def write_case(tmp_path: Path):
    """Factory: write ``text`` to ``tmp_path / name`` and return the path."""

    def _write(text: str = SMALL_CASE, name: str = "small.m") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return _write


@pytest.fixture
def small_text() -> str:
    """The text of :data:`SMALL_CASE` (to be edited by a test before writing)."""
    return SMALL_CASE
