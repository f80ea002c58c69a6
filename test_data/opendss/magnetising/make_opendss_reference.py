"""Solve ``magnetising.dss`` with OpenDSS and write its node voltages and transformer losses.

Run from the repository root with the bench dependency group installed (``opendssdirect``):

    .venv/bin/python test_data/opendss/magnetising/make_opendss_reference.py

It compiles the script unchanged, solves the snapshot (tolerance 1e-10) and writes
``opendss_voltages.csv`` (every node and phase: magnitude in pu of the bus's ``kVBase`` line
to neutral, angle in degrees, the base in kV) and ``opendss_losses.csv`` (every transformer: total active and
reactive losses in kW and kvar, OpenDSS's ``CktElement.Losses``).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import opendssdirect as dss

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from dss_nodes import node_voltages  # noqa: E402


def solve() -> None:
    """Compile and solve the feeder in OpenDSS (tolerance 1e-10)."""
    dss.Text.Command("Clear")
    dss.Text.Command(f'Compile "{HERE / "magnetising.dss"}"')
    dss.Text.Command("Set Tolerance=1e-10")
    dss.Text.Command("Solve")
    assert dss.Solution.Converged(), "OpenDSS did not converge"


def voltages() -> list[tuple[str, str, float, float, float]]:
    """``(bus, phase, vm_pu, va_deg, kv_base)`` of every node of the solved circuit
    (``kv_base``: OpenDSS's line-to-neutral base of the bus, kV)."""
    return node_voltages(dss)


def losses() -> list[tuple[str, float, float]]:
    """``(transformer, p_loss_kw, q_loss_kvar)`` of every transformer."""
    rows = []
    for name in dss.Circuit.AllElementNames():
        if name.lower().startswith("transformer."):
            dss.Circuit.SetActiveElement(name)
            p, q = dss.CktElement.Losses()
            rows.append((name.split(".", 1)[1], p / 1000.0, q / 1000.0))
    return rows


def main() -> None:
    solve()
    with (HERE / "opendss_voltages.csv").open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["node_id", "phase", "vm_pu", "va_deg", "kv_base"])
        for bus, ph, vm, va, kv in voltages():
            w.writerow([bus, ph, f"{vm:.10f}", f"{va:.8f}", f"{kv:.10f}"])
    with (HERE / "opendss_losses.csv").open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["branch_id", "p_loss_kw", "q_loss_kvar"])
        for name, p, q in losses():
            w.writerow([name, f"{p:.9f}", f"{q:.9f}"])
    print(dss.Basic.Version())


if __name__ == "__main__":
    main()
