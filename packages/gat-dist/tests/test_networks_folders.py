"""The generated folders in test_data/networks/ match a fresh import of test_data/matpower/."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from gat_dist import import_matpower
from gat_schemas import read_network

ROOT = Path(__file__).resolve().parents[3]
CASES = sorted(p.stem for p in (ROOT / "test_data" / "matpower").glob("*.m"))


def test_one_folder_per_case() -> None:
    folders = sorted(p.name for p in (ROOT / "test_data" / "networks").iterdir() if p.is_dir())
    assert folders == CASES


@pytest.mark.parametrize("case", CASES)
def test_folder_is_up_to_date(case: str) -> None:
    stored = read_network(ROOT / "test_data" / "networks" / case)
    fresh = import_matpower(ROOT / "test_data" / "matpower" / f"{case}.m")
    assert stored.name == fresh.name and stored.base_mva == fresh.base_mva
    assert stored.source["file"] == f"test_data/matpower/{case}.m"
    assert stored.source["sha256"] == fresh.source["sha256"]
    assert list(stored.source["conversions"]) == list(fresh.source["conversions"])
    for table in ("dist_nodes", "dist_branches"):
        got = stored.tables[table]
        want = fresh.tables[table]
        pd.testing.assert_frame_equal(
            got[list(want.columns)].reset_index(drop=True), want, check_dtype=False
        )
