"""Helpers shared by the OPF tests: shipped networks, asset tables, reference values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gat_schemas import Network, read_network, validate_table
from gat_schemas.conform import conform_table

REPO = Path(__file__).resolve().parents[3]
DATA = Path(__file__).resolve().parent / "data" / "opf"


def network(name: str) -> Network:
    """A shipped network folder of ``test_data/networks``."""
    return read_network(REPO / "test_data" / "networks" / name)


def reference(case: str, quantity: str) -> tuple[float, float]:
    """(value, abs_tol) from ``data/opf/reference.csv``."""
    ref = pd.read_csv(DATA / "reference.csv")
    row = ref[(ref["case"] == case) & (ref["quantity"] == quantity)].iloc[0]
    return float(row["value"]), float(row["abs_tol"])


def read_csv_table(path: Path, table: str) -> pd.DataFrame:
    """Read a shipped CSV table with ids as text, conformed and validated."""
    ids = {"asset_id": str, "bus_id": str, "cost_curve_id": str, "owner_id": str, "agg_id": str}
    df = conform_table(table, pd.read_csv(path, dtype=ids))
    assert validate_table(table, df) == []
    return df


def assets(**changes: list) -> pd.DataFrame:  # type: ignore[type-arg]
    """A PV (node 18) and a battery (node 25) on case33bw, with column overrides."""
    df = pd.DataFrame(
        {
            "asset_id": ["pv18", "bat25"],
            "bus_id": ["18", "25"],
            "phase": ["ABC", "ABC"],
            "asset_type": ["pv", "battery"],
            "p_min": [0.0, -0.5],
            "p_max": [1.5, 0.5],
            "q_min": [-0.5, -0.3],
            "q_max": [0.5, 0.3],
            "ramp_up": [np.nan, 0.5],
            "ramp_down": [np.nan, 0.5],
            "energy_cap": [np.nan, 2.0],
            "soc_min": [np.nan, 0.1],
            "soc_max": [np.nan, 0.9],
            "efficiency": [0.97, 0.95],
            "owner_id": ["u", "u"],
            "agg_id": [None, None],
            "priority": np.array([1, 2], dtype=np.int64),
            "cost_curve_id": [None, None],
            "s_max": [1.6, 0.6],
        }
    )
    for col, values in changes.items():
        df[col] = values
    df = conform_table("der_assets", df)
    assert validate_table("der_assets", df) == []
    return df


def check_tables(result) -> None:  # type: ignore[no-untyped-def]
    """Every OPF result table satisfies its schema."""
    for name, df in (
        ("opf_nodes", result.nodes),
        ("opf_branches", result.branches),
        ("opf_der", result.der),
        ("opf_summary", result.summary),
    ):
        assert validate_table(name, conform_table(name, df)) == [], name
