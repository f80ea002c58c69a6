"""Hosting capacity at IEEE 123 node 610 by OpenDSS bisection, 610 judged line to line.

Written for GAT (``packages/gat-dist/tests/test_threephase_antifloat.py``). Node 610 is the
secondary of the delta-delta XFM1 and nothing is connected there: nothing grounds it, so GAT
judges its voltage band on the line-to-line magnitudes (pu of the line-to-line base; see
``history/2026-12-05-delta-limits.md``). Same bisection as ``make_hostcap_610.py`` (its
``_open``: loads constant power down to 0.5 pu, taps settled once then frozen; a delta
constant-power generator at unity power factor at 610), except the limit: the highest of
OpenDSS's line-to-ground per-unit voltages at every other bus (source bus excluded) and of its
line-to-line per-unit voltages at 610 (``Bus.puVLL``) must not exceed ``V_MAX``.

Run from the repository root with the bench group's opendssdirect.py::

    .venv/bin/python test_data/opendss/ieee123/make_hostcap_610_ll.py

It writes ``opendss_hostcap_610_ll.csv`` beside itself (``bus_id``, ``conn``,
``hosting_capacity_mw`` to 1e-6 MW).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_hostcap_610 import P_MAX_MW, TOL_MW, V_MAX, _open  # noqa: E402

UNGROUNDED = "610"


def _vmax(dss) -> float:
    if not dss.Solution.Converged():
        return np.inf
    names = dss.Circuit.AllNodeNames()
    pu = np.asarray(dss.Circuit.AllBusMagPu())
    keep = np.array([not n.startswith(("sourcebus.", f"{UNGROUNDED}.")) for n in names])
    dss.Circuit.SetActiveBus(UNGROUNDED)
    flat = np.asarray(dss.Bus.puVLL())
    vll = np.abs(flat[0::2] + 1j * flat[1::2])
    return float(max(pu[keep].max(), vll.max()))


def bisect(dss) -> float:
    dss.Text.Command(
        "new generator.hcll bus1=610.1.2.3 phases=3 kv=0.48 kw=0 pf=1 model=1 "
        "vminpu=0.5 vmaxpu=1.5 conn=delta"
    )

    def ok(p_mw: float) -> bool:
        dss.Text.Command(f"generator.hcll.kw={p_mw * 1e3!r}")
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
        dss.Text.Command("generator.hcll.enabled=no")


def main() -> int:
    import opendssdirect as dss

    _open(dss)
    out = pd.DataFrame([{"bus_id": "610", "conn": "delta", "hosting_capacity_mw": bisect(dss)}])
    out.to_csv(HERE / "opendss_hostcap_610_ll.csv", index=False, float_format="%.9g")
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
