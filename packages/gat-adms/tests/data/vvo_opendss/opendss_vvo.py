"""OpenDSS re-solve of GAT's VVO settings on IEEE 13: the reference of ``test_vvo_opendss.py``.

GAT's one-period VVO (``VvoOptions(objective="cvr")`` on the ``ieee13`` dataset, load and PV
factors 1) gives a tap per regulator, a state per capacitor and a reactive power per DER.
They are applied in OpenDSS to ``test_data/opendss/ieee13/IEEE13Nodeckt_fixed_taps.dss``
(control mode off): ``Transformer.RegN`` winding 2 tap ``1 + tap * 0.00625``; a capacitor
that is off gets ``enabled=no``; every DER a constant-P/Q ``Generator`` (``model=1``) over its
phases, split equally (kW = its active power, kvar = its reactive power, generation
positive). Loads keep their OpenDSS models down to 0.5 pu (``vminpu=0.5``). Written:
``settings.csv`` (GAT's settings), ``opendss_voltages.csv`` (every node phase, pu),
``opendss_totals.csv`` (power from the source and losses of the circuit, MW).

Run from the repository root (needs the bench group's opendssdirect.py)::

    .venv/bin/python packages/gat-adms/tests/data/vvo_opendss/opendss_vvo.py
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[4]
DSS = REPO / "test_data" / "opendss" / "ieee13" / "IEEE13Nodeckt_fixed_taps.dss"
LETTER = {"A": 1, "B": 2, "C": 3}
STEP = 0.00625


def gat_settings() -> pd.DataFrame:
    """GAT's VVO settings, DER rows with their node and phases."""
    from gat_adms.vvo import VvoOptions, optimise_period
    from gat_dist.datasets import build_dataset

    net = build_dataset("ieee13")
    res = optimise_period(net, options=VvoOptions(objective="cvr"))
    st = res.settings[["device_id", "kind", "setting", "p_mw"]].copy()
    assets = net.table("der_assets").set_index("asset_id")
    der = st.kind == "der"
    st.loc[der, "bus_id"] = assets.loc[st.loc[der, "device_id"], "bus_id"].astype(str).to_numpy()
    st.loc[der, "phase"] = assets.loc[st.loc[der, "device_id"], "phase"].astype(str).to_numpy()
    return st


def opendss_solve(dss, settings: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:  # type: ignore[no-untyped-def]
    """Node-phase voltages (pu) and circuit totals of IEEE 13 at the settings."""
    dss.Basic.ClearAll()
    dss.Text.Command(f"compile [{DSS}]")
    dss.Text.Command("batchedit load..* vminpu=0.5 vmaxpu=1.5")
    dss.Text.Command("set controlmode=off")
    for row in settings.itertuples():
        if row.kind == "regulator":
            dss.Text.Command(
                f"edit transformer.{row.device_id} wdg=2 tap={1.0 + STEP * row.setting!r}"
            )
        elif row.kind == "capacitor" and row.setting < 0.5:
            dss.Text.Command(f"capacitor.{row.device_id}.enabled=no")
        elif row.kind == "der" and (abs(row.p_mw) > 0 or abs(row.setting) > 0):
            phases = [LETTER[c] for c in row.phase]
            n = len(phases)
            dss.Circuit.SetActiveBus(str(row.bus_id))
            kv_ln = dss.Bus.kVBase()
            kv = kv_ln * math.sqrt(3.0) if n > 1 else kv_ln
            bus = f"{row.bus_id}." + ".".join(map(str, phases))
            dss.Text.Command(
                f"new generator.vvo_{row.device_id} bus1={bus} phases={n} kV={kv!r} "
                f"kW={row.p_mw * 1e3!r} kvar={row.setting * 1e3!r} model=1 vminpu=0.5 vmaxpu=1.5"
            )
    dss.Solution.Solve()
    if not dss.Solution.Converged():
        raise RuntimeError("OpenDSS did not converge")
    rows = []
    for name, vpu in zip(dss.Circuit.AllNodeNames(), dss.Circuit.AllBusMagPu(), strict=True):
        bus, ph = name.split(".")
        rows.append({"bus": bus, "phase": "ABC"[int(ph) - 1], "vm_pu": vpu})
    p_kw, q_kvar = dss.Circuit.TotalPower()
    loss_w, _ = dss.Circuit.Losses()
    totals = pd.DataFrame(
        {"head_p_mw": [-p_kw / 1e3], "head_q_mvar": [-q_kvar / 1e3], "loss_mw": [loss_w / 1e6]}
    )
    return pd.DataFrame(rows), totals


def main() -> None:
    import opendssdirect as dss

    st = gat_settings()
    st.to_csv(HERE / "settings.csv", index=False, float_format="%.9g")
    volts, totals = opendss_solve(dss, st)
    volts.to_csv(HERE / "opendss_voltages.csv", index=False, float_format="%.7f")
    totals.to_csv(HERE / "opendss_totals.csv", index=False, float_format="%.9g")


if __name__ == "__main__":
    main()
