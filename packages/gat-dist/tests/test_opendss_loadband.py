"""Loads outside OpenDSS's vminpu/vmaxpu band and model 4 with exponents 0.8/3: GAT's
three-phase power flow against OpenDSS's own solution of ``test_data/opendss/loadband``."""

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
from gat_pf import ThreePhaseOptions
from gat_schemas.errors import NotConvergedError

CASE = OPENDSS / "loadband"
BAND = ["v_min_pu", "v_max_pu", "v_low_pu", "v_rated_pu"]
TIGHT = ThreePhaseOptions(tol=1e-10)


def _compare(result: gat_pf.ThreePhaseResult) -> tuple[float, float]:
    ref = pd.read_csv(CASE / "opendss_voltages.csv")
    got = result.nodes.assign(node_id=result.nodes["node_id"].str.lower())
    both = ref.merge(got, on=["node_id", "phase"], suffixes=("", "_gat"))
    assert len(both) == len(ref) == 12
    da = (both["va_deg"] - both["va_deg_gat"] + 180.0) % 360.0 - 180.0
    return float(np.abs(both["vm_pu"] - both["vm_pu_gat"]).max()), float(np.abs(da).max())


@pytest.fixture(scope="module")
def net():  # type: ignore[no-untyped-def]
    return import_opendss(CASE / "loadband.dss")


def test_the_feeder_spans_every_band_region() -> None:
    ref = pd.read_csv(CASE / "opendss_voltages.csv").set_index(["node_id", "phase"])["vm_pu"]
    assert ref.loc["near"].min() > 1.05 and ref.loc["mid", "C"] > 1.05  # above vmaxpu
    assert ref.loc["far", "A"] < 0.95 and ref.loc["far", "B"] < 0.95  # below vminpu
    assert 0.8 < ref.loc["far", "C"] < 1.05  # f5 between its vlowpu and vminpu


def test_voltages_and_load_power_match_opendss(net) -> None:  # type: ignore[no-untyped-def]
    rows = net.tables["dist_loads"].set_index("load_id")
    assert rows.loc["f4", ["model", "p_exp", "q_exp"]].tolist() == ["exp", 0.8, 3.0]
    assert np.isnan(rows.loc["m2", "v_min_pu"])  # model 2 never switches
    result = gat_pf.run_power_flow_3ph(net, options=TIGHT)
    assert bool(result.summary["converged"].iloc[0])
    dv, da = _compare(result)
    assert dv < 1e-8 and da < 1e-6
    # Each bus's load power (the node's injection) equals the sum of OpenDSS's loads there.
    loads = pd.read_csv(CASE / "opendss_load_powers.csv").groupby("bus")[["p_kw", "q_kvar"]]
    ref = loads.sum() / 1e3
    got = result.nodes.groupby("node_id")[["p_mw", "q_mvar"]].sum()
    for bus in ("near", "mid", "far"):
        assert -got.loc[bus].to_numpy() == pytest.approx(ref.loc[bus].to_numpy(), abs=1e-8)


def test_without_the_band_gat_would_disagree(net) -> None:  # type: ignore[no-untyped-def]
    # Constant power at every voltage: no solution near OpenDSS's (the far end collapses).
    plain = net.with_table("dist_loads", net.tables["dist_loads"].drop(columns=BAND))
    try:
        dv, _ = _compare(gat_pf.run_power_flow_3ph(plain, options=TIGHT))
    except NotConvergedError:
        dv = np.inf
    assert dv > 1e-3


def test_newton_gives_the_same_answer(net) -> None:  # type: ignore[no-untyped-def]
    fixed = gat_pf.run_power_flow_3ph(net, options=TIGHT)
    options = ThreePhaseOptions(tol=1e-10, method="newton")
    newton = gat_pf.run_power_flow_3ph(net, options=options)
    assert bool(newton.summary["converged"].iloc[0])
    assert int(newton.summary["iterations"].iloc[0]) <= 8  # Newton's derivatives are right
    dv = np.abs(fixed.nodes["vm_pu"].to_numpy() - newton.nodes["vm_pu"].to_numpy())
    assert dv.max() < 1e-9


def test_reference_csv_is_opendss_own_solution(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stored reference is what OpenDSS gives today (live, with opendssdirect)."""
    dss = pytest.importorskip("opendssdirect")
    monkeypatch.chdir(Path.cwd())  # OpenDSS's Compile changes the working directory
    dss.Text.Command("Clear")
    dss.Text.Command(f'Compile "{CASE / "loadband.dss"}"')
    dss.Text.Command("Set Tolerance=1e-10 MaxIterations=200")
    dss.Text.Command("Solve")
    ref = pd.read_csv(CASE / "opendss_load_powers.csv").set_index("load_id")
    for name in ref.index:
        dss.Circuit.SetActiveElement(f"Load.{name}")
        s = dss.CktElement.Powers()
        assert sum(s[0::2]) == pytest.approx(ref.loc[name, "p_kw"], abs=1e-6)
        assert sum(s[1::2]) == pytest.approx(ref.loc[name, "q_kvar"], abs=1e-6)
