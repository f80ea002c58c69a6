"""Solve EPRI's IEEE 37-node model with OpenDSS and write its node voltages and regulator taps.

Run from the repository root with the bench dependency group installed (``opendssdirect``):

    .venv/bin/python test_data/opendss/ieee37/make_opendss_reference.py

It compiles ``ieee37.dss`` unchanged, solves the snapshot with OpenDSS's own regulator control
(``ControlMode=STATIC``, tolerance 1e-10), and writes ``opendss_voltages.csv`` (every node and
phase: magnitude in pu of the bus's ``kVBase`` line to neutral, angle in degrees, the base in
kV) and ``opendss_taps.csv`` (each RegControl's final tap, steps of 0.00625 pu).

Then a day: every load follows ``DAY`` (a half-sine from 0.5 to 1.0 of the peak, hourly;
``daily=``, ``Set Mode=daily stepsize=1h``, ``ControlMode=STATIC``), and
``opendss_daily_taps.csv`` holds each hour's multiplier and the taps OpenDSS's controls rest at.
"""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path

import opendssdirect as dss

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from dss_nodes import node_voltages  # noqa: E402


def main() -> None:
    dss.Text.Command("Clear")
    dss.Text.Command(f'Compile "{HERE / "ieee37.dss"}"')
    dss.Text.Command("Set Tolerance=1e-10")
    dss.Text.Command("Solve")
    assert dss.Solution.Converged(), "OpenDSS did not converge"
    taps = []
    for name in dss.RegControls.AllNames():
        dss.RegControls.Name(name)
        taps.append((name, dss.RegControls.Transformer(), dss.RegControls.TapNumber()))
    with (HERE / "opendss_voltages.csv").open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["node_id", "phase", "vm_pu", "va_deg", "kv_base"])
        for bus, ph, vm, va, kv in node_voltages(dss):
            w.writerow([bus, ph, f"{vm:.10f}", f"{va:.8f}", f"{kv:.10f}"])
    with (HERE / "opendss_taps.csv").open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["regulator_id", "branch_id", "tap"])
        for name, xf, tap in taps:
            w.writerow([name, xf, tap])
    print(f"taps {[t for _, _, t in taps]}, version {dss.Basic.Version()}")
    daily()


#: Hourly load multipliers of the day (a half-sine, 0.5 at midnight to 1.0 at midday).
DAY = [0.5 + 0.5 * math.sin(math.pi * h / 23) for h in range(24)]


def daily() -> None:
    """Solve 24 hourly snapshots with the loads on ``DAY`` and write the resting taps."""
    dss.Text.Command("Clear")
    dss.Text.Command(f'Compile "{HERE / "ieee37.dss"}"')
    dss.Text.Command(f"New Loadshape.day npts=24 interval=1 mult=({' '.join(map(repr, DAY))})")
    dss.Text.Command("BatchEdit Load..* daily=day")
    dss.Text.Command("Set Tolerance=1e-10")
    dss.Text.Command("Set Mode=daily stepsize=1h number=1")
    dss.Text.Command("Set ControlMode=static")
    names = dss.RegControls.AllNames()
    with (HERE / "opendss_daily_taps.csv").open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["hour", "multiplier", *names])
        for h, mult in enumerate(DAY):
            dss.Text.Command("Solve")
            assert dss.Solution.Converged(), f"OpenDSS did not converge at hour {h}"
            taps = []
            for name in names:
                dss.RegControls.Name(name)
                taps.append(dss.RegControls.TapNumber())
            w.writerow([h, repr(mult), *taps])


if __name__ == "__main__":
    main()
