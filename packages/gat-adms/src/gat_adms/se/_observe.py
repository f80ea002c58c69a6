"""Topological observability on the node graph (decoupled P-theta and Q-V).

Nodes are the groups of electrical terminals of one node (all phases together). For the
P-theta part a branch is *measured* when every conductor between its two nodes has an
active-power flow measurement, and a node's injection is *known* when every terminal of
the node has an active injection measurement or is a zero-injection terminal. Measured
branches join nodes into islands (their angle differences follow from the flows); then a
known injection whose node and neighbours touch at most two islands gives the one angle
difference between them, and the two merge. This repeats until nothing changes. An
island is observable when it holds an angle reference: a slack node (its angle set point)
or a PMU angle. The Q-V part is the same with reactive measurements and voltage
magnitude references (``v_mag``), since slack magnitudes are estimated too.

The rule is exact on radial feeders; on meshed networks it can call observable a network
whose redundant injections meet in a way it does not follow, which the numerical rank check
of the gain matrix (:class:`gat_adms.se._wls.Factor`) then catches.
"""

from __future__ import annotations

import numpy as np

from ._model import P_FLOW, P_INJ, Q_FLOW, Q_INJ, V_ANG, V_MAG, MeasArrays, SeModel

__all__ = ["unobservable_nodes"]


class _Islands:
    def __init__(self, n: int) -> None:
        self.parent = np.arange(n)

    def find(self, a: int) -> int:
        p = self.parent
        while p[a] != a:
            p[a] = p[p[a]]
            a = int(p[a])
        return a

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[ra] = rb
        return True


def unobservable_nodes(
    model: SeModel, meas: MeasArrays, zero: np.ndarray, elec_node: np.ndarray, n_nodes: int
) -> np.ndarray:
    """Sorted node indices (of ``n_nodes``) that the measurements do not make observable.

    ``elec_node`` (E,) node index of every electrical terminal; ``zero`` zero-injection
    terminals.
    """
    # Current magnitudes are left out: |I| fixes neither an angle nor a flow direction.
    bad = set()
    for flow, inj, refs in ((P_FLOW, P_INJ, (V_ANG,)), (Q_FLOW, Q_INJ, (V_MAG,))):
        bad |= set(_part(model, meas, zero, elec_node, n_nodes, flow, inj, refs).tolist())
    return np.array(sorted(bad), dtype=np.int64)


def _part(
    model: SeModel,
    meas: MeasArrays,
    zero: np.ndarray,
    elec_node: np.ndarray,
    n_nodes: int,
    flow: int,
    inj: int,
    refs: tuple[int, ...],
) -> np.ndarray:
    n_c = model.yf.shape[0]
    f_elec = model.af.indices if n_c else np.zeros(0, np.int64)
    t_elec = model.at.indices if n_c else np.zeros(0, np.int64)
    fn, tn = elec_node[f_elec], elec_node[t_elec]
    live = np.asarray(abs(model.yf).sum(axis=1)).ravel() > 0
    # Branch = node pair; measured when all its live conductors carry a flow measurement.
    a, b = np.minimum(fn, tn), np.maximum(fn, tn)
    link = (a != b) & live
    has_flow = np.zeros(n_c, dtype=bool)
    has_flow[meas.cond[meas.kind == flow]] = True
    pairs = {}
    for c in np.flatnonzero(link):
        key = (int(a[c]), int(b[c]))
        pairs[key] = pairs.get(key, True) and bool(has_flow[c])
    isl = _Islands(n_nodes)
    for (u, w), ok in pairs.items():
        if ok:
            isl.union(u, w)
    neigh: dict[int, set[int]] = {}
    for u, w in pairs:
        neigh.setdefault(u, set()).add(w)
        neigh.setdefault(w, set()).add(u)
    # Known injections: every terminal of the node measured or zero-injection.
    n_e = model.n_elec
    known_e = np.zeros(n_e, dtype=bool)
    known_e[meas.elec[meas.kind == inj]] = True
    known_e[zero] = True
    known_n = np.ones(n_nodes, dtype=bool)
    np.logical_and.at(known_n, elec_node, known_e)
    present = np.zeros(n_nodes, dtype=bool)
    present[elec_node] = True
    known = np.flatnonzero(known_n & present)
    changed = True
    while changed:
        changed = False
        for k in known:
            group = {isl.find(int(k))} | {isl.find(w) for w in neigh.get(int(k), ())}
            if len(group) == 2:
                u, w = group
                changed |= isl.union(u, w)
    ref = set()
    for code in refs:
        ref |= {isl.find(int(elec_node[e])) for e in meas.elec[meas.kind == code]}
    if V_ANG in refs:
        ref |= {isl.find(int(elec_node[e])) for e in np.flatnonzero(model.slack)}
    roots = np.array([isl.find(i) for i in range(n_nodes)])
    ok = np.isin(roots, np.array(sorted(ref), dtype=np.int64))
    return np.flatnonzero(present & ~ok)
