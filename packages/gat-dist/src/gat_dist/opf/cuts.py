"""Outer-approximation cuts: the branch-flow cone and the thermal circles, added lazily.

The cone ``P^2 + Q^2 <= w l`` (``w = kp v`` at the parent end; ``w = 1`` for the loss
estimate of ``lindistflow``/``dc``) is the second-order cone ``||(2P, 2Q, w - l)|| <= w + l``.
Its tangent at any point ``x0`` is ``g'(x0) . x <= 0`` (the norm is positively homogeneous),
a valid cut for every point of the cone. A thermal circle ``P^2 + Q^2 <= S^2`` gets the tangent
``(P0 P + Q0 Q) / |S0| <= S`` in the direction of the violating point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo

from .options import Formulation
from .sets import OpfData

__all__ = [
    "BranchValues",
    "add_batch",
    "add_cone_cuts",
    "add_thermal_cuts",
    "branch_values",
    "cone_cut_coefficients",
    "cone_violation",
    "declare_seed_cuts",
    "set_seed_cuts",
    "thermal_excess",
]


@dataclass(frozen=True)
class BranchValues:
    """Branch quantities at an LP solution (pu): parent-end flows, ``w``, ``l``."""

    p: np.ndarray
    q: np.ndarray
    w: np.ndarray
    l: np.ndarray  # noqa: E741 -- the literature's name for the squared current


def _values(var: pyo.Var, n: int) -> np.ndarray:
    return np.fromiter((var[i].value or 0.0 for i in range(n)), dtype=float, count=n)


def branch_values(m: pyo.ConcreteModel, data: OpfData, formulation: Formulation) -> BranchValues:
    """Read the branch variables of the last solve."""
    n = data.n_branch
    p, l = _values(m.p_br, n), _values(m.l, n)  # noqa: E741
    q = np.zeros(n) if formulation is Formulation.DC else _values(m.q_br, n)
    if formulation is Formulation.SOCP:
        w = data.br_kp * _values(m.v, data.n_bus)[data.br_parent]
    else:
        w = np.ones(n)
    return BranchValues(p, q, w, l)


def cone_violation(bv: BranchValues) -> np.ndarray:
    """Relative violation ``(||(2P, 2Q, w - l)|| - (w + l)) / (w + l)`` per branch."""
    norm = np.sqrt(4 * bv.p**2 + 4 * bv.q**2 + (bv.w - bv.l) ** 2)
    return (norm - (bv.w + bv.l)) / np.maximum(bv.w + bv.l, 1e-12)


def add_cone_cuts(
    m: pyo.ConcreteModel,
    data: OpfData,
    formulation: Formulation,
    which: np.ndarray,
    bv: BranchValues,
) -> list:  # type: ignore[type-arg]
    """Add, for branches ``which``, the plane touching the cone at ``bv`` moved onto the
    cone along ``l``; return the new constraints."""
    new = []
    dc = formulation is Formulation.DC
    for e in which.tolist():
        p0, q0, w0 = float(bv.p[e]), float(bv.q[e]), float(bv.w[e])
        # Touch the cone where the point projects onto it along l (l = (P^2 + Q^2) / w):
        # a supporting plane, tighter near the solution than the gradient at the point.
        l0 = (p0 * p0 + q0 * q0) / w0 if w0 > 0 else float(bv.l[e])
        n0 = math.sqrt(4 * p0 * p0 + 4 * q0 * q0 + (w0 - l0) ** 2)
        if n0 <= 0:
            continue
        if formulation is Formulation.SOCP:
            w = float(data.br_kp[e]) * m.v[int(data.br_parent[e])]
        else:
            w = 1.0
        a = (w0 - l0) / n0
        expr = (4 * p0 / n0) * m.p_br[e] + (a - 1.0) * w - (a + 1.0) * m.l[e]
        if not dc:
            expr = expr + (4 * q0 / n0) * m.q_br[e]
        new.append(expr <= 0.0)
    return add_batch(m, "cone", new)


def add_batch(m: pyo.ConcreteModel, kind: str, exprs: list) -> list:  # type: ignore[type-arg]
    """Add ``exprs`` as one new indexed constraint ``cuts.<kind>_<n>``; return its rows.

    One component per batch: growing a single ``ConstraintList`` costs time linear in its
    size on every addition.
    """
    if not exprs:
        return []
    n = sum(1 for _ in m.cuts.component_objects(pyo.Constraint, descend_into=False))
    comp = pyo.Constraint(range(len(exprs)), rule=lambda _b, i: exprs[i])
    m.cuts.add_component(f"{kind}_{n}", comp)
    return list(comp.values())


def cone_cut_coefficients(bv: BranchValues) -> tuple[np.ndarray, ...]:
    """Coefficients ``(a_p, a_q, a_w, a_l)`` of the planes touching the cone at ``bv`` moved
    onto the cone along ``l``: ``a_p P + a_q Q + a_w w + a_l l <= 0`` (vectorised)."""
    p, q, w = bv.p, bv.q, bv.w
    l0 = np.where(w > 0, (p * p + q * q) / np.where(w > 0, w, 1.0), bv.l)
    n0 = np.sqrt(4 * p * p + 4 * q * q + (w - l0) ** 2)
    n0 = np.where(n0 > 0, n0, 1.0)
    a = (w - l0) / n0
    return 4 * p / n0, 4 * q / n0, a - 1.0, -(a + 1.0)


def declare_seed_cuts(m: pyo.ConcreteModel, data: OpfData, formulation: Formulation) -> None:
    """``cut_seed[e]``: one cone cut per branch whose coefficients are mutable parameters.

    Moving these cuts to a new operating point (a new load level, say) changes matrix
    coefficients only: the rows that bind stay the same, so the solver keeps its basis and
    re-solves in a few pivots instead of one pivot per new cut.
    """
    m.seed_ap = pyo.Param(m.E, mutable=True, initialize=0.0)
    m.seed_aq = pyo.Param(m.E, mutable=True, initialize=0.0)
    m.seed_aw = pyo.Param(m.E, mutable=True, initialize=-1.0)
    m.seed_al = pyo.Param(m.E, mutable=True, initialize=-1.0)
    dc = formulation is Formulation.DC
    socp = formulation is Formulation.SOCP
    kp, parent = data.br_kp, data.br_parent

    def rule(m: pyo.ConcreteModel, e: int):  # type: ignore[no-untyped-def]
        w = float(kp[e]) * m.v[int(parent[e])] if socp else 1.0
        expr = m.seed_ap[e] * m.p_br[e] + m.seed_aw[e] * w + m.seed_al[e] * m.l[e]
        if not dc:
            expr = expr + m.seed_aq[e] * m.q_br[e]
        return expr <= 0.0

    m.cut_seed = pyo.Constraint(m.E, rule=rule)


def set_seed_cuts(m: pyo.ConcreteModel, bv: BranchValues) -> None:
    """Move the ``cut_seed`` rows to the planes touching the cone at ``bv``."""
    ap, aq, aw, al = cone_cut_coefficients(bv)
    for e, (a, b, c, d) in enumerate(
        zip(ap.tolist(), aq.tolist(), aw.tolist(), al.tolist(), strict=True)
    ):
        m.seed_ap[e] = a
        m.seed_aq[e] = b
        m.seed_aw[e] = c
        m.seed_al[e] = d


def _ends(data: OpfData, bv: BranchValues, lossy: bool) -> tuple[np.ndarray, ...]:
    pr = bv.p - data.br_r * bv.l if lossy else bv.p
    qr = bv.q - data.br_x * bv.l if lossy else bv.q
    return bv.p, bv.q, pr, qr


def thermal_excess(data: OpfData, bv: BranchValues, formulation: Formulation) -> np.ndarray:
    """Per branch: ``max(|S_parent|, |S_child|) / thermal_limit - 1`` of the series flows
    (NaN when unrated)."""
    p, q, pr, qr = _ends(data, bv, formulation is Formulation.SOCP)
    s = np.maximum(np.hypot(p, q), np.hypot(pr, qr))
    return s / data.br_rating - 1.0


def add_thermal_cuts(
    m: pyo.ConcreteModel,
    data: OpfData,
    formulation: Formulation,
    which: np.ndarray,
    bv: BranchValues,
) -> list:  # type: ignore[type-arg]
    """Tangent cuts of the thermal circle at both ends of branches ``which`` (elastic)."""
    lossy = formulation is Formulation.SOCP
    p, q, pr, qr = _ends(data, bv, lossy)
    new = []
    for e in which.tolist():
        rating = float(data.br_rating[e])
        for a, b, at_child in ((p[e], q[e], False), (pr[e], qr[e], True)):
            s0 = float(np.hypot(a, b))
            if s0 <= rating:
                continue
            pe, qe = m.p_br[e], m.q_br[e]
            if at_child and lossy:
                pe = pe - float(data.br_r[e]) * m.l[e]
                qe = qe - float(data.br_x[e]) * m.l[e]
            ca, cb = float(a / s0), float(b / s0)
            new.append(ca * pe + cb * qe - m.s_th[e] <= rating)
            if not lossy:
                break
    return add_batch(m, "thermal", new)
