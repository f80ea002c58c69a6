"""Voltage and thermal violations of ``gat dist pf`` results: JSON records and summary lines.

Works on the written tables (``pf_*`` or ``pf3_*``): the summary's counts per scenario, and the
worst few offenders read from the node and branch rows that violate a limit.
"""

from __future__ import annotations

from typing import Any

__all__ = ["UNRATED_NOTE", "violation_records", "violation_text"]

#: Printed once (not per scenario) when no branch has a rating.
UNRATED_NOTE = "note: no branch has a thermal_limit, so branch loading was not checked"

#: Offenders listed per kind in JSON; the text shows the first ``_SHOWN``.
_LISTED = 5
_SHOWN = 3


def _node_label(row: Any) -> str:
    if _line_to_line(row):
        return f"{row.node_id}.{row.vll_phases}"
    return f"{row.node_id}.{row.phase}" if hasattr(row, "phase") else str(row.node_id)


def _line_to_line(row: Any) -> bool:
    """True for a ``pf3_nodes`` row judged on its line-to-line magnitude (ungrounded section)."""
    return getattr(row, "v_judged", "ln") == "ll"


def _judged(row: Any) -> float:
    """The magnitude a row's band was judged on (pu): ``vll_pu`` line to line, else ``vm_pu``."""
    return float(row.vll_pu) if _line_to_line(row) else float(row.vm_pu)


def violation_records(nodes: Any, branches: Any, summary: Any) -> list[dict[str, Any]]:
    """One record per summary row (scenario): counts and the worst offenders.

    Parameters
    ----------
    nodes, branches, summary
        ``pf_nodes``/``pf_branches``/``pf_summary`` (or the ``pf3_*`` tables), with a
        ``scenario_id`` column in all three or in none.

    Returns
    -------
    list of dict
        ``nodes_under_v_min``, ``nodes_over_v_max`` (nodes, or node phases in three-phase),
        ``branches_overloaded``, ``rated_branches``, ``loading_max_pct`` (% or None),
        ``loading_max_branch``, and the worst offenders, most violated first:
        ``under`` and ``over`` ([{node, vm_pu, v_min or v_max}], pu; at a node phase of an
        ungrounded section ``node`` names the phase pair, ``node.AB``, and ``vm_pu`` is the
        line-to-line magnitude the band was judged on) and ``overloaded``
        ([{branch_id, loading_pct}], %); plus ``scenario_id`` in a batch.
    """
    batch = "scenario_id" in summary.columns
    bad_nodes = nodes[nodes["violation"].isin(("under", "over"))]
    hot = branches[branches["overloaded"]]
    if "phase" in hot.columns:  # a branch's loading is that of its most loaded conductor
        hot = hot.sort_values("loading_pct", ascending=False, kind="stable")
        hot = hot.drop_duplicates([c for c in ("scenario_id", "branch_id") if c in hot.columns])
    rated = int(branches.drop_duplicates("branch_id")["rating_mva"].notna().sum())
    nodes_of = _by_scenario(bad_nodes) if batch else {None: bad_nodes}
    hot_of = _by_scenario(hot) if batch else {None: hot}
    out = []
    for rec in summary.to_dict(orient="records"):
        sid = rec.get("scenario_id")
        bn = nodes_of.get(sid, bad_nodes.iloc[:0])
        hb = hot_of.get(sid, hot.iloc[:0])
        worst: dict[str, list[dict[str, Any]]] = {}
        for kind, limit in (("under", "v_min"), ("over", "v_max")):
            rows = bn[bn["violation"] == kind].nlargest(_LISTED, "v_violation_pu", keep="first")
            worst[kind] = [
                {"node": _node_label(r), "vm_pu": _judged(r), limit: float(getattr(r, limit))}
                for r in rows.itertuples(index=False)
            ]
        top = hb.nlargest(_LISTED, "loading_pct", keep="first")
        peak = rec["loading_max_pct"]
        item: dict[str, Any] = {} if not batch else {"scenario_id": sid}
        item.update(
            {
                "nodes_under_v_min": int(rec["n_under_v_min"]),
                "nodes_over_v_max": int(rec["n_over_v_max"]),
                "branches_overloaded": int(rec["n_overloaded"]),
                "rated_branches": rated,
                "loading_max_pct": None if peak != peak else float(peak),
                "loading_max_branch": rec["loading_max_branch"],
                "under": worst["under"],
                "over": worst["over"],
                "overloaded": [
                    {"branch_id": str(r.branch_id), "loading_pct": float(r.loading_pct)}
                    for r in top.itertuples(index=False)
                ],
            }
        )
        out.append(item)
    return out


def _by_scenario(df: Any) -> dict[Any, Any]:
    """Rows of ``df`` per ``scenario_id`` (one pass, not one filter per scenario)."""
    return {sid: part for sid, part in df.groupby("scenario_id", sort=False, observed=True)}


def violation_text(rec: dict[str, Any], *, phases: bool = False) -> str:
    """The summary line of one record of :func:`violation_records`.

    For example ``violations: 21 nodes below v_min (worst 18 at 0.9131 pu, 17 at 0.9137,
    16 at 0.9148), 0 above v_max; 2 branches over their rating (worst 1 at 112.4 %)``.
    Without any rated branch the thermal part is left out (see :data:`UNRATED_NOTE`).
    """
    what = "node phases" if phases else "nodes"

    def listed(items: list[dict[str, Any]]) -> str:
        if not items:
            return ""
        shown = [f"{items[0]['node']} at {items[0]['vm_pu']:.4f} pu"]
        shown += [f"{i['node']} at {i['vm_pu']:.4f}" for i in items[1:_SHOWN]]
        return f" (worst {', '.join(shown)})"

    text = (
        f"violations: {rec['nodes_under_v_min']} {what} below v_min{listed(rec['under'])}, "
        f"{rec['nodes_over_v_max']} above v_max{listed(rec['over'])}"
    )
    if not rec["rated_branches"]:
        return text
    text += "; "
    n = rec["branches_overloaded"]
    text += f"{n} branch over its rating" if n == 1 else f"{n} branches over their rating"
    if rec["overloaded"]:
        shown = ", ".join(
            f"{o['branch_id']} at {o['loading_pct']:.1f} %" for o in rec["overloaded"][:_SHOWN]
        )
        return text + f" (worst {shown})"
    if rec["loading_max_pct"] is not None:
        return text + f" (highest {rec['loading_max_branch']} at {rec['loading_max_pct']:.1f} %)"
    return text
