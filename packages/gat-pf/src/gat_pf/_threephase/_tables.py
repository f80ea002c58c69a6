"""Flows, node injections and the ``pf3_*`` result tables from solved voltages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gat_pf._limits import OVER, UNDER, loading_worst, voltage_violations

from ._branches import BlockGroup, regulated_groups
from ._loads import element_currents
from ._model import PHASE_LETTERS, ThreePhaseModel
from ._ratings import branch_normamps

__all__ = ["Flows", "flows_3ph", "tables_3ph"]


@dataclass(frozen=True, eq=False)
class Flows:
    """Per-conductor branch quantities (S, C) and per-phase-node injections (S, M), pu.

    ``branch``/``cond`` name the conductor of every column; ``pn_from``/``pn_to`` its phase
    nodes; ``i_from``/``i_to`` currents entering the branch; ``s_node`` net injection of every
    phase node into the branches (generation - load - shunt consumption).
    """

    branch: np.ndarray
    cond: np.ndarray
    pn_from: np.ndarray
    pn_to: np.ndarray
    i_from: np.ndarray
    i_to: np.ndarray
    s_node: np.ndarray


def _group_currents(g: BlockGroup, v_pn: np.ndarray) -> np.ndarray:
    """Terminal currents (S, B, 2k) of one block group."""
    return np.einsum("bij,sbj->sbi", g.y, v_pn[:, g.term], optimize=True)


def flows_3ph(
    model: ThreePhaseModel, v_pn: np.ndarray, taps: np.ndarray | None, scale: np.ndarray | None
) -> Flows:
    """Branch conductor currents and phase-node injections of S solved scenarios.

    ``taps`` (S, R) regulator positions (``None`` without regulators); ``scale`` the
    per-element load factors used in the solve (needed for the currents of ideal switches).
    """
    import scipy.sparse as sp

    n_s, m = v_pn.shape
    br, cond, pf, pt, i_f, i_t = [], [], [], [], [], []
    i_node = np.zeros((n_s, m), dtype=complex)

    def take(g: BlockGroup, cur: np.ndarray, rows: np.ndarray) -> None:
        k = g.term.shape[1] // 2
        for c in range(k):
            br.append(g.branch)
            cond.append(np.full(len(g.branch), c))
            pf.append(g.term[:, c])
            pt.append(g.term[:, k + c])
            full_f = np.zeros((n_s, len(g.branch)), complex)
            full_t = np.zeros((n_s, len(g.branch)), complex)
            full_f[rows] = cur[:, :, c]
            full_t[rows] = cur[:, :, k + c]
            i_f.append(full_f)
            i_t.append(full_t)
        # Sum every terminal current into its phase node (a 0/1 sparse map, not np.add.at).
        cols = g.term.ravel()
        gather = sp.csr_matrix(
            (np.ones(len(cols)), (cols, np.arange(len(cols)))), shape=(m, len(cols))
        )
        i_node[rows] += (gather @ cur.reshape(len(rows), -1).T).T

    every = np.arange(n_s)
    for g in model.branches.groups:
        take(g, _group_currents(g, v_pn), every)
    if model.regulators is not None:
        t = np.broadcast_to(taps, (n_s, len(model.regulators.ids)))
        uniq, inv = np.unique(t, axis=0, return_inverse=True)
        parts: dict[int, list[tuple[BlockGroup, np.ndarray, np.ndarray]]] = {}
        for u, row in enumerate(uniq):
            rows = np.flatnonzero(inv.ravel() == u)
            for gi, g in enumerate(regulated_groups(model, row)):
                parts.setdefault(gi, []).append((g, _group_currents(g, v_pn[rows]), rows))
        for items in parts.values():
            g0 = items[0][0]
            cur = np.zeros((n_s, len(g0.branch), g0.term.shape[1]), complex)
            for _, c_rows, rows in items:
                cur[rows] = c_rows
            take(g0, cur, every)
    sw = _switch_currents(model, v_pn, i_node, scale)
    if sw is not None:
        pairs, cond_sw, i_sw = sw
        br.append(cond_sw[:, 0])
        cond.append(cond_sw[:, 1])
        pf.append(pairs[:, 0])
        pt.append(pairs[:, 1])
        i_f.append(i_sw)
        i_t.append(-i_sw)
        np.add.at(i_node, (every[:, None], pairs[None, :, 0]), i_sw)
        np.add.at(i_node, (every[:, None], pairs[None, :, 1]), -i_sw)
    s_node = v_pn * np.conj(i_node)
    if not br:
        empty = np.zeros(0, np.int64)
        none = np.zeros((n_s, 0), complex)
        return Flows(empty, empty, empty, empty, none, none, s_node)
    return Flows(
        branch=np.concatenate(br),
        cond=np.concatenate(cond),
        pn_from=np.concatenate(pf),
        pn_to=np.concatenate(pt),
        i_from=np.concatenate(i_f, axis=-1),
        i_to=np.concatenate(i_t, axis=-1),
        s_node=s_node,
    )


def _switch_currents(
    model: ThreePhaseModel, v_pn: np.ndarray, i_branch: np.ndarray, scale: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Currents through ideal switches from the phase nodes' balance (S, K), or ``None``.

    Inside a group of phase nodes merged by switches, the current a switch carries from its
    first to its second phase node is the outflow of everything on the second side: the
    currents into other branches, load elements and shunts there. Switches closing a loop
    inside a group carry no current (the split is undetermined).
    """
    pairs = model.branches.merged_pairs
    if len(pairs) == 0:
        return None
    import scipy.sparse as sp
    from scipy.sparse.csgraph import breadth_first_order, minimum_spanning_tree

    n_s, m = v_pn.shape
    out = i_branch.copy()
    # Element currents leaving each phase node (a terminal: +I, b terminal: -I).
    v_bp = np.zeros((n_s, model.n_bp), complex)
    v_bp[:, model.pn_bus] = v_pn
    cur, _ = element_currents(model.loads, v_bp, scale)
    ld = model.loads
    np.add.at(out, (slice(None), ld.pn_a), cur)
    grounded = ld.pn_b >= 0
    np.add.at(out, (slice(None), ld.pn_b[grounded]), -cur[:, grounded])
    sr, sc, sv = model.shunt_pn
    np.add.at(out, (slice(None), sr), sv * v_pn[:, sc])
    # Tree of the switch graph (edge weight = 1 + index keeps the choice deterministic).
    w = np.arange(1, len(pairs) + 1, dtype=float)
    g = sp.coo_matrix((w, (pairs[:, 0], pairs[:, 1])), shape=(m, m)).tocsr()
    tree = minimum_spanning_tree(g + g.T).tocoo()
    in_tree = set(zip(tree.row.tolist(), tree.col.tolist(), strict=True))
    sym = ((tree + tree.T) != 0).astype(np.int8).tocsr()
    roots = np.unique(pairs[:, 0])
    parent = np.full(m, -1, dtype=np.int64)
    order_all: list[np.ndarray] = []
    seen = np.zeros(m, dtype=bool)
    for r in roots:
        if seen[r]:
            continue
        order, pred = breadth_first_order(sym, r, directed=False, return_predecessors=True)
        seen[order] = True
        parent[order[1:]] = pred[order[1:]]
        order_all.append(order)
    sub = out.copy()
    for order in order_all:
        for node in order[::-1][:-1]:
            sub[:, parent[node]] += sub[:, node]
    i_sw = np.zeros((n_s, len(pairs)), complex)
    for e, (a, b) in enumerate(pairs.tolist()):
        if (a, b) not in in_tree and (b, a) not in in_tree:
            continue
        if parent[b] == a:
            i_sw[:, e] = sub[:, b]
        elif parent[a] == b:
            i_sw[:, e] = -sub[:, a]
    return pairs, model.branches.merged_cond, i_sw


def tables_3ph(
    model: ThreePhaseModel,
    v_pn: np.ndarray,
    taps: np.ndarray | None,
    converged: np.ndarray,
    iterations: np.ndarray,
    rounds: np.ndarray,
    mismatch_pu: np.ndarray,
    v_control: np.ndarray | None,
    scale: np.ndarray | None,
    method: np.ndarray,
    *,
    scenario_ids: Sequence[object] | None,
) -> dict[str, pd.DataFrame]:
    """The ``pf3_nodes``, ``pf3_branches``, ``pf3_regulators``, ``pf3_summary`` tables."""
    fl = flows_3ph(model, v_pn, taps, scale)
    n_s, m = v_pn.shape
    s_phase = model.base_mva / 3.0
    vb = model.pn_vbase_kv
    letters = np.array(list(PHASE_LETTERS), dtype=object)
    sid = None if scenario_ids is None else np.asarray(list(scenario_ids), dtype=object)
    vm = np.abs(v_pn)
    pn_v_min, pn_v_max = model.node_v_min[model.pn_node], model.node_v_max[model.pn_node]
    label, v_out = voltage_violations(vm, pn_v_min, pn_v_max)

    def frame(cols: dict[str, np.ndarray], width: int) -> pd.DataFrame:
        out = {} if sid is None else {"scenario_id": np.repeat(sid, width)}
        out.update(cols)
        return pd.DataFrame(out)

    nodes = frame(
        {
            "node_id": np.tile(model.node_ids[model.pn_node], n_s),
            "phase": np.tile(letters[model.pn_phase], n_s),
            "vm_pu": vm.ravel(),
            "va_deg": np.angle(v_pn, deg=True).ravel(),
            "v_kv": (vm * vb).ravel(),
            "p_mw": (fl.s_node.real * s_phase).ravel(),
            "q_mvar": (fl.s_node.imag * s_phase).ravel(),
            "v_min": np.tile(pn_v_min, n_s),
            "v_max": np.tile(pn_v_max, n_s),
            "violation": label.ravel(),
            "v_violation_pu": v_out.ravel(),
        },
        m,
    )
    order = np.lexsort((fl.cond, fl.branch))
    b, c = fl.branch[order], fl.cond[order]
    pf, pt = fl.pn_from[order], fl.pn_to[order]
    i_f, i_t = fl.i_from[:, order], fl.i_to[:, order]
    s_f = v_pn[:, pf] * np.conj(i_f) * s_phase
    s_t = v_pn[:, pt] * np.conj(i_t) * s_phase
    phase_of = np.array([model.branches.phases[bi][ci] for bi, ci in zip(b, c, strict=True)])
    branch_ids = model.branch_ids[b]
    width = len(b)
    i_from_a = np.abs(i_f) * (s_phase / vb[pf]) * 1e3
    i_to_a = np.abs(i_t) * (s_phase / vb[pt]) * 1e3
    rating, amp_f, loading = _conductor_loading(model, b, vb[pf], vb[pt], i_from_a, i_to_a)
    over = np.nan_to_num(loading, nan=0.0) > 100.0
    branches = frame(
        {
            "branch_id": np.tile(branch_ids, n_s),
            "phase": np.tile(phase_of.astype(object), n_s),
            "i_from_a": i_from_a.ravel(),
            "i_to_a": i_to_a.ravel(),
            "p_from_mw": s_f.real.ravel(),
            "q_from_mvar": s_f.imag.ravel(),
            "p_to_mw": s_t.real.ravel(),
            "q_to_mvar": s_t.imag.ravel(),
            "loss_mw": (s_f.real + s_t.real).ravel(),
            "rating_mva": np.tile(rating, n_s),
            "ampacity_a": np.tile(amp_f, n_s),
            "loading_pct": loading.ravel(),
            "overloaded": over.ravel(),
        },
        width,
    )
    regulators = _regulator_table(model, taps, v_control, frame, n_s)
    summary = _summary(model, v_pn, fl, s_f, s_t, converged, iterations, rounds, mismatch_pu, scale)
    summary["method"] = np.asarray(method, dtype=object)
    _add_violation_counts(summary, label, b, branch_ids, loading, over, len(model.branch_ids))
    if sid is not None:
        summary.insert(0, "scenario_id", sid)
    return {
        "pf3_nodes": nodes,
        "pf3_branches": branches,
        "pf3_regulators": regulators,
        "pf3_summary": summary,
    }


def _conductor_loading(model, b, vb_from, vb_to, i_from_a, i_to_a):  # type: ignore[no-untyped-def]
    """Rating (MVA), from-end rated current (A) and loading (%) of every conductor column.

    A conductor's rated current is its branch's ``normamps`` (of the line, else its line code;
    :mod:`._ratings`); without one, the branch's rating is shared equally by its conductors:
    each may carry ``rating / (n_conductors * V_ln_base)`` at either end. Loading is the
    larger end's ratio.
    """
    n_cond = np.bincount(b, minlength=len(model.branch_ids))[b]
    rating = model.branch_rating_mva[b]
    own = branch_normamps(model)[b]  # normamps of the line or its code wins
    with np.errstate(invalid="ignore", divide="ignore"):
        amp_f = np.where(np.isfinite(own), own, rating * 1e3 / (n_cond * vb_from))
        amp_t = np.where(np.isfinite(own), own, rating * 1e3 / (n_cond * vb_to))
        loading = np.maximum(i_from_a / amp_f, i_to_a / amp_t) * 100.0
    return rating, amp_f, loading


def _add_violation_counts(summary, label, b, branch_ids, loading, over, n_branch) -> None:  # type: ignore[no-untyped-def]
    """Violation counts per scenario (node phases, branches with an overloaded conductor)."""
    n_s = label.shape[0]
    summary["n_under_v_min"] = (label == UNDER).sum(axis=1).astype(np.int64)
    summary["n_over_v_max"] = (label == OVER).sum(axis=1).astype(np.int64)
    hit = np.zeros((n_s, n_branch), dtype=bool)
    if over.any():
        rows, cols = np.nonzero(over)
        hit[rows, b[cols]] = True
    summary["n_overloaded"] = hit.sum(axis=1).astype(np.int64)
    peak, at = loading_worst(loading, branch_ids)
    summary["loading_max_pct"] = peak
    summary["loading_max_branch"] = at


def _regulator_table(model, taps, v_control, frame, n_s) -> pd.DataFrame:
    regs = model.regulators
    if regs is None:
        return frame(
            {
                "regulator_id": np.zeros(0, object),
                "branch_id": np.zeros(0, object),
                "phase": np.zeros(0, object),
                "tap": np.zeros(0, np.int64),
                "v_regulated_v": np.zeros(0),
            },
            0,
        )
    r = len(regs.ids)
    t = np.broadcast_to(taps, (n_s, r))
    vc = np.full((n_s, r), np.nan) if v_control is None else v_control
    letters = np.array(list(PHASE_LETTERS), dtype=object)
    return frame(
        {
            "regulator_id": np.tile(regs.ids, n_s),
            "branch_id": np.tile(model.branch_ids[regs.branch], n_s),
            "phase": np.tile(letters[regs.phase], n_s),
            "tap": t.astype(np.int64).ravel(),
            "v_regulated_v": np.asarray(vc, dtype=float).ravel(),
        },
        r,
    )


def _summary(model, v_pn, fl, s_f, s_t, converged, iterations, rounds, mismatch_pu, scale):
    n_s = v_pn.shape[0]
    s_phase = model.base_mva / 3.0
    v_bp = np.zeros((n_s, model.n_bp), complex)
    v_bp[:, model.pn_bus] = v_pn
    cur, ve = element_currents(model.loads, v_bp, scale)
    s_el = ve * np.conj(cur) * s_phase  # consumed by each element
    load_mw = s_el.real[:, model.loads.scalable].sum(axis=1)
    gen_el = -s_el.real[:, ~model.loads.scalable].sum(axis=1)
    slack_pn = np.flatnonzero(np.isin(model.pn_bus, model.bp_slack))
    gen_mw = fl.s_node.real[:, slack_pn].sum(axis=1) * s_phase + gen_el
    vm = np.abs(v_pn)
    labels = model.pn_labels()
    lo, hi = vm.argmin(axis=1), vm.argmax(axis=1)
    unb, unb_node = _unbalance(model, vm)
    return pd.DataFrame(
        {
            "method": ["zbus"] * n_s,
            "converged": np.asarray(converged, dtype=bool),
            "iterations": np.asarray(iterations, dtype=np.int64),
            "regulator_rounds": np.asarray(rounds, dtype=np.int64),
            "max_mismatch_mva": np.asarray(mismatch_pu, dtype=float) * s_phase,
            "total_load_mw": load_mw,
            "total_gen_mw": gen_mw,
            "p_loss_mw": (s_f.real + s_t.real).sum(axis=1),
            "q_loss_mvar": (s_f.imag + s_t.imag).sum(axis=1),
            "vm_min_pu": vm[np.arange(n_s), lo],
            "vm_min_node": labels[lo],
            "vm_max_pu": vm[np.arange(n_s), hi],
            "vm_max_node": labels[hi],
            "unbalance_max_pct": unb,
            "unbalance_node": unb_node,
        }
    )


def _unbalance(model: ThreePhaseModel, vm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """IEEE voltage unbalance: max over three-phase nodes of max |V - avg| / avg (%)."""
    full = np.flatnonzero((model.pn_index >= 0).all(axis=1))
    n_s = vm.shape[0]
    if not len(full):
        return np.zeros(n_s), np.full(n_s, None, dtype=object)
    mags = vm[:, model.pn_index[full]]  # (S, F, 3)
    avg = mags.mean(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        dev = np.abs(mags - avg[:, :, None]).max(axis=2) / avg * 100.0
    dev = np.nan_to_num(dev)
    at = dev.argmax(axis=1)
    return dev[np.arange(n_s), at], model.node_ids[full[at]].astype(object)
