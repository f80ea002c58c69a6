"""Write OpenDSS's voltages of ``xfmr2.dss`` (transformer and regulator rules of EPRI's feeders).

Run from the repository root with the bench dependency group installed (``opendssdirect``):

    .venv/bin/python test_data/opendss/xfmr2/make_opendss_reference.py

``opendss_voltages.csv``: ``xfmr2.dss`` compiled unchanged and solved (tolerance 1e-10):
every node and phase, magnitude in pu of the bus's ``kVBase`` line to neutral, angle in
degrees. ``ltc_taps.csv``: the winding-2 tap (steps of 0.00625 pu) of each transformer of
``ltc.dss`` after OpenDSS's own regulator controls; ``ltc_voltages.csv``: its voltages at
those taps, as above. ``ltc_bus_cases.csv``: ``sub``'s tap when ``sub_ltc`` reads
``ptphase=1`` and the properties in ``extra`` (``bus=`` on its own winding's bus).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import opendssdirect as dss

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from dss_nodes import node_voltages  # noqa: E402


def solve() -> list[tuple[str, str, str, str]]:
    """Compile and solve ``xfmr2.dss``; every node-phase as written to the CSV."""
    dss.Text.Command("Clear")
    dss.Text.Command(f'Compile "{HERE / "xfmr2.dss"}"')
    dss.Text.Command("Set Tolerance=1e-10 MaxIterations=200")
    dss.Text.Command("Solve")
    assert dss.Solution.Converged(), "OpenDSS did not converge"
    return [(b, ph, f"{vm:.10f}", f"{va:.8f}") for b, ph, vm, va, _ in node_voltages(dss)]


def solve_ltc() -> tuple[dict[str, int], list[tuple[str, str, str, str]]]:
    """``ltc.dss``: OpenDSS's controls (tolerance 1e-9: at 1e-10 its control loop stops in
    200 power-flow iterations), then the voltages at those taps (controls off, 1e-10)."""
    dss.Text.Command("Clear")
    dss.Text.Command(f'Compile "{HERE / "ltc.dss"}"')
    dss.Text.Command("Set Tolerance=1e-9 MaxIterations=200")
    dss.Text.Command("Solve")
    assert dss.Solution.Converged(), "OpenDSS did not converge"
    taps = {}
    for name in dss.Transformers.AllNames():
        dss.Transformers.Name(name)
        dss.Transformers.Wdg(2)
        taps[name] = round((dss.Transformers.Tap() - 1.0) / 0.00625)
    dss.Text.Command("Set ControlMode=off Tolerance=1e-10")
    dss.Text.Command("Solve")
    assert dss.Solution.Converged(), "OpenDSS did not converge"
    return taps, [(b, ph, f"{vm:.10f}", f"{va:.8f}") for b, ph, vm, va, _ in node_voltages(dss)]


#: Edits of ``sub_ltc`` in ``ltc.dss`` (appended to its line): ``bus=`` on the winding's own bus.
BUS_CASES = ("", "bus=lsb", "bus=lsb.1", "bus=lsb.2", "bus=lsb.3 R=0 X=0")


def solve_bus_case(extra: str) -> int:
    """``sub``'s tap (steps) after OpenDSS's controls with ``sub_ltc`` edited by ``extra``
    (its ``ptphase=2`` made 1: OpenDSS's PT on a bus reads one node)."""
    text = (HERE / "ltc.dss").read_text().replace("ptphase=2\n", f"ptphase=1 {extra}\n")
    path = HERE / "_bus_case.dss"
    path.write_text(text)
    try:
        dss.Text.Command("Clear")
        dss.Text.Command(f'Compile "{path}"')
        dss.Text.Command("Set Tolerance=1e-9 MaxIterations=200")
        dss.Text.Command("Solve")
        assert dss.Solution.Converged(), "OpenDSS did not converge"
    finally:
        path.unlink()
    dss.Transformers.Name("sub")
    dss.Transformers.Wdg(2)
    return round((dss.Transformers.Tap() - 1.0) / 0.00625)


def _write(name: str, nodes: list[tuple[str, str, str, str]]) -> None:
    with (HERE / name).open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["node_id", "phase", "vm_pu", "va_deg"])
        w.writerows(nodes)


def main() -> None:
    nodes = solve()
    _write("opendss_voltages.csv", nodes)
    taps, ltc = solve_ltc()
    _write("ltc_voltages.csv", ltc)
    with (HERE / "ltc_taps.csv").open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["transformer", "tap"])
        w.writerows(sorted(taps.items()))
    with (HERE / "ltc_bus_cases.csv").open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["extra", "tap"])
        w.writerows((extra, solve_bus_case(extra)) for extra in BUS_CASES)
    print(f"{len(nodes)} + {len(ltc)} node-phases, taps {taps}; {dss.Basic.Version()}")


if __name__ == "__main__":
    main()
