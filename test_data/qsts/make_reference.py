"""Write this folder's IEEE 13 daily PV case and OpenDSS's time-series answers for the QSTS tests.

Run from the repository root with the bench dependency group installed (``opendssdirect``):

    .venv/bin/python test_data/qsts/make_reference.py

1. ``ieee13_pv_daily.dss``: EPRI's IEEE 13-node feeder (``../opendss/ieee13``), every load on
   a daily shape (day 144, 24 May, of EPRI's ``LoadShape1``: the day with the lowest load at
   noon) and a 2.5 MW three-phase PV system at bus 675 on a clear-sky shape written here
   (``max(0, sin(pi (h - 6) / 12))``, hours 6 to 18; synthetic, not measured data). Every
   load's ``vminpu``/``vmaxpu`` is widened to 0.85/1.15: OpenDSS turns a constant-power load
   into a constant impedance outside that window (0.95/1.05 by default) and GAT's loads keep
   their model at every voltage, so at noon (up to 1.067 pu) the two would model different
   loads.
2. ``ieee13_pv_daily_fixed.csv``: OpenDSS's per-step node voltages (pu) of that day with the
   regulators held at the IEEE published taps (10, 8, 11) and ``ControlMode=OFF``.
3. ``ieee13_pv_daily_controls.csv``: per-step feeder power, losses and regulator taps with
   OpenDSS's regulator controls active (``ControlMode=STATIC``, daily mode, taps starting
   where the snapshot solve at peak load left them).
4. ``ieee123_yearly_opendss.csv.gz``: EPRI's ``Run_YearlySim.dss`` network
   (``../opendss/der/ieee123_yearly.dss``) over a whole year (8760 hourly steps, the
   script itself runs 720), regulator controls active (``STATIC``, OpenDSS's default in yearly
   mode), taps starting from the snapshot solve: per step the power into the circuit from
   the source (kW, kvar), the circuit's losses (kW) and every regulator's tap.
5. ``ieee13_pv_yearly_range.csv``: the IEEE 13 PV case in yearly mode from hour 100, 48
   hourly steps, taps fixed (10, 8, 11), ``ControlMode=OFF``: power into the circuit, losses
   and PV output per step. The script names daily shapes only, so this checks OpenDSS's
   fallback of a missing yearly shape to the daily one (loads and PV).

OpenDSS advances the clock before each solve, so step k (0-based) is hour k + 1 and uses
the shapes' point k. Units: kW, kvar, pu of the bus kVBase line to neutral, taps in steps.
"""

from __future__ import annotations

import csv
import gzip
import math
from pathlib import Path

import numpy as np
import opendssdirect as dss

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DAY = 143  # 0-based day of LoadShape1 with the lowest noon load
PV_KW = 2500.0


def write_ieee13_case() -> None:
    mult = np.loadtxt(ROOT / "opendss" / "der" / "LoadShape1.CSV").reshape(365, 24)[DAY]
    pv = [max(0.0, math.sin(math.pi * (h - 6) / 12)) for h in range(24)]
    text = f"""! Written by make_reference.py: EPRI's IEEE 13-node feeder over one day with PV.
! Loads follow day {DAY + 1} of LoadShape1 (EPRI, BSD-3-Clause); the PV shape is synthetic.
Compile ../opendss/ieee13/IEEE13Nodeckt.dss
New LoadShape.day npts=24 interval=1 mult=({" ".join(f"{x:.6f}" for x in mult)})
New LoadShape.clearsky npts=24 interval=1 mult=({" ".join(f"{x:.6f}" for x in pv)})
batchedit load..* daily=day vminpu=0.85 vmaxpu=1.15
New PVSystem.PV675 phases=3 bus1=675 kV=4.16 kVA={PV_KW * 1.1:.0f} Pmpp={PV_KW:.0f} irradiance=1 pf=1 %cutin=0 %cutout=0 daily=clearsky
"""
    (HERE / "ieee13_pv_daily.dss").write_text(text)


def write_pv_shape() -> None:
    """``clearsky_pv_shape.csv``: the PV shape of the IEEE 13 case as a load_shapes table."""
    with (HERE / "clearsky_pv_shape.csv").open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["shape_id", "step", "hour", "multiplier", "interval_h"])
        for h in range(24):
            w.writerow(
                [
                    "clearsky",
                    h,
                    f"{h:.1f}",
                    f"{max(0.0, math.sin(math.pi * (h - 6) / 12)):.6f}",
                    "1.0",
                ]
            )


def _taps() -> list[int]:
    out = []
    for name in dss.RegControls.AllNames():
        dss.RegControls.Name(name)
        out.append(dss.RegControls.TapNumber())
    return out


def _regs() -> list[str]:
    return list(dss.RegControls.AllNames())


def _voltages() -> list[tuple[str, str, float]]:
    rows = []
    for bus in dss.Circuit.AllBusNames():
        dss.Circuit.SetActiveBus(bus)
        base = dss.Bus.kVBase() * 1000.0
        v = dss.Bus.Voltages()
        for k, node in enumerate(dss.Bus.Nodes()):
            if node in (1, 2, 3):
                rows.append((bus, "ABC"[node - 1], abs(complex(v[2 * k], v[2 * k + 1])) / base))
    return rows


def _step_rows(n: int, with_v: bool) -> tuple[list[list], list[str]]:
    dss.Text.Command("set number=1")
    rows = []
    for k in range(n):
        dss.Text.Command("Solve")
        assert dss.Solution.Converged(), f"OpenDSS did not converge at step {k}"
        p, q = dss.Circuit.TotalPower()
        loss = dss.Circuit.Losses()[0] / 1000.0
        pv_kw = 0.0
        if with_v:
            dss.Circuit.SetActiveElement("PVSystem.PV675")
            pv_kw = -sum(dss.CktElement.Powers()[0::2])
        base = [k, -p, -q, loss, pv_kw, *_taps()]
        if with_v:
            rows.extend([[*base, bus, ph, vm] for bus, ph, vm in _voltages()])
        else:
            rows.append(base)
    return rows, _regs()


def ieee13(controls: bool) -> None:
    dss.Text.Command(f'Compile "{HERE / "ieee13_pv_daily.dss"}"')
    if not controls:
        dss.Text.Command("Transformer.Reg1.Taps=[1.0 1.0625]")
        dss.Text.Command("Transformer.Reg2.Taps=[1.0 1.0500]")
        dss.Text.Command("Transformer.Reg3.Taps=[1.0 1.06875]")
        dss.Text.Command("Set ControlMode=OFF")
    dss.Text.Command("Solve")
    dss.Text.Command("Set mode=daily")
    if not controls:
        dss.Text.Command("Set ControlMode=OFF")
    rows, regs = _step_rows(24, with_v=True)
    head = ["step", "p_kw", "q_kvar", "losses_kw", "pv_kw", *[f"tap_{r}" for r in regs]]
    name = "ieee13_pv_daily_controls.csv" if controls else "ieee13_pv_daily_fixed.csv"
    with (HERE / name).open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow([*head, "node_id", "phase", "vm_pu"])
        for r in rows:
            w.writerow([f"{x:.6f}" if isinstance(x, float) else x for x in r])


def ieee13_yearly_range() -> None:
    """``ieee13_pv_yearly_range.csv``: the IEEE 13 PV case in yearly mode from hour 100 for 48
    hourly steps, taps fixed at 10, 8, 11. The script names daily shapes only: OpenDSS's
    loads and PV repeat them (its fallback of a missing yearly shape to the daily one)."""
    dss.Text.Command(f'Compile "{HERE / "ieee13_pv_daily.dss"}"')
    dss.Text.Command("Transformer.Reg1.Taps=[1.0 1.0625]")
    dss.Text.Command("Transformer.Reg2.Taps=[1.0 1.0500]")
    dss.Text.Command("Transformer.Reg3.Taps=[1.0 1.06875]")
    dss.Text.Command("Set ControlMode=OFF")
    dss.Text.Command("Solve")
    dss.Text.Command("Set mode=yearly")
    dss.Text.Command("Set ControlMode=OFF")
    dss.Text.Command("Set hour=100")
    rows, _ = _step_rows(48, with_v=True)
    by_step = {r[0]: r[:5] for r in rows}
    with (HERE / "ieee13_pv_yearly_range.csv").open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["step", "p_kw", "q_kvar", "losses_kw", "pv_kw"])
        for k in sorted(by_step):
            w.writerow([f"{x:.6f}" if isinstance(x, float) else x for x in by_step[k]])


def ieee123() -> None:
    dss.Text.Command(f'Compile "{ROOT / "opendss" / "der" / "ieee123_yearly.dss"}"')
    dss.Text.Command("Solve")
    dss.Text.Command("Set mode=yearly")
    rows, regs = _step_rows(8760, with_v=False)
    head = ["step", "p_kw", "q_kvar", "losses_kw", "pv_kw", *[f"tap_{r}" for r in regs]]
    with gzip.open(HERE / "ieee123_yearly_opendss.csv.gz", "wt", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(head)
        for r in rows:
            w.writerow([f"{x:.6f}" if isinstance(x, float) else x for x in r])


def main() -> None:
    write_ieee13_case()
    write_pv_shape()
    ieee13(controls=False)
    ieee13(controls=True)
    ieee13_yearly_range()
    ieee123()
    print(f"written to {HERE} with OpenDSS {dss.Basic.Version()}")


if __name__ == "__main__":
    main()
