"""Reconfiguration of a radial feeder without ties: the present state is the only radial one.

Found by the sweep of MATPOWER's feeders (case22 imported unchanged): the MILP's pool of
configurations added a cut "close one of the branches open now", which on a feeder with every
branch closed is the constant ``0 >= 1`` and made Pyomo fail (an internal error instead of a
result).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gat_adms.reconfig import reconfigure
from gat_schemas import read_network

CASE69 = Path(__file__).resolve().parents[3] / "test_data" / "networks" / "case69"


def test_a_feeder_without_ties_keeps_its_configuration() -> None:
    net = read_network(CASE69)  # 69 buses, 68 branches, all closed: a tree, no ties
    assert (net.tables["dist_branches"]["status"] == "closed").all()
    result = reconfigure(net)
    assert not result.switches["operated"].any()
    s = result.summary.iloc[0]
    assert s["loss_after_ac_mw"] == pytest.approx(s["loss_before_ac_mw"], rel=1e-12)
