"""Solve ``open_delta.dss`` with OpenDSS and write its node voltages and regulator taps.

Run from the repository root with the bench dependency group installed (``opendssdirect``):

    .venv/bin/python test_data/opendss/open_delta/make_opendss_reference.py

It compiles ``open_delta.dss`` unchanged, solves the snapshot with OpenDSS's own regulator control
(``ControlMode=STATIC``, tolerance 1e-10), and writes ``opendss_voltages.csv`` (every node and
phase: magnitude in pu of the bus's ``kVBase`` line to neutral, angle in degrees, the base in
kV) and ``opendss_taps.csv`` (each RegControl's final tap, steps of 0.00625 pu).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import opendssdirect as dss

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from dss_nodes import node_voltages  # noqa: E402


def main() -> None:
    dss.Text.Command("Clear")
    dss.Text.Command(f'Compile "{HERE / "open_delta.dss"}"')
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


if __name__ == "__main__":
    main()
