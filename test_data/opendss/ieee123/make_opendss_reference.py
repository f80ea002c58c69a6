"""Solve EPRI's IEEE 123-node model with OpenDSS and write its node voltages and regulator taps.

Run from the repository root with the bench dependency group installed (``opendssdirect``):

    .venv/bin/python test_data/opendss/ieee123/make_opendss_reference.py

It compiles ``IEEE123Master.dss`` unchanged, solves it in snapshot mode with OpenDSS's default
regulator control (``ControlMode=STATIC``), and writes ``opendss_voltages.csv`` (every node and
phase: magnitude in pu of the bus's ``kVBase`` line-to-neutral, angle in degrees) and
``opendss_taps.csv`` (every RegControl's final tap, steps of 0.00625 pu). The README beside
this script says how the tests use them.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import opendssdirect as dss

HERE = Path(__file__).resolve().parent


def main() -> None:
    dss.Text.Command(f'Compile "{HERE / "IEEE123Master.dss"}"')
    dss.Text.Command("Solve")
    assert dss.Solution.Converged(), "OpenDSS did not converge"
    taps = []
    for name in dss.RegControls.AllNames():
        dss.RegControls.Name(name)
        taps.append((name, dss.RegControls.Transformer(), dss.RegControls.TapNumber()))
    rows = []
    for bus in dss.Circuit.AllBusNames():
        dss.Circuit.SetActiveBus(bus)
        base = dss.Bus.kVBase() * 1000.0
        v = dss.Bus.Voltages()
        for k, node in enumerate(dss.Bus.Nodes()):
            if node not in (1, 2, 3):
                continue
            z = complex(v[2 * k], v[2 * k + 1])
            rows.append(
                (bus, "ABC"[node - 1], abs(z) / base, math.degrees(math.atan2(z.imag, z.real)))
            )
    with (HERE / "opendss_voltages.csv").open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["node_id", "phase", "vm_pu", "va_deg"])
        for bus, ph, vm, va in rows:
            w.writerow([bus, ph, f"{vm:.8f}", f"{va:.6f}"])
    with (HERE / "opendss_taps.csv").open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["regulator_id", "branch_id", "tap"])
        for name, xf, tap in taps:
            w.writerow([name, xf, tap])
    print(f"{len(rows)} node-phases, taps {[t for _, _, t in taps]}, version {dss.Basic.Version()}")


if __name__ == "__main__":
    main()
