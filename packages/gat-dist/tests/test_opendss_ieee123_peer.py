"""OpenDSS itself (bench peer, optional): the stored IEEE 123 reference is what OpenDSS gives.

Skipped without ``opendssdirect`` (CI installs no bench group); the fast tests compare GAT with
the stored CSVs only.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd
import pytest
from gat_dist_opendss_testlib import OPENDSS

FOLDER = OPENDSS / "ieee123"


@pytest.mark.slow
def test_stored_reference_is_reproduced_by_opendss() -> None:
    dss = pytest.importorskip("opendssdirect")
    dss.Text.Command(f'Compile "{FOLDER / "IEEE123Master.dss"}"')
    dss.Text.Command("Solve")
    taps = pd.read_csv(FOLDER / "opendss_taps.csv").set_index("regulator_id")["tap"]
    for name in dss.RegControls.AllNames():
        dss.RegControls.Name(name)
        assert dss.RegControls.TapNumber() == taps[name], name
    ref = pd.read_csv(FOLDER / "opendss_voltages.csv", dtype={"node_id": str})
    ref = ref.set_index(["node_id", "phase"])
    worst = 0.0
    for bus in dss.Circuit.AllBusNames():
        dss.Circuit.SetActiveBus(bus)
        base = dss.Bus.kVBase() * 1000.0
        v = dss.Bus.Voltages()
        for k, node in enumerate(dss.Bus.Nodes()):
            if node in (1, 2, 3):
                z = complex(v[2 * k], v[2 * k + 1])
                worst = max(worst, abs(abs(z) / base - ref.loc[(bus, "ABC"[node - 1]), "vm_pu"]))
                angle = math.degrees(math.atan2(z.imag, z.real))
                assert abs(angle - ref.loc[(bus, "ABC"[node - 1]), "va_deg"]) < 1e-5
    assert worst < 1e-7
