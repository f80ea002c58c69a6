"""The three-phase fixed point on IEEE 8500 (fixed taps): its factor and its acceleration.

The solver's answer is checked against Newton-Raphson (another method, its own Jacobian) and
against the plain fixed point (Anderson depth 0); OpenDSS's comparison is in
``test_opendss_ieee8500.py``.
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
from gat_pf._threephase import _api, _solve
from gat_schemas import Network

CASE = OPENDSS / "ieee8500"


@pytest.fixture(scope="module")
def model() -> gat_pf.ThreePhaseModel:
    net = import_opendss(CASE / "Master.dss")
    ctl = pd.read_csv(CASE / "ieee8500_opendss_controls.csv")
    taps = dict(zip(ctl.name, ctl.value, strict=True))
    regs = net.tables["dist_regulators"].assign(mode="fixed")
    regs["tap"] = [int(taps[r.lower()]) for r in regs.regulator_id]
    tables = {**net.tables, "dist_regulators": regs}
    return gat_pf.build_model_3ph(Network(net.name, net.base_mva, tables, source=net.source))


def test_the_tree_order_factor_is_kept_despite_large_switch_admittances(model) -> None:
    # The 1 milliohm switches put entries of about 1e5 pu in Y; the leaves-first factor is
    # exact (relative backward error ~1e-16) and must not fall back to SuperLU's pivoting.
    fac = _api._factor(model, np.asarray(model.regulators.tap0))
    np.testing.assert_array_equal(fac.unknown, model.elimination_order())


def test_accelerated_fixed_point_matches_newton_in_fewer_iterations(
    model, monkeypatch: pytest.MonkeyPatch
) -> None:
    opts = gat_pf.ThreePhaseOptions(method="fixed_point", tol=1e-9)
    fast = gat_pf.run_power_flow_3ph(model, options=opts)
    # Newton stalls near 1.4e-9 MVA on this feeder (rounding of the switches' 1e5 pu entries).
    newton_opts = gat_pf.ThreePhaseOptions(method="newton", tol=1e-8)
    newton = gat_pf.run_power_flow_3ph(model, options=newton_opts)
    monkeypatch.setattr(_solve, "_DEPTH", 0)
    plain = gat_pf.run_power_flow_3ph(model, options=opts)
    it_fast = int(fast.summary.iterations.iloc[0])
    it_plain = int(plain.summary.iterations.iloc[0])
    assert it_fast <= it_plain // 2, (it_fast, it_plain)
    for other in (newton, plain):
        dv = np.abs(fast.nodes.vm_pu.to_numpy() - other.nodes.vm_pu.to_numpy()).max()
        assert dv < 1e-6
        assert fast.summary.p_loss_mw.iloc[0] == pytest.approx(
            other.summary.p_loss_mw.iloc[0], abs=1e-6
        )
    assert fast.summary.max_mismatch_mva.iloc[0] <= 1e-9 * model.base_mva
