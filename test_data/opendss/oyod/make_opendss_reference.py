"""Solve EPRI's IEEE 4-bus open-wye/open-delta cases with OpenDSS and write node voltages.

Run from the repository root with the bench dependency group installed (``opendssdirect``):

    .venv/bin/python test_data/opendss/oyod/make_opendss_reference.py

It compiles ``4Bus-OYOD-Bal.DSS`` and ``4bus-OYOD-UnBal.dss`` unchanged (the balanced file
holds two scripts; its second, after ``clear``, is the circuit that remains), solves each
snapshot (tolerance 1e-10, at most 100 iterations: the unbalanced case's delta side is held
only by line capacitance and needs 25) and writes ``opendss_voltages_bal.csv`` and
``opendss_voltages_unbal.csv`` (every node and phase: magnitude in pu of the bus's ``kVBase``
line to neutral, angle in degrees, the base in kV).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import opendssdirect as dss

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from dss_nodes import node_voltages  # noqa: E402

CASES = {"bal": "4Bus-OYOD-Bal.DSS", "unbal": "4bus-OYOD-UnBal.dss"}


def main() -> None:
    for key, name in CASES.items():
        dss.Text.Command("Clear")
        dss.Text.Command(f'Compile "{HERE / name}"')
        dss.Text.Command("Set Tolerance=1e-10")
        dss.Text.Command("Set MaxIterations=100")
        dss.Text.Command("Solve")
        assert dss.Solution.Converged(), f"OpenDSS did not converge on {name}"
        with (HERE / f"opendss_voltages_{key}.csv").open("w", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(["node_id", "phase", "vm_pu", "va_deg", "kv_base"])
            for bus, ph, vm, va, kv in node_voltages(dss):
                w.writerow([bus, ph, f"{vm:.10f}", f"{va:.8f}", f"{kv:.10f}"])
    print(dss.Basic.Version())


if __name__ == "__main__":
    main()
