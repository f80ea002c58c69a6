"""OpenDSS center-tapped (three-winding) service transformers and XfmrCode, imported and solved.

``test_data/opendss/split_phase/split_phase.dss`` (two center-tapped units, triplex, 120/240 V
loads) imported and solved by ``gat_pf.run_power_flow_3ph`` against OpenDSS's node voltages
and losses stored beside it (``make_reference.py``).
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
from gat_schemas.errors import InputError

CASE = OPENDSS / "split_phase"
V_TOL_PU = 1e-5
ANGLE_TOL_DEG = 1e-3


@pytest.fixture(scope="module")
def imported():
    return import_opendss(CASE / "split_phase.dss")


def test_center_tap_rows(imported) -> None:
    xf = imported.tables["dist_transformers"].set_index("branch_id")
    ctc = xf.loc["ctc"]
    assert (ctc.phases, ctc.phases_to, ctc.conn_to) == ("C", "AB", "center_tap")
    # %Rs = [0.6 1.2 1.2]: primary-to-leg 0.6 + 1.2, leg-to-leg 1.2 + 1.2.
    assert (ctc.r_pct, ctc.r_lt_pct) == pytest.approx((1.8, 2.4))
    assert (ctc.x_pct, ctc.x_ht_pct, ctc.x_lt_pct) == pytest.approx((2.04, 2.04, 1.36))
    assert (ctc.noload_loss_pct, ctc.imag_pct) == pytest.approx((0.2, 0.5))
    nodes = imported.tables["dist_nodes"].set_index("node_id")
    assert nodes.loc["s2", "phase"] == "AB"
    assert nodes.loc["s2", "base_kv"] == pytest.approx(0.208)


def test_solution_matches_opendss(imported) -> None:
    res = gat_pf.run_power_flow_3ph(imported)
    ref = pd.read_csv(CASE / "split_phase_opendss.csv")
    ref["phase"] = ref.node.map({1: "A", 2: "B", 3: "C"})
    got = res.nodes.assign(node_id=res.nodes.node_id.str.lower()).set_index(["node_id", "phase"])
    g = got.loc[list(zip(ref.bus, ref.phase, strict=True))]
    base = (g.v_kv / g.vm_pu).to_numpy()
    assert (np.abs(g.v_kv.to_numpy() - ref.v_kv.to_numpy()) / base).max() < V_TOL_PU
    dang = (g.va_deg.to_numpy() - ref.va_deg.to_numpy() + 180) % 360 - 180
    assert np.abs(dang).max() < ANGLE_TOL_DEG
    loss = pd.read_csv(CASE / "split_phase_opendss_summary.csv").p_loss_kw.iloc[0]
    assert res.summary.p_loss_mw.iloc[0] * 1e3 == pytest.approx(loss, rel=1e-3)


def _script(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "ct.dss"
    path.write_text(
        "Clear\nNew Circuit.c basekv=12.47 bus1=src phases=3\n"
        "New Linecode.lc nphases=3 r1=0.1 x1=0.2 r0=0.3 x0=0.6 units=km\n"
        "New Line.feed bus1=src bus2=p linecode=lc length=1 units=km\n"
        + body
        + "\nSet VoltageBases=[12.47, 0.208]\nCalcVoltageBases\n"
    )
    return path


def test_xfmrcode_equals_the_written_out_unit(tmp_path: Path) -> None:
    code = (
        "New XfmrCode.CT25 phases=1 windings=3 kvs=[7.2 0.12 0.12] kVAs=[25 25 25] %imag=0.5 "
        "%Rs=[0.6 1.2 1.2] %noloadloss=.2 Xhl=2.04 Xht=2.04 Xlt=1.36\n"
        "New Transformer.a XfmrCode=CT25 buses=[p.1 s.1.0 s.0.2]\n"
        "New Transformer.b phases=1 windings=3 buses=[p.2 t.1.0 t.0.2] kvs=[7.2 0.12 0.12] "
        "kVAs=[25 25 25] %imag=0.5 %Rs=[0.6 1.2 1.2] %noloadloss=.2 Xhl=2.04 Xht=2.04 Xlt=1.36\n"
        "New Transformer.c XfmrCode=CT25 buses=[p.3 u.1.0 u.0.2] Xht=3"
    )
    xf = import_opendss(_script(tmp_path, code)).tables["dist_transformers"].set_index("branch_id")
    cols = ["r_pct", "x_pct", "x_ht_pct", "r_lt_pct", "x_lt_pct", "noload_loss_pct", "imag_pct"]
    assert xf.loc["a", cols].tolist() == xf.loc["b", cols].tolist()
    assert xf.loc["c", "x_ht_pct"] == 3.0  # a property after XfmrCode= overrides the code
    assert xf.loc["b", "phases"] == "B"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "New Transformer.t phases=1 windings=3 buses=[p.1 s.1.2 s.0.2] kvs=[7.2 0.12 0.12] "
            "kvas=[25 25 25]",
            "wired as center taps",
        ),
        (
            "New Transformer.t phases=1 windings=3 buses=[p.1 s.1.0 s.0.2] kvs=[7.2 0.12 0.13] "
            "kvas=[25 25 25]",
            "same kv",
        ),
        ("New Transformer.t XfmrCode=nope buses=[p.1 s.1.0 s.0.2]", "xfmrcode nope is not defined"),
    ],
)
def test_bad_center_taps_are_input_errors(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        import_opendss(_script(tmp_path, body))


def test_center_tap_network_validates_and_bad_legs_are_named(imported) -> None:
    from gat_schemas import Network, validate_network

    assert validate_network(imported) == []
    xf = imported.tables["dist_transformers"].copy()
    xf.loc[xf.branch_id == "ctb", "phases_to"] = "BC"  # node s has legs A, B only
    bad = Network(imported.name, imported.base_mva, {**imported.tables, "dist_transformers": xf})
    checks = {(v.table, v.check, v.row_ids) for v in validate_network(bad)}
    assert ("dist_transformers", "center_tap_nodes", ("ctb",)) in checks
