"""Three-phase OPF set points re-solved in OpenDSS give the voltages GAT reports (1e-3 pu).

The fast test compares with OpenDSS's voltages stored in ``data/opf3/`` (made by
``data/opf3/opendss_opf3.py`` from GAT's set points, also stored); the slow one re-runs
OpenDSS on the set points GAT gives now.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gat_dist.datasets import build_dataset
from gat_dist.opf import OpfOptions, run_opf

pytest.importorskip("highspy")

DATA = Path(__file__).resolve().parent / "data" / "opf3"
TOL_PU = 1e-3


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    net = build_dataset("ieee13")
    # The reference keeps loads constant power (vminpu=0.5 vmaxpu=1.5): the same band here.
    loads = net.tables["dist_loads"].assign(v_min_pu=0.5, v_max_pu=1.5)
    net = net.with_table("dist_loads", loads)
    return run_opf(net, options=OpfOptions(objective="loss", v_max=1.07, enforce_thermal=False))


def _compare(nodes: pd.DataFrame, ref: pd.DataFrame) -> float:
    got = nodes.assign(bus=nodes.node_id.str.lower())
    both = got.merge(ref, on=["bus", "phase"], suffixes=("", "_dss"))
    # Every GAT node phase but the source's internal node has an OpenDSS counterpart.
    assert len(both) >= len(got) - 3
    return float(np.abs(both.vm_ac_pu - both.vm_pu_dss).max())


def test_set_points_are_those_opendss_solved(result) -> None:  # type: ignore[no-untyped-def]
    sp = pd.read_csv(DATA / "setpoints.csv", dtype={"bus_id": str})
    der = result.der.set_index("asset_id").loc[sp.asset_id]
    assert np.abs(der.p_mw.to_numpy() - sp.p_mw.to_numpy()).max() < 1e-5
    assert np.abs(der.q_mvar.to_numpy() - sp.q_mvar.to_numpy()).max() < 1e-5


def test_reported_voltages_equal_opendss_within_1e3(result) -> None:  # type: ignore[no-untyped-def]
    ref = pd.read_csv(DATA / "opendss_voltages.csv", dtype={"bus": str})
    ref = ref.rename(columns={"vm_pu": "vm_pu_dss"})
    assert _compare(result.nodes, ref) < TOL_PU


@pytest.mark.slow
def test_opendss_rerun_on_current_set_points(result) -> None:  # type: ignore[no-untyped-def]
    dss = pytest.importorskip("opendssdirect")
    import importlib.util

    spec = importlib.util.spec_from_file_location("opendss_opf3", DATA / "opendss_opf3.py")
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    sp = result.der[["asset_id", "bus_id", "phase", "p_mw", "q_mvar"]]
    ref = mod.opendss_voltages(dss, sp).rename(columns={"vm_pu": "vm_pu_dss"})
    assert _compare(result.nodes, ref) < TOL_PU
