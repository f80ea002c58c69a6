"""Solve ``loadband.dss`` with OpenDSS and write its node voltages and load powers.

Run from the repository root with the bench dependency group installed (``opendssdirect``):

    .venv/bin/python test_data/opendss/loadband/make_opendss_reference.py

It compiles the script unchanged, solves the snapshot (tolerance 1e-10) and writes
``opendss_voltages.csv`` (every node and phase: magnitude in pu of the bus's ``kVBase`` line
to neutral, angle in degrees) and ``opendss_load_powers.csv`` (each load's total kW and kvar
drawn, summed over its conductors, and its bus).
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
    dss.Text.Command(f'Compile "{HERE / "loadband.dss"}"')
    dss.Text.Command("Set Tolerance=1e-10 MaxIterations=200")
    dss.Text.Command("Solve")
    assert dss.Solution.Converged(), "OpenDSS did not converge"
    rows = [(b, ph, f"{vm:.10f}", f"{va:.8f}") for b, ph, vm, va, _ in node_voltages(dss)]
    with (HERE / "opendss_voltages.csv").open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["node_id", "phase", "vm_pu", "va_deg"])
        w.writerows(rows)
    loads = []
    for name in dss.Loads.AllNames():
        dss.Circuit.SetActiveElement(f"Load.{name}")
        s = dss.CktElement.Powers()
        bus = dss.CktElement.BusNames()[0].split(".")[0]
        loads.append((name, bus, f"{sum(s[0::2]):.8f}", f"{sum(s[1::2]):.8f}"))
    with (HERE / "opendss_load_powers.csv").open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["load_id", "bus", "p_kw", "q_kvar"])
        w.writerows(loads)
    print(f"{len(rows)} node-phases, {len(loads)} loads; {dss.Basic.Version()}")


if __name__ == "__main__":
    main()
