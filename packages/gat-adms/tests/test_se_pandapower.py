"""State estimation against pandapower's WLS on the same balanced measurement set.

``test_data/se/case33bw_pp/`` holds the measurement set (made by ``make_measurements``,
seed 11) and pandapower's estimate of it (``pandapower_estimate.csv``). The fast test
compares GAT with the stored numbers (no pandapower needed); the peer test re-runs
pandapower (test-only dependency) and checks the stored numbers are still what it gives.
``GAT_EXPORT_EXPECTED=1`` rewrites both files.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gat_adms.se import Placement, estimate_state, make_measurements
from gat_schemas import read_network

ROOT = Path(__file__).parents[3]
NET = ROOT / "test_data" / "networks" / "case33bw"
DATA = ROOT / "test_data" / "se" / "case33bw_pp"
TOL_PU = 1e-6


def _measurements() -> pd.DataFrame:
    return pd.read_csv(
        DATA / "measurements.csv", dtype={"measurement_id": str, "element_id": str, "snapshot": str}
    )


def _pandapower_estimate(meas: pd.DataFrame) -> pd.DataFrame:
    """pandapower's WLS estimate of ``meas`` on case33bw (lines in ohms, 1 km each)."""
    pytest.importorskip("pandapower")
    # pandapower's own pandas usage warns (SettingWithCopy); that is not GAT's to fix.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _pandapower_run(meas)


def _pandapower_run(meas: pd.DataFrame) -> pd.DataFrame:
    import pandapower as pp
    from pandapower.estimation import estimate

    net = read_network(NET)
    nodes, br = net.nodes, net.branches
    kv = float(nodes["base_kv"].iat[0])
    z_base = kv**2 / net.base_mva
    pnet = pp.create_empty_network(sn_mva=net.base_mva)
    index = {nid: k for k, nid in enumerate(nodes["node_id"].astype(str))}
    pp.create_buses(pnet, len(nodes), vn_kv=kv, index=np.arange(len(nodes)))
    closed = br["status"].astype(str).to_numpy() == "closed"
    line_of = {}
    for k, row in enumerate(br.itertuples()):
        line_of[str(row.branch_id)] = pp.create_line_from_parameters(
            pnet,
            index[str(row.from_node)],
            index[str(row.to_node)],
            1.0,
            r_ohm_per_km=row.r * z_base,
            x_ohm_per_km=row.x * z_base,
            c_nf_per_km=0.0,
            max_i_ka=1.0,
            in_service=bool(closed[k]),
        )
    pp.create_ext_grid(pnet, index[str(nodes.loc[nodes["type"] == "slack", "node_id"].iat[0])])
    for row in meas.itertuples():
        kind = row.kind
        if kind == "v_mag":
            pp.create_measurement(
                pnet, "v", "bus", row.value, row.sigma, element=index[row.element_id]
            )
        elif kind in ("p_inj", "q_inj"):
            # pandapower's bus measurements are consumption positive.
            pp.create_measurement(
                pnet, kind[0], "bus", -row.value, row.sigma, element=index[row.element_id]
            )
        else:
            line = line_of[row.element_id]
            side = "from" if row.side == "from" else "to"
            pp.create_measurement(
                pnet, kind[0], "line", row.value, row.sigma, element=line, side=side
            )
    assert estimate(pnet, init="flat", tolerance=1e-12, maximum_iterations=50)
    res = pnet.res_bus_est
    return pd.DataFrame(
        {
            "node_id": nodes["node_id"].astype(str).to_numpy(),
            "vm_pu": res["vm_pu"].to_numpy(),
            "va_deg": res["va_degree"].to_numpy(),
        }
    )


def _export() -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    net = read_network(NET)
    placement = Placement(
        voltages="1,6,12,18,25,30,33",
        flows="1,2,5,10,18,22,25,30",
        injections="3,8,14,20,28",
        pseudo_pct=30.0,
    )
    meas = make_measurements(net, placement, seed=11).drop(columns=["true_value", "gross"])
    meas.to_csv(DATA / "measurements.csv", index=False)
    _pandapower_estimate(_measurements()).to_csv(
        DATA / "pandapower_estimate.csv", index=False, float_format="%.12g"
    )


def test_gat_matches_pandapower_stored_estimate() -> None:
    if os.environ.get("GAT_EXPORT_EXPECTED") == "1":
        _export()
    want = pd.read_csv(DATA / "pandapower_estimate.csv", dtype={"node_id": str})
    est = estimate_state(read_network(NET), _measurements())
    got = est.nodes.set_index("node_id").loc[want["node_id"]]
    v_got = got["vm_pu"].to_numpy() * np.exp(1j * np.radians(got["va_deg"].to_numpy()))
    v_want = want["vm_pu"].to_numpy() * np.exp(1j * np.radians(want["va_deg"].to_numpy()))
    assert np.abs(v_got - v_want).max() < TOL_PU


@pytest.mark.slow
def test_pandapower_still_gives_the_stored_estimate() -> None:
    pytest.importorskip("pandapower")
    want = pd.read_csv(DATA / "pandapower_estimate.csv", dtype={"node_id": str})
    live = _pandapower_estimate(_measurements())
    np.testing.assert_allclose(live["vm_pu"], want["vm_pu"], atol=1e-9)
    np.testing.assert_allclose(live["va_deg"], want["va_deg"], atol=1e-7)
