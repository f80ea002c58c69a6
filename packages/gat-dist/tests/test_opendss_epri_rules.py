"""OpenDSS rules EPRI's full-size feeders (ckt7, ckt24, K1, M1) need, each measured with
opendssdirect on one-element circuits (history/2026-12-04-feeder-sweep.md, section
"2026-12-05, epri-ckt"): load allocation (``xfkVA`` x ``AllocationFactor``), the order of
``kW``/``kvar``/``pf``/``kVA``, ``LoadShape action=normalize``, ``SetkVBase``, ZIP loads.
Expected values are OpenDSS's, written out here from its rules, not from GAT."""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd
import pytest
from gat_dist_opendss_testlib import write_dss

from gat_dist import import_opendss
from gat_schemas.errors import InputError

#: A feeder with a 12.47/0.48 kV transformer; each test appends lines.
BASE = """Clear
New Circuit.t basekv=12.47 pu=1.0 phases=3 mvasc3=40 mvasc1=12
New Linecode.lc nphases=3 r1=0.3 x1=0.6 r0=0.6 x0=1.8 c1=0 c0=0 units=km
New Line.l1 bus1=sourcebus bus2=b linecode=lc length=1 units=km
New Transformer.t phases=3 windings=2 buses=[b, lv] conns=[delta, wye] kvs=[12.47, 0.48]
~ kvas=[300, 300] xhl=2 %r=0.5
"""
VB = "Set VoltageBases=[12.47, 0.48]\nCalcVoltageBases\n"


def _tables(tmp_path: Path, text: str) -> dict[str, pd.DataFrame]:
    return dict(import_opendss(write_dss(tmp_path, text)).tables)


def _base_kv(tables: dict[str, pd.DataFrame], node: str) -> float:
    nodes = tables["dist_nodes"].set_index("node_id")
    return float(nodes.loc[node, "base_kv"])


def test_setkvbase_sets_the_bus_base_until_calcv(tmp_path: Path) -> None:
    # OpenDSS: Calcv makes lv 0.48 kV; SetkVBase makes it 0.416 (kVLN=0.3: 0.3 sqrt 3);
    # a later Calcv computes it again (checked with opendssdirect).
    t = _tables(tmp_path, BASE + VB)
    assert _base_kv(t, "lv") == pytest.approx(0.48)
    t = _tables(tmp_path, BASE + VB + "SetkVBase bus=lv kVLL=0.416\n")
    assert _base_kv(t, "lv") == pytest.approx(0.416)
    assert _base_kv(t, "b") == pytest.approx(12.47)
    t = _tables(tmp_path, BASE + VB + "setkvbase lv 0.416\n")
    assert _base_kv(t, "lv") == pytest.approx(0.416)
    t = _tables(tmp_path, BASE + VB + "SetkVBase bus=LV kvln=0.3\n")
    assert _base_kv(t, "lv") == pytest.approx(0.3 * math.sqrt(3.0))
    t = _tables(tmp_path, BASE + VB + "SetkVBase bus=lv kVLL=0.416\nCalcv\n")
    assert _base_kv(t, "lv") == pytest.approx(0.48)


def test_setkvbase_without_a_voltage_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"SetkVBase expects bus= and kVLL="):
        _tables(tmp_path, BASE + VB + "SetkVBase bus=lv\n")
