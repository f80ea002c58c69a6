"""IEEE 8500-node feeder (balanced loads): import, three-phase power flow, OpenDSS comparison.

``test_data/opendss/ieee8500/`` holds EPRI's model (with the few syntax edits its README lists)
and OpenDSS's solution of the unchanged original (``make_reference.py``): node voltages,
regulator taps and capacitor states after OpenDSS's controls, losses. GAT solves with those
taps and capacitor states fixed. Acceptance (issue 13): every node-phase within 1e-3 pu of
OpenDSS, losses within 0.5 %.

One adjustment is made here, not in the importer, and named in the README:

* OpenDSS's switch impedance: EPRI writes every switch ``R1=1 X1=1 R0=1 X0=1 Length=0.001``
  (1 + j1 milliohm per phase); the importer makes switches ideal (its notes say so). With 15
  closed switches in series on the main path that alone moves far-end voltages by 1.8e-3 pu,
  so the switch branches get that impedance back;
* nothing else: the three node phases reached only through the five open switches are left
  out by the three-phase model (OpenDSS leaves them dead).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pandas as pd
import pytest
from gat_dist_opendss_testlib import OPENDSS

import gat_pf
from gat_dist import import_opendss
from gat_dist.importers.opendss._classes import CLASSES
from gat_schemas import Network

CASE = OPENDSS / "ieee8500"
V_TOL_PU = 1e-3
LOSS_RTOL = 5e-3
SWITCH_OHM = complex(1.0, 1.0) * 0.001  # OpenDSS R1=X1=R0=X0=1 ohm per unit length x 0.001

_NEEDS = {
    "Vsource R1/X1 (source impedance)": "r1" in CLASSES["circuit"],
    "CapControl": "capcontrol" in CLASSES,
    "BusCoords": importlib.util.find_spec("gat_dist.importers.opendss._coords") is not None,
}
pytestmark = pytest.mark.skipif(
    not all(_NEEDS.values()),
    reason="the importer lacks " + ", ".join(k for k, ok in _NEEDS.items() if not ok),
)


#: (master file, prefix of OpenDSS's reference files): EPRI's line codes, and GAT's variant with
#: the lines given by LineGeometry/WireData (``Master-geometry.dss``).
CASES = {
    "linecodes": ("Master.dss", "ieee8500_opendss_"),
    "geometry": ("Master-geometry.dss", "ieee8500_geometry_opendss_"),
}


def _fixed(net: Network, prefix: str) -> Network:
    """OpenDSS's taps and capacitor states fixed; OpenDSS's switch impedance."""
    ctl = pd.read_csv(CASE / f"{prefix}controls.csv")
    taps = dict(zip(ctl.name, ctl.value, strict=True))
    regs = net.tables["dist_regulators"].copy()
    regs["tap"] = [int(taps[r.lower()]) for r in regs.regulator_id]
    regs["mode"] = "fixed"
    caps = net.tables["dist_caps"]
    caps = caps[[taps[c.lower()] == 1 for c in caps.cap_id]]
    br = net.tables["dist_branches"].copy()
    nodes = net.tables["dist_nodes"].copy()
    sw = (br.branch_type == "switch").to_numpy()
    kv = nodes.set_index("node_id").base_kv.reindex(br.from_node).to_numpy()
    z_pu = SWITCH_OHM / (kv[sw] ** 2 / net.base_mva)
    br.loc[sw, "r"], br.loc[sw, "x"] = z_pu.real, z_pu.imag
    tables = {
        **net.tables,
        "dist_regulators": regs,
        "dist_caps": caps,
        "dist_branches": br,
        "dist_nodes": nodes,
    }
    return Network(net.name, net.base_mva, tables, frequency_hz=net.frequency_hz, source=net.source)


@pytest.fixture(scope="module", params=sorted(CASES))
def solved(request: pytest.FixtureRequest) -> tuple[str, gat_pf.ThreePhaseResult]:
    master, prefix = CASES[request.param]
    return prefix, gat_pf.run_power_flow_3ph(_fixed(import_opendss(CASE / master), prefix))


def test_import_counts() -> None:
    net = import_opendss(CASE / "Master.dss")
    xf = net.tables["dist_transformers"]
    assert (xf.conn_to == "center_tap").sum() == 1177
    assert len(net.tables["dist_loads"]) == 1177
    assert len(net.tables["dist_regulators"]) == 12


def test_every_node_phase_within_1e3_pu_of_opendss(solved) -> None:
    prefix, res = solved
    ref = pd.read_csv(CASE / f"{prefix}voltages.csv.gz")
    # Dead in OpenDSS (0 V: reached only through an open switch), left out by GAT.
    ref = ref[ref.v_kv > 0]
    ref["phase"] = ref.node.map({1: "A", 2: "B", 3: "C"})
    got = res.nodes.assign(key=res.nodes.node_id.str.lower()).set_index(["key", "phase"])
    keys = list(zip(ref.bus.str.lower(), ref.phase, strict=True))
    assert len(ref) > 8500 and all(k in got.index for k in keys)
    g = got.loc[keys]
    base = (g.v_kv / g.vm_pu).to_numpy()
    dev = np.abs(g.v_kv.to_numpy() - ref.v_kv.to_numpy()) / base
    assert dev.max() < V_TOL_PU, (dev.max(), g.index[int(np.argmax(dev))])


def test_losses_within_half_a_percent(solved) -> None:
    prefix, res = solved
    ref = pd.read_csv(CASE / f"{prefix}summary.csv").iloc[0]
    s = res.summary.iloc[0]
    assert s.p_loss_mw * 1e3 == pytest.approx(ref.p_loss_kw, rel=LOSS_RTOL)
    assert s.total_gen_mw * 1e3 == pytest.approx(ref.p_source_kw, rel=1e-3)
