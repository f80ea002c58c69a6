"""Hosting capacity by OpenDSS bisection: the reference of test_hostcap_3ph.py and bench/hostcap3.py.

For every candidate (a node's phases, or one phase of it) a constant-power generator
(``model=1``, unity power factor, ``vminpu=0.5 vmaxpu=1.5`` so it stays constant power) is
bisected on its kW until the highest per-unit voltage over every node phase except the
source bus exceeds ``V_MAX``. Regulator taps are fixed (``controlmode=off``): IEEE 13 at the
taps of ``IEEE13Nodeckt_fixed_taps.dss``, IEEE 34 (Mod 2) where OpenDSS's own regulator
controls settle without generation. Loads keep constant power down to 0.5 pu (GAT's loads
have no low-voltage switch to constant impedance).

Run from the repository root (needs the bench group's opendssdirect.py)::

    .venv/bin/python packages/gat-dist/tests/data/hostcap3/opendss_hostcap.py

It writes ``opendss_hostcap.csv`` and ``opendss_taps.csv`` beside itself.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[4]
V_MAX = 1.08  # pu, the only limit checked
P_MAX_MW = 20.0  # search cap
TOL_MW = 1e-5
CASES = {
    "ieee13": REPO / "test_data" / "opendss" / "ieee13" / "IEEE13Nodeckt_fixed_taps.dss",
    "ieee34": REPO / "test_data" / "opendss" / "ieee34" / "ieee34Mod2.dss",
}
#: Candidates injected on each single phase in turn (phase mode "each"): three-phase,
#: two-phase and one-phase nodes of both feeders.
EACH = {
    "ieee13": ("671", "675", "645", "611", "652", "634"),
    "ieee34": ("840", "890", "822", "838", "848", "810"),
}
STEP_PU = 0.00625


def open_case(dss, case: str) -> pd.DataFrame:
    """Compile and solve a case with its regulators settled, then freeze the taps.

    Returns the regulator taps (transformer, tap steps) OpenDSS holds fixed.
    """
    dss.Basic.ClearAll()
    dss.Text.Command(f"compile [{CASES[case]}]")
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
        rows.append(
            {
                "case": case,
                "transformer": xf,
                "tap": round((dss.Transformers.Tap() - 1.0) / STEP_PU),
            }
        )
        dss.Text.Command(f"transformer.{xf}.wdg=2 tap={dss.Transformers.Tap()!r}")
    dss.Solution.Solve()
    return pd.DataFrame(rows, columns=["case", "transformer", "tap"])


def candidates(dss, case: str, mode: str) -> list[tuple[str, tuple[int, ...]]]:
    """(bus, phases) of every candidate: every bus but the source (mode all), or the
    phases of the EACH buses one at a time (mode each)."""
    out = []
    for bus in dss.Circuit.AllBusNames():
        if bus == "sourcebus":
            continue
        dss.Circuit.SetActiveBus(bus)
        nodes = tuple(sorted(n for n in dss.Bus.Nodes() if n in (1, 2, 3)))
        if mode == "all":
            out.append((bus, nodes))
        elif bus in EACH[case]:
            out.extend((bus, (n,)) for n in nodes)
    return out


def _vmax(dss) -> float:
    """Highest per-unit node voltage except the source bus (inf when not converged)."""
    if not dss.Solution.Converged():
        return np.inf
    names = dss.Circuit.AllNodeNames()
    pu = np.asarray(dss.Circuit.AllBusMagPu())
    keep = np.array([not n.startswith("sourcebus.") for n in names])
    return float(pu[keep].max())


def bisect(dss, bus: str, phases: tuple[int, ...], name: str = "hc") -> float:
    """Hosting capacity (MW) of one candidate, to TOL_MW, by bisection on the generator kW."""
    dss.Circuit.SetActiveBus(bus)
    kv_ln = dss.Bus.kVBase()
    kv = float(kv_ln if len(phases) == 1 else kv_ln * np.sqrt(3.0))
    conn = ".".join(map(str, phases))
    dss.Text.Command(
        f"new generator.{name} bus1={bus}.{conn} phases={len(phases)} kv={kv!r} kw=0 pf=1 "
        "model=1 vminpu=0.5 vmaxpu=1.5"
    )

    def ok(p_mw: float) -> bool:
        dss.Text.Command(f"generator.{name}.kw={p_mw * 1e3!r}")
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
        dss.Text.Command(f"generator.{name}.kw=0")
        dss.Text.Command(f"generator.{name}.enabled=no")


def hosting_capacity(dss, case: str, mode: str) -> pd.DataFrame:
    """Every candidate of a case in one mode (the case must be open)."""
    rows = []
    letters = " ABC"
    for k, (bus, phases) in enumerate(candidates(dss, case, mode)):
        hc = bisect(dss, bus, phases, name=f"hc{mode}{k}")
        rows.append(
            {
                "case": case,
                "mode": mode,
                "bus_id": bus,
                "phase": "".join(letters[p] for p in phases),
                "hosting_capacity_mw": hc,
            }
        )
    return pd.DataFrame(rows)


def main() -> int:
    import opendssdirect as dss

    frames, taps = [], []
    for case in CASES:
        taps.append(open_case(dss, case))
        for mode in ("all", "each"):
            frames.append(hosting_capacity(dss, case, mode))
    out = pd.concat(frames, ignore_index=True)
    out.to_csv(HERE / "opendss_hostcap.csv", index=False, float_format="%.9g")
    pd.concat(taps, ignore_index=True).to_csv(HERE / "opendss_taps.csv", index=False)
    print(out.groupby(["case", "mode"]).size())
    return 0


if __name__ == "__main__":
    sys.exit(main())
