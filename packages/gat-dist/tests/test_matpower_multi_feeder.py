"""MATPOWER cases written as distribution cases often are: several substations (one slack
each, feeders meeting only at open ties), Vmin = Vmax = 1 where no limits were given, and a
baseMVA written as arithmetic."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import gat_pf
from gat_dist import import_matpower
from gat_schemas import validate_network

CASE = """function mpc = twosub
mpc.version = '2';
mpc.baseMVA = 50/4;
%% bus_i type Pd Qd Gs Bs area Vm Va baseKV zone Vmax Vmin
mpc.bus = [
    1 3 0   0   0 0 1 1 0 11 1 1    1;
    2 1 1.0 0.5 0 0 1 1 0 11 1 1.05 0.95;
    3 1 0.8 0.3 0 0 1 1 0 11 1 1.05 0.95;
    4 3 0   0   0 0 1 1 0 11 1 1    1;
    5 1 0.6 0.2 0 0 1 1 0 11 1 1    1;
];
mpc.gen = [
    1 0 0 10 -10 1 100 1 10 0;
    4 0 0 10 -10 1 100 1 10 0;
];
mpc.branch = [
    1 2 0.01 0.02 0 0 0 0 0 0 1 -360 360;
    2 3 0.01 0.02 0 0 0 0 0 0 1 -360 360;
    4 5 0.01 0.02 0 0 0 0 0 0 1 -360 360;
    3 5 0.01 0.02 0 0 0 0 0 0 0 -360 360;
];
"""


def _write(tmp_path: Path, text: str = CASE) -> Path:
    path = tmp_path / "twosub.m"
    path.write_text(text, encoding="utf-8")
    return path


def test_each_substation_is_a_feeder_and_unset_limits_get_defaults(tmp_path: Path) -> None:
    net = import_matpower(_write(tmp_path))
    nodes = net.nodes.set_index("node_id")
    assert nodes["feeder_id"].to_dict() == {
        "1": "twosub-1",
        "2": "twosub-1",
        "3": "twosub-1",
        "4": "twosub-4",
        "5": "twosub-4",
    }
    assert net.base_mva == 12.5
    # Vmax = Vmin = 1 (no band) at a load bus -> 0.95 / 1.05; written limits are kept, and
    # so are the slacks' (their voltage is set).
    assert nodes.loc[["5", "2"], "v_min"].tolist() == [0.95, 0.95]
    assert nodes.loc[["5", "2"], "v_max"].tolist() == [1.05, 1.05]
    assert nodes.loc[["1", "4"], "v_min"].tolist() == [1.0, 1.0]
    notes = " | ".join(net.source["import_notes"])
    assert "1 bus(es) give Vmin >= Vmax (no band: limits not set), 5:" in notes
    assert "twosub-1, twosub-4" in notes
    assert validate_network(net) == []


def test_two_feeders_solve_as_each_alone(tmp_path: Path) -> None:
    """The two-substation network's power flow equals each feeder imported on its own."""
    both = gat_pf.run_power_flow(import_matpower(_write(tmp_path)))
    vm = both.nodes.set_index("node_id")["vm_pu"]
    for root, members in (("1", ["1", "2", "3"]), ("4", ["4", "5"])):
        alone = gat_pf.run_power_flow(import_matpower(_write(tmp_path), root=root))
        want = alone.nodes.set_index("node_id")["vm_pu"]
        np.testing.assert_allclose(vm[members].to_numpy(), want[members].to_numpy(), atol=1e-9)
    # Feeder 4-5 by hand: one branch, 0.6 + j0.2 MW at bus 5 on a 12.5 MVA base.
    assert 0.99 < vm["5"] < 1.0
