"""Conductor labels on split-phase (center-tap) secondaries in state estimation.

The two secondary legs of a center-tap unit are two conductors of one branch. The physics
interface used to label both with the unit's primary phase, so a flow sensor on every
branch repeated ``p_flow:ctb.B`` and the measurement table was refused. The expected labels
come from ``pf3_branches`` (the power-flow table, written by another code path).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gat_adms.se import Placement, make_measurements

ROOT = Path(__file__).resolve().parents[3]
SPLIT = ROOT / "test_data" / "opendss" / "split_phase" / "split_phase.dss"


def test_flow_sensors_on_every_conductor_have_distinct_ids() -> None:
    from gat_dist.importers import import_opendss
    from gat_pf import physics_model, run_power_flow_3ph

    net = import_opendss(SPLIT)
    meas = make_measurements(net, Placement(flows="all"), seed=1)
    assert not meas.duplicated(["measurement_id", "snapshot"]).any()
    phys = physics_model(net)
    got = sorted(np.asarray(phys.cond_label).astype(str))
    br = run_power_flow_3ph(net).branches
    want = sorted((br["branch_id"].astype(str) + "." + br["phase"].astype(str)).tolist())
    assert got == want
    legs = [lab for lab in got if lab.startswith("ctb.")]
    assert legs == ["ctb.A", "ctb.B"]
