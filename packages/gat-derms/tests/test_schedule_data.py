"""The shipped scheduling data (test_data/derms/) is what its committed generator writes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
DERMS = REPO / "test_data" / "derms"
FILES = (
    "der_assets.csv",
    "der_assets_50.csv",
    "der_cost_curves.csv",
    "prices.csv",
    "loads.csv",
    "pv.csv",
    "case33bw/network.json",
    "case33bw/dist_branches.parquet",
    "case33bw/der_cost_curves.parquet",
)


def test_generator_reproduces_the_shipped_files(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_derms_data", DERMS / "make_derms_data.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (DERMS / name).read_bytes(), name


@pytest.mark.parametrize("name", ["der_assets.csv", "der_assets_50.csv"])
def test_portfolios_are_valid(name: str) -> None:
    from gat_derms import validate_assets
    from gat_dist.table_files import read_table_file
    from gat_schemas import read_network

    assets = read_table_file(DERMS / name, "der_assets", validate=False)
    assert validate_assets(assets, network=read_network(DERMS / "case33bw")) == []
