"""IEEE 123-node feeder as EPRI ships it: imported in one pass, solved, compared with OpenDSS.

The OpenDSS solution is stored in ``test_data/opendss/ieee123`` (README there: how it was made,
what the tolerances are). No OpenDSS is needed here.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pandas as pd
import pytest
from gat_dist_opendss_testlib import OPENDSS

import gat_pf
from gat_dist import import_opendss
from gat_schemas import validate_network

FOLDER = OPENDSS / "ieee123"
MASTER = FOLDER / "IEEE123Master.dss"
VM_TOL = 1e-3  # pu of the line-to-neutral base
VA_TOL = 0.1  # degrees
#: Kersting's published taps, as EPRI's Run_IEEE123Bus.DSS sets them (the script's comments).
KERSTING = {"creg1a": 7, "creg2a": -1, "creg3a": 0, "creg3c": -1, "creg4a": 8, "creg4b": 1}
KERSTING["creg4c"] = 5


@pytest.fixture(scope="module")
def net():
    return import_opendss(MASTER)


def _at_taps(net, taps: dict[str, int]):
    reg = net.tables["dist_regulators"].copy()
    reg["tap"] = reg["regulator_id"].map(taps).astype("int64")
    reg["mode"] = "fixed"
    return net.with_table("dist_regulators", reg)


def test_master_imports_as_shipped_and_is_valid(net) -> None:
    assert validate_network(net) == []
    reg = net.tables["dist_regulators"].set_index("regulator_id")
    # The ganged regulator is one row for its three phases, measured on phase A (ptphase 1).
    assert reg.loc["creg1a", ["branch_id", "phase", "pt_phase"]].tolist() == ["reg1a", "ABC", "A"]
    # like= copied reg3a's and creg4a's settings, the later properties win.
    assert reg.loc["creg3c", ["phase", "band_v", "ct_primary_a"]].tolist() == ["C", 1.0, 50.0]
    assert reg.loc["creg4b", ["v_set_v", "r_comp_v", "x_comp_v"]].tolist() == [124.0, 1.4, 2.6]
    tr = net.tables["dist_transformers"].set_index("branch_id")
    assert tr.loc["reg4c", ["phases", "kv_from", "s_rated_mva"]].tolist() == ["C", 2.402, 2.0]
    nodes = net.nodes.set_index("node_id")
    assert nodes.loc["150_vsource", "type"] == "slack" and nodes.loc["150", "type"] == "load"
    # R1=0 X1=0.0001 R0=0 X0=0.0001 ohm: self (2 Z1 + Z0) / 3, mutual (Z0 - Z1) / 3.
    code = net.tables["dist_linecodes"].set_index("linecode_id").loc["Vsource.source"]
    assert code["x11"] == pytest.approx(1e-4) and code["x12"] == pytest.approx(0.0)
    assert set(nodes["base_kv"]) == {4.16, 0.48}


def test_voltages_match_opendss_at_its_taps(net) -> None:
    taps = pd.read_csv(FOLDER / "opendss_taps.csv").set_index("regulator_id")["tap"]
    result = gat_pf.run_power_flow_3ph(_at_taps(net, taps.to_dict()))
    assert result.converged
    ref = pd.read_csv(FOLDER / "opendss_voltages.csv", dtype={"node_id": str})
    got = result.nodes.assign(key=result.nodes["node_id"].str.lower())
    m = ref.merge(got, left_on=["node_id", "phase"], right_on=["key", "phase"], how="left")
    assert len(m) == 278 and not m["vm_pu_y"].isna().any()
    dv = (m["vm_pu_y"] - m["vm_pu_x"]).abs()
    da = ((m["va_deg_y"] - m["va_deg_x"] + 180.0) % 360.0 - 180.0).abs()
    assert dv.max() <= VM_TOL, m.loc[dv.idxmax(), ["node_id_x", "phase"]].tolist()
    assert da.max() <= VA_TOL, m.loc[da.idxmax(), ["node_id_x", "phase"]].tolist()
    s = result.summary.iloc[0]
    assert s["total_gen_mw"] == pytest.approx(s["total_load_mw"] + s["p_loss_mw"], abs=1e-6)


def test_automatic_taps_end_in_band_near_the_published_ones(net) -> None:
    result = gat_pf.run_power_flow_3ph(net)
    regs = net.tables["dist_regulators"].set_index("regulator_id")
    got = result.regulators.set_index("regulator_id")
    v = got["v_regulated_v"]
    assert ((v - regs.loc[v.index, "v_set_v"]).abs() <= regs.loc[v.index, "band_v"] / 2).all()
    # GAT's control moves straight to the set point: within one step of Kersting's taps.
    diff = [abs(int(got.loc[k, "tap"]) - t) for k, t in KERSTING.items()]
    assert max(diff) <= 1
    # OpenDSS's final taps are in band for GAT's control too: started there, nothing moves.
    taps = pd.read_csv(FOLDER / "opendss_taps.csv").set_index("regulator_id")["tap"]
    reg = net.tables["dist_regulators"].copy()
    reg["tap"] = reg["regulator_id"].map(taps).astype("int64")
    again = gat_pf.run_power_flow_3ph(net.with_table("dist_regulators", reg))
    assert again.regulators["tap"].tolist() == reg["tap"].tolist()
    assert int(again.summary["regulator_rounds"].iloc[0]) == 1


def test_run_script_imports_with_kersting_taps_locked_and_coordinates() -> None:
    net = import_opendss(FOLDER / "Run_IEEE123Bus.DSS")
    reg = net.tables["dist_regulators"].set_index("regulator_id")
    assert reg["tap"].to_dict() == KERSTING
    assert (reg["mode"] == "fixed").all()  # maxtapchange=0
    nodes = net.nodes.set_index("node_id")
    assert nodes.loc["1", ["x", "y"]].tolist() == [700.0, 1500.0]
    assert nodes.loc["9r", ["x", "y"]].tolist() == [1200.0, 1725.0]
    notes = "\n".join(net.source["import_notes"])
    for word in ("Solve", "Plot", "Show", "New energymeter.Feeder", "Buscoords BusCoords.dat"):
        assert word.lower() in notes.lower(), word


def test_switch_variant_opens_by_terminal(net) -> None:
    var = import_opendss(FOLDER / "IEEE123Switches.dss")
    status = var.branches.set_index("branch_id")["status"]
    assert status["Sw7"] == "open" and status["Sw8"] == "open" and status["Sw1"] == "closed"
    assert "Open Line.Sw7 terminal 2" in "\n".join(var.source["import_notes"])


def test_every_refusal_is_reported_at_once(tmp_path: Path) -> None:
    """Inputs of different kinds (script, element, regulator) all land in one error."""
    for f in FOLDER.glob("*.DSS"):
        (tmp_path / f.name).write_bytes(f.read_bytes())
    text = MASTER.read_text().replace(
        "new regcontrol.creg1a transformer=reg1a winding=2",
        "new regcontrol.creg1a transformer=reg1a winding=2 ptphase=max",
    )
    text += (
        "Set EarthModel=Carson\n"
        "New GICLine.g bus1=150\n"
        "New Transformer.t3 phases=3 windings=3 buses=[610 a b] kvs=[.48 .48 .48] "
        "kvas=[10 10 10]\n"
        "New Transformer.d phases=3 buses=[1 d1] kvs=[4.16 4.16] kvas=[50 50] "
        "conns=[wye delta]\n"
        "New Regcontrol.cd transformer=d winding=2\n"
    )
    (tmp_path / "m.dss").write_text(text)
    from gat_dist.importers.opendss._parse import OpenDssImportError

    with pytest.raises(OpenDssImportError) as err:
        import_opendss(tmp_path / "m.dss")
    problems = err.value.problems
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("m.dss: ")
    # Regcontrol cd on the wye-delta bank d is read since 2026-12-05 (xfmr2), so four kinds.
    assert len(problems) == 4 and err.value.unsupported >= 3, problems
    joined = "\n".join(problems)
    for needle in ("EarthModel", "GICLine", "transformer t3", "ptphase=max"):
        assert needle in joined, needle
    assert np.all([":" in p for p in problems])  # every problem names file and line


def test_a_ganged_row_equals_three_rows_at_the_same_tap(net) -> None:
    """One tap for three phases is the same bank as three single-phase taps of that value."""
    fixed = _at_taps(net, KERSTING)
    reg = fixed.tables["dist_regulators"]
    gang = reg[reg["regulator_id"] == "creg1a"]
    split = pd.concat(
        [gang.assign(regulator_id=f"creg1a_{p}", phase=p, pt_phase=p) for p in "ABC"]
        + [reg[reg["regulator_id"] != "creg1a"]],
        ignore_index=True,
    )
    a = gat_pf.run_power_flow_3ph(fixed).nodes.set_index(["node_id", "phase"])
    b = gat_pf.run_power_flow_3ph(fixed.with_table("dist_regulators", split)).nodes
    b = b.set_index(["node_id", "phase"]).loc[a.index]
    assert np.abs(a["vm_pu"] - b["vm_pu"]).max() < 1e-9
    # ... and the tap moves all three phases: at tap 7 (1.04375) every phase of 150r is raised
    # alike, less the small drop in the regulator's own impedance.
    ratio = a.loc["150r", "vm_pu"] / a.loc["150", "vm_pu"]
    assert np.allclose(ratio, 1 + 7 * 0.00625, atol=1e-5)
