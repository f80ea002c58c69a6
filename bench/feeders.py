"""Deterministic synthetic radial distribution networks for the power-flow benchmark.

A network of ``n_buses`` buses is one ideal substation bus (the slack) feeding several
circuits at 12.47 kV, 60 Hz. Each circuit is a main trunk with laterals off the trunk and
sub-laterals off the laterals, built from typical overhead ACSR conductors and underground
XLPE aluminium cables. One circuit of a few hundred buses carries a few MW, as real ones do:
a single 100,000-bus circuit with 10-200 kW loads would carry gigawatts at 12.47 kV.

Every conductor is the smallest of its family whose ampacity covers 1.5 times the current of the
load downstream of it (trunks at least 336.4 ACSR or 500 kcmil cable). Section lengths are then
scaled per circuit so the circuit's lowest voltage at base load hits a target drawn between
0.950 and 0.975 pu; the lowest target is set to exactly 0.950 pu, so the network minimum is
0.950 pu (solved exactly by :func:`sweep_voltages`, checked by the benchmark with every tool).

The rows of both tables are shuffled (a fixed permutation) so that no tool profits from input
already in topological order.

Converters turn any single-voltage, line-only :class:`gat_schemas.Network` into a pandapower net
(:func:`to_pandapower`) or power-grid-model input arrays (:func:`to_pgm_input`), deriving ohms and
farads from the per-unit ``r``, ``x``, ``b`` so every tool sees the same impedances.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from gat_schemas import Network

__all__ = [
    "BASE_KV",
    "BASE_MVA",
    "CONDUCTORS",
    "FREQUENCY_HZ",
    "Conductor",
    "load_scenarios",
    "make_network",
    "sweep_voltages",
    "to_pandapower",
    "to_pgm_input",
]

BASE_KV = 12.47
BASE_MVA = 10.0
FREQUENCY_HZ = 60.0
#: power-grid-model source short-circuit power (VA): large enough to be an ideal slack.
PGM_SOURCE_SK_VA = 1e20


@dataclass(frozen=True)
class Conductor:
    """A three-phase conductor: positive-sequence impedance per km and ampacity.

    Values are typical of 12.47 kV construction (overhead: crossarm spacing; cables: 15 kV
    XLPE aluminium in trefoil), at operating temperature.
    """

    name: str
    kind: str  # "overhead" or "underground"
    r_ohm_per_km: float
    x_ohm_per_km: float
    c_nf_per_km: float
    ampacity_a: float


#: Each family is ordered from the smallest conductor to the largest.
CONDUCTORS: dict[str, tuple[Conductor, ...]] = {
    "overhead": (
        Conductor("#2 ACSR", "overhead", 1.050, 0.470, 9.0, 180.0),
        Conductor("1/0 ACSR", "overhead", 0.696, 0.450, 9.3, 230.0),
        Conductor("4/0 ACSR", "overhead", 0.368, 0.430, 9.7, 340.0),
        Conductor("336.4 ACSR", "overhead", 0.190, 0.390, 10.2, 530.0),
        Conductor("556.5 ACSR", "overhead", 0.115, 0.370, 10.8, 730.0),
    ),
    "underground": (
        Conductor("1/0 AL XLPE", "underground", 0.640, 0.130, 200.0, 170.0),
        Conductor("4/0 AL XLPE", "underground", 0.320, 0.120, 260.0, 260.0),
        Conductor("500 AL XLPE", "underground", 0.130, 0.110, 350.0, 400.0),
        Conductor("750 AL XLPE", "underground", 0.089, 0.105, 400.0, 490.0),
    ),
}
# Smallest conductor index allowed per level (trunk, lateral, sub-lateral) and family.
_MIN_SIZE = {"overhead": (3, 0, 0), "underground": (2, 0, 0)}
# Section length range (km) and probability that a bus carries a load, per level.
_SECTION_KM = ((0.05, 0.15), (0.03, 0.12), (0.02, 0.08))
_LOAD_PROB = (0.10, 0.35, 0.50)
_CIRCUIT_BUSES = (250, 600)
_DESIGN_MARGIN = 1.5


def _circuit_topology(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Parents (local index, -1 = substation bus) and levels of one circuit of ``n`` buses.

    Buses come in topological order: a parent always precedes its children.
    """
    parent = np.empty(n, dtype=np.int64)
    level = np.empty(n, dtype=np.int64)
    n_trunk = min(n, max(3, round(n * rng.uniform(0.15, 0.25))))
    parent[:n_trunk] = np.arange(-1, n_trunk - 1)
    level[:n_trunk] = 0
    lateral_buses: list[int] = []
    k = n_trunk
    while k < n:
        if not lateral_buses or rng.random() < 0.6:
            at, lev, length = int(rng.integers(0, n_trunk)), 1, int(rng.integers(5, 40))
        else:
            at = lateral_buses[int(rng.integers(0, len(lateral_buses)))]
            lev, length = 2, int(rng.integers(2, 15))
        length = min(length, n - k)
        parent[k] = at
        parent[k + 1 : k + length] = np.arange(k, k + length - 1)
        level[k : k + length] = lev
        if lev == 1:
            lateral_buses.extend(range(k, k + length))
        k += length
    return parent, level


def _downstream_sum(parent: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Sum of ``values`` over each bus and every bus below it (buses in topological order)."""
    total = values.astype(np.complex128 if np.iscomplexobj(values) else np.float64, copy=True)
    for k in range(len(parent) - 1, -1, -1):
        if parent[k] >= 0:
            total[parent[k]] += total[k]
    return total


def sweep_voltages(
    parent: np.ndarray,
    z_pu: np.ndarray,
    y_shunt_pu: np.ndarray,
    s_load_pu: np.ndarray,
    *,
    tol: float = 1e-12,
    max_iter: int = 50,
    linear: bool = False,
) -> np.ndarray:
    """Exact radial power flow by fixed-point current iteration (the generator's own check).

    Parameters
    ----------
    parent
        Parent of each non-slack bus (index into the same arrays; -1 = the slack at 1 pu).
    z_pu
        Series impedance of the branch from the parent to each bus (pu).
    y_shunt_pu
        Shunt admittance at each bus (pu), e.g. half the charging of adjacent lines.
    s_load_pu
        Constant-power load at each bus (pu, consumption positive).
    linear
        Return the first iterate (currents at flat voltage: the linearised drop) instead.

    Returns
    -------
    numpy.ndarray
        Complex bus voltages (pu, slack angle 0).
    """
    n = len(parent)
    has_parent = parent >= 0
    rows = np.concatenate([np.arange(n), np.flatnonzero(has_parent)])
    cols = np.concatenate([np.arange(n), parent[has_parent]])
    vals = np.concatenate([np.ones(n), -np.ones(int(has_parent.sum()))])
    d = sp.csc_matrix((vals, (rows, cols)), shape=(n, n))
    lu = spla.splu(d.astype(np.complex128))
    feed = (~has_parent).astype(np.complex128)
    v = np.ones(n, dtype=np.complex128)
    for _ in range(max_iter):
        i_node = np.conj(s_load_pu / v) + y_shunt_pu * v
        i_branch = lu.solve(i_node, trans="T")
        v_new = lu.solve(feed - z_pu * i_branch)
        if linear or np.max(np.abs(v_new - v)) < tol:
            return v_new
        v = v_new
    raise RuntimeError(f"synthetic feeder sweep did not converge in {max_iter} iterations")


def make_network(n_buses: int, *, seed: int = 20261124, v_min_target: float = 0.95) -> Network:
    """Build a deterministic synthetic radial network of ``n_buses`` buses (slack included).

    Parameters
    ----------
    n_buses
        Total number of buses, the substation (slack) bus included; at least 50.
    seed
        Seed of the ``numpy.random.Generator``; same seed, same network.
    v_min_target
        Lowest bus voltage at base load (pu) that the length scaling aims at.

    Returns
    -------
    gat_schemas.Network
        Tables ``dist_nodes`` and ``dist_branches`` (``r``, ``x``, ``b`` in pu on ``BASE_MVA``
        and ``BASE_KV``; loads in MW/Mvar), rows shuffled.
    """
    if n_buses < 50:
        raise ValueError(f"n_buses must be at least 50, got {n_buses}")
    rng = np.random.default_rng(seed)
    n = n_buses - 1  # buses below the substation bus
    sizes: list[int] = []
    while sum(sizes) < n:
        sizes.append(int(rng.integers(*_CIRCUIT_BUSES)))
    sizes[-1] -= sum(sizes) - n
    if sizes[-1] < _CIRCUIT_BUSES[0] // 2 and len(sizes) > 1:
        last = sizes.pop()
        sizes[-1] += last

    parent, level, circuit, offset = [], [], [], 0
    for c, size in enumerate(sizes):
        par, lev = _circuit_topology(size, rng)
        parent.append(np.where(par >= 0, par + offset, -1))
        level.append(lev)
        circuit.append(np.full(size, c))
        offset += size
    parent_a, level_a, circuit_a = map(np.concatenate, (parent, level, circuit))

    # Loads: lognormal around 35 kW, clipped to 10-200 kW, power factor 0.90-0.98 lagging.
    has_load = rng.random(n) < np.asarray(_LOAD_PROB)[level_a]
    p_kw = np.clip(rng.lognormal(math.log(35.0), 0.6, n), 10.0, 200.0) * has_load
    pf = rng.uniform(0.90, 0.98, n)
    q_kvar = p_kw * np.tan(np.arccos(pf))
    s_load_mva = (p_kw + 1j * q_kvar) / 1e3

    # Conductors: family per circuit trunk (70 % overhead) and per lateral (30 % URD cable).
    trunk_ug = rng.random(len(sizes)) < 0.3
    ug = trunk_ug[circuit_a].copy()
    lateral_start = (level_a == 1) & (level_a[np.maximum(parent_a, 0)] == 0) & (parent_a >= 0)
    ug_lateral = rng.random(n) < 0.3
    for k in range(n):  # laterals and sub-laterals inherit the family of their start
        if level_a[k] > 0:
            ug[k] = ug_lateral[k] if lateral_start[k] else ug[parent_a[k]]
    amps = np.abs(_downstream_sum(parent_a, s_load_mva)) / (math.sqrt(3) * BASE_KV) * 1e3
    r_km, x_km, c_km, amp = (np.empty(n) for _ in range(4))
    for k in range(n):
        family = "underground" if ug[k] else "overhead"
        choices = CONDUCTORS[family][_MIN_SIZE[family][level_a[k]] :]
        cond = next((c for c in choices if c.ampacity_a >= _DESIGN_MARGIN * amps[k]), choices[-1])
        r_km[k], x_km[k] = cond.r_ohm_per_km, cond.x_ohm_per_km
        c_km[k], amp[k] = cond.c_nf_per_km, cond.ampacity_a
    lo, hi = np.asarray(_SECTION_KM).T
    base_len = rng.uniform(lo[level_a], hi[level_a])

    # Scale section lengths per circuit to reach each circuit's minimum-voltage target.
    targets = rng.uniform(v_min_target, v_min_target + 0.025, len(sizes))
    targets[np.argmin(targets)] = v_min_target
    z_base = BASE_KV**2 / BASE_MVA
    scale = np.ones(len(sizes))
    for it in range(10):
        length = base_len * scale[circuit_a]
        z_pu, y_pu = _pu_series(r_km, x_km, c_km, length, z_base)
        y_shunt = _half_charging_at_buses(parent_a, y_pu)
        s_pu = s_load_mva / BASE_MVA
        v = np.abs(sweep_voltages(parent_a, z_pu, y_shunt, s_pu, linear=it == 0))
        v_min = np.full(len(sizes), np.inf)
        np.minimum.at(v_min, circuit_a, v)
        if np.max(np.abs(v_min - targets)) < 1e-7:
            break
        scale *= (1.0 - targets) / (1.0 - v_min)
    length = base_len * scale[circuit_a]
    z_pu, y_pu = _pu_series(r_km, x_km, c_km, length, z_base)
    return _tables(n_buses, seed, parent_a, z_pu, y_pu, length, amp, s_load_mva, rng)


def _pu_series(r_km, x_km, c_km, length, z_base):
    """Series impedance and total charging susceptance (pu) of each section."""
    z_pu = (r_km + 1j * x_km) * length / z_base
    b_pu = 2.0 * math.pi * FREQUENCY_HZ * c_km * 1e-9 * length * z_base
    return z_pu, b_pu


def _half_charging_at_buses(parent: np.ndarray, b_pu: np.ndarray) -> np.ndarray:
    """Shunt admittance at each bus: half the charging of each line touching it (pi model)."""
    y = 0.5j * b_pu.astype(np.complex128)
    up = parent >= 0
    np.add.at(y, parent[up], 0.5j * b_pu[up])
    return y


def _tables(n_buses, seed, parent, z_pu, b_pu, length, amp, s_load_mva, rng) -> Network:
    n = n_buses - 1
    ids = np.array([f"b{k}" for k in range(n_buses)], dtype=object)
    name = f"synthetic_{n_buses}"
    nodes = pd.DataFrame(
        {
            "node_id": ids,
            "phase": "ABC",
            "type": ["slack"] + ["load"] * n,
            "v_min": 0.90,
            "v_max": 1.05,
            "load_p": np.concatenate([[0.0], s_load_mva.real]),
            "load_q": np.concatenate([[0.0], s_load_mva.imag]),
            "feeder_id": name,
            "base_kv": BASE_KV,
            "v_set": 1.0,
        }
    )
    from_idx = np.where(parent >= 0, parent + 1, 0)
    branches = pd.DataFrame(
        {
            "branch_id": np.array([f"l{k}" for k in range(n)], dtype=object),
            "from_node": ids[from_idx],
            "to_node": ids[1:],
            "r": z_pu.real,
            "x": z_pu.imag,
            "b": b_pu,
            "tap": 1.0,
            "status": "closed",
            "thermal_limit": math.sqrt(3) * BASE_KV * amp / 1e3,
            "branch_type": "line",
            "length_km": length,
        }
    )
    nodes = nodes.iloc[rng.permutation(n_buses)].reset_index(drop=True)
    branches = branches.iloc[rng.permutation(n)].reset_index(drop=True)
    return Network(
        name=name,
        base_mva=BASE_MVA,
        tables={"dist_nodes": nodes, "dist_branches": branches},
        frequency_hz=FREQUENCY_HZ,
        source={"file": "bench/feeders.py", "format": "synthetic", "sha256": f"seed={seed}"},
    )


def load_scenarios(
    net: Network, n_scenarios: int, *, seed: int = 7
) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic load scenarios: per-scenario level 0.5-1.1 times a +-10 % per-load noise.

    Returns
    -------
    (p_mw, q_mvar)
        Arrays of shape ``(n_scenarios, n_nodes)`` in the row order of ``dist_nodes``; the power
        factor of each load is kept.
    """
    rng = np.random.default_rng(seed)
    nodes = net.nodes
    level = rng.uniform(0.5, 1.1, (n_scenarios, 1))
    noise = rng.uniform(0.9, 1.1, (n_scenarios, len(nodes)))
    factor = level * noise
    return factor * nodes["load_p"].to_numpy(), factor * nodes["load_q"].to_numpy()


def _line_arrays(net: Network) -> dict[str, Any]:
    """Node and line data in SI units, checked to be convertible (lines only, one voltage)."""
    nodes, br = net.nodes, net.branches
    kv = nodes["base_kv"].to_numpy(dtype=float)
    if np.ptp(kv) != 0.0:
        raise ValueError(f"{net.name}: converters need one base_kv, found {np.unique(kv)}")
    if np.any(br["tap"].to_numpy(dtype=float) != 1.0):
        raise ValueError(f"{net.name}: converters handle lines only (tap == 1)")
    slack = np.flatnonzero(nodes["type"].to_numpy() == "slack")
    if len(slack) != 1:
        raise ValueError(f"{net.name}: converters need exactly one slack node")
    index = pd.Index(nodes["node_id"])
    f, t = index.get_indexer(br["from_node"]), index.get_indexer(br["to_node"])
    if (f < 0).any() or (t < 0).any():
        raise ValueError(f"{net.name}: dist_branches refers to unknown nodes")
    z_base = kv[0] ** 2 / net.base_mva
    omega = 2.0 * math.pi * net.frequency_hz
    length = br["length_km"].to_numpy(dtype=float) if "length_km" in br else np.ones(len(br))
    limit = br["thermal_limit"].to_numpy(dtype=float)
    v_set = nodes["v_set"].to_numpy(dtype=float)[slack[0]] if "v_set" in nodes else 1.0
    return {
        "kv": float(kv[0]),
        "slack": int(slack[0]),
        "v_set": float(v_set),
        "from": f,
        "to": t,
        "closed": br["status"].to_numpy() == "closed",
        "r_ohm": br["r"].to_numpy(dtype=float) * z_base,
        "x_ohm": br["x"].to_numpy(dtype=float) * z_base,
        "c_f": br["b"].to_numpy(dtype=float) / (omega * z_base),
        "length_km": length,
        "i_max_a": np.where(np.isnan(limit), np.inf, limit / (math.sqrt(3) * kv[0]) * 1e3),
        "load_p": nodes["load_p"].to_numpy(dtype=float),
        "load_q": nodes["load_q"].to_numpy(dtype=float),
    }


def to_pandapower(net: Network):
    """Convert ``net`` to a pandapower net (bus ``k`` = row ``k`` of ``dist_nodes``).

    Lines get the ohms and nF derived from the per-unit ``r``, ``x``, ``b``; every node with a
    non-zero load gets one load; the slack becomes an ``ext_grid`` at ``v_set`` (1.0 pu).
    """
    import pandapower as pp

    a = _line_arrays(net)
    n = len(net.nodes)
    pnet = pp.create_empty_network(name=net.name, f_hz=net.frequency_hz, sn_mva=net.base_mva)
    pp.create_buses(pnet, n, vn_kv=a["kv"], index=np.arange(n))
    length = a["length_km"]
    pp.create_lines_from_parameters(
        pnet,
        from_buses=a["from"],
        to_buses=a["to"],
        length_km=length,
        r_ohm_per_km=a["r_ohm"] / length,
        x_ohm_per_km=a["x_ohm"] / length,
        c_nf_per_km=a["c_f"] * 1e9 / length,
        max_i_ka=np.where(np.isinf(a["i_max_a"]), 1e3, a["i_max_a"] / 1e3),
        in_service=a["closed"],
    )
    loaded = np.flatnonzero((a["load_p"] != 0.0) | (a["load_q"] != 0.0))
    pp.create_loads(pnet, buses=loaded, p_mw=a["load_p"][loaded], q_mvar=a["load_q"][loaded])
    pp.create_ext_grid(pnet, bus=a["slack"], vm_pu=a["v_set"], va_degree=0.0)
    return pnet


def to_pgm_input(net: Network) -> dict[Any, np.ndarray]:
    """Convert ``net`` to power-grid-model input arrays (node id ``k`` = row ``k``).

    The source has ``sk`` = 1e20 VA, an ideal slack at ``v_set``; loads are constant power.
    Component ids: nodes ``0..N-1``, lines ``N..``, then loads, then the source.
    """
    from power_grid_model import ComponentType, DatasetType, LoadGenType, initialize_array

    a = _line_arrays(net)
    n, m = len(net.nodes), len(a["from"])
    node = initialize_array(DatasetType.input, ComponentType.node, n)
    node["id"] = np.arange(n)
    node["u_rated"] = a["kv"] * 1e3
    line = initialize_array(DatasetType.input, ComponentType.line, m)
    line["id"] = n + np.arange(m)
    line["from_node"], line["to_node"] = a["from"], a["to"]
    line["from_status"] = line["to_status"] = a["closed"].astype(np.int8)
    line["r1"], line["x1"], line["c1"], line["tan1"] = a["r_ohm"], a["x_ohm"], a["c_f"], 0.0
    line["i_n"] = np.where(np.isinf(a["i_max_a"]), 1e6, a["i_max_a"])
    loaded = np.flatnonzero((a["load_p"] != 0.0) | (a["load_q"] != 0.0))
    load = initialize_array(DatasetType.input, ComponentType.sym_load, len(loaded))
    load["id"] = n + m + np.arange(len(loaded))
    load["node"] = loaded
    load["status"] = 1
    load["type"] = LoadGenType.const_power
    load["p_specified"] = a["load_p"][loaded] * 1e6
    load["q_specified"] = a["load_q"][loaded] * 1e6
    source = initialize_array(DatasetType.input, ComponentType.source, 1)
    source["id"] = n + m + len(loaded)
    source["node"] = a["slack"]
    source["status"] = 1
    source["u_ref"] = a["v_set"]
    source["sk"] = PGM_SOURCE_SK_VA
    return {
        ComponentType.node: node,
        ComponentType.line: line,
        ComponentType.sym_load: load,
        ComponentType.source: source,
    }
