"""Parts of an OpenDSS circuit that no source feeds: left out of the network, with a note.

OpenDSS solves a circuit in which an ``Open`` command, a disabled element or an open switch
cuts a section off from every source: the section's buses are simply dead (0 V, their loads
draw nothing). A GAT network must have every node fed (the ``island`` rule of
:mod:`gat_schemas`), so the importer does what OpenDSS's solution amounts to: the dead
section's nodes, and every row that refers to them, are left out, and an import note names
them and counts what went with them (branches, loads and their kW, capacitors, DER ...).

Which rows refer to a dropped row is read from the tables' declared foreign keys, so the
rule is one mechanism for every table: a row goes when one of its foreign-key columns names
a row that went (a load at a dead node; a regulator on a dropped branch; a capacitor control
of a dropped capacitor), repeated until nothing more goes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from gat_schemas.tables import TABLES

__all__ = ["drop_dead_sections"]

#: How many dead node ids a note lists before "...".
_LIST = 12


def _fed_nodes(nodes: pd.DataFrame, branches: pd.DataFrame) -> np.ndarray:
    """Mask of the nodes connected to a slack or source node through closed branches."""
    ids = nodes["node_id"].astype(str).to_numpy()
    pos = pd.Index(ids)
    closed = (branches["status"].astype(str) == "closed").to_numpy()
    a = pos.get_indexer(branches["from_node"].astype(str).to_numpy())
    b = pos.get_indexer(branches["to_node"].astype(str).to_numpy())
    keep = closed & (a >= 0) & (b >= 0)
    n = len(ids)
    graph = sp.coo_matrix((np.ones(int(keep.sum())), (a[keep], b[keep])), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    fed = nodes["type"].astype(str).isin(["slack", "source"]).to_numpy()
    return np.isin(label, np.unique(label[fed]))


def drop_dead_sections(
    tables: dict[str, pd.DataFrame], notes: list[str]
) -> dict[str, pd.DataFrame]:
    """``tables`` without the nodes no source feeds and the rows that refer to them.

    Parameters
    ----------
    tables
        The network's tables as built by the importer (``dist_nodes`` and ``dist_branches``
        at least; ``dist_branches.status`` ``"open"``/``"closed"``).
    notes
        Import notes; one line is appended when anything is left out.

    Returns
    -------
    dict
        The same tables (the same objects when nothing is dead); a table left without rows
        is removed.
    """
    nodes, branches = tables["dist_nodes"], tables["dist_branches"]
    fed = _fed_nodes(nodes, branches)
    if fed.all():
        return tables
    dead_ids = nodes.loc[~fed, "node_id"].astype(str)
    out = dict(tables)
    out["dist_nodes"] = nodes.loc[fed].reset_index(drop=True)
    gone: dict[str, set[str]] = {"dist_nodes.node_id": set(dead_ids)}
    dropped: dict[str, int] = {}
    load_kw = 0.0
    changed = True
    while changed:
        changed = False
        for name, df in list(out.items()):
            if name == "dist_nodes" or name not in TABLES:
                continue
            hit = np.zeros(len(df), dtype=bool)
            for col in TABLES[name].columns():
                if col.foreign_key in gone and col.name in df.columns:
                    vals = df[col.name]
                    hit |= (vals.notna() & vals.astype(str).isin(gone[col.foreign_key])).to_numpy()
            if not hit.any():
                continue
            changed = True
            removed = df.loc[hit]
            dropped[name] = dropped.get(name, 0) + len(removed)
            if name == "dist_loads":
                cols = [c for c in ("p_a_mw", "p_b_mw", "p_c_mw") if c in removed.columns]
                load_kw += 1e3 * float(removed[cols].sum().sum())
            for col in TABLES[name].id_columns:
                if col in removed.columns:
                    gone.setdefault(f"{name}.{col}", set()).update(removed[col].astype(str))
            kept = df.loc[~hit].reset_index(drop=True)
            if len(kept):
                out[name] = kept
            else:
                del out[name]
    listed = ", ".join(dead_ids.iloc[:_LIST]) + (", ..." if len(dead_ids) > _LIST else "")
    what = ", ".join(f"{n} {name}" for name, n in sorted(dropped.items()))
    kw = f" ({load_kw:.1f} kW of load)" if load_kw else ""
    notes.append(
        f"{len(dead_ids)} node(s) that no source feeds (cut off by open or disabled elements; "
        f"OpenDSS leaves them dead) left out: {listed}; with them {what or 'no rows'}{kw}"
    )
    return out
