"""Write OpenDSS's solution of the IEEE 8500 balanced case (Master.dss) for GAT's comparison.

Run from the repository root with the bench group installed:
``.venv/bin/python test_data/opendss/ieee8500/make_reference.py``. It compiles the
unchanged EPRI ``Master.dss`` (``/work/shared/reference/ieee8500`` or the folder given as the
first argument), solves it as EPRI's ``Run_8500Node.dss`` does (``Set MaxIterations=20``,
``Solve``: regulator and capacitor controls act) and writes beside this script:

* ``ieee8500_opendss_voltages.csv.gz``: ``bus``, ``node``, ``v_kv`` (kV to ground),
  ``va_deg`` (degrees) of every node;
* ``ieee8500_opendss_controls.csv``: ``kind`` (``regulator``: winding-2 tap in steps of
  0.00625 pu; ``capacitor``: 1 in service, 0 switched off), ``name``, ``value``;
* ``ieee8500_opendss_summary.csv``: ``p_loss_kw``, ``q_loss_kvar``, ``p_source_kw``,
  ``q_source_kvar``, ``iterations``.

Then the same three files with the prefix ``ieee8500_geometry_opendss_`` for GAT's variant
``Master-geometry.dss`` beside this script (the lines from ``Lines-Geometry.dss`` with
``LineGeometry``/``WireData`` instead of line codes; EPRI ships no master for it).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import opendssdirect as dss
import pandas as pd

HERE = Path(__file__).resolve().parent
SOURCE = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/shared/reference/ieee8500")


def solve(master: Path, prefix: str) -> None:
    """Compile and solve ``master``; write ``{prefix}voltages.csv.gz``, ``controls``, ``summary``."""
    dss.Text.Command("clear")
    dss.Text.Command(f"compile [{master}]")
    dss.Text.Command("set maxiterations=20")
    dss.Text.Command("solve")
    assert dss.Solution.Converged()
    names = dss.Circuit.AllNodeNames()
    v = np.array(dss.Circuit.AllBusVolts()).reshape(-1, 2) @ np.array([1.0, 1j])
    bus, node = zip(*(n.rsplit(".", 1) for n in names), strict=True)
    pd.DataFrame(
        {
            "bus": bus,
            "node": np.array(node, dtype=int),
            "v_kv": np.abs(v) / 1e3,
            "va_deg": np.degrees(np.angle(v)),
        }
    ).to_csv(HERE / f"{prefix}voltages.csv.gz", index=False, float_format="%.9g")
    rows = []
    for name in dss.RegControls.AllNames():
        dss.RegControls.Name(name)
        rows.append({"kind": "regulator", "name": name, "value": dss.RegControls.TapNumber()})
    for name in dss.Capacitors.AllNames():
        dss.Capacitors.Name(name)
        rows.append({"kind": "capacitor", "name": name, "value": int(dss.Capacitors.States()[0])})
    pd.DataFrame(rows).to_csv(HERE / f"{prefix}controls.csv", index=False)
    loss = dss.Circuit.Losses()
    total = dss.Circuit.TotalPower()
    pd.DataFrame(
        [
            {
                "p_loss_kw": loss[0] / 1e3,
                "q_loss_kvar": loss[1] / 1e3,
                "p_source_kw": -total[0],
                "q_source_kvar": -total[1],
                "iterations": dss.Solution.Iterations(),
            }
        ]
    ).to_csv(HERE / f"{prefix}summary.csv", index=False, float_format="%.10g")


def main() -> None:
    solve(SOURCE / "Master.dss", "ieee8500_opendss_")
    solve(HERE / "Master-geometry.dss", "ieee8500_geometry_opendss_")


if __name__ == "__main__":
    main()
