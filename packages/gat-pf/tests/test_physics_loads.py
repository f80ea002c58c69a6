"""``gat_pf.constant_power_load_mw``: the constant-power loads per terminal, both models.

Expected values come from the tables alone (load rows and their laws), not from the models'
arrays.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gat_pf import constant_power_load_mw, physics_model
from gat_schemas import read_network

HERE = Path(__file__).parent
ROOT = HERE.parents[2]
IEEE13 = HERE / "data" / "threephase" / "ieee13" / "network"
CASE33 = ROOT / "test_data" / "networks" / "case33bw"

#: Phases of a delta leg (``p_a_mw`` of a delta load is the A-B element, and so on).
_LEGS = {"a": "AB", "b": "BC", "c": "CA"}


def _by_terminal(phys) -> dict[tuple[str, str], float]:  # type: ignore[no-untyped-def]
    got = constant_power_load_mw(phys)
    nodes = np.asarray(phys.node_ids).astype(str)[phys.term_node]
    return {
        (n, p): float(v)
        for n, p, v in zip(nodes, np.asarray(phys.term_phase).astype(str), got, strict=True)
    }


def _expected_3ph(loads) -> dict[tuple[str, str], float]:  # type: ignore[no-untyped-def]
    out: dict[tuple[str, str], float] = {}
    fixed = loads["fixed"] if "fixed" in loads else [False] * len(loads)
    for (_, row), held in zip(loads.iterrows(), fixed, strict=True):
        if row["model"] != "pq" or held:
            continue
        for leg in "abc":
            p = float(row[f"p_{leg}_mw"])
            if p == 0.0:
                continue
            phases = _LEGS[leg] if row["connection"] == "delta" else leg.upper()
            for ph in phases:
                key = (str(row["node_id"]), ph)
                out[key] = out.get(key, 0.0) + p / len(phases)
    return out


@pytest.mark.parametrize("fixed_load", [None, "675a"])
def test_three_phase_constant_power_loads_per_phase(fixed_load: str | None) -> None:
    net = read_network(IEEE13)
    loads = net.table("dist_loads").copy()
    if fixed_load is not None:
        loads["fixed"] = loads["load_id"] == fixed_load
        net = net.with_table("dist_loads", loads)
    got = _by_terminal(physics_model(net))
    want = _expected_3ph(loads)
    # Constant-impedance and constant-current loads (646, 692, 611, 652) are left out.
    assert set(want) <= set(got)
    for key, value in got.items():
        assert value == pytest.approx(want.get(key, 0.0), abs=1e-12), key
    total = sum(want.values())
    assert sum(got.values()) == pytest.approx(total, abs=1e-12)
    if fixed_load is not None:
        assert got[("675", "A")] == 0.0


def test_balanced_constant_power_share_of_zip_loads() -> None:
    net = read_network(CASE33)
    nodes = net.nodes.copy()
    z = np.where(np.arange(len(nodes)) % 3 == 0, 0.3, 0.0)
    i = np.where(np.arange(len(nodes)) % 2 == 0, 0.2, 0.0)
    nodes["load_z_frac"], nodes["load_i_frac"] = z, i
    phys = physics_model(net.with_table("dist_nodes", nodes))
    assert phys.kind == "balanced"
    got = constant_power_load_mw(phys)
    want = nodes["load_p"].to_numpy(float) * (1.0 - z - i)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    assert set(np.asarray(phys.term_phase).astype(str)) == {"ABC"}
