"""An ``Open`` that cuts a section off every source: the section is left out, as OpenDSS
leaves it dead, and the rest solves as OpenDSS solves it. (A bus that no element at all
joins to the source is still an error, ``test_opendss_errors``: usually a misspelt name.)"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pytest
from gat_dist_opendss_testlib import OPENDSS

import gat_pf
from gat_dist import import_opendss
from gat_schemas import validate_network

FIXED = OPENDSS / "ieee13" / "IEEE13Nodeckt_fixed_taps.dss"


def _script(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "cut.dss"
    path.write_text(f'Redirect "{FIXED}"\n{extra}\n', encoding="utf-8")
    return path


def test_open_line_leaves_its_dead_section_out_with_a_note(tmp_path: Path) -> None:
    whole = import_opendss(FIXED)
    net = import_opendss(_script(tmp_path, "Open Line.684652 1"))
    nodes = set(net.table("dist_nodes")["node_id"])
    assert nodes == set(whole.table("dist_nodes")["node_id"]) - {"652"}
    assert "684652" not in set(net.table("dist_branches")["branch_id"])
    assert not (net.table("dist_loads")["node_id"] == "652").any()
    assert len(net.table("dist_loads")) == len(whole.table("dist_loads")) - 1
    note = [n for n in net.source["import_notes"] if "no source feeds" in n]
    assert len(note) == 1 and "652" in note[0] and "128.2 kW of load" in note[0], note
    validate_network(net)
    res = gat_pf.run_power_flow_3ph(net)
    assert res.converged


def test_disabled_line_and_open_switch_cut_sections_too(tmp_path: Path) -> None:
    """A disabled line (OpenDSS ``enabled=no``) and an open switch cut sections off as
    ``Open`` does: 652 behind the disabled line, 692 and everything past it behind the open
    switch 671692 (675 and its capacitor and load, and the regulator-free lines there)."""
    whole = import_opendss(FIXED)
    net = import_opendss(_script(tmp_path, "Line.684652.enabled=no\nOpen Line.671692 1"))
    gone = set(whole.table("dist_nodes")["node_id"]) - set(net.table("dist_nodes")["node_id"])
    assert gone == {"652", "692", "675"}
    assert not set(net.table("dist_caps")["node_id"]) & gone
    assert not set(net.table("dist_loads")["node_id"]) & gone
    assert {"684652", "671692", "692675"}.isdisjoint(net.table("dist_branches")["branch_id"])
    validate_network(net)
    assert gat_pf.run_power_flow_3ph(net).converged


def test_live_part_matches_opendss(tmp_path: Path) -> None:
    dss = pytest.importorskip("opendssdirect")
    script = _script(tmp_path, "Open Line.684652 1")
    dss.Text.Command(f'Compile "{script}"')
    dss.Text.Command("Solve")
    net = import_opendss(script)
    res = gat_pf.run_power_flow_3ph(net)
    nodes = res.nodes
    keys = zip(nodes["node_id"].str.lower(), nodes["phase"], strict=True)
    got = dict(zip(keys, nodes["vm_pu"], strict=True))
    worst, seen = 0.0, 0
    for bus in dss.Circuit.AllBusNames():
        dss.Circuit.SetActiveBus(bus)
        v = np.asarray(dss.Bus.puVmagAngle()[0::2])
        for k, node in enumerate(dss.Bus.Nodes()):
            key = (bus, "ABC"[node - 1])
            if bus == "652":
                assert v[k] == 0.0  # dead in OpenDSS too
                continue
            if key in got:
                worst = max(worst, abs(got[key] - v[k]))
                seen += 1
    assert seen > 30
    assert worst < 1e-4


def test_a_part_joined_only_by_a_disabled_line_is_dead_not_an_error(tmp_path: Path) -> None:
    """EPRI's ckt5 holds connector lines to unmodelled substations, enabled=False, whose
    buses nothing else reaches: a dead part, left out with a note (a part of enabled lines
    with no path to the source is still an error: test_opendss_errors)."""
    extra = "New Line.iso phases=3 bus1=x1 bus2=x2 linecode=mtx601 length=1 units=kft enabled=no"
    net = import_opendss(_script(tmp_path, extra))
    assert not {"x1", "x2"} & set(net.table("dist_nodes")["node_id"])
    note = [n for n in net.source["import_notes"] if "no source feeds" in n]
    assert len(note) == 1 and "x1, x2" in note[0], note
    validate_network(net)


def test_capcontrol_type_is_read_by_its_first_letter(tmp_path: Path) -> None:
    """CapControl type= may be abbreviated as OpenDSS allows (EPRI's J1 writes type=volt)."""
    extra = (
        "New CapControl.c1 capacitor=Cap1 element=Line.650632 terminal=1 type=volt "
        "ON=118 OFF=126 PTratio=20"
    )
    net = import_opendss(_script(tmp_path, extra))
    ctl = net.table("dist_cap_controls").set_index("control_id")
    assert ctl.loc["c1", "control_type"] == "voltage"
