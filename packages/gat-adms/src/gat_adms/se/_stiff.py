"""Near-zero-impedance branches as zero-impedance connections (the estimator's terminals).

A branch whose series admittance is many orders above the rest of the network (a stiff
source's Thevenin impedance, 1-milliohm switches and jumpers) makes the gain matrix
``H^T W H`` unusable: its entries scale with ``|y|^2``, so a ratio R to the network's
typical branch costs ``2 log10 R`` of the 16 digits, and a flow sensor on it pins the
voltage difference across it to a precision no factorisation resolves (split-phase test
feeder: the source branch at 2e7 times the median admittance gave a gain "numerically
singular"; with the source's short-circuit power varied, 4 Gauss-Newton iterations up to
R = 2e4, 32 at 2e5, no estimate at 2e6).

The textbook remedy, done here on the :class:`gat_pf.admittance.NetworkAdmittance` before
the estimator sees it: such a branch's two ends become one electrical terminal per
conductor (its voltage drop, at most ``|z| |I|``, is neglected), ``Y' = P^T Y P`` with
``P`` (E, E') the 0/1 map of terminals to merged ones (the branch's series part cancels;
its shunts stay), loads and fixed-injection flags summed per merged terminal.

The rule (:data:`STIFF_RATIO`), relative to the branches around it: unit-ratio branches
(per conductor, the from and to ends' current maps cancel once its ends are joined, up to
``IDENTITY_TOL``: lines, switches, jumpers, a source's impedance; not a transformer with a
tap or a phase shift, whose ends do not share a voltage) are joined in decreasing order of
series admittance (``|Y_f[c, t]|`` pu, a branch's smallest over its conductors); a group so
joined is stiff when its weakest branch exceeds ``STIFF_RATIO`` times every branch that
touches it and is not in it. So the neglected drop is 1e4 times below the drop over every
neighbouring branch at the same current, and the current error it causes in a neighbour
(its admittance times the drop) 1e4 times below that neighbour's current; and 8 of the
gain's 16 digits survive, which the 1e-8 tolerance needs. A chain of comparable jumpers is
stiff together. Not the network's median: IEEE 8500's branches are mostly secondaries, and
switches 1e4 above that median but next to even stiffer primary segments were joined,
which broke the zero injections at the true state by up to 6 pu (a comparison with a stiff
neighbour is what matters). Per unit bases do not matter (ratios of admittances between
neighbours). Networks without such branches are untouched (the same object back).

A flow or current measured on a merged conductor is still a function of the merged state
when the terminals on one side of it within its merged group have no own injection
(zero-injection terminals): by Kirchhoff's current law over that side, the conductor's
series current is what the side's other branches and shunts draw. Its rows in ``cond_from``
/ ``cond_to`` are then those maps (so every measurement function keeps the form
``v conj(y V)``); otherwise (loads on both sides, or a loop of merged branches) the
conductor is marked ideal, like a closed ideal switch, and its branch is listed as
``undetermined``: :func:`gat_adms.se.estimate_state` then keeps a branch whose flow is
measured unjoined (``keep``), and a grid prepared with it joined refuses that flow.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = ["IDENTITY_TOL", "STIFF_RATIO", "StiffMerge", "merge_stiff"]

#: A joined group is stiff when its weakest branch's series admittance exceeds this times
#: that of every branch touching it.
STIFF_RATIO = 1e4
#: Unit-ratio test: with the branch's ends joined, its end-current maps must cancel to this
#: share of the series admittance (shunts and tap offsets above it keep the branch).
IDENTITY_TOL = 1e-6


@dataclass(frozen=True, eq=False)
class StiffMerge:
    """What :func:`merge_stiff` did.

    ``adm`` the merged admittance (the input itself when nothing is merged); ``fixed`` (E',)
    terminals with own injections; ``branches`` the merged branch ids; ``undetermined`` the
    merged branch ids whose flows cannot be estimated (no zero-injection side).
    """

    adm: Any
    fixed: np.ndarray
    branches: tuple[str, ...]
    undetermined: tuple[str, ...]


def merge_stiff(
    adm: Any, cond_branch: np.ndarray, fixed: np.ndarray, keep: tuple[str, ...] = ()
) -> StiffMerge:
    """Join the ends of stiff unit-ratio branches (module doc); ``keep``: branch ids never
    joined (a flow is measured on them that a joined branch could not give).

    Parameters
    ----------
    adm
        The network's :class:`gat_pf.admittance.NetworkAdmittance`.
    cond_branch
        (C,) branch id of every conductor (the physics model's ``cond_branch``).
    fixed
        (E,) bool, terminals with own injections (loads, generation, slack, DER).
    """
    fixed = np.asarray(fixed, dtype=bool)
    cond_branch = np.asarray(cond_branch).astype(str)
    pairs, merged_c = _stiff_pairs(adm, cond_branch, frozenset(keep))
    if not len(merged_c):
        return StiffMerge(adm, fixed, (), ())
    n_e = adm.n_elec
    root = _union(n_e, pairs, adm.elec_slack)
    keep_c = merged_c[root[pairs[:, 0]] == root[pairs[:, 1]]]
    if not len(keep_c):
        return StiffMerge(adm, fixed, (), ())
    # New terminal numbers in the order of each group's first terminal (identity elsewhere).
    first_of = np.full(n_e, n_e, dtype=np.int64)
    np.minimum.at(first_of, root, np.arange(n_e))
    reps = np.unique(first_of[root])
    new_of_rep = np.full(n_e, -1, dtype=np.int64)
    new_of_rep[reps] = np.arange(len(reps))
    new = new_of_rep[first_of[root]]
    n_new = len(reps)
    p = sp.csr_matrix((np.ones(n_e), (np.arange(n_e), new)), (n_e, n_new))
    yf = sp.csr_matrix(adm.cond_from)
    yt = sp.csr_matrix(adm.cond_to)
    stiff = np.zeros(len(cond_branch), dtype=bool)
    stiff[keep_c] = True
    rows_f, rows_t, ideal = _stiff_rows(adm, yf, yt, p, new, stiff, fixed)
    sc = np.flatnonzero(stiff)
    rest = sp.diags((~stiff).astype(float))
    put = sp.csr_matrix((np.ones(len(sc)), (sc, np.arange(len(sc)))), (len(stiff), len(sc)))
    yf_new = rest @ (yf @ p) + put @ sp.vstack(rows_f)
    yt_new = rest @ (yt @ p) + put @ sp.vstack(rows_t)
    slack = np.zeros(n_new, dtype=bool)
    np.logical_or.at(slack, new, adm.elec_slack)
    # A group's representative: its slack terminal if any, else its first terminal.
    pick = np.full(n_new, -1, dtype=np.int64)
    order = np.lexsort((np.arange(n_e), ~np.asarray(adm.elec_slack, dtype=bool)))
    pick[new[order[::-1]]] = order[::-1]
    fixed_new = np.zeros(n_new, dtype=bool)
    np.logical_or.at(fixed_new, new, fixed)
    elec_fixed = np.zeros(n_new, dtype=bool)
    np.logical_or.at(elec_fixed, new, adm.elec_fixed)
    load = np.zeros(n_new, dtype=complex)
    np.add.at(load, new, adm.elec_load)
    out = dataclasses.replace(
        adm,
        y=sp.csr_matrix(p.T @ sp.csr_matrix(adm.y) @ p),
        term_elec=new[adm.term_elec],
        elec_slack=slack,
        elec_v_slack=np.asarray(adm.elec_v_slack)[pick],
        elec_node=np.asarray(adm.elec_node)[pick],
        elec_phase=np.asarray(adm.elec_phase)[pick],
        elec_i_base_a=np.asarray(adm.elec_i_base_a)[pick],
        elec_load=load,
        elec_fixed=elec_fixed,
        cond_from=sp.csr_matrix(yf_new),
        cond_to=sp.csr_matrix(yt_new),
        cond_f_elec=new[adm.cond_f_elec],
        cond_t_elec=new[adm.cond_t_elec],
        cond_ideal=np.asarray(adm.cond_ideal, dtype=bool) | ideal,
    )
    branches = tuple(sorted(set(cond_branch[stiff].tolist())))
    undetermined = tuple(sorted(set(cond_branch[ideal].tolist())))
    return StiffMerge(out, fixed_new, branches, undetermined)


def _stiff_pairs(
    adm: Any, cond_branch: np.ndarray, keep: frozenset[str]
) -> tuple[np.ndarray, np.ndarray]:
    """(K, 2) terminal pairs and (K,) conductors of the stiff unit-ratio branches.

    Branches are joined in decreasing order of series admittance (a branch's: its
    conductors' smallest), as in Kruskal's algorithm; when a branch of admittance ``y``
    touches a group joined so far whose weakest branch exceeds ``STIFF_RATIO * y``, that
    group's branches are stiff: everything it connects to is at least ``STIFF_RATIO`` times
    weaker. A chain of comparable jumpers is stiff together; a short primary segment next
    to other short segments is not (IEEE 8500: a rule against the network's median, whose
    branches are mostly secondaries, joined switches whose drop was comparable to their
    neighbours' and broke the zero injections by up to 6 pu).
    """
    yf = sp.csr_matrix(adm.cond_from)
    yt = sp.csr_matrix(adm.cond_to)
    f = np.asarray(adm.cond_f_elec, dtype=np.int64)
    t = np.asarray(adm.cond_t_elec, dtype=np.int64)
    n_c = len(f)
    none = (np.zeros((0, 2), np.int64), np.zeros(0, np.int64))
    if not n_c:
        return none
    y_ser = np.abs(np.asarray(yf[np.arange(n_c), t]).ravel())
    live = ~np.asarray(adm.cond_ideal, dtype=bool) & (f != t) & (y_ser > 0)
    if not live.any():
        return none
    floor = STIFF_RATIO * float(y_ser[live].min())
    if not (y_ser[live] > floor).any():
        return none
    lc = np.flatnonzero(live)
    names, inv = np.unique(cond_branch[lc], return_inverse=True)
    y_b = np.full(len(names), np.inf)
    np.minimum.at(y_b, inv, y_ser[lc])
    conds = np.split(lc[np.argsort(inv, kind="stable")], np.cumsum(np.bincount(inv))[:-1])
    parent = np.arange(adm.n_elec)
    weakest = np.full(adm.n_elec, np.inf)
    strongest = np.zeros(adm.n_elec)
    members: dict[int, list[int]] = {}
    has_slack = np.asarray(adm.elec_slack, dtype=bool).copy()
    stiff = np.zeros(len(names), dtype=bool)

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = int(parent[a])
        return a

    for b in np.argsort(-y_b, kind="stable"):
        k = conds[b]
        touched = {find(int(e)) for e in np.concatenate([f[k], t[k]])}
        for r in touched:
            if r in members and weakest[r] > STIFF_RATIO * max(y_b[b], strongest[r]):
                stiff[members[r]] = True
        joined = y_b[b] > floor and names[b] not in keep and _joinable(yf, yt, k, f[k], t[k])
        roots = [(find(int(a)), find(int(c))) for a, c in zip(f[k], t[k], strict=True)]
        # Two set points cannot share one voltage.
        joined = joined and not any(
            ra != rc and has_slack[ra] and has_slack[rc] for ra, rc in roots
        )
        if not joined:
            # A stronger branch a group touches bounds it for good: joining the group's
            # ends moves this branch's end voltages by the neglected drop, times its y.
            for r in touched:
                strongest[r] = max(strongest[r], y_b[b])
            continue
        for a, c in zip(f[k], t[k], strict=True):
            ra, rc = find(int(a)), find(int(c))
            if ra != rc:
                if len(members.get(ra, ())) > len(members.get(rc, ())):
                    ra, rc = rc, ra
                parent[ra] = rc
                has_slack[rc] |= has_slack[ra]
                weakest[rc] = min(weakest[rc], weakest[ra])
                strongest[rc] = max(strongest[rc], strongest[ra])
                members.setdefault(rc, []).extend(members.pop(ra, []))
            weakest[rc] = min(weakest[rc], y_b[b])
            members.setdefault(rc, []).append(int(b))
    picked = [conds[b] for b in np.flatnonzero(stiff)]
    if not picked:
        return none
    sel = np.concatenate(picked)
    return np.stack([f[sel], t[sel]], axis=1), sel


def _joinable(
    yf: sp.csr_matrix, yt: sp.csr_matrix, k: np.ndarray, f: np.ndarray, t: np.ndarray
) -> bool:
    """Conductors ``k`` (ends ``f``, ``t``) form a unit-ratio connection: distinct ends and
    end-current maps that cancel once each conductor's ends are joined."""
    if len(set(f.tolist())) != len(f) or set(f.tolist()) & set(t.tolist()):
        return False
    return _unit_ratio(yf[k], f, t) and _unit_ratio(yt[k], f, t)


def _unit_ratio(rows: sp.csr_matrix, f: np.ndarray, t: np.ndarray) -> bool:
    """Whether the end-current maps ``rows`` (k, E) touch only the branch's terminals and
    cancel (to ``IDENTITY_TOL`` of their size) once each conductor's ends are joined."""
    if not set(rows.indices.tolist()) <= set(f.tolist()) | set(t.tolist()):
        return False
    dense_f = rows[:, f].toarray()
    dense_t = rows[:, t].toarray()
    size = max(float(np.abs(dense_f).max()), float(np.abs(dense_t).max()))
    return size > 0 and float(np.abs(dense_f + dense_t).max()) <= IDENTITY_TOL * size


def _union(n: int, pairs: np.ndarray, slack: np.ndarray) -> np.ndarray:
    """Root of every terminal after joining ``pairs`` (a pair that would join two
    slack terminals' groups is skipped: two set points cannot share one voltage)."""
    parent = np.arange(n)
    has_slack = np.asarray(slack, dtype=bool).copy()

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = int(parent[a])
        return a

    for a, b in pairs:
        ra, rb = find(int(a)), find(int(b))
        if ra == rb or (has_slack[ra] and has_slack[rb]):
            continue
        parent[ra] = rb
        has_slack[rb] |= has_slack[ra]
    return np.array([find(i) for i in range(n)], dtype=np.int64)


def _stiff_rows(
    adm: Any,
    yf: sp.csr_matrix,
    yt: sp.csr_matrix,
    p: sp.csr_matrix,
    new: np.ndarray,
    stiff: np.ndarray,
    fixed: np.ndarray,
) -> tuple[list[sp.csr_matrix], list[sp.csr_matrix], np.ndarray]:
    """Merged-coordinate end-current rows of the stiff conductors (module doc) and which
    of them are undetermined (zero rows, marked ideal)."""
    f = np.asarray(adm.cond_f_elec, dtype=np.int64)
    t = np.asarray(adm.cond_t_elec, dtype=np.int64)
    sc = np.flatnonzero(stiff)
    n_e, n_new = p.shape
    # Y without the stiff conductors (their series parts and shunts), original terminals.
    af = sp.csr_matrix((np.ones(len(sc)), (np.arange(len(sc)), f[sc])), (len(sc), n_e))
    at = sp.csr_matrix((np.ones(len(sc)), (np.arange(len(sc)), t[sc])), (len(sc), n_e))
    y_rest = sp.csr_matrix(adm.y) - af.T @ yf[sc] - at.T @ yt[sc]
    # Each stiff conductor's total shunt current map (its ends' currents summed), merged.
    shunt = (yf[sc] + yt[sc]) @ p
    ideal = np.zeros(len(f), dtype=bool)
    rows_f: list[sp.csr_matrix] = []
    rows_t: list[sp.csr_matrix] = []
    zero_row = sp.csr_matrix((1, n_new), dtype=complex)
    adj: dict[int, list[tuple[int, int]]] = {}
    for j, c in enumerate(sc):
        adj.setdefault(int(f[c]), []).append((int(t[c]), j))
        adj.setdefault(int(t[c]), []).append((int(f[c]), j))
    group_edges = np.bincount(new[f[sc]], minlength=n_new)
    group_size = np.bincount(new, minlength=n_new)
    for j, c in enumerate(sc):
        g = new[f[c]]
        side = None
        if group_edges[g] == group_size[g] - 1:  # a tree: each edge splits the group in two
            for start, sign in ((int(t[c]), 1.0), (int(f[c]), -1.0)):
                members = _side(adj, start, j)
                if not fixed[members].any():
                    side = (members, sign)
                    break
        if side is None:
            ideal[c] = True
            rows_f.append(zero_row)
            rows_t.append(zero_row)
            continue
        members, sign = side
        inside = [
            jj for jj, cc in enumerate(sc) if jj != j and f[cc] in members and t[cc] in members
        ]
        ind = sp.csr_matrix(
            (np.ones(len(members)), (np.zeros(len(members), np.int64), members)), (1, n_e)
        )
        r = ind @ y_rest @ p
        for jj in inside:
            r = r + shunt[jj]
        # Zero injection over the side: the series current leaving it through c is r V.
        # sign +1: side = t side, I_t = -r V, I_f = shunt V + r V; -1: the mirror.
        near, far = -r, shunt[j] + r
        rows_t.append(sp.csr_matrix(near if sign > 0 else far))
        rows_f.append(sp.csr_matrix(far if sign > 0 else near))
    return rows_f, rows_t, ideal


def _side(adj: dict[int, list[tuple[int, int]]], start: int, cut: int) -> np.ndarray:
    """Terminals reachable from ``start`` over the stiff conductors except edge ``cut``."""
    seen = {start}
    stack = [start]
    while stack:
        a = stack.pop()
        for b, j in adj.get(a, ()):
            if j != cut and b not in seen:
                seen.add(b)
                stack.append(b)
    return np.array(sorted(seen), dtype=np.int64)
