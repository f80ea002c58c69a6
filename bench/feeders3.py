"""The unbalanced synthetic feeder of the three-phase benchmark, and its OpenDSS and
power-grid-model versions.

:func:`make_network_3ph` turns the balanced feeder of ``feeders.py`` into an unbalanced one:

* every line gets a phase-impedance line code from its conductor's positive-sequence values,
  with zero-sequence impedance ``z0 = 3 z1`` and capacitance ``c0 = 0.6 c1`` (typical overhead
  and cable ratios), i.e. self ``(z0 + 2 z1) / 3`` and mutual ``(z0 - z1) / 3`` per km;
* every small branch of the tree (at most 12 buses, hanging off a larger one) becomes a
  single-phase lateral on a phase drawn at random, with the conductor's self impedance and
  no charging (power-grid-model has no single-phase lines: it gets a three-phase line with
  the same self impedance, no mutual coupling and no charging, which gives the loaded phase
  the same voltages);
* each load is split over the phases of its bus with random weights (wye, constant power);
  single-phase buses carry their load on their one phase.
"""

from __future__ import annotations

import math
from typing import Any

import feeders
import numpy as np
import pandas as pd

from gat_schemas import Network

__all__ = ["dss_voltages", "make_network_3ph", "to_dss", "to_pgm"]

LATERAL_MAX_BUSES = 12
Z0_OVER_Z1 = 3.0
C0_OVER_C1 = 0.6


def _tree(net: Network) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parent node of every node, breadth-first order, and the branch to each node's parent."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import breadth_first_order

    nodes, br = net.nodes, net.branches
    index = pd.Index(nodes["node_id"])
    f, t = index.get_indexer(br["from_node"]), index.get_indexer(br["to_node"])
    n = len(nodes)
    g = sp.coo_matrix((np.ones(len(f)), (f, t)), shape=(n, n)).tocsr()
    slack = int(np.flatnonzero(nodes["type"].to_numpy() == "slack")[0])
    order, pred = breadth_first_order(g, slack, directed=False, return_predecessors=True)
    up_branch = np.full(n, -1)
    child = np.where(pred[t] == f, t, f)
    up_branch[child] = np.arange(len(f))
    return pred, order, up_branch


def make_network_3ph(n_buses: int, *, seed: int = 20261124) -> Network:
    """The unbalanced synthetic feeder (see the module docstring)."""
    base = feeders.make_network(n_buses, seed=seed)
    rng = np.random.default_rng(seed + 1)
    nodes, br = base.nodes.copy(), base.branches.copy()
    pred, order, _ = _tree(base)
    n = len(nodes)
    size = np.ones(n, dtype=np.int64)
    for k in order[::-1][:-1]:
        size[pred[k]] += size[k]
    phase = np.full(n, "ABC", dtype=object)
    for k in order[1:]:  # parents come first: a lateral's phase reaches its whole subtree
        p = pred[k]
        if phase[p] != "ABC":
            phase[k] = phase[p]
        elif size[k] <= LATERAL_MAX_BUSES and size[p] > LATERAL_MAX_BUSES:
            phase[k] = "ABC"[int(rng.integers(0, 3))]
    nodes["phase"] = phase
    z_base = feeders.BASE_KV**2 / feeders.BASE_MVA
    km = br["length_km"].to_numpy()
    z1 = (br["r"].to_numpy() + 1j * br["x"].to_numpy()) * z_base / km
    b1 = br["b"].to_numpy() / z_base / km * 1e6  # uS/km
    index = pd.Index(nodes["node_id"])
    single = phase[index.get_indexer(br["to_node"])] != "ABC"
    single &= phase[index.get_indexer(br["from_node"])] != "ABC"
    # A lateral's first section starts at a three-phase bus: single-phase by its to end.
    single |= phase[index.get_indexer(br["to_node"])] != "ABC"
    key = np.round(z1.real, 9).astype(str) + "/" + np.round(z1.imag, 9).astype(str)
    key = key + "/" + np.round(b1, 6).astype(str) + "/" + np.where(single, "1", "3")
    codes, inverse = np.unique(key, return_inverse=True)
    rows = []
    for c, code in enumerate(codes):
        k = int(np.flatnonzero(inverse == c)[0])
        zs = (Z0_OVER_Z1 + 2.0) / 3.0 * z1[k]
        zm = (Z0_OVER_Z1 - 1.0) / 3.0 * z1[k]
        bs = (C0_OVER_C1 + 2.0) / 3.0 * b1[k]
        bm = (C0_OVER_C1 - 1.0) / 3.0 * b1[k]
        row = {"linecode_id": f"lc{c}", "n_phases": 1 if code.endswith("/1") else 3}
        for ij in ("11", "12", "13", "22", "23", "33"):
            diag = ij[0] == ij[1]
            on = row["n_phases"] == 3 or ij == "11"
            row[f"r{ij}"] = (zs.real if diag else zm.real) if on else 0.0
            row[f"x{ij}"] = (zs.imag if diag else zm.imag) if on else 0.0
            row[f"b{ij}"] = ((bs if diag else bm) if on else 0.0) if row["n_phases"] == 3 else 0.0
        rows.append(row)
    br["linecode_id"] = [f"lc{c}" for c in inverse]
    br["phases"] = np.where(single, phase[index.get_indexer(br["to_node"])], "ABC")
    p, q = nodes["load_p"].to_numpy(), nodes["load_q"].to_numpy()
    w = rng.uniform(0.4, 1.6, (n, 3))
    w /= w.sum(axis=1, keepdims=True)
    for k, letter in enumerate("ABC"):
        one = phase == letter
        w[one] = 0.0
        w[one, k] = 1.0
    loaded = np.flatnonzero(p != 0)
    loads = pd.DataFrame(
        {
            "load_id": [f"d{k}" for k in loaded],
            "node_id": nodes["node_id"].to_numpy()[loaded],
            "connection": "wye",
            "model": "pq",
            **{
                col: (p if part == "p" else q)[loaded] * w[loaded, j]
                for j, leg in enumerate("abc")
                for part, col in (("p", f"p_{leg}_mw"), ("q", f"q_{leg}_mvar"))
            },
        }
    )
    nodes["load_p"] = 0.0
    nodes["load_q"] = 0.0
    return Network(
        name=f"synthetic3_{n_buses}",
        base_mva=base.base_mva,
        tables={
            "dist_nodes": nodes,
            "dist_branches": br,
            "dist_linecodes": pd.DataFrame(rows),
            "dist_loads": loads,
        },
        frequency_hz=base.frequency_hz,
        source={"file": "bench/threephase.py", "format": "synthetic", "sha256": f"seed={seed}"},
    )


# ---- OpenDSS -----------------------------------------------------------------------------------


def _lower(m: np.ndarray) -> str:
    return (
        "("
        + " | ".join(" ".join(f"{m[i, j]:.12g}" for j in range(i + 1)) for i in range(len(m)))
        + ")"
    )


def to_dss(net: Network) -> str:
    """The network as an OpenDSS script (stiff source, loads keep their model at any voltage)."""
    kv = feeders.BASE_KV
    nodes = net.nodes
    slack = nodes.loc[nodes["type"] == "slack", "node_id"].iloc[0]
    out = [
        "Clear",
        "Set DefaultBaseFrequency=60",
        f"New Circuit.bench basekv={kv} pu=1.0 angle=0 phases=3 bus1={slack} "
        "MVAsc3=1e10 MVAsc1=1e10",
    ]
    w = 2 * math.pi * feeders.FREQUENCY_HZ
    for rec in net.tables["dist_linecodes"].to_dict("records"):
        n = int(rec["n_phases"])
        mats = {m: np.zeros((n, n)) for m in "rxb"}
        for i in range(n):
            for j in range(i, n):
                for m in "rxb":
                    mats[m][i, j] = mats[m][j, i] = rec[f"{m}{i + 1}{j + 1}"]
        c_nf = mats["b"] / w * 1e3  # uS/km -> nF/km
        out.append(
            f"New LineCode.{rec['linecode_id']} nphases={n} units=km rmatrix={_lower(mats['r'])} "
            f"xmatrix={_lower(mats['x'])} cmatrix={_lower(c_nf)}"
        )
    num = {"A": ".1", "B": ".2", "C": ".3"}
    for rec in net.branches.to_dict("records"):
        ph = rec["phases"]
        sfx = "".join(num[p] for p in ph)
        out.append(
            f"New Line.{rec['branch_id']} phases={len(ph)} bus1={rec['from_node']}{sfx} "
            f"bus2={rec['to_node']}{sfx} linecode={rec['linecode_id']} "
            f"length={rec['length_km']:.12g} units=km"
        )
    kv_ln = kv / math.sqrt(3.0)
    for rec in net.tables["dist_loads"].to_dict("records"):
        for leg, p in zip("abc", "ABC", strict=True):
            pw, qv = rec[f"p_{leg}_mw"] * 1e3, rec[f"q_{leg}_mvar"] * 1e3
            if pw == 0 and qv == 0:
                continue
            out.append(
                f"New Load.{rec['load_id']}{leg} phases=1 bus1={rec['node_id']}{num[p]} "
                f"kv={kv_ln:.9g} kw={pw:.12g} kvar={qv:.12g} model=1 vminpu=0.5 vmaxpu=2"
            )
    out += [
        f"Set VoltageBases=[{kv}]",
        "CalcVoltageBases",
        "Set tolerance=1e-8 maxiterations=100 controlmode=off",
    ]
    return "\n".join(out) + "\n"


def dss_voltages(net: Network) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(node index, phase index, complex pu) of every node phase OpenDSS solved."""
    import opendssdirect as dss

    index = {str(k).lower(): i for i, k in enumerate(net.nodes["node_id"])}
    names = dss.Circuit.AllNodeNames()
    v = np.asarray(dss.Circuit.AllBusVolts()).reshape(-1, 2)
    v = (v[:, 0] + 1j * v[:, 1]) / (feeders.BASE_KV / math.sqrt(3.0) * 1e3)
    node = np.array([index[s.rsplit(".", 1)[0]] for s in names])
    phase = np.array([int(s.rsplit(".", 1)[1]) - 1 for s in names])
    return node, phase, v


# ---- power-grid-model --------------------------------------------------------------------------


def to_pgm(net: Network) -> dict[Any, np.ndarray]:
    """power-grid-model input: three-phase lines from sequence values, wye asym loads."""
    from power_grid_model import ComponentType, DatasetType, LoadGenType, initialize_array

    nodes, br = net.nodes, net.branches
    codes = net.tables["dist_linecodes"].set_index("linecode_id")
    index = pd.Index(nodes["node_id"])
    n, m = len(nodes), len(br)
    node = initialize_array(DatasetType.input, ComponentType.node, n)
    node["id"] = np.arange(n)
    node["u_rated"] = feeders.BASE_KV * 1e3
    line = initialize_array(DatasetType.input, ComponentType.line, m)
    line["id"] = n + np.arange(m)
    line["from_node"] = index.get_indexer(br["from_node"])
    line["to_node"] = index.get_indexer(br["to_node"])
    line["from_status"] = line["to_status"] = 1
    c = codes.loc[br["linecode_id"]]
    km = br["length_km"].to_numpy()
    zs = (c["r11"].to_numpy() + 1j * c["x11"].to_numpy()) * km
    zm = (c["r12"].to_numpy() + 1j * c["x12"].to_numpy()) * km
    w = 2 * math.pi * feeders.FREQUENCY_HZ
    bs, bm = c["b11"].to_numpy() * km * 1e-6, c["b12"].to_numpy() * km * 1e-6
    z1, z0 = zs - zm, zs + 2 * zm
    line["r1"], line["x1"], line["r0"], line["x0"] = z1.real, z1.imag, z0.real, z0.imag
    line["c1"], line["c0"] = (bs - bm) / w, (bs + 2 * bm) / w
    line["tan1"] = line["tan0"] = 0.0
    line["i_n"] = 1e6
    ld = net.tables["dist_loads"]
    load = initialize_array(DatasetType.input, ComponentType.asym_load, len(ld))
    load["id"] = n + m + np.arange(len(ld))
    load["node"] = index.get_indexer(ld["node_id"])
    load["status"] = 1
    load["type"] = LoadGenType.const_power
    load["p_specified"] = ld[["p_a_mw", "p_b_mw", "p_c_mw"]].to_numpy() * 1e6
    load["q_specified"] = ld[["q_a_mvar", "q_b_mvar", "q_c_mvar"]].to_numpy() * 1e6
    source = initialize_array(DatasetType.input, ComponentType.source, 1)
    source["id"] = n + m + len(ld)
    source["node"] = int(np.flatnonzero(nodes["type"].to_numpy() == "slack")[0])
    source["status"] = 1
    source["u_ref"] = 1.0
    source["sk"] = feeders.PGM_SOURCE_SK_VA
    return {
        ComponentType.node: node,
        ComponentType.line: line,
        ComponentType.asym_load: load,
        ComponentType.source: source,
    }
