"""Which limits a hosting-capacity study holds (broken without injection), for the outputs.

The search relaxes them itself (:func:`._checks.relax_to_base`, per shard); each shard
lists them from the limits its search used, and the reduction keeps each once per load
level, so that the planner sees which node phases, conductors, nodes (voltage
unbalance) and feeder heads or regulators (reverse flow) start out of limits, and the value
the DER may not make worse (:mod:`gat_dist.held_limits`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import gat_pf

    from ._checks import Limits
    from ._options import HostcapOptions

__all__ = ["HELD_COLUMNS", "held_rows", "reduce_held"]

#: ``load_scale``; ``element`` (terminal "890.A" or node, conductor "XFM1.A" or branch, node,
#: head node or regulator); ``limit`` (v_min, v_max, loading, vuf, reverse_flow); ``value``
#: the limit (pu, %, %, MW) and ``held_at`` the value used instead (base value + tolerance).
HELD_COLUMNS = ("load_scale", "element", "limit", "value", "held_at")


def held_rows(
    phys: gat_pf.PhysicsModel, options: HostcapOptions, before: Limits, after: Limits, scale: float
) -> pd.DataFrame:
    """One row per limit ``after`` (the limits a search used) holds where ``before`` (the
    limits as given, :func:`._checks.make_limits`) did not (see :data:`HELD_COLUMNS`)."""
    from gat_pf import judged_labels

    from ._options import Check

    # ``701.AB`` where the band is judged line to line (ungrounded sections).
    terms = np.asarray(judged_labels(phys)).astype(str)
    conds = np.asarray(phys.cond_label).astype(str)[before.conds]
    vuf_nodes = np.asarray(phys.vuf_node).astype(str)
    flows = np.asarray(before.flow_labels).astype(str)
    v_terms = np.zeros(len(terms), dtype=bool)
    v_terms[before.v_terms] = True
    families = [
        ("v_min", terms, before.v_min, after.v_min, True),
        ("v_max", terms, before.v_max, after.v_max, True),
        ("loading", conds, before.loading_lim_pct, after.loading_lim_pct, Check.THERMAL),
        ("vuf", vuf_nodes, before.vuf_max_pct, after.vuf_max_pct, Check.UNBALANCE),
        ("reverse_flow", flows, before.flow_min_mw, after.flow_min_mw, Check.REVERSE_FLOW),
    ]
    rows = []
    for name, labels, lim0, lim1, check in families:
        if check is not True and check not in options.checks:
            continue
        changed = np.asarray(lim0, float) != np.asarray(lim1, float)
        if name in ("v_min", "v_max"):
            changed &= v_terms
        for k in np.flatnonzero(changed):
            rows.append((float(scale), labels[k], name, float(lim0[k]), float(lim1[k])))
    out = pd.DataFrame(rows, columns=list(HELD_COLUMNS))
    return out.astype({"load_scale": float, "value": float, "held_at": float})


def reduce_held(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The held rows of every shard, once per (load_scale, element, limit), in shard order."""
    frames = [p for p in parts if p is not None and len(p)]
    if not frames:
        return pd.DataFrame(
            {
                "load_scale": pd.Series(dtype=float),
                "element": pd.Series(dtype=object),
                "limit": pd.Series(dtype=object),
                "value": pd.Series(dtype=float),
                "held_at": pd.Series(dtype=float),
            }
        )
    both = pd.concat(frames, ignore_index=True)
    return both.drop_duplicates(["load_scale", "element", "limit"]).reset_index(drop=True)
