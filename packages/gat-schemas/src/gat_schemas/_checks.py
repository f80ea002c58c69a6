"""Rules that span several columns or tables (the schema checks single columns).

Each function takes conformed frames (``reset_index(drop=True)``) and the set of columns
already reported as missing or mistyped, which it leaves alone so one problem is not
reported twice in confusing words.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ._checks_3ph import cross_table_3ph, row_rules_3ph
from ._columns import only_strings
from ._graph import components, distinct_positions
from ._violation import Violation
from .conform import LazyLabels
from .tables import STORAGE_TYPES, TABLES

__all__ = ["components", "cross_table", "duplicate_ids", "row_rules"]


def _usable(df: pd.DataFrame, bad: set[str], *cols: str) -> bool:
    return all(c in df.columns and c not in bad for c in cols)


def _ids(labels: LazyLabels, mask: np.ndarray | pd.Series) -> tuple[str, ...]:
    m = np.asarray(mask, dtype=bool)
    return tuple(dict.fromkeys(labels[m].tolist()))


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
            name, cols[-1], _ids(labels, dup), "unique", f"duplicate {what} (each must appear once)"
        )
    ]


def _num(df: pd.DataFrame, col: str) -> np.ndarray:
    return pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)


def row_rules(name: str, df: pd.DataFrame, bad: set[str]) -> list[Violation]:
    """Rules between columns of one row (``v_min < v_max``, ``p_min <= p_max``, ...)."""
    if len(df) == 0:
        return []
    labels = LazyLabels(name, df)
    out: list[Violation] = []

    def add(mask: np.ndarray, column: str, check: str, message: str) -> None:
        if mask.any():
            out.append(Violation(name, column, _ids(labels, mask), check, message))

    if name == "dist_nodes" and _usable(df, bad, "v_min", "v_max"):
        vmin, vmax = _num(df, "v_min"), _num(df, "v_max")
        slack = (
            (df["type"] == "slack").to_numpy()
            if _usable(df, bad, "type")
            else np.zeros(len(df), bool)
        )
        add(~slack & (vmin >= vmax), "v_min", "v_min<v_max", "v_min must be below v_max")
        add(
            slack & (vmin > vmax), "v_min", "v_min<=v_max", "v_min must not exceed v_max at a slack"
        )
    if name == "dist_branches":
        if _usable(df, bad, "r", "x"):
            zero = (_num(df, "r") == 0) & (_num(df, "x") == 0)
            if _usable(df, bad, "branch_type"):
                zero &= (df["branch_type"] != "switch").to_numpy()
            add(zero, "x", "impedance", "r = x = 0 is only allowed on a branch_type 'switch'")
        if _usable(df, bad, "from_node", "to_node"):
            loop = (df["from_node"] == df["to_node"]).to_numpy() & df[
                "from_node"
            ].notna().to_numpy()
            add(loop, "to_node", "self_loop", "branch connects a node to itself")
    if name == "der_assets":
        for lo, hi in (("p_min", "p_max"), ("q_min", "q_max"), ("soc_min", "soc_max")):
            if _usable(df, bad, lo, hi):
                add(_num(df, lo) > _num(df, hi), lo, f"{lo}<={hi}", f"{lo} must not exceed {hi}")
        if _usable(df, bad, "asset_type", "energy_cap"):
            storage = df["asset_type"].isin(STORAGE_TYPES).to_numpy()
            cap = _num(df, "energy_cap")
            add(
                storage & ~(cap > 0),
                "energy_cap",
                "storage_energy",
                "storage asset needs energy_cap > 0",
            )
        out.extend(_s_max_covers(df, bad, labels))
    if name == "reliability" and not bad & {"failure_rate_per_yr", "failure_rate_per_km_yr"}:
        rate = (
            _num(df, "failure_rate_per_yr")
            if _usable(df, bad, "failure_rate_per_yr")
            else np.full(len(df), np.nan)
        )
        per_km = (
            _num(df, "failure_rate_per_km_yr")
            if _usable(df, bad, "failure_rate_per_km_yr")
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
    if name == "dist_caps" and _usable(df, bad, "kind"):
        reg = (df["kind"] == "regulator").to_numpy()
        has_branch = (
            df["branch_id"].notna().to_numpy()
            if _usable(df, bad, "branch_id")
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
    if not _usable(df, bad, "s_max"):
        return []
    s_max = _num(df, "s_max")
    out: list[Violation] = []
    for lo, hi, what in (("p_min", "p_max", "active"), ("q_min", "q_max", "reactive")):
        if not _usable(df, bad, lo, hi):
            continue
        need = np.maximum(np.abs(_num(df, lo)), np.abs(_num(df, hi)))
        short = s_max < need  # NaN s_max (no circle) or NaN bounds compare False
        if short.any():
            out.append(
                Violation(
                    "der_assets",
                    "s_max",
                    _ids(labels, short),
                    f"s_max>=|{lo[0]}|",
                    f"s_max is below max(|{lo}|, |{hi}|): the inverter cannot reach its "
                    f"{what} power bounds",
                )
            )
    return out


def _positions(
    frames: dict[str, pd.DataFrame],
    cache: dict[tuple[str, ...], object],
    table: str,
    column: str,
    target: str,
    target_col: str,
) -> np.ndarray | None:
    """Row of ``target`` each ``table.column`` value names (-1: none), or ``None`` when the
    target ids are not unique. The lookups are kept in ``cache``, so the foreign-key and
    island checks share them."""
    key = (table, column, target, target_col)
    if key not in cache:
        cache[key] = distinct_positions(frames[target][target_col], frames[table][column])
    if cache[key] is None:
        ikey = (target, target_col)
        if ikey not in cache:
            cache[ikey] = pd.Index(frames[target][target_col])
        index = cache[ikey]
        assert isinstance(index, pd.Index)
        cache[key] = index.get_indexer(frames[table][column]) if index.is_unique else None
    found = cache[key]
    return found if isinstance(found, np.ndarray) else None


def _fk(
    frames: dict[str, pd.DataFrame],
    bad: dict[str, set[str]],
    table: str,
    column: str,
    target: str,
    target_col: str,
    mask: np.ndarray | None = None,
    cache: dict[tuple[str, ...], object] | None = None,
) -> Iterable[Violation]:
    df = frames.get(table)
    ref = frames.get(target)
    if df is None or ref is None or len(df) == 0:
        return []
    if not _usable(df, bad[table], column) or not _usable(ref, bad[target], target_col):
        return []
    values = df[column]
    pos = (
        _positions(frames, cache, table, column, target, target_col) if cache is not None else None
    )
    if pos is not None:
        missing = values.notna().to_numpy() & (pos < 0)
    else:
        missing = values.notna().to_numpy() & ~values.isin(ref[target_col].dropna()).to_numpy()
    if mask is not None:
        missing &= mask
    if not missing.any():
        return []
    labels = LazyLabels(table, df)
    noun = target_col.removesuffix("_id")
    out = []
    for value in dict.fromkeys(values[missing].tolist()):
        rows = missing & (values == value).to_numpy()
        out.append(
            Violation(
                table,
                column,
                _ids(labels, rows),
                "foreign_key",
                f"refers to {noun} '{value}' which is not in {target}",
            )
        )
    return out


def _slack_and_islands(
    frames: dict[str, pd.DataFrame],
    bad: dict[str, set[str]],
    cache: dict[tuple[str, ...], object] | None = None,
) -> list[Violation]:
    nodes = frames.get("dist_nodes")
    if nodes is None or not _usable(nodes, bad["dist_nodes"], "node_id", "type"):
        return []
    out: list[Violation] = []
    labels = LazyLabels("dist_nodes", nodes)
    is_slack = (nodes["type"] == "slack").to_numpy()
    if _usable(nodes, bad["dist_nodes"], "feeder_id"):
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
                        _ids(labels, (codes == k) & is_slack),
                        "one_slack",
                        f"feeder '{feeder}' has {count} slack nodes; exactly one is required",
                    )
                )
    branches = frames.get("dist_branches")
    if branches is None or not _usable(
        branches, bad["dist_branches"], "from_node", "to_node", "status"
    ):
        return out
    cache = {} if cache is None else cache
    a = _positions(frames, cache, "dist_branches", "from_node", "dist_nodes", "node_id")
    b = _positions(frames, cache, "dist_branches", "to_node", "dist_nodes", "node_id")
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
                _ids(labels, members),
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
            out.extend(_fk(frames, bad, name, info.name, target, target_col, cache=cache))
    out.extend(_der_phases(frames, bad))
    out.extend(_reliability_refs(frames, bad))
    out.extend(_device_states(frames, bad))
    out.extend(_slack_and_islands(frames, bad, cache))
    out.extend(cross_table_3ph(frames, bad))
    return out


def _der_phases(frames: dict[str, pd.DataFrame], bad: dict[str, set[str]]) -> list[Violation]:
    """A DER's phases must be a subset of its node's phases (``A`` fits ``ABC``, not ``BC``)."""
    der, nodes = frames.get("der_assets"), frames.get("dist_nodes")
    if der is None or nodes is None or len(der) == 0:
        return []
    if not _usable(der, bad["der_assets"], "bus_id", "phase"):
        return []
    if not _usable(nodes, bad["dist_nodes"], "node_id", "phase"):
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
                    _ids(labels, rows),
                    "phase_subset",
                    f"phase '{phase}' is not within the phases of its node (bus_id)",
                )
            )
    return out


_ELEMENT_TARGETS = {
    "branch": ("dist_branches", "branch_id"),
    "node": ("dist_nodes", "node_id"),
    "device": ("switching_devices", "device_id"),
}


def _reliability_refs(frames: dict[str, pd.DataFrame], bad: dict[str, set[str]]) -> list[Violation]:
    out: list[Violation] = []
    rel = frames.get("reliability")
    if rel is not None and _usable(rel, bad["reliability"], "element_id", "element_type"):
        for kind, (target, col) in _ELEMENT_TARGETS.items():
            mask = (rel["element_type"] == kind).to_numpy()
            if target in frames:
                out.extend(_fk(frames, bad, "reliability", "element_id", target, col, mask))
            elif mask.any():
                labels = LazyLabels("reliability", rel)
                out.append(
                    Violation(
                        "reliability",
                        "element_id",
                        _ids(labels, mask),
                        "foreign_key",
                        f"refers to {kind}s but the network has no {target} table",
                    )
                )
        out.extend(_per_km_needs_length(frames, bad, rel))
    scen = frames.get("outage_scenarios")
    if scen is not None and rel is not None:
        out.extend(_fk(frames, bad, "outage_scenarios", "element_id", "reliability", "element_id"))
    return out


def _per_km_needs_length(
    frames: dict[str, pd.DataFrame], bad: dict[str, set[str]], rel: pd.DataFrame
) -> list[Violation]:
    if not _usable(rel, bad["reliability"], "failure_rate_per_km_yr"):
        return []
    per_km = _num(rel, "failure_rate_per_km_yr")
    rate = (
        _num(rel, "failure_rate_per_yr")
        if _usable(rel, bad["reliability"], "failure_rate_per_yr")
        else np.full(len(rel), np.nan)
    )
    needs = ~np.isnan(per_km) & np.isnan(rate)
    if not needs.any():
        return []
    labels = LazyLabels("reliability", rel)
    branch_rows = needs & (rel["element_type"] == "branch").to_numpy()
    out = []
    if (needs & ~branch_rows).any():
        out.append(
            Violation(
                "reliability",
                "failure_rate_per_km_yr",
                _ids(labels, needs & ~branch_rows),
                "per_km",
                "a per-km failure rate applies to branches only",
            )
        )
    br = frames.get("dist_branches")
    if branch_rows.any() and br is not None and _usable(br, bad["dist_branches"], "branch_id"):
        lengths = (
            _num(br, "length_km")
            if _usable(br, bad["dist_branches"], "length_km")
            else np.full(len(br), np.nan)
        )
        known = dict(zip(br["branch_id"].tolist(), lengths.tolist(), strict=True))
        no_len = np.array(
            [
                bool(m) and (e in known and np.isnan(known[e]))
                for m, e in zip(branch_rows, rel["element_id"].tolist(), strict=True)
            ],
            dtype=bool,
        )
        if no_len.any():
            out.append(
                Violation(
                    "reliability",
                    "failure_rate_per_km_yr",
                    _ids(labels, no_len),
                    "per_km",
                    "per-km failure rate but the branch has no length_km",
                )
            )
    return out


def _device_states(frames: dict[str, pd.DataFrame], bad: dict[str, set[str]]) -> list[Violation]:
    """A device's normal state is its branch's status; a tie is normally open."""
    dev, br = frames.get("switching_devices"), frames.get("dist_branches")
    if dev is None or len(dev) == 0:
        return []
    if not _usable(dev, bad["switching_devices"], "normal_state", "device_type"):
        return []
    labels = LazyLabels("switching_devices", dev)
    state = dev["normal_state"].to_numpy()
    out: list[Violation] = []
    if (
        br is not None
        and _usable(dev, bad["switching_devices"], "branch_id")
        and _usable(br, bad["dist_branches"], "branch_id", "status")
    ):
        status = dict(zip(br["branch_id"].tolist(), br["status"].tolist(), strict=True))
        branch_status = np.array([status.get(b) for b in dev["branch_id"].tolist()], dtype=object)
        differs = np.array(
            [s is not None and s != v for s, v in zip(branch_status, state, strict=True)], bool
        )
        if differs.any():
            out.append(
                Violation(
                    "switching_devices",
                    "normal_state",
                    _ids(labels, differs),
                    "normal_state",
                    "differs from the status of its branch in dist_branches",
                )
            )
    tie_closed = (dev["device_type"] == "tie").to_numpy() & (state == "closed")
    if tie_closed.any():
        out.append(
            Violation(
                "switching_devices",
                "normal_state",
                _ids(labels, tie_closed),
                "tie_open",
                "a tie is normally open (use another device type for a closed switch)",
            )
        )
    return out
