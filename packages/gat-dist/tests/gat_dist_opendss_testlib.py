"""Shared helpers of the OpenDSS importer tests: paths and a small circuit written to disk."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
OPENDSS = REPO_ROOT / "test_data" / "opendss"
IEEE13 = OPENDSS / "ieee13" / "IEEE13Nodeckt.dss"
IEEE13_FIXED = OPENDSS / "ieee13" / "IEEE13Nodeckt_fixed_taps.dss"
IEEE34 = OPENDSS / "ieee34" / "ieee34Mod2.dss"
DATA = Path(__file__).resolve().parent / "data" / "opendss"

#: A small feeder using each construct once: a source, a delta-wye transformer, line codes in
#: matrix and sequence form, a switch, a single-phase regulator, wye and delta loads, a
#: capacitor, RPN math and a continuation line.
SMALL = """Clear
Set DefaultBaseFrequency=60
New Circuit.small basekv=12.47 pu=1.02 angle=30 bus1=src phases=3
New Transformer.T1 phases=3 windings=2 XHL=(6 2 /)
~ wdg=1 bus=src conn=delta kv=12.47 kva=3000 %r=0.5
~ wdg=2 bus=a conn=wye kv=4.16 kva=3000 %r=0.5
New Linecode.lc3 nphases=3 units=km
~ rmatrix=[0.3 | 0.1 0.3 | 0.1 0.1 0.3] xmatrix=[0.6 | 0.2 0.6 | 0.2 0.2 0.6]
~ cmatrix=[10 | -2 10 | -2 -2 10]
New Linecode.seq nphases=1 r1=0.5 x1=0.4 r0=0.5 x0=0.4 c1=8 c0=8 units=mi
New Line.ab phases=3 bus1=a.1.2.3 bus2=b.1.2.3 linecode=lc3 length=500 units=m
New Line.bc phases=1 bus1=b.2 bus2=c.2 linecode=seq length=0.5 units=mi
New Line.sw phases=3 bus1=b bus2=d switch=y
New Transformer.R1 phases=1 XHL=0.01 kVAs=[2000 2000]
~ Buses=[d.1 e.1] kVs=[2.4 2.4] %LoadLoss=0.01 taps=[1.0 1.025]
New RegControl.R1 transformer=R1 winding=2 vreg=121 band=2 ptratio=20 ctprim=600 R=2 X=6
New Line.ef phases=1 bus1=e.1 bus2=f.1 linecode=seq length=1000 units=ft
New Load.L1 bus1=c.2 phases=1 conn=wye model=1 kv=2.4 kw=100 kvar=50
New Load.L2 bus1=d phases=3 conn=delta model=2 kv=4.16 kw=300 pf=0.9
New Load.L3 bus1=f.1 phases=1 model=5 kv=2.4 kw=40 kvar=10
New Capacitor.C1 bus1=d phases=3 kvar=300 kv=4.16
Set VoltageBases=[12.47, 4.16]
CalcVoltageBases
Solve
"""


def write_dss(folder: Path, text: str = SMALL, name: str = "small.dss") -> Path:
    """Write ``text`` as ``folder/name`` and return the path."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path
