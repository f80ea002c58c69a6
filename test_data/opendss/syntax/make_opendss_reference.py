"""Solve ``syntax_rules.dss`` with OpenDSS and write its node voltages.

Run from the repository root with the bench dependency group installed (``opendssdirect``):

    .venv/bin/python test_data/opendss/syntax/make_opendss_reference.py

It compiles the script unchanged, solves the snapshot (tolerance 1e-10) and writes ``opendss_voltages.csv``
(every node and phase: magnitude in pu of the bus's ``kVBase`` line to neutral, angle in
degrees), and prints the source's MVAsc1 and the wire's GMRac as OpenDSS read them.
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
    dss.Text.Command(f'Compile "{HERE / "syntax_rules.dss"}"')
    # Solved again to a tight tolerance (OpenDSS's default, 1e-4 pu, leaves ~1e-6 pu).
    dss.Text.Command("Set Tolerance=1e-10")
    dss.Text.Command("Solve")
    assert dss.Solution.Converged(), "OpenDSS did not converge"
    rows = [r[:4] for r in node_voltages(dss)]
    with (HERE / "opendss_voltages.csv").open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["node_id", "phase", "vm_pu", "va_deg"])
        for bus, ph, vm, va in rows:
            w.writerow([bus, ph, f"{vm:.8f}", f"{va:.6f}"])
    dss.Circuit.SetActiveElement("Vsource.source")
    mvasc1 = dss.Properties.Value("MVAsc1")
    dss.Text.Command("? WireData.acsr.GMRac")
    print(f"{len(rows)} node-phases; MVAsc1 {mvasc1}; GMRac {dss.Text.Result()}")
    print(dss.Basic.Version())


if __name__ == "__main__":
    main()
