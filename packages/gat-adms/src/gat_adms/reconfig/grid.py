"""The array model of reconfiguration: nodes, the branches that can close, which can switch.

Built on FLISR's array model (:func:`gat_adms.flisr.grid.build_grid`): the same node loads
(``load_p``/``load_q`` plus ``dist_loads``, minus scheduled generation), the same bundles of
parallel units (one *edge* per bundle) and the same positive-sequence ``r``, ``x``, ``tap``.
An *edge* is a bundle representative that is closed now or switchable; branches that are
open now and not switchable stay open and take no part.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gat_schemas import Network, apply_defaults, conform_table
from gat_schemas.errors import InputError

__all__ = ["ReconfigGrid", "build_reconfig_grid", "read_switchable", "switchable_all"]


@dataclass(frozen=True, eq=False)
class ReconfigGrid:
    """A network as arrays for reconfiguration (N nodes, E edges).

    Attributes
    ----------
    name, base_mva
        Network name and power base (MVA).
    node_ids
        (N,) node ids, ``dist_nodes`` order.
    is_slack, v_set, v_min, v_max
        (N,) slack nodes, their voltage set point and every node's band (pu).
    load_p_mw, load_q_mvar
        (N,) net load (consumption minus scheduled generation; MW, Mvar).
    y_shunt
        (N,) complex node shunt admittance (pu; ``(gs_mw + j (bs_mvar + closed dist_caps
        capacitors' q_mvar)) / base_mva``, the balanced power flow's shunt: draws ``y V``;
        the positive-sequence equivalent on a three-phase network, whose AC evaluation
        reads its own banks from the physics model).
    has_generation
        (N,) nodes with scheduled generation or DER (a part fed by them alone is an island).
    branch_ids
        (B,) every ``dist_branches`` id, table order.
    edge_branch
        (E,) branch index of each edge (a bundle representative).
    f, t
        (E,) end node indices.
    r, x, b, tap
        (E,) series impedance, total charging (pu on ``base_mva``) and off-nominal ratio.
    rating_pu
        (E,) thermal limit (pu; NaN = unrated).
    closed0
        (E,) closed in the present state.
    switchable
        (E,) the edge may change state.
    bundle
        (B,) representative branch of each branch's bundle (members follow it).
    three_phase
        The network holds three-phase tables (its AC check is the three-phase power flow).
    """

    name: str
    base_mva: float
    node_ids: np.ndarray
    is_slack: np.ndarray
    v_set: np.ndarray
    v_min: np.ndarray
    v_max: np.ndarray
    load_p_mw: np.ndarray
    load_q_mvar: np.ndarray
    y_shunt: np.ndarray
    has_generation: np.ndarray
    branch_ids: np.ndarray
    edge_branch: np.ndarray
    f: np.ndarray
    t: np.ndarray
    r: np.ndarray
    x: np.ndarray
    b: np.ndarray
    tap: np.ndarray
    rating_pu: np.ndarray
    closed0: np.ndarray
    switchable: np.ndarray
    bundle: np.ndarray
    three_phase: bool

    @property
    def n_node(self) -> int:
        """Number of nodes."""
        return len(self.node_ids)

    @property
    def n_edge(self) -> int:
        """Number of edges."""
        return len(self.f)

    def branch_closed(self, closed: np.ndarray) -> np.ndarray:
        """(B,) closed state of every branch for an (E,) edge state (bundles follow)."""
        state = np.zeros(len(self.branch_ids), bool)
        # Branches that are not edges: closed non-representatives follow their bundle,
        # open non-switchable ones stay open.
        state[self.edge_branch] = closed
        return state[self.bundle]


def switchable_all(network: Network) -> list[str]:
    """Branches that can switch: every branch with a switching element.

    ``branch_type`` ``switch``, a ``dist_switches`` row or a ``switching_devices`` row on it,
    and every branch open now (a normally-open tie). A network with none of these (the
    textbook cases, ``case33bw``) has every line switchable, the convention of the
    reconfiguration literature; transformers and regulators (``branch_type``
    ``transformer``) and lines in parallel with another closed branch between the same two
    nodes (no device can open one of them alone: IEEE 37's jumper beside its open-delta
    regulators) are not.
    """
    branches = network.branches
    ids = branches["branch_id"].astype(str)
    mask = branches["status"].astype(str).eq("open").to_numpy()
    marked = np.zeros(len(ids), bool)
    if "branch_type" in branches.columns:
        marked |= branches["branch_type"].astype(str).eq("switch").to_numpy()
    for name in ("dist_switches", "switching_devices"):
        table = network.table(name)
        if table is not None and len(table):
            marked |= ids.isin(set(table["branch_id"].astype(str))).to_numpy()
    if not marked.any():
        line = np.ones(len(ids), bool)
        if "branch_type" in branches.columns:
            line = ~branches["branch_type"].astype(str).eq("transformer").to_numpy()
        return ids[line & ~_in_parallel(branches)].tolist()
    return ids[mask | marked].tolist()


def _in_parallel(branches: pd.DataFrame) -> np.ndarray:
    """(B,) closed branches sharing their two end nodes (either direction) with another
    closed branch."""
    f = branches["from_node"].astype(str).to_numpy()
    t = branches["to_node"].astype(str).to_numpy()
    pair = pd.DataFrame({"a": np.minimum(f, t), "b": np.maximum(f, t)})
    closed = branches["status"].astype(str).ne("open").to_numpy()
    shared = pair[closed].duplicated(keep=False).reindex(pair.index, fill_value=False)
    return closed & shared.to_numpy()


def read_switchable(path: Path) -> list[str]:
    """Branch ids from a file: a CSV or parquet with a ``branch_id`` column, or one id a line.

    Raises
    ------
    gat_schemas.errors.InputError
        Unreadable file or no ids.
    """
    path = Path(path)
    try:
        if path.suffix == ".parquet":
            df = pd.read_parquet(path)
        else:
            first = path.read_text().splitlines()[:1]
            if first and "branch_id" in first[0].split(","):
                df = pd.read_csv(path, dtype=str)
            else:
                lines = [s.strip() for s in path.read_text().splitlines()]
                df = pd.DataFrame({"branch_id": [s for s in lines if s and not s.startswith("#")]})
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read the switchable branches ({exc})") from exc
    if "branch_id" not in df.columns or not len(df):
        raise InputError(f"{path}: no branch ids (a branch_id column, or one id a line)")
    return df["branch_id"].astype(str).str.strip().tolist()


def build_reconfig_grid(network: Network, switchable: list[str]) -> ReconfigGrid:
    """Build the reconfiguration array model.

    Parameters
    ----------
    network
        The network; its present configuration (``status``) must be radial with every node
        fed (the FLISR array model's check).
    switchable
        Branch ids that may change state.

    Raises
    ------
    gat_schemas.errors.InputError
        Unknown switchable ids, a switchable branch in a bundle of parallel units, a meshed
        or unfed present state.
    """
    from gat_adms.flisr.grid import build_grid

    branches = network.branches
    ids = branches["branch_id"].astype(str)
    unknown = sorted(set(switchable) - set(ids))
    if unknown:
        shown = ", ".join(unknown[:5]) + (
            f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        )
        raise InputError(f"switchable branches: {shown} not in dist_branches")
    status = branches["status"].astype(str)
    devices = pd.DataFrame(
        {
            "device_id": [f"sw_{b}" for b in switchable],
            "branch_id": list(switchable),
            "device_type": "disconnect",
            "normal_state": status.set_axis(ids).loc[list(switchable)].tolist(),
            "automated": True,
            "operate_time_h": 0.0,
        }
    )
    try:
        g = build_grid(network, devices)
    except InputError as exc:  # FLISR's array model words its checks for FLISR
        raise InputError(str(exc).replace("FLISR needs", "reconfiguration needs")) from None
    nodes, _ = apply_defaults("dist_nodes", conform_table("dist_nodes", network.nodes))
    br, _ = apply_defaults("dist_branches", conform_table("dist_branches", network.branches))
    own = g.bundle == np.arange(g.n_branch)
    edges = np.flatnonzero((g.has_device | g.closed) & own)
    charging = pd.to_numeric(br.get("b", 0.0), errors="coerce").fillna(0.0).to_numpy(float)
    gen = np.zeros(g.n_node, bool)
    for col in ("gen_p",):
        if col in nodes.columns:
            gen |= pd.to_numeric(nodes[col], errors="coerce").fillna(0.0).to_numpy() > 0
    gen |= nodes["type"].astype(str).isin(["source", "DER_agg"]).to_numpy()
    der = network.table("der_assets")
    if der is not None and len(der):
        gen |= pd.Index(g.node_ids).isin(set(der["bus_id"].astype(str)))
    gen &= ~g.is_slack
    gs = pd.to_numeric(nodes.get("gs_mw", 0.0), errors="coerce")
    bs = pd.to_numeric(nodes.get("bs_mvar", 0.0), errors="coerce")
    gs = np.broadcast_to(np.nan_to_num(np.asarray(gs, float)), (g.n_node,)).copy()
    bs = np.broadcast_to(np.nan_to_num(np.asarray(bs, float)), (g.n_node,)).copy()
    caps = network.table("dist_caps")
    if caps is not None and len(caps):
        use = caps["status"].astype(str).eq("closed").to_numpy() if "status" in caps else True
        if "kind" in caps.columns:
            use = use & caps["kind"].astype(str).eq("capacitor").to_numpy()
        at = pd.Index(g.node_ids).get_indexer(caps["node_id"].astype(str))
        use = use & (at >= 0)
        np.add.at(bs, at[use], caps["q_mvar"].to_numpy(dtype=float)[use])
    return ReconfigGrid(
        name=g.name,
        base_mva=g.base_mva,
        node_ids=g.node_ids,
        is_slack=g.is_slack,
        v_set=g.v_set,
        v_min=g.v_min,
        v_max=g.v_max,
        load_p_mw=g.load_p_mw,
        load_q_mvar=g.load_q_mvar,
        y_shunt=(gs + 1j * bs) / g.base_mva,
        has_generation=gen,
        branch_ids=g.branch_ids,
        edge_branch=edges,
        f=g.f[edges],
        t=g.t[edges],
        r=g.r[edges],
        x=g.x[edges],
        b=charging[edges],
        tap=g.tap[edges],
        rating_pu=g.rating_pu[edges],
        closed0=g.closed[edges],
        switchable=g.has_device[edges],
        bundle=g.bundle,
        three_phase=g.three_phase,
    )
