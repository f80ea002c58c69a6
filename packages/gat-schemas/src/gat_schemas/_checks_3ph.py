"""Rules of the three-phase tables (line codes, transformers, regulators, per-phase loads).

``row_rules_3ph`` checks columns of one row; ``cross_table_3ph`` checks phases and references
across tables. Both take conformed frames and skip columns already reported as missing or
mistyped, like :mod:`gat_schemas._checks`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ._checks_base import numeric, row_ids, usable
from ._checks_split import center_tap_ids, center_tap_rules
from ._checks_transformers import transformer_rules
from ._violation import Violation
from .conform import LazyLabels
from .tables.dist_linecodes import LINECODE_ENTRIES

__all__ = ["branch_phases", "cross_table_3ph", "row_rules_3ph"]

_ORDER = "ABC"
_DELTA_LEGS = {"a": "AB", "b": "BC", "c": "CA"}


def _text(v: object) -> str | None:
    return v if isinstance(v, str) else None


def branch_phases(given: object, from_phase: object, to_phase: object) -> str:
    """The ordered conductors of a branch: ``given``, else the end nodes' common phases.

    Returns ``""`` when nothing is given and the end nodes share no phase (or are unknown).
    """
    text = _text(given)
    if text:
        return text
    a, b = _text(from_phase), _text(to_phase)
    if a is None or b is None:
        return ""
    return "".join(p for p in _ORDER if p in a and p in b)


def row_rules_3ph(name: str, df: pd.DataFrame, bad: set[str]) -> list[Violation]:
    """Rules between columns of one row of a three-phase table."""
    if len(df) == 0:
        return []
    labels = LazyLabels(name, df)
    out: list[Violation] = []

    def add(mask: np.ndarray, column: str, check: str, message: str) -> None:
        if np.asarray(mask, dtype=bool).any():
            out.append(Violation(name, column, row_ids(labels, mask), check, message))

    if name == "dist_linecodes" and usable(df, bad, "n_phases"):
        n = numeric(df, "n_phases")
        for kind in ("r", "x", "b"):
            for ij in LINECODE_ENTRIES:
                col = f"{kind}{ij}"
                if not usable(df, bad, col):
                    continue
                beyond = np.maximum(int(ij[0]), int(ij[1])) > n
                add(
                    beyond & (numeric(df, col) != 0),
                    col,
                    "beyond_n_phases",
                    f"{col} must be 0 when n_phases < {max(int(ij[0]), int(ij[1]))}",
                )
        for ij in ("11", "22", "33"):
            if usable(df, bad, f"r{ij}"):
                inside = int(ij[0]) <= n
                add(
                    inside & (numeric(df, f"r{ij}") < 0),
                    f"r{ij}",
                    "self_resistance",
                    f"r{ij} (a self resistance) must be >= 0",
                )
    if name == "dist_transformers" and usable(df, bad, "phases", "conn_from", "conn_to"):
        # Each side winds cores on its own letters (phases_to, when given, on the to side):
        # one per letter on wye, one on two letters or three on three on delta.
        k = df["phases"].map(lambda v: len(v) if isinstance(v, str) else 0).to_numpy()
        to = df["phases_to"] if "phases_to" in df.columns else pd.Series([None] * len(df))
        k_to = np.where(
            to.map(lambda v: isinstance(v, str) and len(v) > 0).to_numpy(),
            to.map(lambda v: len(v) if isinstance(v, str) else 0).to_numpy(),
            k,
        )
        d_from = (df["conn_from"] == "delta").to_numpy()
        d_to = (df["conn_to"] == "delta").to_numpy()
        center = (df["conn_to"] == "center_tap").to_numpy()
        add(
            ((k == 1) & d_from) | ((k_to == 1) & d_to),
            "phases",
            "single_phase_delta",
            "a delta winding needs two or three phases (one letter is phase to neutral)",
        )
        cores_f = np.where(d_from, np.where(k == 2, 1, k), k)
        cores_t = np.where(d_to, np.where(k_to == 2, 1, k_to), k_to)
        add(
            ~center & (cores_f != cores_t) & ((k != 1) | ~d_from) & ((k_to != 1) | ~d_to),
            "phases",
            "two_phase_connection",
            "both windings must wind the same number of single-phase cores (a delta winding on "
            "two phases is one core, each wye letter one core); phases_to gives the to "
            "winding's letters when they differ",
        )
    if name == "dist_regulators":
        if usable(df, bad, "tap") and not bad & {"tap_min", "tap_max"}:
            tap = numeric(df, "tap")
            lo = numeric(df, "tap_min") if "tap_min" in df.columns else np.full(len(df), -16.0)
            hi = numeric(df, "tap_max") if "tap_max" in df.columns else np.full(len(df), 16.0)
            add(lo > hi, "tap_min", "tap_min<=tap_max", "tap_min must not exceed tap_max")
            add((tap < lo) | (tap > hi), "tap", "tap_range", "tap must lie in [tap_min, tap_max]")
        if usable(df, bad, "mode"):
            auto = (df["mode"] == "auto").to_numpy()
            for col in ("v_set_v", "band_v", "pt_ratio"):
                if col in bad:
                    continue
                have = numeric(df, col) if col in df.columns else np.full(len(df), np.nan)
                add(auto & np.isnan(have), col, "auto_setting", f"an auto regulator needs {col}")
            comp = np.zeros(len(df), dtype=bool)
            for col in ("r_comp_v", "x_comp_v"):
                if usable(df, bad, col):
                    comp |= numeric(df, col) != 0
            ct = (
                numeric(df, "ct_primary_a")
                if "ct_primary_a" in df.columns
                else np.full(len(df), np.nan)
            )
            add(
                auto & comp & np.isnan(ct) & ("ct_primary_a" not in bad),
                "ct_primary_a",
                "auto_setting",
                "line-drop compensation (r_comp_v, x_comp_v) needs ct_primary_a",
            )
    if name == "dist_caps" and usable(df, bad, "connection", "phase"):
        short = df["phase"].map(lambda v: not isinstance(v, str) or len(v) < 2).to_numpy()
        add(
            (df["connection"] == "delta").to_numpy() & short,
            "connection",
            "delta_phases",
            "a delta bank needs at least two phases",
        )
    return out


def _split_units(frames: dict[str, pd.DataFrame], bad: dict[str, set[str]]) -> set[str]:
    """Branch ids of transformer rows whose to winding has its own phases (phases_to)."""
    tr = frames.get("dist_transformers")
    if tr is None or not len(tr) or "phases_to" not in tr.columns:
        return set()
    if not usable(tr, bad.get("dist_transformers", set()), "branch_id", "phases"):
        return set()
    return {
        str(b)
        for b, p, q in zip(tr["branch_id"], tr["phases"], tr["phases_to"], strict=True)
        if isinstance(q, str) and q and q != p
    }


def _node_phases(frames: dict[str, pd.DataFrame], bad: dict[str, set[str]]) -> dict[str, str]:
    nodes = frames.get("dist_nodes")
    if nodes is None or not usable(nodes, bad.get("dist_nodes", set()), "node_id", "phase"):
        return {}
    return {
        str(n): p
        for n, p in zip(nodes["node_id"].tolist(), nodes["phase"].tolist(), strict=True)
        if isinstance(p, str)
    }


def _rows(df: pd.DataFrame, test: Callable[[dict[str, object]], bool]) -> np.ndarray:
    records = df.to_dict("records")
    return np.array([bool(test(r)) for r in records], dtype=bool)


def _effective_branch_phases(
    br: pd.DataFrame, bad: set[str], node_phase: dict[str, str]
) -> list[str]:
    given = br["phases"].tolist() if usable(br, bad, "phases") else [None] * len(br)
    return [
        branch_phases(g, node_phase.get(str(f)), node_phase.get(str(t)))
        for g, f, t in zip(given, br["from_node"].tolist(), br["to_node"].tolist(), strict=True)
    ]


def _is_three_phase(frames: dict[str, pd.DataFrame], br: pd.DataFrame, b_bad: set[str]) -> bool:
    if any(t in frames for t in ("dist_linecodes", "dist_transformers", "dist_loads")):
        return True
    return usable(br, b_bad, "phases") and bool(br["phases"].notna().any())


def _has_3ph_data(frames: dict[str, pd.DataFrame], bad: dict[str, set[str]]) -> bool:
    """Whether any three-phase table, or branch phases or line codes, are present."""
    tables = ("dist_linecodes", "dist_transformers", "dist_regulators", "dist_loads")
    if any(t in frames for t in tables):
        return True
    br = frames.get("dist_branches")
    if br is None:
        return False
    b_bad = bad.get("dist_branches", set())
    return any(
        usable(br, b_bad, c) and bool(br[c].notna().any()) for c in ("phases", "linecode_id")
    )


def cross_table_3ph(frames: dict[str, pd.DataFrame], bad: dict[str, set[str]]) -> list[Violation]:
    """Phases and references of branches, line codes, transformers, regulators and loads.

    - a branch's conductors lie within both end nodes' phases (given or common, not empty);
    - a branch with a line code has a length and as many conductors as the code's n_phases,
      and the network has a ``dist_linecodes`` table;
    - a ``dist_transformers`` row and a regulator sit on a ``branch_type == transformer``
      branch; a regulator's phase is one of the branch's phases, at most one per phase;
    - a load's non-zero phases (wye) or legs (delta) lie within its node's phases.
    """
    if not _has_3ph_data(frames, bad):
        return []  # a balanced network: none of the rules below can fire
    out: list[Violation] = []
    node_phase = _node_phases(frames, bad)
    center = center_tap_ids(frames, bad)  # checked by center_tap_rules instead
    br = frames.get("dist_branches")
    b_bad = bad.get("dist_branches", set())
    br_phases: dict[str, str] = {}
    br_type: dict[str, str] = {}
    if br is not None and len(br) and node_phase and usable(br, b_bad, "from_node", "to_node"):
        labels = LazyLabels("dist_branches", br)
        eff = _effective_branch_phases(br, b_bad, node_phase)
        if usable(br, b_bad, "branch_id"):
            br_phases = dict(zip(br["branch_id"].astype(str).tolist(), eff, strict=True))
            if usable(br, b_bad, "branch_type"):
                br_type = dict(
                    zip(
                        br["branch_id"].astype(str).tolist(),
                        br["branch_type"].tolist(),
                        strict=True,
                    )
                )
        known = (
            br["from_node"].astype(str).isin(node_phase).to_numpy()
            & br["to_node"].astype(str).isin(node_phase).to_numpy()
        )
        if center:
            known &= ~br["branch_id"].astype(str).isin(center).to_numpy()
        # Units whose windings use different phases (phases_to): each winding's letters are
        # checked at its own node by transformer_rules, not the branch's union at both.
        split = _split_units(frames, bad)
        if split:
            known &= ~br["branch_id"].astype(str).isin(split).to_numpy()
        empty = known & np.array([p == "" for p in eff], dtype=bool)
        # A balanced network (no three-phase data) stays valid whatever its node phases say.
        if empty.any() and _is_three_phase(frames, br, b_bad):
            out.append(
                Violation(
                    "dist_branches",
                    "phases",
                    row_ids(labels, empty),
                    "phases_common",
                    "the end nodes share no phase (set phases or fix dist_nodes.phase)",
                )
            )
        outside = known & np.array(
            [
                bool(p)
                and not (set(p) <= set(node_phase[str(f)]) and set(p) <= set(node_phase[str(t)]))
                for p, f, t in zip(
                    eff, br["from_node"].tolist(), br["to_node"].tolist(), strict=True
                )
            ],
            dtype=bool,
        )
        if outside.any():
            out.append(
                Violation(
                    "dist_branches",
                    "phases",
                    row_ids(labels, outside),
                    "phases_within_nodes",
                    "the branch's phases must be present at both end nodes",
                )
            )
        out.extend(_linecode_rules(frames, bad, br, b_bad, eff, labels))
    out.extend(transformer_rules(frames, bad, br_phases, br_type, node_phase, center))
    out.extend(center_tap_rules(frames, bad, node_phase))
    out.extend(_load_rules(frames, bad, node_phase))
    return out


def _linecode_rules(
    frames: dict[str, pd.DataFrame],
    bad: dict[str, set[str]],
    br: pd.DataFrame,
    b_bad: set[str],
    eff: list[str],
    labels: LazyLabels,
) -> list[Violation]:
    if not usable(br, b_bad, "linecode_id"):
        return []
    has = br["linecode_id"].notna().to_numpy()
    if not has.any():
        return []
    out: list[Violation] = []
    codes = frames.get("dist_linecodes")
    if codes is None:
        return [
            Violation(
                "dist_branches",
                "linecode_id",
                row_ids(labels, has),
                "foreign_key",
                "refers to line codes but the network has no dist_linecodes table",
            )
        ]
    length = (
        numeric(br, "length_km") if usable(br, b_bad, "length_km") else np.full(len(br), np.nan)
    )
    if (has & np.isnan(length)).any():
        out.append(
            Violation(
                "dist_branches",
                "length_km",
                row_ids(labels, has & np.isnan(length)),
                "linecode_length",
                "a branch with a line code needs length_km",
            )
        )
    c_bad = bad.get("dist_linecodes", set())
    if not usable(codes, c_bad, "linecode_id", "n_phases"):
        return out
    n_of = dict(
        zip(
            codes["linecode_id"].astype(str).tolist(),
            numeric(codes, "n_phases").tolist(),
            strict=True,
        )
    )
    wrong = np.array(
        [
            bool(h) and str(c) in n_of and bool(p) and len(p) != n_of[str(c)]
            for h, c, p in zip(has, br["linecode_id"].tolist(), eff, strict=True)
        ],
        dtype=bool,
    )
    if wrong.any():
        out.append(
            Violation(
                "dist_branches",
                "linecode_id",
                row_ids(labels, wrong),
                "linecode_phases",
                "the line code's n_phases differs from the number of the branch's phases",
            )
        )
    return out


def _load_rules(
    frames: dict[str, pd.DataFrame], bad: dict[str, set[str]], node_phase: dict[str, str]
) -> list[Violation]:
    loads = frames.get("dist_loads")
    l_bad = bad.get("dist_loads", set())
    if loads is None or len(loads) == 0 or not node_phase:
        return []
    if not usable(loads, l_bad, "node_id", "connection"):
        return []
    labels = LazyLabels("dist_loads", loads)
    need: list[set[str]] = [set() for _ in range(len(loads))]
    conn = loads["connection"].tolist()
    for leg in "abc":
        nonzero = np.zeros(len(loads), dtype=bool)
        for col in (f"p_{leg}_mw", f"q_{leg}_mvar"):
            if usable(loads, l_bad, col):
                nonzero |= np.nan_to_num(numeric(loads, col)) != 0
        for i in np.flatnonzero(nonzero):
            need[i] |= set(_DELTA_LEGS[leg] if conn[i] == "delta" else leg.upper())
    node = loads["node_id"].astype(str).tolist()
    off = np.array(
        [n in node_phase and not s <= set(node_phase[n]) for n, s in zip(node, need, strict=True)],
        dtype=bool,
    )
    if not off.any():
        return []
    return [
        Violation(
            "dist_loads",
            "node_id",
            row_ids(labels, off),
            "phases_within_node",
            "a non-zero phase (wye) or leg (delta) of the load is not present at its node",
        )
    ]
