"""Linear model of a solved operating point by central differences of the batched AC solve
(:func:`sensitivities`, re-exported by :mod:`gat_pf.physics`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .physics import Injection, PhysicsModel, Sensitivities, Solution

__all__ = ["sensitivities"]


def sensitivities(
    model: PhysicsModel,
    solution: Solution,
    terms: Any,
    *,
    scenario: int = 0,
    dp_mw: float = 1e-3,
) -> Sensitivities:
    """Linear model of voltages, conductor currents and head flows at one solved scenario.

    Central differences of the AC solve: 4K scenarios (+-``dp_mw`` of P, then of Q, on each of
    the K terminals) in one batched solve around scenario ``scenario`` of ``solution``
    (regulator taps as the model's options say; use ``regulators="fixed"`` to hold them).
    The error is O(dp^2).

    Raises
    ------
    gat_schemas.errors.NotConvergedError
        When a perturbed scenario does not converge.
    """
    from gat_schemas.errors import NotConvergedError

    terms = np.asarray(terms, dtype=np.int64)
    k = len(terms)
    inj0 = solution.injection
    n_t = len(model.term_node)
    base_p, base_q = np.zeros(n_t), np.zeros(n_t)
    if inj0 is not None:
        base_p[inj0.terms] = inj0.p_mw[scenario]
        base_q[inj0.terms] = inj0.q_mvar[scenario]
    all_terms = np.union1d(terms, [] if inj0 is None else inj0.terms).astype(np.int64)
    col = np.searchsorted(all_terms, terms)
    p = np.repeat(base_p[all_terms][None, :], 4 * k, axis=0)
    q = np.repeat(base_q[all_terms][None, :], 4 * k, axis=0)
    j = np.arange(k)
    p[j, col] += dp_mw
    p[k + j, col] -= dp_mw
    q[2 * k + j, col] += dp_mw
    q[3 * k + j, col] -= dp_mw
    ls = solution.load_scale
    ls = np.asarray(ls, dtype=float)
    ls = float(ls) if ls.ndim == 0 else float(ls[scenario])
    sol = model.solve(Injection(all_terms, p, q), load_scale=ls)
    if not sol.converged.all():
        raise NotConvergedError("sensitivities: a perturbed power flow did not converge")
    lim = model.limits(sol)
    point = model.limits(_one(solution, scenario))

    def diff(x: np.ndarray, lo: int) -> np.ndarray:
        return ((x[lo : lo + k] - x[lo + k : lo + 2 * k]) / (2 * dp_mw)).T

    return Sensitivities(
        terms=terms,
        vm_pu=point.vm_pu[0],
        current_a=point.current_a[0],
        head_p_mw=point.head_p_mw[0],
        dvm_dp=diff(lim.vm_pu, 0),
        dvm_dq=diff(lim.vm_pu, 2 * k),
        dcurrent_dp=diff(lim.current_a, 0),
        dcurrent_dq=diff(lim.current_a, 2 * k),
        dhead_dp=diff(lim.head_p_mw, 0),
        dhead_dq=diff(lim.head_p_mw, 2 * k),
    )


def _one(solution: Solution, s: int) -> Solution:
    """Scenario ``s`` of a solution as a one-scenario solution."""
    inj = solution.injection
    ls = np.asarray(solution.load_scale, dtype=float)
    return Solution(
        v=solution.v[s : s + 1],
        converged=solution.converged[s : s + 1],
        iterations=solution.iterations[s : s + 1],
        max_mismatch_mva=solution.max_mismatch_mva[s : s + 1],
        taps=solution.taps[s : s + 1],
        injection=None
        if inj is None
        else Injection(inj.terms, inj.p_mw[s : s + 1], inj.q_mvar[s : s + 1]),
        load_scale=float(ls) if ls.ndim == 0 else ls[s : s + 1],
        state={k: None if v is None else v[s : s + 1] for k, v in solution.state.items()},
    )
