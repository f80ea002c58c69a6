"""Write the test wrappers of this folder and OpenDSS's own values for them.

Run from the repository root: ``.venv/bin/python test_data/opendss/der/make_der_cases.py``.
The wrappers (``*_case.dss``) are small circuits around the unchanged EPRI files: a source,
lines with the names and bus nodes the EPRI files refer to (generic impedance), then
``Redirect`` of the EPRI file. The ``expected_*.csv`` files are what OpenDSS itself reads from
them (through opendssdirect.py, bench dependency group); the tests compare GAT's import with
them without OpenDSS.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
LINE = "r1=0.1 x1=0.2 r0=0.3 x0=0.6 c1=0 c0=0 units=km length=0.1"

# Names and bus nodes as in the IEEE 8500 Lines.dss (the lines the EPRI files name).
CAP_LINES = [
    (f"CAP_{k}{ph}", bus, i)
    for k, bus in ((1, "L2823592"), (2, "Q16483"), (3, "Q16642"))
    for i, ph in enumerate("ABC", start=1)
]
CAP_BUSES = ["R20185", "R42247", "R42246", "R18242"]


def _fuse_lines() -> list[tuple[str, str, str]]:
    """(line, bus1.node, bus2.node) of every line Fuses.DSS names, from the 8500 Lines.dss."""
    lines_dss = Path("/work/shared/reference/ieee8500/Lines.dss").read_text()
    out = []
    for name in re.findall(r"LINE\.(\S+)", (HERE / "Fuses.DSS").read_text(), re.I):
        m = re.search(rf"New Line\.{re.escape(name)}\s+bus1=(\S+)\s+bus2=(\S+)", lines_dss, re.I)
        assert m, name
        out.append((name, m.group(1), m.group(2)))
    return out


def write_protection_case() -> None:
    rows = [
        "! Written by make_der_cases.py: lines named as in the IEEE 8500 feeder (generic",
        "! impedance), then the unchanged EPRI capacitor, capacitor-control and fuse files.",
        "Clear",
        "New Circuit.der8500 basekv=12.47 bus1=src pu=1.0",
        f"New Line.ln5815900-1 bus1=src bus2=E192860 {LINE}",
    ]
    fed: set[str] = set()

    def feed(bus: str) -> None:
        if bus.lower() not in fed:
            fed.add(bus.lower())
            rows.append(f"New Line.feed_{bus} bus1=E192860 bus2={bus} {LINE}")

    for bus in CAP_BUSES:
        feed(bus)
    for name, bus, node in CAP_LINES:
        feed(bus)
        rows.append(f"New Line.{name} bus1={bus}.{node} bus2={bus}_CAP.{node} phases=1 {LINE}")
    for name, b1, b2 in _fuse_lines():
        feed(b1.split(".")[0])
        rows.append(f"New Line.{name} bus1={b1} bus2={b2} phases=1 {LINE}")
    rows += [
        "Redirect Capacitors.dss",
        "Redirect CapControls.DSS",
        "! the substation relay of Run_RecloserSiting.DSS",
        "New Relay.SubBreaker Line.ln5815900-1 1  PhaseCurve=D GroundCurve=A PhaseTrip=600 "
        "GroundTrip=600",
        "Redirect Fuses.DSS",
        "Set VoltageBases=[12.47]",
        "CalcVoltageBases",
    ]
    (HERE / "ieee8500_protection_case.dss").write_text("\n".join(rows) + "\n")


def write_der_case() -> None:
    gen = (HERE / "Generators.dss").read_text().splitlines()
    kept = [
        ln.replace("190-7361.1.2.3.4", "190-7361.1.2.3")
        for ln in gen
        if ln.strip() and not re.match(r"\s*(New\s+(Reactor|\"?Monitor)|//|!)", ln, re.I)
    ]
    rows = [
        "! Written by make_der_cases.py: the generator of the IEEE 8500 Generators.dss (its",
        "! neutral reactor and monitors left out, the transformer's node 4 dropped), the 360 kW",
        "! generator and PV duty shape of P174_Run_360kW_PV.DSS, and the yearly LoadShape1.",
        "Clear",
        "New Circuit.der8500 basekv=12.47 bus1=src pu=1.0",
        f"New Line.feed1 bus1=src bus2=190-7361 {LINE}",
        f"New Line.feed2 bus1=src bus2=m1026866 {LINE}",
        f"New Line.feed3 bus1=src bus2=load1 {LINE}",
        *kept,
        "! GAT needs each winding's kVA (OpenDSS takes winding 2's 1000 kVA from its default)",
        "Transformer.G_m1125934.wdg=2 kVA=1000",
        "! P174_Run_360kW_PV.DSS, lines 15, 19, 20",
        "new generator.G1 Bus1=m1026866  kV=12.47 kW=360 pf=1.0",
        'New Loadshape.PVCurve interval=(1.0 3600 /) npts=3000 mult=(File="Normalized-1s-2900-pts.CSV")',
        "generator.g1.duty=PVcurve   ! assign curve to generator",
        "! LoadShape1 as Run_YearlySim.dss uses it (batchedit written out for two loads)",
        "Redirect LoadShape1.DSS",
        "New Load.L1 bus1=load1 kV=12.47 kW=500 kvar=100 yearly=LoadShape1",
        "New Load.L2 bus1=load1.2 phases=1 kV=7.2 kW=50 pf=0.95 yearly=loadshape1",
        "New PVSystem.PV1 bus1=load1.1 phases=1 kV=7.2 kVA=60 Pmpp=50 irradiance=0.8 pf=-0.95 "
        "daily=PVcurve",
        "New Storage.B1 bus1=load1 kV=12.47 kWrated=250 kWhrated=1000 %reserve=15 "
        "%EffCharge=95 %EffDischarge=90 kvarMax=100 kvarMaxAbs=80",
        "Set VoltageBases=[12.47, 0.48]",
        "CalcVoltageBases",
    ]
    (HERE / "der_case.dss").write_text("\n".join(rows) + "\n")


def _props(dss, element: str, names: list[str]) -> dict[str, str]:
    dss.Circuit.SetActiveElement(element)
    return {n: dss.Properties.Value(n) for n in names}


def write_expected() -> None:
    import opendssdirect as dss

    dss.Text.Command(f"Redirect [{HERE / 'ieee8500_protection_case.dss'}]")
    cc = ["Capacitor", "Element", "Terminal", "Type", "PTRatio", "CTRatio", "OnSetting",
          "OffSetting", "Delay", "DelayOff", "DeadTime", "VoltOverride", "VMin", "VMax",
          "PTPhase", "CTPhase"]  # fmt: skip
    with open(HERE / "expected_cap_controls.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["name", *cc])
        for name in dss.CapControls.AllNames():
            w.writerow([name, *_props(dss, f"CapControl.{name}", cc).values()])
    with open(HERE / "expected_protection.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["class", "name", "SwitchedObj"])
        for cls, names in (("Fuse", dss.Fuses.AllNames()), ("Relay", dss.Relays.AllNames())):
            for name in names:
                w.writerow(
                    [cls, name, _props(dss, f"{cls}.{name}", ["SwitchedObj"])["SwitchedObj"]]
                )
    dss.Text.Command(f"Redirect [{HERE / 'der_case.dss'}]")
    with open(HERE / "expected_shapes.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["name", "npts", "interval_h", "sum", "first", "last"])
        for name in dss.LoadShape.AllNames():
            if name.lower() == "default":
                continue
            dss.LoadShape.Name(name)
            m = dss.LoadShape.PMult()
            w.writerow([name, dss.LoadShape.Npts(), repr(dss.LoadShape.HrInterval()),
                        repr(sum(m)), repr(m[0]), repr(m[-1])])  # fmt: skip
    der = {
        "Generator": ["kW", "kvar", "kVA", "Daily", "Yearly", "Duty"],
        "PVSystem": ["Pmpp", "Irradiance", "kVA", "PF", "kvar", "Daily"],
        "Storage": ["kWRated", "kWhRated", "%Reserve", "%EffCharge", "%EffDischarge", "kVA",
                    "kvarMax", "kvarMaxAbs"],
    }  # fmt: skip
    with open(HERE / "expected_der.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["class", "name", "property", "value"])
        for cls, props in der.items():
            dss.Circuit.SetActiveClass(cls)
            for name in dss.ActiveClass.AllNames():
                for prop, value in _props(dss, f"{cls}.{name}", props).items():
                    w.writerow([cls, name, prop, value])


if __name__ == "__main__":
    write_protection_case()
    write_der_case()
    write_expected()
