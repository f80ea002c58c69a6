"""OpenDSS's line-to-line voltages of IEEE 37 (its own regulator control), for GAT's delta limits.

Run from the repository root with the bench dependency group installed (``opendssdirect``):

    .venv/bin/python test_data/opendss/ieee37/make_opendss_vll.py

It compiles ``ieee37.dss`` unchanged, solves the snapshot as ``make_opendss_reference.py`` does
(``ControlMode=STATIC``, tolerance 1e-10; taps creg1a 16, creg1c 14) and writes
``opendss_vll.csv``: for every bus with two or three phase nodes, OpenDSS's own line-to-line
voltages (``Bus.puVLL``: pu of ``kVBase x sqrt 3``), one row per pair in OpenDSS's order
(1-2, 2-3, 3-1 on a three-phase bus; the one pair of a two-phase bus): ``node_id`` (lower
case), ``phases`` (``AB``, ``BC``, ``CA``), ``vll_pu``, ``va_deg``, ``kv_base_ll`` (kV).
"""

from __future__ import annotations

import cmath
import csv
import math
from pathlib import Path

import opendssdirect as dss

HERE = Path(__file__).resolve().parent
LETTERS = {1: "A", 2: "B", 3: "C"}


def main() -> None:
    dss.Text.Command("Clear")
    dss.Text.Command(f'Compile "{HERE / "ieee37.dss"}"')
    dss.Text.Command("Set Tolerance=1e-10")
    dss.Text.Command("Solve")
    assert dss.Solution.Converged(), "OpenDSS did not converge"
    with (HERE / "opendss_vll.csv").open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["node_id", "phases", "vll_pu", "va_deg", "kv_base_ll"])
        for bus in dss.Circuit.AllBusNames():
            dss.Circuit.SetActiveBus(bus)
            nodes = [n for n in dss.Bus.Nodes() if n in LETTERS]
            if len(nodes) == 3:
                pairs = [(1, 2), (2, 3), (3, 1)]
            elif len(nodes) == 2:
                pairs = [(nodes[0], nodes[1])]
            else:
                continue
            flat = dss.Bus.puVLL()
            kv = dss.Bus.kVBase() * math.sqrt(3.0)
            for k, (a, b) in enumerate(pairs):
                v = complex(flat[2 * k], flat[2 * k + 1])
                w.writerow(
                    [bus, LETTERS[a] + LETTERS[b], f"{abs(v):.10f}",
                     f"{math.degrees(cmath.phase(v)):.8f}", f"{kv:.10f}"]
                )  # fmt: skip
    print(f"version {dss.Basic.Version()}")


if __name__ == "__main__":
    main()
