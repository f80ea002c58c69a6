"""Generate the DER scheduling example data in test_data/derms/ (seeded, reproducible).

Run from anywhere: ``uv run --no-sync python test_data/derms/make_derms_data.py``.
What it writes, with units and the distributions used, is described in ``README.md`` next
to this file; the numbers below are the whole recipe. Every random draw comes from one
``numpy.random.Generator`` seeded with :data:`SEED`, drawn in a fixed order, so the output is
byte-for-byte the same on every run (for a given numpy and pyarrow version).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

import gat_pf
from gat_schemas import Network, read_network, write_network

ROOT = Path(__file__).resolve().parent.parent.parent
HERE = Path("test_data") / "derms"
SEED = 20261130
#: The day: 96 periods of 15 minutes from local midnight (Central European Summer Time).
DAY = pd.Timestamp("2026-07-01 00:00", tz="Europe/Berlin")
PERIODS, STEP_H = 96, 0.25
#: Nodes whose load follows the commercial profile (the others are residential).
COMMERCIAL = ("7", "8", "24", "25", "30")

#: Main portfolio: (asset_id, bus, type, p_min, p_max, q_min, q_max, s_max, energy_cap,
#: soc_min, soc_max, soc_init, ramp (MW/h, up = down), energy_need (MWh), window (h, h),
#: cost curve). MW, Mvar, MVA, MWh; generation positive.
PORTFOLIO = (
    ("pv18", "18", "pv", 0.0, 0.8, -0.25, 0.25, 0.85, None, None, None, None, None, None, None, "pv_zero"),
    ("pv22", "22", "pv", 0.0, 0.5, -0.15, 0.15, 0.55, None, None, None, None, None, None, None, "pv_zero"),
    ("pv25", "25", "pv", 0.0, 0.6, -0.2, 0.2, 0.65, None, None, None, None, None, None, None, "pv_zero"),
    ("pv33", "33", "pv", 0.0, 1.4, -0.4, 0.4, 1.45, None, None, None, None, None, None, None, "pv_zero"),
    ("bat25", "25", "battery", -0.5, 0.5, -0.3, 0.3, 0.6, 2.0, 0.1, 0.95, 0.5, None, None, None, "battery_wear"),
    ("bat30", "30", "battery", -0.4, 0.4, -0.3, 0.3, 0.5, 1.6, 0.1, 0.95, 0.5, None, None, None, "battery_wear"),
    ("bat17", "17", "battery", -0.25, 0.25, -0.15, 0.15, 0.3, 1.0, 0.1, 0.9, 0.5, 0.5, None, None, "battery_wear"),
    ("ev_depot", "24", "ev", -0.4, 0.0, 0.0, 0.0, 0.4, 1.2, 0.1, 1.0, 0.2, None, 0.8, (20.0, 6.0), "flex_zero"),
    ("ev_work", "14", "ev", -0.15, 0.0, 0.0, 0.0, 0.15, 0.5, 0.1, 1.0, 0.3, None, 0.3, (8.0, 17.0), "flex_zero"),
    ("ev_home", "31", "ev", -0.2, 0.1, 0.0, 0.0, 0.2, 0.6, 0.1, 1.0, 0.2, None, 0.4, (18.0, 7.0), "flex_zero"),
    ("fl_heat", "7", "flex_load", -0.3, 0.0, -0.05, 0.05, 0.31, None, None, None, None, 0.6, 1.5, (0.0, 24.0), "flex_zero"),
    ("fl_pump", "29", "flex_load", -0.25, 0.0, 0.0, 0.0, 0.25, None, None, None, None, 0.6, 0.8, (10.0, 16.0), "flex_zero"),
    ("fl_cold", "12", "flex_load", -0.15, -0.02, 0.0, 0.0, 0.15, None, None, None, None, None, 1.2, (0.0, 24.0), "flex_zero"),
)  # fmt: skip

COST_CURVES = pd.DataFrame(
    {
        "cost_curve_id": ["pv_zero", "battery_wear", "flex_zero"],
        "c1": [0.0, 5.0, 0.0],
        "c0": [0.0, 0.0, 0.0],
    }
)


def hours() -> np.ndarray:
    """Start of each period, in hours after local midnight."""
    return np.arange(PERIODS) * STEP_H


def _bump(h: np.ndarray, centre: float, width: float) -> np.ndarray:
    return np.exp(-(((h - centre) / width) ** 2))


def load_shapes(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Residential and commercial load profiles (fraction of the network's peak load)."""
    residential = 0.45 + 0.2 * _bump(h, 8.0, 1.5) + 0.55 * _bump(h, 19.5, 2.5)
    commercial = 0.4 + 0.55 * _bump(h, 13.5, 4.0)
    return residential, commercial


def pv_shape(h: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Clear-sky PV (sunrise 06:00, sunset 20:00) times a random cloud factor."""
    mid = h + STEP_H / 2
    clear = np.clip(np.sin(math.pi * (mid - 6.0) / 14.0), 0.0, None) ** 1.3
    clear[(mid < 6.0) | (mid > 20.0)] = 0.0
    cloud = np.zeros(PERIODS)
    shocks = rng.normal(0.0, 0.06, PERIODS)
    for t in range(1, PERIODS):
        cloud[t] = 0.8 * cloud[t - 1] + shocks[t]
    return np.round(clear * (1.0 - np.clip(cloud, 0.0, 0.4)), 4)


def price_shape(h: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Day-ahead-like price (currency/MWh): night plateau, morning and evening peaks, solar dip."""
    mid = h + STEP_H / 2
    base = (
        60.0
        + 25.0 * _bump(mid, 8.0, 1.5)
        + 60.0 * _bump(mid, 19.5, 2.0)
        - 45.0 * _bump(mid, 13.5, 2.5)
    )
    return np.round(base + rng.normal(0.0, 3.0, PERIODS), 2)


def timestamps() -> list[str]:
    """ISO 8601 period starts with their UTC offset."""
    return [(DAY + pd.Timedelta(hours=float(x))).isoformat() for x in hours()]


def network_with_limits() -> Network:
    """case33bw with thermal limits (see README) and the portfolio's cost curves."""
    net = read_network(ROOT / "test_data" / "networks" / "case33bw")
    flows = gat_pf.run_power_flow(gat_pf.build_model(net)).branches
    s_base = flows.set_index("branch_id")["s_from_mva"]
    branches = net.tables["dist_branches"].copy()
    s = branches["branch_id"].map(s_base).fillna(0.0).to_numpy(dtype=float)
    branches["thermal_limit"] = np.ceil(np.maximum(1.5 * s, 1.0) * 10.0 - 1e-9) / 10.0
    tables = dict(net.tables)
    tables["dist_branches"] = branches
    tables["der_cost_curves"] = COST_CURVES
    source = dict(net.source)
    source["import_notes"] = [
        *source.get("import_notes", []),
        "test_data/derms/make_derms_data.py: thermal_limit = max(1.5 x base-case |S_from|, "
        "1.0 MVA) rounded up to 0.1 MVA; der_cost_curves added",
    ]
    return Network(net.name, net.base_mva, tables, net.frequency_hz, source)


def _asset_rows(rows: tuple) -> pd.DataFrame:  # type: ignore[type-arg]
    out = []
    for i, r in enumerate(rows):
        aid, bus, kind, pmin, pmax, qmin, qmax, smax, cap, smin, smx, sinit, ramp, need, win, cc = r
        out.append(
            {
                "asset_id": aid,
                "bus_id": bus,
                "phase": "ABC",
                "asset_type": kind,
                "p_min": pmin,
                "p_max": pmax,
                "q_min": qmin,
                "q_max": qmax,
                "ramp_up": ramp,
                "ramp_down": ramp,
                "energy_cap": cap,
                "soc_min": smin,
                "soc_max": smx,
                "efficiency": 0.95 if kind in ("battery", "ev") else 1.0,
                "owner_id": "utility" if kind == "battery" else "customer",
                "agg_id": "agg_north" if int(bus) <= 18 else "agg_south",
                "priority": i + 1,
                "cost_curve_id": cc,
                "s_max": smax,
                "soc_init": sinit,
                "energy_need": need,
                "window_start": None if win is None else win[0],
                "window_end": None if win is None else win[1],
            }
        )
    return pd.DataFrame(out)


def portfolio_50(rng: np.random.Generator) -> pd.DataFrame:
    """50 assets at random nodes: 20 pv, 10 batteries, 12 EV chargers, 8 flexible loads."""
    nodes = [str(n) for n in range(2, 34)]
    rows = []
    for i in range(20):
        p = round(float(rng.uniform(0.05, 0.3)), 3)
        q = round(0.3 * p, 3)
        rows.append((f"pv{i:02d}", rng.choice(nodes), "pv", 0.0, p, -q, q, round(1.05 * p, 3),
                     None, None, None, None, None, None, None, "pv_zero"))  # fmt: skip
    for i in range(10):
        p = round(float(rng.uniform(0.05, 0.2)), 3)
        hrs = float(rng.choice([2.0, 3.0, 4.0]))
        rows.append((f"bat{i:02d}", rng.choice(nodes), "battery", -p, p, -0.5 * p, 0.5 * p,
                     round(1.2 * p, 3), round(p * hrs, 3), 0.1, 0.95, 0.5, None, None, None,
                     "battery_wear"))  # fmt: skip
    for i in range(12):
        p = round(float(rng.uniform(0.02, 0.1)), 3)
        start = float(rng.choice([17.0, 18.0, 19.0, 20.0, 7.0, 8.0]))
        end = float(rng.choice([6.0, 7.0])) if start > 12 else float(rng.choice([16.0, 17.0]))
        cap = round(4.0 * p, 3)
        need = round(float(rng.uniform(0.3, 0.6)) * cap, 3)
        rows.append((f"ev{i:02d}", rng.choice(nodes), "ev", -p, 0.0, 0.0, 0.0, p, cap, 0.1, 1.0,
                     0.2, None, need, (start, end), "flex_zero"))  # fmt: skip
    for i in range(8):
        p = round(float(rng.uniform(0.02, 0.1)), 3)
        start = float(rng.choice([0.0, 6.0, 10.0]))
        end = 24.0 if start == 0.0 else start + float(rng.choice([6.0, 8.0]))
        need = round(float(rng.uniform(0.3, 0.6)) * p * (end - start), 3)
        rows.append((f"fl{i:02d}", rng.choice(nodes), "flex_load", -p, 0.0, 0.0, 0.0, p, None,
                     None, None, None, round(2.0 * p, 3), need, (start, end), "flex_zero"))  # fmt: skip
    df = _asset_rows(tuple(rows))
    df["bus_id"] = df["bus_id"].astype(str)
    return df


def main(out: Path | None = None) -> None:
    """Write every file of test_data/derms/ (or of ``out``, for the reproducibility test)."""
    before = Path.cwd()
    os.chdir(ROOT)  # recorded paths are relative to the repository root
    try:
        _write(HERE if out is None else Path(out))
    finally:
        os.chdir(before)


def _write(here: Path) -> None:
    rng = np.random.default_rng(SEED)
    h = hours()
    stamps = timestamps()

    net = network_with_limits()
    write_network(net, here / "case33bw", overwrite=True)

    _asset_rows(PORTFOLIO).to_csv(here / "der_assets.csv", index=False)
    COST_CURVES.to_csv(here / "der_cost_curves.csv", index=False)

    pd.DataFrame({"timestamp": stamps, "price": price_shape(h, rng)}).to_csv(
        here / "prices.csv", index=False
    )

    residential, commercial = load_shapes(h)
    node_ids = [n for n in net.nodes["node_id"].astype(str) if n != "1"]
    parts = []
    for node in node_ids:
        shape = commercial if node in COMMERCIAL else residential
        noise = rng.normal(0.0, 0.02, PERIODS)
        parts.append(
            pd.DataFrame(
                {"timestamp": stamps, "node_id": node, "scale": np.round(shape + noise, 4)}
            )
        )
    pd.concat(parts, ignore_index=True).to_csv(here / "loads.csv", index=False)

    pd.DataFrame({"timestamp": stamps, "scale": pv_shape(h, rng)}).to_csv(
        here / "pv.csv", index=False
    )
    portfolio_50(rng).to_csv(here / "der_assets_50.csv", index=False)
    print(f"wrote {here}/: case33bw/, der_assets.csv, der_assets_50.csv, der_cost_curves.csv, "
          "prices.csv, loads.csv, pv.csv")  # fmt: skip


if __name__ == "__main__":
    main()
