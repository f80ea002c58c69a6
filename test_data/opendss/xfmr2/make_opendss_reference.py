"""Write OpenDSS's voltages of ``xfmr2.dss`` (transformer and regulator rules of EPRI's feeders).

Run from the repository root with the bench dependency group installed (``opendssdirect``):

    .venv/bin/python test_data/opendss/xfmr2/make_opendss_reference.py

``opendss_voltages.csv``: ``xfmr2.dss`` compiled unchanged and solved (tolerance 1e-10):
every node and phase, magnitude in pu of the bus's ``kVBase`` line to neutral, angle in
degrees.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import opendssdirect as dss

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from dss_nodes import node_voltages  # noqa: E402


def solve() -> list[tuple[str, str, str, str]]:
    """Compile and solve ``xfmr2.dss``; every node-phase as written to the CSV."""
    dss.Text.Command("Clear")
    dss.Text.Command(f'Compile "{HERE / "xfmr2.dss"}"')
    dss.Text.Command("Set Tolerance=1e-10 MaxIterations=200")
    dss.Text.Command("Solve")
    assert dss.Solution.Converged(), "OpenDSS did not converge"
    return [(b, ph, f"{vm:.10f}", f"{va:.8f}") for b, ph, vm, va, _ in node_voltages(dss)]


def main() -> None:
    nodes = solve()
    with (HERE / "opendss_voltages.csv").open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["node_id", "phase", "vm_pu", "va_deg"])
        w.writerows(nodes)
    print(f"{len(nodes)} node-phases; {dss.Basic.Version()}")


if __name__ == "__main__":
    main()
