"""Solve the two feeders here with OpenDSS and write their node voltages and regulator taps.

Run from the repository root with the bench dependency group installed (``opendssdirect``):

    .venv/bin/python test_data/opendss/open_delta/make_opendss_reference.py

It compiles ``open_delta.dss`` and ``delta_bank.dss`` unchanged, solves each snapshot with
OpenDSS's own regulator control (``ControlMode=STATIC``, tolerance 1e-10), and writes ``opendss_voltages.csv`` (every node and
phase: magnitude in pu of the bus's ``kVBase`` line to neutral, angle in degrees, the base in
kV) and ``opendss_taps.csv`` (each RegControl's final tap, steps of 0.00625 pu); the second
feeder's files end in ``_delta_bank``.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import opendssdirect as dss

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from dss_nodes import node_voltages  # noqa: E402

#: Feeder file -> suffix of its CSVs.
CASES = {"open_delta.dss": "", "delta_bank.dss": "_delta_bank"}


def main() -> None:
    for name, suffix in CASES.items():
        solve_and_write(name, suffix)
    print(dss.Basic.Version())


def solve_and_write(name: str, suffix: str) -> None:
    """Solve one feeder and write ``opendss_voltages{suffix}.csv``, ``opendss_taps{suffix}.csv``."""
    dss.Text.Command("Clear")
    dss.Text.Command(f'Compile "{HERE / name}"')
    dss.Text.Command("Set Tolerance=1e-10")
    dss.Text.Command("Solve")
    assert dss.Solution.Converged(), f"OpenDSS did not converge on {name}"
    taps = []
    for reg in dss.RegControls.AllNames():
        dss.RegControls.Name(reg)
        taps.append((reg, dss.RegControls.Transformer(), dss.RegControls.TapNumber()))
    with (HERE / f"opendss_voltages{suffix}.csv").open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["node_id", "phase", "vm_pu", "va_deg", "kv_base"])
        for bus, ph, vm, va, kv in node_voltages(dss):
            w.writerow([bus, ph, f"{vm:.10f}", f"{va:.8f}", f"{kv:.10f}"])
    with (HERE / f"opendss_taps{suffix}.csv").open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["regulator_id", "branch_id", "tap"])
        for reg, xf, tap in taps:
            w.writerow([reg, xf, tap])


if __name__ == "__main__":
    main()
