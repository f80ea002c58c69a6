"""Rules of the reliability tables: element references, per-km rates, device states."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._checks_base import numeric, row_ids, usable
from ._checks_refs import foreign_key_violations
from ._violation import Violation
from .conform import LazyLabels

__all__ = ["device_state_rules", "reliability_rules"]

_ELEMENT_TARGETS = {
    "branch": ("dist_branches", "branch_id"),
    "node": ("dist_nodes", "node_id"),
    "device": ("switching_devices", "device_id"),
}


def reliability_rules(frames: dict[str, pd.DataFrame], bad: dict[str, set[str]]) -> list[Violation]:
    """Reliability rows name existing elements of their type; scripted outages name rows of
    ``reliability``; a per-km failure rate needs a branch with a length."""
    out: list[Violation] = []
    rel = frames.get("reliability")
    if rel is not None and usable(rel, bad["reliability"], "element_id", "element_type"):
        for kind, (target, col) in _ELEMENT_TARGETS.items():
            mask = (rel["element_type"] == kind).to_numpy()
            if target in frames:
                out.extend(
                    foreign_key_violations(
                        frames, bad, "reliability", "element_id", target, col, mask
                    )
                )
            elif mask.any():
                labels = LazyLabels("reliability", rel)
                out.append(
                    Violation(
                        "reliability",
                        "element_id",
                        row_ids(labels, mask),
                        "foreign_key",
                        f"refers to {kind}s but the network has no {target} table",
                    )
                )
        out.extend(_per_km_needs_length(frames, bad, rel))
    scen = frames.get("outage_scenarios")
    if scen is not None and rel is not None:
        out.extend(
            foreign_key_violations(
                frames, bad, "outage_scenarios", "element_id", "reliability", "element_id"
            )
        )
    return out


def _per_km_needs_length(
    frames: dict[str, pd.DataFrame], bad: dict[str, set[str]], rel: pd.DataFrame
) -> list[Violation]:
    if not usable(rel, bad["reliability"], "failure_rate_per_km_yr"):
        return []
    per_km = numeric(rel, "failure_rate_per_km_yr")
    rate = (
        numeric(rel, "failure_rate_per_yr")
        if usable(rel, bad["reliability"], "failure_rate_per_yr")
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
                row_ids(labels, needs & ~branch_rows),
                "per_km",
                "a per-km failure rate applies to branches only",
            )
        )
    br = frames.get("dist_branches")
    if branch_rows.any() and br is not None and usable(br, bad["dist_branches"], "branch_id"):
        lengths = (
            numeric(br, "length_km")
            if usable(br, bad["dist_branches"], "length_km")
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
                    row_ids(labels, no_len),
                    "per_km",
                    "per-km failure rate but the branch has no length_km",
                )
            )
    return out


def device_state_rules(
    frames: dict[str, pd.DataFrame], bad: dict[str, set[str]]
) -> list[Violation]:
    """A device's normal state is its branch's status; a tie is normally open."""
    dev, br = frames.get("switching_devices"), frames.get("dist_branches")
    if dev is None or len(dev) == 0:
        return []
    if not usable(dev, bad["switching_devices"], "normal_state", "device_type"):
        return []
    labels = LazyLabels("switching_devices", dev)
    state = dev["normal_state"].to_numpy()
    out: list[Violation] = []
    if (
        br is not None
        and usable(dev, bad["switching_devices"], "branch_id")
        and usable(br, bad["dist_branches"], "branch_id", "status")
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
                    row_ids(labels, differs),
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
                row_ids(labels, tie_closed),
                "tie_open",
                "a tie is normally open (use another device type for a closed switch)",
            )
        )
    return out
