"""Rules that span several columns or tables (the schema checks single columns).

Each function takes conformed frames (``reset_index(drop=True)``) and the set of columns
already reported as missing or mistyped, which it leaves alone so one problem is not
reported twice in confusing words.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._checks_3ph import cross_table_3ph, row_rules_3ph
from ._checks_base import numeric, row_ids, usable
from ._checks_refs import foreign_key_violations, positions
from ._checks_reliability import device_state_rules, reliability_rules
from ._columns import only_strings
from ._graph import components
from ._violation import Violation
from .conform import LazyLabels
from .tables import STORAGE_TYPES, TABLES

__all__ = ["components", "cross_table", "duplicate_ids", "row_rules"]


def duplicate_ids(name: str, df: pd.DataFrame, bad: set[str]) -> list[Violation]:
    """Rows whose id (all present id columns together) appears more than once."""
    ts = TABLES[name]
    cols = [c for c in ts.id_columns if c in df.columns and c not in bad]
    if not ts.unique_ids or not cols or len(df) == 0:
        return []
    # Output tables key on (scenario_id, id); without scenario_id the id alone must be unique.
    if (
        ts.id_columns[0] == "scenario_id"
        and len(ts.id_columns) > 1
        and ts.id_columns[1] not in cols
    ):
        return []
    ids = df[cols[0]]
    if len(cols) == 1 and ids.dtype == object and only_strings(ids):
        dup = ids.duplicated(keep=False).to_numpy()  # ids as read: strings, none missing
    elif len(cols) == 1 and pd.api.types.infer_dtype(ids, skipna=True) == "string":
        dup = ids.duplicated(keep=False).to_numpy() & ids.notna().to_numpy()
    else:
        present = df[cols].notna().all(axis=1).to_numpy()
        keys = df[cols].astype(str).where(df[cols].notna(), None)
        dup = keys.duplicated(keep=False).to_numpy() & present
    if not dup.any():
        return []
    labels = LazyLabels(name, df)
    what = "+".join(cols)
    return [
        Violation(
            name,
            cols[-1],
            row_ids(labels, dup),
            "unique",
            f"duplicate {what} (each must appear once)",
        )
    ]


def row_rules(name: str, df: pd.DataFrame, bad: set[str]) -> list[Violation]:
    """Rules between columns of one row (``v_min < v_max``, ``p_min <= p_max``, ...)."""
    if len(df) == 0:
        return []
    labels = LazyLabels(name, df)
    out: list[Violation] = []

    def add(mask: np.ndarray, column: str, check: str, message: str) -> None:
        if mask.any():
            out.append(Violation(name, column, row_ids(labels, mask), check, message))

    if name == "dist_nodes" and usable(df, bad, "v_min", "v_max"):
        vmin, vmax = numeric(df, "v_min"), numeric(df, "v_max")
        slack = (
            (df["type"] == "slack").to_numpy()
            if usable(df, bad, "type")
            else np.zeros(len(df), bool)
        )
        add(~slack & (vmin >= vmax), "v_min", "v_min<v_max", "v_min must be below v_max")
        add(
            slack & (vmin > vmax), "v_min", "v_min<=v_max", "v_min must not exceed v_max at a slack"
        )
    if name == "dist_branches":
        if usable(df, bad, "r", "x"):
            zero = (numeric(df, "r") == 0) & (numeric(df, "x") == 0)
            if usable(df, bad, "branch_type"):
                zero &= (df["branch_type"] != "switch").to_numpy()
            add(zero, "x", "impedance", "r = x = 0 is only allowed on a branch_type 'switch'")
        if usable(df, bad, "from_node", "to_node"):
            loop = (df["from_node"] == df["to_node"]).to_numpy() & df[
                "from_node"
            ].notna().to_numpy()
            add(loop, "to_node", "self_loop", "branch connects a node to itself")
    if name == "der_assets":
        for lo, hi in (("p_min", "p_max"), ("q_min", "q_max"), ("soc_min", "soc_max")):
            if usable(df, bad, lo, hi):
                add(
                    numeric(df, lo) > numeric(df, hi),
                    lo,
                    f"{lo}<={hi}",
                    f"{lo} must not exceed {hi}",
                )
        if usable(df, bad, "asset_type", "energy_cap"):
            storage = df["asset_type"].isin(STORAGE_TYPES).to_numpy()
            cap = numeric(df, "energy_cap")
            add(
                storage & ~(cap > 0),
                "energy_cap",
                "storage_energy",
                "storage asset needs energy_cap > 0",
            )
        out.extend(_s_max_covers(df, bad, labels))
    if name == "reliability" and not bad & {"failure_rate_per_yr", "failure_rate_per_km_yr"}:
        rate = (
            numeric(df, "failure_rate_per_yr")
            if usable(df, bad, "failure_rate_per_yr")
            else np.full(len(df), np.nan)
        )
        per_km = (
            numeric(df, "failure_rate_per_km_yr")
            if usable(df, bad, "failure_rate_per_km_yr")
            else np.full(len(df), np.nan)
        )
        add(
            np.isnan(rate) & np.isnan(per_km),
            "failure_rate_per_yr",
            "failure_rate",
            "needs failure_rate_per_yr or failure_rate_per_km_yr",
        )
        add(
            ~np.isnan(rate) & ~np.isnan(per_km),
            "failure_rate_per_km_yr",
            "one_rate",
            "gives both failure_rate_per_yr and failure_rate_per_km_yr; give exactly one",
        )
    if name == "dist_caps" and usable(df, bad, "kind"):
        reg = (df["kind"] == "regulator").to_numpy()
        has_branch = (
            df["branch_id"].notna().to_numpy()
            if usable(df, bad, "branch_id")
            else np.zeros(len(df), bool)
        )
        add(reg & ~has_branch, "branch_id", "regulator_branch", "a regulator needs a branch_id")
    out.extend(row_rules_3ph(name, df, bad))
    return out


def _s_max_covers(df: pd.DataFrame, bad: set[str], labels: LazyLabels) -> list[Violation]:
    """An inverter rating must reach every P bound at q = 0 and every Q bound at p = 0.

    ``s_max >= max(|p_min|, |p_max|)`` and ``s_max >= max(|q_min|, |q_max|)``; the corners
    of the P-Q box may lie outside the circle (that is what the circle limit cuts off).
    """
    if not usable(df, bad, "s_max"):
        return []
    s_max = numeric(df, "s_max")
    out: list[Violation] = []
    for lo, hi, what in (("p_min", "p_max", "active"), ("q_min", "q_max", "reactive")):
        if not usable(df, bad, lo, hi):
            continue
        need = np.maximum(np.abs(numeric(df, lo)), np.abs(numeric(df, hi)))
        short = s_max < need  # NaN s_max (no circle) or NaN bounds compare False
        if short.any():
            out.append(
                Violation(
                    "der_assets",
                    "s_max",
                    row_ids(labels, short),
                    f"s_max>=|{lo[0]}|",
                    f"s_max is below max(|{lo}|, |{hi}|): the inverter cannot reach its "
                    f"{what} power bounds",
                )
            )
    return out


def _slack_and_islands(
    frames: dict[str, pd.DataFrame],
    bad: dict[str, set[str]],
    cache: dict[tuple[str, ...], object] | None = None,
) -> list[Violation]:
    nodes = frames.get("dist_nodes")
    if nodes is None or not usable(nodes, bad["dist_nodes"], "node_id", "type"):
        return []
    out: list[Violation] = []
    labels = LazyLabels("dist_nodes", nodes)
    is_slack = (nodes["type"] == "slack").to_numpy()
    if usable(nodes, bad["dist_nodes"], "feeder_id"):
        codes, feeders = pd.factorize(nodes["feeder_id"], sort=True, use_na_sentinel=False)
        counts = np.bincount(codes, weights=is_slack, minlength=len(feeders)).astype(np.int64)
        for k in np.flatnonzero(counts != 1).tolist():
            feeder, count = feeders[k], int(counts[k])
            if count == 0:
                out.append(
                    Violation(
                        "dist_nodes",
                        "type",
                        (),
                        "one_slack",
                        f"feeder '{feeder}' has no slack node",
                    )
                )
            else:
                out.append(
                    Violation(
                        "dist_nodes",
                        "type",
                        row_ids(labels, (codes == k) & is_slack),
                        "one_slack",
                        f"feeder '{feeder}' has {count} slack nodes; exactly one is required",
                    )
                )
    branches = frames.get("dist_branches")
    if branches is None or not usable(
        branches, bad["dist_branches"], "from_node", "to_node", "status"
    ):
        return out
    cache = {} if cache is None else cache
    a = positions(frames, cache, "dist_branches", "from_node", "dist_nodes", "node_id")
    b = positions(frames, cache, "dist_branches", "to_node", "dist_nodes", "node_id")
    if a is None or b is None:
        return out  # duplicate ids are reported already; components would be ambiguous
    closed = (branches["status"] == "closed").to_numpy()
    keep = closed & (a >= 0) & (b >= 0)
    comp = components(len(nodes), a[keep], b[keep])
    fed = is_slack | (nodes["type"] == "source").to_numpy()
    fed_roots = set(comp[fed].tolist())
    unfed = ~np.isin(comp, list(fed_roots))
    for root in dict.fromkeys(comp[unfed].tolist()):
        members = comp == root
        out.append(
            Violation(
                "dist_nodes",
                "node_id",
                row_ids(labels, members),
                "island",
                f"island of {int(members.sum())} node(s) has no slack or source node "
                "(connected through closed branches)",
            )
        )
    return out


def cross_table(frames: dict[str, pd.DataFrame], bad: dict[str, set[str]]) -> list[Violation]:
    """Every rule that needs two tables, plus feeder slacks and islands."""
    out: list[Violation] = []
    cache: dict[tuple[str, ...], object] = {}
    for name, df in frames.items():
        for info in TABLES[name].columns():
            fk = info.foreign_key
            if not fk or info.name not in df.columns:
                continue
            target, target_col = fk.split(".")
            if name == "outage_scenarios" or target not in frames:
                continue
            out.extend(
                foreign_key_violations(
                    frames, bad, name, info.name, target, target_col, cache=cache
                )
            )
    out.extend(_der_phases(frames, bad))
    out.extend(reliability_rules(frames, bad))
    out.extend(device_state_rules(frames, bad))
    out.extend(_slack_and_islands(frames, bad, cache))
    out.extend(cross_table_3ph(frames, bad))
    return out


def _der_phases(frames: dict[str, pd.DataFrame], bad: dict[str, set[str]]) -> list[Violation]:
    """A DER's phases must be a subset of its node's phases (``A`` fits ``ABC``, not ``BC``)."""
    der, nodes = frames.get("der_assets"), frames.get("dist_nodes")
    if der is None or nodes is None or len(der) == 0:
        return []
    if not usable(der, bad["der_assets"], "bus_id", "phase"):
        return []
    if not usable(nodes, bad["dist_nodes"], "node_id", "phase"):
        return []
    node_phase = dict(zip(nodes["node_id"].tolist(), nodes["phase"].tolist(), strict=True))
    labels = LazyLabels("der_assets", der)
    out: list[Violation] = []
    for phase in dict.fromkeys(der["phase"].dropna().tolist()):
        rows = np.zeros(len(der), dtype=bool)
        for i, (bus, ph) in enumerate(
            zip(der["bus_id"].tolist(), der["phase"].tolist(), strict=True)
        ):
            have = node_phase.get(bus)
            if ph == phase and isinstance(have, str) and not set(str(ph)) <= set(have):
                rows[i] = True
        if rows.any():
            out.append(
                Violation(
                    "der_assets",
                    "phase",
                    row_ids(labels, rows),
                    "phase_subset",
                    f"phase '{phase}' is not within the phases of its node (bus_id)",
                )
            )
    return out
