"""Write OpenDSS's answers for the cable test feeders.

Run from the repository root with the bench dependency group installed (``opendssdirect``):

    .venv/bin/python test_data/opendss/cables/make_opendss_reference.py

For ``cables.dss`` (earth model Deri), ``cables_carson.dss`` (``Set EarthModel=Carson``) and
``cables_fullcarson.dss`` (``Set EarthModel=FullCarson``), each compiled unchanged and solved (snapshot, tolerance 1e-10):

``line_matrices.csv``: every line's phase matrices per kilometre as OpenDSS holds them after
the solve (``Lines.RMatrix``/``XMatrix``/``CMatrix`` divided by the length in km): columns
``case`` (deri, carson, fullcarson), ``line, i, j`` (1-based), ``r_ohm_per_km``, ``x_ohm_per_km``, ``c_nf_per_km``.
``opendss_voltages.csv``: ``case, bus, phase, vm_pu, va_deg, kv_base`` of every node and
phase, magnitude in pu of the bus's ``kVBase`` line to neutral, angle in degrees.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import opendssdirect as dss

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from dss_nodes import node_voltages  # noqa: E402

CASES = {
    "deri": "cables.dss",
    "carson": "cables_carson.dss",
    "fullcarson": "cables_fullcarson.dss",
}
#: Metres per OpenDSS line-length unit code (Lines.Units: 1 mi, 2 kft, 3 km, 4 m, 5 ft).
_KM = {1: 1.609344, 2: 0.3048, 3: 1.0, 4: 1e-3, 5: 0.3048e-3}


def main() -> None:
    lines, volts = [], []
    for case, script in CASES.items():
        dss.Text.Command("clear")
        dss.Text.Command(f"compile [{HERE / script}]")
        dss.Text.Command("Set Tolerance=1e-10 MaxIterations=200")
        dss.Solution.Solve()
        assert dss.Solution.Converged()
        for name in dss.Lines.AllNames():
            dss.Lines.Name(name)
            n = dss.Lines.Phases()
            km = _KM[dss.Lines.Units()]
            r, x, c = dss.Lines.RMatrix(), dss.Lines.XMatrix(), dss.Lines.CMatrix()
            for i in range(n):
                for j in range(n):
                    k = i * n + j
                    lines.append(
                        (case, name, i + 1, j + 1, f"{r[k] / km:.12g}", f"{x[k] / km:.12g}",
                         f"{c[k] / km:.12g}")
                    )  # fmt: skip
        for bus, phase, vm, va, kv in node_voltages(dss):
            volts.append((case, bus, phase, f"{vm:.12f}", f"{va:.10f}", f"{kv:.6f}"))
    with open(HERE / "line_matrices.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["case", "line", "i", "j", "r_ohm_per_km", "x_ohm_per_km", "c_nf_per_km"])
        w.writerows(lines)
    with open(HERE / "opendss_voltages.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["case", "bus", "phase", "vm_pu", "va_deg", "kv_base"])
        w.writerows(volts)


if __name__ == "__main__":
    main()
