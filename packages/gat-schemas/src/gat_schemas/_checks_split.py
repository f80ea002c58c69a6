"""Rules of center-tapped (split-phase) transformers, across tables.

A ``dist_transformers`` row with ``conn_to = center_tap`` has its primary phase (``phases``,
one letter) at the from node and its two secondary legs (``phases_to``, two distinct letters,
default ``AB``) at the to node; it is exempt from the rule that a branch's phases are at both
end nodes (:mod:`gat_schemas._checks_3ph` asks :func:`center_tap_ids`). See
``history/2026-12-04-split-phase.md``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._violation import Violation
from .conform import LazyLabels

__all__ = ["center_tap_ids", "center_tap_rules"]

_NEEDED = ("x_ht_pct", "x_lt_pct", "r_lt_pct")


def _center(tr: pd.DataFrame | None, bad: set[str]) -> np.ndarray:
    if tr is None or not len(tr) or "conn_to" not in tr.columns or "conn_to" in bad:
        return np.zeros(0 if tr is None else len(tr), dtype=bool)
    return (tr["conn_to"] == "center_tap").to_numpy(dtype=bool)


def center_tap_ids(frames: dict[str, pd.DataFrame], bad: dict[str, set[str]]) -> set[str]:
    """Branch ids of the center-tapped transformers."""
    tr = frames.get("dist_transformers")
    sel = _center(tr, bad.get("dist_transformers", set()))
    if tr is None or not sel.any() or "branch_id" not in tr.columns:
        return set()
    return set(tr.loc[sel, "branch_id"].astype(str))


def center_tap_rules(
    frames: dict[str, pd.DataFrame], bad: dict[str, set[str]], node_phase: dict[str, str]
) -> list[Violation]:
    """Phases, legs, connection and impedances of center-tapped units."""
    tr = frames.get("dist_transformers")
    t_bad = bad.get("dist_transformers", set())
    sel = _center(tr, t_bad)
    if tr is None or not sel.any():
        return []
    out: list[Violation] = []
    labels = LazyLabels("dist_transformers", tr)
    n = len(tr)
    prim = tr["phases"].tolist() if "phases" in tr.columns else [None] * n
    legs = tr["phases_to"].tolist() if "phases_to" in tr.columns else [None] * n
    legs = [p if isinstance(p, str) else "AB" for p in legs]

    def add(mask: np.ndarray, column: str, check: str, message: str) -> None:
        mask = mask & sel
        if mask.any():
            ids = tuple(dict.fromkeys(labels[mask].tolist()))
            out.append(Violation("dist_transformers", column, ids, check, message))

    shape = np.array(
        [
            not (isinstance(p, str) and len(p) == 1 and len(q) == 2 and q[0] != q[1])
            for p, q in zip(prim, legs, strict=True)
        ]
    )
    add(shape, "phases_to", "center_tap_phases",
        "a center_tap unit has one primary phase and two distinct legs (phases_to)")  # fmt: skip
    if "conn_from" in tr.columns and "conn_from" not in t_bad:
        add((tr["conn_from"] != "wye_g").to_numpy(), "conn_from", "center_tap_primary",
            "a center_tap unit's primary is phase to neutral (wye_g)")  # fmt: skip
    for col in _NEEDED:
        if col in t_bad:
            continue
        have = tr[col].to_numpy(dtype=float) if col in tr.columns else np.full(n, np.nan)
        add(np.isnan(have), col, "center_tap_impedance", f"a center_tap unit needs {col}")
    br = frames.get("dist_branches")
    b_bad = bad.get("dist_branches", set())
    if not node_phase or br is None or {"branch_id", "from_node", "to_node"} & b_bad:
        return out
    ends = dict(
        zip(
            br["branch_id"].astype(str),
            zip(br["from_node"].astype(str), br["to_node"].astype(str), strict=True),
            strict=True,
        )
    )
    ids = tr["branch_id"].astype(str).tolist()
    off = np.array(
        [
            b in ends
            and all(e in node_phase for e in ends[b])
            and isinstance(p, str)
            and not (
                set(p) <= set(node_phase[ends[b][0]]) and set(q) <= set(node_phase[ends[b][1]])
            )
            for b, p, q in zip(ids, prim, legs, strict=True)
        ]
    )
    add(off, "phases", "center_tap_nodes",
        "the primary phase must be at the from node and the legs (phases_to) at the to node")  # fmt: skip
    return out
