"""Per-step quantities of solved steps (head power, losses, voltage extremes per phase)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gat_pf import Injection, Solution, judged_vm, power_totals

__all__ = ["Terminals", "aggregates", "take"]


@dataclass(frozen=True, eq=False)
class Terminals:
    """Which terminals count for each phase's voltage extremes and for violations.

    ``phase_mask`` (3, T): terminal belongs to phase A, B, C (a balanced ``ABC`` terminal
    to all three); ``watch`` (T,): not a slack terminal; ``v_min``, ``v_max`` (T,) pu.
    """

    phase_mask: np.ndarray
    watch: np.ndarray
    v_min: np.ndarray
    v_max: np.ndarray
    #: Per phase, the watched terminals' indices (gathers are cheaper than masks).
    phase_cols: tuple[np.ndarray, ...] = ()

    @staticmethod
    def of(phys: Any) -> Terminals:
        """From a :class:`gat_pf.PhysicsModel`."""
        ph = np.asarray(phys.term_phase).astype(str)
        mask = np.stack([np.char.find(ph, letter) >= 0 for letter in "ABC"])
        watch = ~np.asarray(phys.term_slack, dtype=bool)
        return Terminals(
            phase_mask=mask,
            watch=watch,
            v_min=np.asarray(phys.term_v_min, dtype=float),
            v_max=np.asarray(phys.term_v_max, dtype=float),
            phase_cols=tuple(np.flatnonzero(mask[k] & watch) for k in range(3)),
        )


def take(sol: Solution, rows: np.ndarray) -> Solution:
    """Scenarios ``rows`` of a solution."""
    inj = sol.injection
    ls = np.asarray(sol.load_scale, dtype=float)
    return Solution(
        v=sol.v[rows],
        converged=sol.converged[rows],
        iterations=sol.iterations[rows],
        max_mismatch_mva=sol.max_mismatch_mva[rows],
        taps=sol.taps[rows],
        injection=None if inj is None else Injection(inj.terms, inj.p_mw[rows], inj.q_mvar[rows]),
        load_scale=ls if ls.ndim == 0 else ls[rows],
        state={k: None if v is None else v[rows] for k, v in sol.state.items()},
    )


def aggregates(
    phys: Any, sol: Solution, terms: Terminals, *, voltages: bool = True
) -> dict[str, Any]:
    """Head P/Q (sum over heads), losses, voltage extremes per phase and violation counts of
    every scenario of ``sol`` (and ``vm_pu``, every terminal's voltage, when ``voltages``);
    scenarios that did not converge get NaN for every solved quantity (head P/Q, losses,
    voltages) and no violations."""
    tot = power_totals(phys, sol)
    # The magnitudes the band is judged on: line to line in ungrounded (delta) sections.
    vm = judged_vm(phys, sol.v)
    n_s = vm.shape[0]
    v_min = np.full((n_s, 3), np.nan)
    v_max = np.full((n_s, 3), np.nan)
    cols_of = terms.phase_cols or tuple(
        np.flatnonzero(terms.phase_mask[k] & terms.watch) for k in range(3)
    )
    for k, cols in enumerate(cols_of):
        if len(cols):
            v_min[:, k] = vm[:, cols].min(axis=1)
            v_max[:, k] = vm[:, cols].max(axis=1)
    with np.errstate(invalid="ignore"):
        under = ((vm < terms.v_min) & terms.watch).sum(axis=1)
        over = ((vm > terms.v_max) & terms.watch).sum(axis=1)
    # A step that did not converge has no solution: its last iterate gives no head power,
    # losses, voltages or violations (NaN; counts 0, ``converged`` false says why).
    bad = ~np.asarray(sol.converged, dtype=bool)
    head_p = np.where(bad, np.nan, tot.head_p_mw.sum(axis=1))
    head_q = np.where(bad, np.nan, tot.head_q_mvar.sum(axis=1))
    losses = np.where(bad, np.nan, tot.losses_mw)
    v_min[bad] = np.nan
    v_max[bad] = np.nan
    under = np.where(bad, 0, under)
    over = np.where(bad, 0, over)
    vm = np.where(bad[:, None], np.nan, vm) if voltages else None
    return {
        "head_p_mw": head_p,
        "head_q_mvar": head_q,
        "losses_mw": losses,
        "v_min_pu": v_min,
        "v_max_pu": v_max,
        "n_under": under,
        "n_over": over,
        "vm_pu": vm,
    }
