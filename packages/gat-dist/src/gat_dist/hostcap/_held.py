"""Which limits a hosting-capacity study holds (broken without injection), for the outputs.

The search relaxes them itself (:func:`._checks.relax_to_base`, per shard); this lists them
once per load level so that the planner sees which node phases, conductors, nodes (voltage
unbalance) and feeder heads or regulators (reverse flow) start out of limits, and the value
the DER may not make worse (:mod:`gat_dist.held_limits`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._checks import make_limits
from ._search import base_case

if TYPE_CHECKING:
    from gat_schemas import Network

    from ._options import HostcapOptions

__all__ = ["HELD_COLUMNS", "held_limits"]

#: ``load_scale``; ``element`` (terminal "890.A" or node, conductor "XFM1.A" or branch, node,
#: head node or regulator); ``limit`` (v_min, v_max, loading, vuf, reverse_flow); ``value``
#: the limit (pu, %, %, MW) and ``held_at`` the value used instead (base value + tolerance).
HELD_COLUMNS = ("load_scale", "element", "limit", "value", "held_at")


def held_limits(network: Network, options: HostcapOptions, candidate: str) -> pd.DataFrame:
    """One row per limit held at each load level (see :data:`HELD_COLUMNS`); ``candidate``
    is any candidate node (the case without injection does not depend on it)."""
    from ._api import _physics
    from ._options import Check

    phys = _physics(network, options)
    points = phys.injection_points([candidate], phase_mode=options.phase_mode)
    limits = make_limits(phys, options)
    terms = np.asarray(phys.term_label).astype(str)
    conds = np.asarray(phys.cond_label).astype(str)[limits.conds]
    vuf_nodes = np.asarray(phys.vuf_node).astype(str)
    flows = np.asarray(limits.flow_labels).astype(str)
    checks = options.checks
    rows = []
    for scale in options.load_scales:
        held = base_case(phys, limits, points, options, scale)[0]
        families = [
            ("v_min", terms, limits.v_min, held.v_min, True),
            ("v_max", terms, limits.v_max, held.v_max, True),
            ("loading", conds, limits.loading_lim_pct, held.loading_lim_pct, Check.THERMAL),
            ("vuf", vuf_nodes, limits.vuf_max_pct, held.vuf_max_pct, Check.UNBALANCE),
            ("reverse_flow", flows, limits.flow_min_mw, held.flow_min_mw, Check.REVERSE_FLOW),
        ]
        v_terms = np.zeros(len(terms), dtype=bool)
        v_terms[limits.v_terms] = True
        for name, labels, before, after, check in families:
            if check is not True and check not in checks:
                continue
            changed = np.asarray(before, float) != np.asarray(after, float)
            if name in ("v_min", "v_max"):
                changed &= v_terms
            for k in np.flatnonzero(changed):
                rows.append((float(scale), labels[k], name, float(before[k]), float(after[k])))
    out = pd.DataFrame(rows, columns=list(HELD_COLUMNS))
    return out.astype({"load_scale": float, "value": float, "held_at": float})
