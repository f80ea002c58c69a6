"""Underground cables (``CNData``, ``TSData``), spacings below ground, Carson earth models.

``test_data/opendss/cables/`` holds a small feeder on an overhead geometry, a three-phase
concentric-neutral cable geometry below ground and cables on spacings (``cncables=``, one
with a bare neutral in the trench), with OpenDSS's line matrices per km and node voltages for
OpenDSS's default earth model (Deri) and for ``Set EarthModel=Carson`` and ``FullCarson``
(``make_opendss_reference.py`` there); tape-shielded cables on a geometry (with a bare
neutral below ground) and a spacing. GAT's matrices must match within 1e-6 of each matrix's
largest entry, its voltages within 1e-7 pu.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pandas as pd
import pytest
from gat_dist_opendss_testlib import OPENDSS, write_dss

import gat_pf
from gat_dist import import_opendss
from gat_dist.importers.opendss._cable import CNCable, cable_constants
from gat_dist.importers.opendss._carson import EPS0
from gat_dist.importers.opendss._parse import parse_opendss
from gat_pf import ThreePhaseOptions
from gat_schemas.errors import InputError

CASE = OPENDSS / "cables"
SCRIPTS = {
    "deri": "cables.dss",
    "carson": "cables_carson.dss",
    "fullcarson": "cables_fullcarson.dss",
}
#: Line -> the line code GAT names for it.
CODES = {
    "oh1": "geometry.oh",
    "ug1": "geometry.ug3",
    "ug2": "spacing.trench3n.cn.1/0_al_15kv.1/0_al_15kv.1/0_al_15kv.2cu",
    "ug3": "spacing.trench1.cn.1/0_al_15kv",
    "ts1": "geometry.ts1n",
    "ts3": "spacing.ts3.ts.ts_1/0.ts_1/0.ts_1/0",
}


@pytest.mark.parametrize("case", list(SCRIPTS))
def test_line_matrices_match_opendss(case: str) -> None:
    ref = pd.read_csv(CASE / "line_matrices.csv")
    ref = ref[ref["case"] == case]
    codes = parse_opendss(CASE / SCRIPTS[case]).linecodes
    for line, code_name in CODES.items():
        sub = ref[ref["line"] == line]
        code = codes[code_name]
        n = int(sub["i"].max())
        # Geometry codes are per metre (a unitless line on one is in metres, as in OpenDSS).
        assert code.n_phases == n and code.unit == "m"
        for col, got in (
            ("r_ohm_per_km", code.r * 1e3),
            ("x_ohm_per_km", code.x * 1e3),
            ("c_nf_per_km", code.c * 1e3),
        ):
            want = np.zeros((n, n))
            want[sub["i"] - 1, sub["j"] - 1] = sub[col]
            assert np.abs(got - want).max() <= 1e-6 * np.abs(want).max(), (case, line, col)


def test_earth_models_differ_where_opendss_says() -> None:
    """The Carson models change the series impedance (overhead and cable), not the
    capacitance: the three cases test three different earth terms."""
    ref = pd.read_csv(CASE / "line_matrices.csv").set_index(["case", "line", "i", "j"])
    d = ref.loc["deri"]
    for other in ("carson", "fullcarson"):
        c = ref.loc[other]
        assert (d["c_nf_per_km"] == c["c_nf_per_km"]).all()
        assert (abs(d["r_ohm_per_km"] - c["r_ohm_per_km"]) > 1e-4).any()
    assert (
        abs(ref.loc["carson"]["x_ohm_per_km"] - ref.loc["fullcarson"]["x_ohm_per_km"]) > 1e-4
    ).any()


@pytest.mark.parametrize("case", list(SCRIPTS))
def test_cable_feeder_voltages_match_opendss(case: str) -> None:
    net = import_opendss(CASE / SCRIPTS[case])
    result = gat_pf.run_power_flow_3ph(net, options=ThreePhaseOptions(tol=1e-10))
    assert bool(result.summary["converged"].iloc[0])
    ref = pd.read_csv(CASE / "opendss_voltages.csv")
    ref = ref[ref["case"] == case].rename(columns={"bus": "node_id"})
    got = result.nodes.assign(node_id=result.nodes["node_id"].str.lower())
    both = ref.merge(got, on=["node_id", "phase"], suffixes=("", "_gat"))
    assert len(both) == len(ref) == 17
    da = (both["va_deg"] - both["va_deg_gat"] + 180.0) % 360.0 - 180.0
    assert np.abs(both["vm_pu"] - both["vm_pu_gat"]).max() < 1e-7
    assert np.abs(da).max() < 1e-5


def test_cable_capacitance_and_neutral_by_hand() -> None:
    """One cable alone: C = 2 pi eps0 EpsR / ln(Ro / Ri); and with one strand on a circle
    of radius R the neutral is a conductor at distance R from the core (Kron by hand)."""
    cab = CNCable(1, 0.002, 0.0008, 2e-3, 0.032, 0.025, 0.005, 3.0)
    lc = cable_constants(
        np.array([0.0]), np.array([-1.0]), np.array([5e-4]), np.array([5.1e-4]),
        np.array([0.004]), [cab], frequency_hz=60.0, model="carson",
    )  # fmt: skip
    c_want = 2 * math.pi * EPS0 * 3.0 / math.log(0.0125 / 0.0075) * 1e12
    assert lc.c[0, 0] == pytest.approx(c_want, rel=1e-12)
    w, rad = 2 * math.pi * 60.0, (0.032 - 0.002) / 2
    lf = 1j * w * 4e-7 * math.pi / (2 * math.pi)
    ze = w * 4e-7 * math.pi / 8 + lf * math.log(658.5 * math.sqrt(100.0 / 60.0))
    zcc = 5.1e-4 + lf * math.log(1 / 0.004) + ze
    znn = 2e-3 + lf * math.log(1 / 0.0008) + ze
    zcn = lf * math.log(1 / rad) + ze
    want = (zcc - zcn**2 / znn) * 1e3
    assert complex(lc.r[0, 0], lc.x[0, 0]) == pytest.approx(want, rel=1e-12)


BASE = (
    "Clear\nNew Circuit.t basekv=12.47 bus1=src\n"
    "New CNData.cn rac=0.3 runits=km gmrac=0.4 gmrunits=cm radius=0.5 radunits=cm\n"
    "~ k=6 diastrand=0.1 rstrand=3 diacable=3 diains=2.6 inslayer=0.5\n"
    "New LineSpacing.s nconds=1 nphases=1 units=m x=[0] h=[-1]\n"
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "New Line.a bus1=src.1 bus2=b.1 phases=1 spacing=s cncables=[cn] length=1\n"
            "Set EarthModel=Carson\n",
            "Set option .EarthModel. after lines",
        ),
        ("Set EarthModel=Simple\n", "GAT computes Deri, Carson and FullCarson"),
        (
            "New Line.a bus1=src.1 bus2=b.1 phases=1 spacing=s cncables=[cn] length=1 "
            "earthmodel=carson\n",
            "OpenDSS ignores it there",
        ),
        (
            "New CNData.bad rac=0.3 gmrac=0.4 radius=0.5 k=6 diastrand=0.1 rstrand=3 "
            "diacable=3 diains=2.6 inslayer=1.4\n",
            "InsLayer must be less than DiaIns / 2",
        ),
    ],
)
def test_cable_input_errors_are_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        import_opendss(write_dss(tmp_path, BASE + text + "Set VoltageBases=[12.47]\n"))


def test_uuids_command_is_recorded(tmp_path: Path) -> None:
    # IEEE 9500 ends with `uuids ieee9500_uuid.dss` (CIM identifiers; no change to the network).
    net = import_opendss(
        write_dss(
            tmp_path,
            BASE + "New Line.a bus1=src.1 bus2=b.1 phases=1 spacing=s cncables=[cn] length=1\n"
            "uuids ids.dss\nSet VoltageBases=[12.47]\nCalcVoltageBases\n",
        )
    )
    assert any("uuids" in n.lower() for n in net.source["import_notes"])
