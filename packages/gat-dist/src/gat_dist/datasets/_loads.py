"""Per-node load totals of a network, whichever table holds the loads.

A balanced network carries its loads in ``dist_nodes.load_p``/``load_q``; an imported
unbalanced feeder carries them per phase in ``dist_loads`` (and 0 in ``load_p``). The
generators of this package size assets and count customers from the sum of both.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gat_schemas.network import Network

__all__ = ["node_load_mw", "node_phases"]

_P_COLUMNS = ("p_a_mw", "p_b_mw", "p_c_mw")


def node_load_mw(net: Network) -> pd.Series:
    """Active load of every node (MW, consumption positive), in ``dist_nodes`` order.

    ``dist_nodes.load_p`` plus, when the network has a ``dist_loads`` table, the sum of its
    per-phase (or per-leg, for delta loads) active powers at the node.
    """
    nodes = net.nodes
    total = pd.Series(
        pd.to_numeric(nodes["load_p"]).to_numpy(dtype=float), index=nodes["node_id"].to_numpy()
    )
    loads = net.table("dist_loads")
    if loads is not None and len(loads):
        cols = [c for c in _P_COLUMNS if c in loads.columns]
        per_row = loads[cols].apply(pd.to_numeric).fillna(0.0).sum(axis=1).to_numpy(dtype=float)
        extra = pd.Series(per_row, index=loads["node_id"].to_numpy()).groupby(level=0).sum()
        total = total.add(extra.reindex(total.index).fillna(0.0), fill_value=0.0)
    return total.astype(np.float64)


def node_phases(net: Network) -> pd.Series:
    """The phase set of every node (``dist_nodes.phase``), indexed by node id."""
    nodes = net.nodes
    return pd.Series(nodes["phase"].astype(str).to_numpy(), index=nodes["node_id"].to_numpy())
