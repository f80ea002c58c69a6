"""Rules of transformers and regulators across tables (the branch they sit on, phases)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._checks_base import row_ids, usable
from ._violation import Violation
from .conform import LazyLabels

__all__ = ["transformer_rules"]


def transformer_rules(
    frames: dict[str, pd.DataFrame],
    bad: dict[str, set[str]],
    br_phases: dict[str, str],
    br_type: dict[str, str],
    node_phase: dict[str, str],
    center: set[str],
) -> list[Violation]:
    out: list[Violation] = []
    tr = frames.get("dist_transformers")
    t_bad = bad.get("dist_transformers", set())
    tr_phases: dict[str, str] = {}
    br = frames.get("dist_branches")
    ends: dict[str, tuple[str, str]] = {}
    if br is not None and usable(
        br, bad.get("dist_branches", set()), "branch_id", "from_node", "to_node"
    ):
        ends = {
            str(b): (str(f), str(t))
            for b, f, t in zip(
                br["branch_id"].tolist(),
                br["from_node"].tolist(),
                br["to_node"].tolist(),
                strict=True,
            )
        }
    if tr is not None and len(tr) and usable(tr, t_bad, "branch_id"):
        labels = LazyLabels("dist_transformers", tr)
        ids = tr["branch_id"].astype(str).tolist()
        if br_type:
            not_tr = np.array(
                [b in br_type and br_type[b] != "transformer" for b in ids], dtype=bool
            )
            if not_tr.any():
                out.append(
                    Violation(
                        "dist_transformers",
                        "branch_id",
                        row_ids(labels, not_tr),
                        "transformer_branch",
                        "the branch's branch_type is not 'transformer'",
                    )
                )
        if usable(tr, t_bad, "phases"):
            # The from winding's letters (phases) at the from node, the to winding's
            # (phases_to, else phases) at the to node; a regulator may act on either's.
            given_to = tr["phases_to"].tolist() if "phases_to" in tr.columns else [None] * len(tr)
            to_of = {
                b: (q if isinstance(q, str) and q else p)
                for b, p, q in zip(ids, tr["phases"].tolist(), given_to, strict=True)
                if isinstance(p, str)
            }
            tr_phases = {b: p + "".join(c for c in to_of[b] if c not in p) for b, p in zip(
                ids, tr["phases"].tolist(), strict=True) if isinstance(p, str)}  # fmt: skip
            if node_phase and ends:
                outside = np.array(
                    [
                        isinstance(p, str)
                        and b in ends
                        and b not in center
                        and all(e in node_phase for e in ends[b])
                        and not (
                            set(p) <= set(node_phase[ends[b][0]])
                            and set(to_of[b]) <= set(node_phase[ends[b][1]])
                        )
                        for b, p in zip(ids, tr["phases"].tolist(), strict=True)
                    ],
                    dtype=bool,
                )
                if outside.any():
                    out.append(
                        Violation(
                            "dist_transformers",
                            "phases",
                            row_ids(labels, outside),
                            "phases_within_nodes",
                            "the from winding's phases must be present at the from node and "
                            "the to winding's (phases_to, else phases) at the to node",
                        )
                    )
    reg = frames.get("dist_regulators")
    r_bad = bad.get("dist_regulators", set())
    if reg is None or len(reg) == 0 or not usable(reg, r_bad, "branch_id"):
        return out
    labels = LazyLabels("dist_regulators", reg)
    ids = reg["branch_id"].astype(str).tolist()
    if br_type:
        not_tr = np.array([b in br_type and br_type[b] != "transformer" for b in ids], dtype=bool)
        if not_tr.any():
            out.append(
                Violation(
                    "dist_regulators",
                    "branch_id",
                    row_ids(labels, not_tr),
                    "transformer_branch",
                    "a regulator must sit on a branch_type 'transformer' branch",
                )
            )
    if usable(reg, r_bad, "phase"):
        phases = reg["phase"].tolist()
        off = np.array(
            [
                isinstance(p, str)
                and (b in tr_phases or b in br_phases)
                and not set(p) <= set(tr_phases.get(b, br_phases.get(b, "")))
                for b, p in zip(ids, phases, strict=True)
            ],
            dtype=bool,
        )
        if off.any():
            out.append(
                Violation(
                    "dist_regulators",
                    "phase",
                    row_ids(labels, off),
                    "regulator_phase",
                    "the regulated phases are not all among the transformer's phases",
                )
            )
        if "pt_phase" in reg.columns and "pt_phase" not in r_bad:
            pt = reg["pt_phase"].tolist()
            outside = np.array(
                [
                    isinstance(q, str) and isinstance(p, str) and q not in p
                    for p, q in zip(phases, pt, strict=True)
                ],
                dtype=bool,
            )
            if outside.any():
                out.append(
                    Violation(
                        "dist_regulators",
                        "pt_phase",
                        row_ids(labels, outside),
                        "pt_phase_in_phase",
                        "pt_phase must be one of the regulator's phases",
                    )
                )
        # A ganged row covers each of its phases: no phase of a branch may have two regulators.
        rows = [
            (i, f"{b}.{c}")
            for i, (b, p) in enumerate(zip(ids, phases, strict=True))
            if isinstance(p, str)
            for c in p
        ]
        key = pd.Series([k for _, k in rows], dtype=object)
        twice = np.zeros(len(reg), dtype=bool)
        twice[[rows[j][0] for j in np.flatnonzero(key.duplicated(keep=False).to_numpy())]] = True
        if twice.any():
            out.append(
                Violation(
                    "dist_regulators",
                    "phase",
                    row_ids(labels, twice),
                    "one_per_phase",
                    "two regulators act on the same phase of the same branch",
                )
            )
    return out
