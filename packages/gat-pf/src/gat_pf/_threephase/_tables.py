"""Flows, node injections and the ``pf3_*`` result tables from solved voltages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gat_pf._limits import OVER, UNDER, loading_worst, voltage_violations

from ._branches import BlockGroup, regulated_groups
from ._grounding import judged_columns, ll_pair_labels, vll_pu
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
    model: ThreePhaseModel,
    v_pn: np.ndarray,
    taps: np.ndarray | None,
    scale: np.ndarray | None,
    *,
    element: tuple[np.ndarray, np.ndarray] | None = None,
) -> Flows:
    """Branch conductor currents and phase-node injections of S solved scenarios.

    ``taps`` (S, R) regulator positions (``None`` without regulators); ``scale`` the
    per-element load factors used in the solve (needed for the currents of ideal switches);
    ``element`` the load elements' currents and voltages at these voltages when the caller
    has them (:func:`~._loads.element_currents`), else computed when needed.
    """
    n_s, m = v_pn.shape
    parts: list[tuple[BlockGroup, np.ndarray]] = [
        (g, _group_currents(g, v_pn)) for g in model.branches.groups
    ]
    if model.regulators is not None:
        t = np.broadcast_to(taps, (n_s, len(model.regulators.ids)))
        if n_s == 1 or (t == t[0]).all():
            parts += [(g, _group_currents(g, v_pn)) for g in regulated_groups(model, t[0])]
        else:
            parts += _regulated_currents(model, v_pn, t)
    # Conductor columns: per group, conductor by conductor (every branch's first conductor,
    # then every second one, ...).
    br, cond, pf, pt, i_f, i_t = [], [], [], [], [], []
    for g, cur in parts:
        k = g.term.shape[1] // 2
        nb = len(g.branch)
        br.append(np.tile(g.branch, k))
        cond.append(np.repeat(np.arange(k), nb))
        pf.append(g.term[:, :k].T.ravel())
        pt.append(g.term[:, k:].T.ravel())
        i_f.append(cur[:, :, :k].transpose(0, 2, 1).reshape(n_s, k * nb))
        i_t.append(cur[:, :, k:].transpose(0, 2, 1).reshape(n_s, k * nb))
    i_node = _into_nodes(m, pf + pt, i_f + i_t, n_s)
    sw = _switch_currents(model, v_pn, i_node, scale, element)
    if sw is not None:
        pairs, cond_sw, i_sw = sw
        br.append(cond_sw[:, 0])
        cond.append(cond_sw[:, 1])
        pf.append(pairs[:, 0])
        pt.append(pairs[:, 1])
        i_f.append(i_sw)
        i_t.append(-i_sw)
        i_node += _into_nodes(m, [pairs[:, 0], pairs[:, 1]], [i_sw, -i_sw], n_s)
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


def _regulated_currents(
    model: ThreePhaseModel, v_pn: np.ndarray, t: np.ndarray
) -> list[tuple[BlockGroup, np.ndarray]]:
    """Terminal currents (S, B, 2k) of the regulated groups when scenarios differ in taps:
    each distinct tap vector's blocks applied to its scenarios."""
    n_s = v_pn.shape[0]
    uniq, inv = np.unique(t, axis=0, return_inverse=True)
    parts: dict[int, list[tuple[BlockGroup, np.ndarray, np.ndarray]]] = {}
    for u, row in enumerate(uniq):
        rows = np.flatnonzero(inv.ravel() == u)
        for gi, g in enumerate(regulated_groups(model, row)):
            parts.setdefault(gi, []).append((g, _group_currents(g, v_pn[rows]), rows))
    out = []
    for items in parts.values():
        g0 = items[0][0]
        cur = np.zeros((n_s, len(g0.branch), g0.term.shape[1]), complex)
        for _, c_rows, rows in items:
            cur[rows] = c_rows
        out.append((g0, cur))
    return out


def _into_nodes(m: int, at: list[np.ndarray], cur: list[np.ndarray], n_s: int) -> np.ndarray:
    """Sum of the currents ``cur`` (each (S, L)) into their phase nodes ``at`` (each (L,)),
    (S, M): one 0/1 sparse map over all columns (one entry per column, so its CSC index
    arrays are known without sorting)."""
    import scipy.sparse as sp

    idx = np.concatenate(at) if at else np.zeros(0, np.int64)
    if not len(idx):
        return np.zeros((n_s, m), complex)
    gather = sp.csc_matrix((np.ones(len(idx)), idx, np.arange(len(idx) + 1)), shape=(m, len(idx)))
    return np.ascontiguousarray((gather @ np.concatenate(cur, axis=1).T).T)


def _switch_currents(
    model: ThreePhaseModel,
    v_pn: np.ndarray,
    i_branch: np.ndarray,
    scale: np.ndarray | None,
    element: tuple[np.ndarray, np.ndarray] | None = None,
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
    cur, _ = _element(model, v_pn, scale) if element is None else element
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
    """The ``pf3_nodes``, ``pf3_branches``, ``pf3_regulators``, ``pf3_summary`` tables.

    Column operations only (no per-row Python): a table costs a few array passes whatever
    the feeder's size.
    """
    element = _element(model, v_pn, scale)
    fl = flows_3ph(model, v_pn, taps, scale, element=element)
    n_s, m = v_pn.shape
    s_phase = model.base_mva / 3.0
    vb = model.pn_vbase_kv
    letters = np.array(list(PHASE_LETTERS), dtype=object)
    sid = None if scenario_ids is None else np.asarray(list(scenario_ids), dtype=object)
    vm = np.abs(v_pn)
    # The band is judged on the line-to-line magnitude in ungrounded sections (._grounding).
    ll_cols, _ = judged_columns(model)
    vll = vll_pu(model, v_pn)
    vj = vm.copy()
    vj[:, ll_cols] = vll[:, ll_cols]
    measure = np.full(m, "ln", dtype=object)
    measure[ll_cols] = "ll"
    pn_v_min, pn_v_max = model.node_v_min[model.pn_node], model.node_v_max[model.pn_node]
    label, v_out = voltage_violations(vj, pn_v_min, pn_v_max)

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
            "vll_pu": vll.ravel(),
            "vll_phases": np.tile(ll_pair_labels(model), n_s),
            "v_judged": np.tile(measure, n_s),
        },
        m,
    )
    order = np.lexsort((fl.cond, fl.branch))
    b, c = fl.branch[order], fl.cond[order]
    pf, pt = fl.pn_from[order], fl.pn_to[order]
    i_f, i_t = fl.i_from[:, order], fl.i_to[:, order]
    s_f = v_pn[:, pf] * np.conj(i_f) * s_phase
    s_t = v_pn[:, pt] * np.conj(i_t) * s_phase
    phase_of = _phase_chars(model)[b, c]
    branch_ids = model.branch_ids[b]
    width = len(b)
    i_from_a = np.abs(i_f) * (s_phase / vb[pf]) * 1e3
    i_to_a = np.abs(i_t) * (s_phase / vb[pt]) * 1e3
    rating, amp_f, loading = _conductor_loading(model, b, vb[pf], vb[pt], i_from_a, i_to_a)
    over = np.nan_to_num(loading, nan=0.0) > 100.0
    branches = frame(
        {
            "branch_id": np.tile(branch_ids, n_s),
            "phase": np.tile(phase_of, n_s),
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
    cols = _summary(
        model, v_pn, vj, fl, s_f, s_t, converged, iterations, rounds, mismatch_pu, element
    )
    cols["method"] = np.asarray(method, dtype=object)
    cols.update(_violation_counts(label, b, branch_ids, loading, over, len(model.branch_ids)))
    summary = frame(cols, 1)
    return {
        "pf3_nodes": nodes,
        "pf3_branches": branches,
        "pf3_regulators": regulators,
        "pf3_summary": summary,
    }


def _element(
    model: ThreePhaseModel, v_pn: np.ndarray, scale: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Load elements' currents and voltages (S, E) at the phase-node voltages ``v_pn``."""
    v_bp = np.zeros((v_pn.shape[0], model.n_bp), complex)
    v_bp[:, model.pn_bus] = v_pn
    return element_currents(model.loads, v_bp, scale)


def _phase_chars(model: ThreePhaseModel) -> np.ndarray:
    """(n_branch, w) object array of every branch's phase letters, one per conductor (``""``
    past a branch's last conductor), kept on the model."""
    got = model._cache.get("pf3_phase_chars")
    if got is None:
        text = np.asarray(model.branches.phases).astype(str)
        width = max(text.dtype.itemsize // np.dtype("U1").itemsize, 1)
        chars = np.ascontiguousarray(text.astype(f"U{width}")).view("U1")
        got = chars.reshape(len(text), width).astype(object)
        model._cache["pf3_phase_chars"] = got
    return got


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


def _violation_counts(label, b, branch_ids, loading, over, n_branch) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    """Violation counts per scenario (node phases, branches with an overloaded conductor)."""
    n_s = label.shape[0]
    hit = np.zeros((n_s, n_branch), dtype=bool)
    if over.any():
        rows, cols = np.nonzero(over)
        hit[rows, b[cols]] = True
    peak, at = loading_worst(loading, branch_ids)
    return {
        "n_under_v_min": (label == UNDER).sum(axis=1).astype(np.int64),
        "n_over_v_max": (label == OVER).sum(axis=1).astype(np.int64),
        "n_overloaded": hit.sum(axis=1).astype(np.int64),
        "loading_max_pct": peak,
        "loading_max_branch": at,
    }


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


def _summary(model, v_pn, vj, fl, s_f, s_t, converged, iterations, rounds, mismatch_pu, element):  # type: ignore[no-untyped-def]
    """Summary columns; ``vj`` (S, M) the judged magnitudes (line to line in ungrounded
    sections), whose extremes are ``vm_min_pu``/``vm_max_pu``."""
    n_s = v_pn.shape[0]
    s_phase = model.base_mva / 3.0
    cur, ve = element
    s_el = ve * np.conj(cur) * s_phase  # consumed by each element
    load_mw = s_el.real[:, model.loads.scalable].sum(axis=1)
    gen_el = -s_el.real[:, ~model.loads.scalable].sum(axis=1)
    slack_pn = np.flatnonzero(np.isin(model.pn_bus, model.bp_slack))
    gen_mw = fl.s_node.real[:, slack_pn].sum(axis=1) * s_phase + gen_el
    vm = np.abs(v_pn)
    lo, hi = vj.argmin(axis=1), vj.argmax(axis=1)
    unb, unb_node = _unbalance(model, vm)
    return {
        "method": np.full(n_s, "zbus", dtype=object),
        "converged": np.asarray(converged, dtype=bool),
        "iterations": np.asarray(iterations, dtype=np.int64),
        "regulator_rounds": np.asarray(rounds, dtype=np.int64),
        "max_mismatch_mva": np.asarray(mismatch_pu, dtype=float) * s_phase,
        "total_load_mw": load_mw,
        "total_gen_mw": gen_mw,
        "p_loss_mw": (s_f.real + s_t.real).sum(axis=1),
        "q_loss_mvar": (s_f.imag + s_t.imag).sum(axis=1),
        "vm_min_pu": vj[np.arange(n_s), lo],
        "vm_min_node": _labels(model, lo),
        "vm_max_pu": vj[np.arange(n_s), hi],
        "vm_max_node": _labels(model, hi),
        "n_judged_ll": np.full(n_s, len(judged_columns(model)[0]), dtype=np.int64),
        "unbalance_max_pct": unb,
        "unbalance_node": unb_node,
    }


def _labels(model: ThreePhaseModel, at: np.ndarray) -> np.ndarray:
    """``node.phase`` labels of the phase nodes ``at`` (those of :meth:`pn_labels`, built for
    these only); ``node.AB`` (the phase pair) where the phase node is judged line to line."""
    letters = np.array(list(PHASE_LETTERS), dtype=object)
    ph = letters[model.pn_phase[at]]
    ll_cols, _ = judged_columns(model)
    if len(ll_cols):
        is_ll = np.isin(at, ll_cols)
        ph = np.where(is_ll, ll_pair_labels(model)[at], ph)
    return model.node_ids[model.pn_node[at]].astype(str) + "." + ph


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
