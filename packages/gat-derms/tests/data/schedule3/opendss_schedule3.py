"""OpenDSS re-solve of one period of GAT's three-phase schedule on IEEE 13: the reference of
``test_schedule_3ph.py``.

GAT schedules the ``ieee13`` dataset's DER over :func:`prices` (24 hourly periods, network
loads in every period, ``ScheduleOptions()``); the period with the most DER power
(``sum |p| + |q|``) is applied in OpenDSS to ``test_data/opendss/ieee13/
IEEE13Nodeckt_fixed_taps.dss`` (published taps, controls off) with the same driver as the
three-phase OPF's reference (``packages/gat-dist/tests/data/opf3/opendss_opf3.py``: each
set point a constant-P/Q generator or load over the asset's phases). Writes
``setpoints.csv`` (that period's set points) and ``opendss_voltages.csv`` (OpenDSS's
node-phase voltages, pu).

Run from the repository root (needs the bench group's opendssdirect.py)::

    .venv/bin/python packages/gat-derms/tests/data/schedule3/opendss_schedule3.py
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[4]
OPF3 = REPO / "packages" / "gat-dist" / "tests" / "data" / "opf3" / "opendss_opf3.py"


def prices() -> pd.DataFrame:
    """24 hourly prices (currency/MWh): a night low, a midday dip and an evening peak."""
    h = np.arange(24)
    price = 50 + 25 * np.exp(-(((h - 19) / 2.5) ** 2)) - 20 * np.exp(-(((h - 13) / 2.0) ** 2))
    stamps = pd.date_range("2026-07-01T00:00:00+02:00", periods=24, freq="h")
    return pd.DataFrame({"timestamp": stamps.strftime("%Y-%m-%dT%H:%M:%S%z"), "price": price})


def gat_schedule():  # type: ignore[no-untyped-def]
    """GAT's schedule of the ieee13 dataset over :func:`prices`."""
    from gat_derms.schedule import run_schedule
    from gat_dist.datasets import build_dataset

    net = build_dataset("ieee13")
    return net, run_schedule(net, net.table("der_assets"), prices())


def busiest_period(schedule: pd.DataFrame) -> pd.Timestamp:
    """The period with the largest sum of |p| + |q| over the assets."""
    act = schedule.assign(a=schedule.p_mw.abs() + schedule.q_mvar.abs())
    return act.groupby("timestamp")["a"].sum().idxmax()


def setpoints(net, schedule: pd.DataFrame, stamp) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """The period's set points with each asset's node and phases (as the OPF driver wants)."""
    assets = net.table("der_assets").set_index("asset_id")
    rows = schedule[schedule.timestamp == stamp].set_index("asset_id")
    out = pd.DataFrame(
        {
            "asset_id": rows.index.astype(str),
            "bus_id": assets.loc[rows.index, "bus_id"].astype(str).to_numpy(),
            "phase": assets.loc[rows.index, "phase"].astype(str).to_numpy(),
            "p_mw": rows.p_mw.to_numpy(),
            "q_mvar": rows.q_mvar.to_numpy(),
        }
    )
    # A three-phase asset on a node with fewer phases injects on the node's phases.
    node_phases = {"652": "A", "611": "C", "645": "BC", "646": "BC", "684": "AC"}
    out["phase"] = [
        node_phases.get(b, p) if p == "ABC" else p
        for b, p in zip(out.bus_id, out.phase, strict=True)
    ]
    return out


def opendss_driver():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("opendss_opf3", OPF3)
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def main() -> None:
    import opendssdirect as dss

    net, res = gat_schedule()
    stamp = busiest_period(res.schedule)
    sp = setpoints(net, res.schedule, stamp)
    sp.insert(0, "timestamp", str(stamp))
    sp.to_csv(HERE / "setpoints.csv", index=False, float_format="%.9g")
    volts = opendss_driver().opendss_voltages(dss, sp)
    volts.to_csv(HERE / "opendss_voltages.csv", index=False, float_format="%.7f")


if __name__ == "__main__":
    main()
