"""OpenDSS re-solve of GAT's three-phase OPF set points on IEEE 13: the reference of
``test_opf_3ph_opendss.py``.

GAT's loss OPF (``OpfOptions(objective="loss", v_max=1.07, enforce_thermal=False)``) on the
``ieee13`` dataset gives one set point per DER asset. Each is applied in OpenDSS to
``test_data/opendss/ieee13/IEEE13Nodeckt_fixed_taps.dss`` (published taps, controls off) as a
constant-P/Q element on the asset's phases: a ``Generator`` (``model=1``) for a set point
that generates, a ``Load`` (``model=1``) for one that consumes, split equally over the
phases, ``vminpu=0.5 vmaxpu=1.5`` so they stay constant power. OpenDSS's per-unit voltage of
every node phase is written to ``opendss_voltages.csv``; the set points used, to
``setpoints.csv``.

Run from the repository root (needs the bench group's opendssdirect.py)::

    .venv/bin/python packages/gat-dist/tests/data/opf3/opendss_opf3.py
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[4]
DSS = REPO / "test_data" / "opendss" / "ieee13" / "IEEE13Nodeckt_fixed_taps.dss"
LETTER = {"A": 1, "B": 2, "C": 3}


def gat_setpoints() -> pd.DataFrame:
    """GAT's OPF set points (MW, Mvar) with each asset's node and phases."""
    from gat_dist.datasets import build_dataset
    from gat_dist.opf import OpfOptions, run_opf

    net = build_dataset("ieee13")
    res = run_opf(net, options=OpfOptions(objective="loss", v_max=1.07, enforce_thermal=False))
    return res.der[["asset_id", "bus_id", "phase", "p_mw", "q_mvar"]]


def opendss_voltages(dss, setpoints: pd.DataFrame) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """Node-phase voltages (pu) of IEEE 13 with the set points applied."""
    dss.Basic.ClearAll()
    dss.Text.Command(f"compile [{DSS}]")
    dss.Text.Command("batchedit load..* vminpu=0.5 vmaxpu=1.5")
    dss.Text.Command("set controlmode=off")
    for row in setpoints.itertuples():
        phases = [LETTER[c] for c in row.phase]
        n = len(phases)
        dss.Circuit.SetActiveBus(str(row.bus_id))
        kv_ln = dss.Bus.kVBase()
        kv = kv_ln * math.sqrt(3.0) if n > 1 else kv_ln
        bus = f"{row.bus_id}." + ".".join(map(str, phases))
        gen = row.p_mw >= 0
        kw = (1 if gen else -1) * row.p_mw * 1e3
        kvar = (1 if gen else -1) * row.q_mvar * 1e3
        kind = "generator" if gen else "load"
        dss.Text.Command(
            f"new {kind}.opf_{row.asset_id} bus1={bus} phases={n} kV={kv!r} kW={kw!r} "
            f"kvar={kvar!r} model=1 vminpu=0.5 vmaxpu=1.5"
        )
    dss.Solution.Solve()
    if not dss.Solution.Converged():
        raise RuntimeError("OpenDSS did not converge")
    rows = []
    for name, vpu in zip(dss.Circuit.AllNodeNames(), dss.Circuit.AllBusMagPu(), strict=True):
        bus, ph = name.split(".")
        rows.append({"bus": bus, "phase": "ABC"[int(ph) - 1], "vm_pu": vpu})
    return pd.DataFrame(rows)


def main() -> None:
    import opendssdirect as dss

    sp = gat_setpoints()
    sp.to_csv(HERE / "setpoints.csv", index=False, float_format="%.9g")
    opendss_voltages(dss, sp).to_csv(
        HERE / "opendss_voltages.csv", index=False, float_format="%.7f"
    )


if __name__ == "__main__":
    main()
