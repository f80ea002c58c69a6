"""Write OpenDSS's answers for the EPRI-feeder rules: one-load power cases and the test feeder.

Run from the repository root with the bench dependency group installed (``opendssdirect``):

    .venv/bin/python test_data/opendss/epri_rules/make_opendss_reference.py

``load_power_cases.csv``: each case defines the load shape ``a`` with the properties in
``shape`` (when not empty), one single-phase load with the properties in ``first`` (one
``New`` command) and then runs the commands in ``then`` (``;``-separated, may be empty); ``kw``, ``kvar`` are the load's kW and kvar as OpenDSS reports them (``Loads.kW``,
``Loads.kvar``). ``line_shunt_cases.csv``: a three-phase 34.5 kV line with the properties in
``props``; ``shunt_s``: its shunt susceptance at one end, phase A (the imaginary part of the
row sum of its ``YPrim``, S). ``opendss_voltages.csv``: ``epri_rules.dss`` compiled unchanged and solved
(tolerance 1e-10): every node and phase, magnitude in pu of the bus's ``kVBase`` line to
neutral, angle in degrees.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import opendssdirect as dss

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from dss_nodes import node_voltages  # noqa: E402

#: A shape in kW (useactual=yes): peak P 4 kW at the third point, Q there -3 kvar.
ACTUAL = "npts=4 interval=1 mult=[1 -2 4 3] qmult=[0.5 1 -3 2] useactual=yes"
#: (first, then): the properties of ``New Load.l``, then further commands.
CASES = (
    ("kw=0.0001 pf=0.9 xfkva=50", ""),
    ("kw=0.0001 pf=0.9 xfkva=50 kvar=3", ""),
    ("kw=0.0001 pf=0.9 xfkva=50 kw=10", ""),
    ("kw=0.0001 pf=0.9 xfkva=50 pf=0.8", ""),
    ("kw=0.0001 pf=0.9 xfkva=50 allocationfactor=1.2", ""),
    ("kw=0.0001 pf=0.9 allocationfactor=1.2 xfkva=50", ""),
    ("kw=0.0001 pf=0.9 allocationfactor=1.2", ""),
    ("kw=10 pf=0.9 xfkva=50 kva=20", ""),
    ("kva=20 pf=0.9 xfkva=50", ""),
    ("kw=10 pf=-0.9 xfkva=50", ""),
    ("kw=10 kvar=-5 pf=0.9 xfkva=50", ""),
    ("kw=10 pf=0.9 xfkva=50 kw=10 allocationfactor=2", ""),
    ("xfkva=3.25 pf=0.98", "Load.l.AllocationFactor=0.81012"),
    ("kw=8.45 pf=0.97 xfkva=8.895", "Load.l.AllocationFactor=1.2096"),
    ("kw=0.0001 pf=0.9 xfkva=50", "Load.l.allocationfactor=1.2"),
    ("kw=10 pf=0.9", "Load.l.allocationfactor=1.2"),
    ("kw=10 pf=0.9", "Load.l.xfkva=40"),
    ("kw=100 kvar=50", "Edit Load.l kw=120"),
    ("kw=40 kvar=10", "Load.l.kvar=12 kw=44"),
    ("kw=40 kvar=10", "Load.l.kvar=12;Load.l.kw=44"),
    ("kw=40", "~ kvar=10"),
    ("kva=50 pf=-0.8", ""),
    ("xfkVA=0 pf=0.98", "Load.l.AllocationFactor=0.81012"),
)
#: (shape, first, then): loads linking to a useactual=yes shape.
SHAPE_CASES = (
    (ACTUAL, "kw=7 kvar=2 duty=a", ""),
    (ACTUAL, "kw=7 pf=0.9 yearly=a", ""),
    (ACTUAL, "duty=a kw=7 kvar=2", ""),
    (ACTUAL, "kw=7 kvar=2", "Load.l.daily=a"),
    ("npts=2 interval=1 mult=[1 2 4 3] useactual=yes", "kw=7 kvar=2 duty=a", ""),
    ("npts=3 interval=1 mult=[2 1 4] useactual=yes action=normalize", "kw=7 kvar=2 duty=a", ""),
)


#: Lines given by sequence values without c1/c0: OpenDSS's default capacitance and units=.
LINE_CASES = (
    "R1=1 X1=1 R0=1 X0=1 units=km",
    "units=km R1=1 X1=1 R0=1 X0=1",
    "R1=1 X1=1 R0=1 X0=1 units=mi length=2",
    "R1=1 X1=1 R0=1 X0=1 units=m length=300",
    "R1=1 X1=1 R0=1 X0=1 c1=3 c0=1 units=km",
    "rmatrix=[1|0 1|0 0 1] xmatrix=[1|0 1|0 0 1] units=km",
)


def _line_shunt(props: str) -> float:
    dss.Text.Command("Clear")
    dss.Text.Command("New Circuit.c bus1=a basekv=34.5")
    dss.Text.Command(f"New Line.o phases=3 bus1=a bus2=b {props}")
    dss.Text.Command("New Load.x bus1=b kv=34.5 kw=1 pf=1")
    dss.Text.Command("CalcVoltageBases")  # builds the elements' YPrim
    dss.Circuit.SetActiveElement("Line.o")
    y = dss.CktElement.YPrim()
    return sum(y[1:12:2])  # imaginary parts of row 1 (6 complex entries)


def _case(first: str, then: str, shape: str = "") -> tuple[float, float]:
    dss.Text.Command("Clear")
    dss.Text.Command("New Circuit.c bus1=s basekv=12.47 pu=1.0")
    if shape:
        dss.Text.Command(f"New Loadshape.a {shape}")
    dss.Text.Command(f"New Load.l bus1=s.1 phases=1 kv=7.2 {first}")
    for cmd in filter(None, (c.strip() for c in then.split(";"))):
        dss.Text.Command(cmd)
    dss.Loads.Name("l")
    return dss.Loads.kW(), dss.Loads.kvar()


def main() -> None:
    cases = [("", f, t) for f, t in CASES] + list(SHAPE_CASES)
    rows = [
        (sh, f, t, f"{kw:.9g}", f"{kvar:.9g}")
        for sh, f, t in cases
        for kw, kvar in [_case(f, t, sh)]
    ]
    with (HERE / "load_power_cases.csv").open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["shape", "first", "then", "kw", "kvar"])
        w.writerows(rows)
    with (HERE / "line_shunt_cases.csv").open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["props", "shunt_s"])
        w.writerows((props, f"{_line_shunt(props):.12g}") for props in LINE_CASES)
    dss.Text.Command("Clear")
    dss.Text.Command(f'Compile "{HERE / "epri_rules.dss"}"')
    dss.Text.Command("Set Tolerance=1e-10 MaxIterations=200")
    dss.Text.Command("Solve")
    assert dss.Solution.Converged(), "OpenDSS did not converge"
    nodes = [(b, ph, f"{vm:.10f}", f"{va:.8f}") for b, ph, vm, va, _ in node_voltages(dss)]
    with (HERE / "opendss_voltages.csv").open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["node_id", "phase", "vm_pu", "va_deg"])
        w.writerows(nodes)
    print(f"{len(rows)} load cases, {len(nodes)} node-phases; {dss.Basic.Version()}")


if __name__ == "__main__":
    main()
