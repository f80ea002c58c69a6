"""Hosting capacity at IEEE 123 node 610 (behind the delta-delta XFM1) by OpenDSS bisection.

Written for GAT; the reference of ``packages/gat-dist/tests/test_threephase_antifloat.py``.
Same method as ``packages/gat-dist/tests/data/hostcap3/opendss_hostcap.py``: loads keep
constant power down to 0.5 pu, regulators settle once (``controlmode=static``) and are then
frozen (``controlmode=off``), a constant-power generator (``model=1``, unity power factor,
``vminpu=0.5 vmaxpu=1.5``) at 610 is bisected on its kW until the highest per-unit node
voltage except the source bus exceeds ``V_MAX``. Two connections of the generator: ``delta``
(three-wire, what GAT uses on a node without ground) and ``wye`` (grounded, which leaves 610's
common-mode voltage held only by XFM1's 1 ppm anti-floating shunt: OpenDSS reports 0.28/1.42/
1.42 pu line to ground at 1 kW, so that capacity is 0).

Run from the repository root with the bench group's opendssdirect.py::

    .venv/bin/python test_data/opendss/ieee123/make_hostcap_610.py

It writes ``opendss_hostcap_610.csv`` beside itself and prints the frozen taps (the same as
``opendss_taps.csv``: creg1a 6, creg2a 0, creg3a 2, creg3c 0, creg4a 10, creg4b 4, creg4c 6).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
MASTER = HERE / "IEEE123Master.dss"
V_MAX = 1.08  # pu, the only limit checked
P_MAX_MW = 20.0
TOL_MW = 1e-6
STEP_PU = 0.00625


def _open(dss) -> pd.DataFrame:
    dss.Basic.ClearAll()
    dss.Text.Command(f"compile [{MASTER}]")
    dss.Text.Command("batchedit load..* vminpu=0.5 vmaxpu=1.5")
    dss.Text.Command("set controlmode=static")
    dss.Solution.Solve()
    dss.Text.Command("set controlmode=off")
    rows = []
    for name in dss.RegControls.AllNames():
        dss.RegControls.Name(name)
        xf = dss.RegControls.Transformer()
        dss.Transformers.Name(xf)
        dss.Transformers.Wdg(2)
        rows.append({"transformer": xf, "tap": round((dss.Transformers.Tap() - 1.0) / STEP_PU)})
    dss.Solution.Solve()
    return pd.DataFrame(rows)


def _vmax(dss) -> float:
    if not dss.Solution.Converged():
        return np.inf
    names = dss.Circuit.AllNodeNames()
    pu = np.asarray(dss.Circuit.AllBusMagPu())
    keep = np.array([not n.startswith("sourcebus.") for n in names])
    return float(pu[keep].max())


def bisect(dss, conn: str) -> float:
    dss.Text.Command(
        f"new generator.hc{conn} bus1=610.1.2.3 phases=3 kv=0.48 kw=0 pf=1 model=1 "
        f"vminpu=0.5 vmaxpu=1.5 conn={conn}"
    )

    def ok(p_mw: float) -> bool:
        dss.Text.Command(f"generator.hc{conn}.kw={p_mw * 1e3!r}")
        dss.Solution.Solve()
        return _vmax(dss) <= V_MAX

    try:
        if ok(P_MAX_MW):
            return P_MAX_MW
        lo, hi = 0.0, P_MAX_MW
        while hi - lo > TOL_MW:
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if ok(mid) else (lo, mid)
        return lo
    finally:
        dss.Text.Command(f"generator.hc{conn}.enabled=no")


def main() -> int:
    import opendssdirect as dss

    taps = _open(dss)
    rows = [
        {"bus_id": "610", "conn": conn, "hosting_capacity_mw": bisect(dss, conn)}
        for conn in ("delta", "wye")
    ]
    out = pd.DataFrame(rows)
    out.to_csv(HERE / "opendss_hostcap_610.csv", index=False, float_format="%.9g")
    print(out, taps, sep="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
