"""Asset groups: which assets form each envelope and where its point of connection is."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gat_dist.opf.sets import OpfData
from gat_schemas.errors import InputError

from .options import GroupBy

__all__ = ["Group", "select_groups"]


@dataclass(frozen=True, eq=False)
class Group:
    """One envelope: its assets and, for a feeder, the boundary of the feeder.

    Attributes
    ----------
    group_id
        The ``agg_id``, ``bus_id`` or ``feeder_id``.
    assets
        Row positions of its assets in the ``der_assets`` table (= the OPF DER order).
    feeder
        True for a feeder group: the envelope is the feeder's exchange with the rest of the
        network (its slack import and its boundary branches), not the assets' sum.
    slack_buses
        Feeder groups: slack buses inside the feeder (their import is the head exchange).
    branches_in, branches_out
        Feeder groups: OPF branches whose parent is outside and child inside the feeder,
        and the other way round.
    """

    group_id: str
    assets: np.ndarray
    feeder: bool = False
    slack_buses: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    branches_in: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    branches_out: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def _text(values: pd.Series) -> np.ndarray:
    """Strings, with missing and empty values as ``None``."""
    out = values.astype(object).to_numpy(copy=True)
    for i, v in enumerate(out):
        text = None if pd.isna(v) else str(v).strip()
        out[i] = text or None
    return out


def _in_order(keys: np.ndarray, order: list[str]) -> list[str]:
    """Distinct non-missing keys, in the order of ``order`` (then sorted, for the rest)."""
    present = {k for k in keys if k is not None}
    first = [k for k in dict.fromkeys(order) if k in present]
    return first + sorted(present - set(first))


def select_groups(
    data: OpfData, assets: pd.DataFrame, nodes: pd.DataFrame, group_by: GroupBy
) -> tuple[list[Group], np.ndarray]:
    """Split the assets into groups.

    Parameters
    ----------
    data
        OPF array model of the network and the assets (asset order = table order).
    assets
        The ``der_assets`` table (``agg_id`` is read for ``agg_id`` grouping).
    nodes
        The ``dist_nodes`` table (``feeder_id`` is read for ``feeder`` grouping).
    group_by
        The grouping.

    Returns
    -------
    groups, ungrouped
        Groups in a fixed order (``bus_id`` and ``feeder``: node order of ``dist_nodes``;
        ``agg_id``: sorted), and the row positions of assets in no group (``agg_id`` missing).
    """
    node_ids = nodes["node_id"].astype(str).tolist()
    if group_by is GroupBy.AGG_ID:
        if "agg_id" not in assets.columns:
            raise InputError("table der_assets: --group-by agg_id needs the column agg_id")
        keys = _text(assets["agg_id"])
        order: list[str] = []
    elif group_by is GroupBy.BUS_ID:
        keys = assets["bus_id"].astype(str).to_numpy(dtype=object)
        order = node_ids
    else:
        if "feeder_id" not in nodes.columns:
            raise InputError("table dist_nodes: --group-by feeder needs the column feeder_id")
        node_feeder = _text(nodes["feeder_id"])
        missing = [n for n, f in zip(node_ids, node_feeder, strict=True) if f is None]
        if missing:
            raise InputError(
                "table dist_nodes, column feeder_id: --group-by feeder needs a feeder_id on "
                f"every node; missing at node(s) {', '.join(missing[:5])}"
            )
        keys = node_feeder[data.der_node]
        order = [str(f) for f in node_feeder]
    names = _in_order(keys, order)
    groups = []
    for name in names:
        members = np.flatnonzero(np.array([k == name for k in keys], dtype=bool))
        if group_by is GroupBy.FEEDER:
            groups.append(_feeder_group(data, name, members, _text(nodes["feeder_id"])))
        else:
            groups.append(Group(group_id=name, assets=members))
    ungrouped = np.flatnonzero(np.array([k is None for k in keys], dtype=bool))
    return groups, ungrouped


def _feeder_group(data: OpfData, name: str, members: np.ndarray, node_feeder: np.ndarray) -> Group:
    """A feeder group: buses whose first node belongs to ``name``, and its boundary."""
    pf = data.pf
    first = np.zeros(pf.n_bus, dtype=np.int64)
    first[pf.node_bus[::-1]] = np.arange(pf.n_nodes)[::-1]
    inside = np.array([f == name for f in node_feeder[first]], dtype=bool)
    slack = np.flatnonzero(inside & data.bus_slack)
    par, chi = inside[data.br_parent], inside[data.br_child]
    into = np.flatnonzero(~par & chi)
    out = np.flatnonzero(par & ~chi)
    if not slack.size and not into.size:
        raise InputError(
            f"feeder {name}: no slack node and no branch feeds it; its head exchange is undefined"
        )
    return Group(
        group_id=name,
        assets=members,
        feeder=True,
        slack_buses=slack,
        branches_in=into,
        branches_out=out,
    )
