"""The peer of ``gat dist pf`` in ``startup.py``: power-grid-model on a GAT network folder.

Usage::

    python bench/pgm_script.py NETWORK_FOLDER OUT.parquet

Reads ``dist_nodes.parquet`` and ``dist_branches.parquet`` with pyarrow, builds
power-grid-model input arrays the way ``feeders.to_pgm_input`` does (ohms and farads from the
per-unit ``r``, ``x``, ``b``; an ideal source at the slack; constant-power loads), solves one
power flow with iterative current and writes the node voltages (``node_id``, ``vm_pu``,
``va_deg``) as Parquet. A plain script a user would write: no validation, no GAT import.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from power_grid_model import (
    CalculationMethod,
    ComponentType,
    DatasetType,
    LoadGenType,
    PowerGridModel,
    initialize_array,
)


def main(folder: Path, out: Path) -> None:
    meta = json.loads((folder / "network.json").read_text(encoding="utf-8"))
    nodes = pq.read_table(
        folder / "dist_nodes.parquet", columns=["node_id", "type", "load_p", "load_q", "base_kv"]
    )
    br = pq.read_table(
        folder / "dist_branches.parquet", columns=["from_node", "to_node", "r", "x", "b", "status"]
    )
    node_id = nodes["node_id"].to_numpy(zero_copy_only=False)
    n, m = len(node_id), br.num_rows
    position = {name: i for i, name in enumerate(node_id.tolist())}
    f = np.array([position[x] for x in br["from_node"].to_pylist()], dtype=np.int32)
    t = np.array([position[x] for x in br["to_node"].to_pylist()], dtype=np.int32)
    kv = nodes["base_kv"].to_numpy()[0]
    z_base = kv**2 / meta["base_mva"]
    omega = 2.0 * math.pi * meta["frequency_hz"]

    node = initialize_array(DatasetType.input, ComponentType.node, n)
    node["id"] = np.arange(n)
    node["u_rated"] = kv * 1e3
    line = initialize_array(DatasetType.input, ComponentType.line, m)
    line["id"] = n + np.arange(m)
    line["from_node"], line["to_node"] = f, t
    closed = (br["status"].to_numpy(zero_copy_only=False) == "closed").astype(np.int8)
    line["from_status"] = line["to_status"] = closed
    line["r1"] = br["r"].to_numpy() * z_base
    line["x1"] = br["x"].to_numpy() * z_base
    line["c1"] = br["b"].to_numpy() / (omega * z_base)
    line["tan1"] = 0.0
    line["i_n"] = 1e6
    p, q = nodes["load_p"].to_numpy(), nodes["load_q"].to_numpy()
    loaded = np.flatnonzero((p != 0.0) | (q != 0.0))
    load = initialize_array(DatasetType.input, ComponentType.sym_load, len(loaded))
    load["id"] = n + m + np.arange(len(loaded))
    load["node"] = loaded
    load["status"] = 1
    load["type"] = LoadGenType.const_power
    load["p_specified"] = p[loaded] * 1e6
    load["q_specified"] = q[loaded] * 1e6
    source = initialize_array(DatasetType.input, ComponentType.source, 1)
    source["id"] = n + m + len(loaded)
    source["node"] = int(np.flatnonzero(nodes["type"].to_numpy(zero_copy_only=False) == "slack")[0])
    source["status"] = 1
    source["u_ref"] = 1.0
    source["sk"] = 1e20
    model = PowerGridModel(
        {
            ComponentType.node: node,
            ComponentType.line: line,
            ComponentType.sym_load: load,
            ComponentType.source: source,
        },
        system_frequency=meta["frequency_hz"],
    )
    result = model.calculate_power_flow(
        calculation_method=CalculationMethod.iterative_current,
        output_component_types=[ComponentType.node],
    )
    volts = result[ComponentType.node]
    table = pa.table(
        {
            "node_id": node_id,
            "vm_pu": volts["u_pu"],
            "va_deg": np.degrees(volts["u_angle"]),
        }
    )
    pq.write_table(table, out)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
