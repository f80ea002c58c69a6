"""Regulator control: the outer loop that moves taps by whole steps.

Convention (as OpenDSS ``RegControl`` with ``winding=2``):

* the tap acts on the to winding of the regulated phase's core: its voltage is scaled by
  ``1 + tap * step_pu``;
* the potential transformer measures the voltage across the to winding of that phase's
  core, ``V_pt = V_to / pt_ratio`` (V, complex): phase to ground on a wye unit, phase to
  phase on a delta one (a single-phase unit of an open-delta bank: ``V_A - V_B`` for a unit
  wound A-B), as OpenDSS's RegControl reads the winding voltage;
* the line-drop compensator takes the current leaving the regulator's to terminal towards
  the load, ``I_ct = I_line / ct_primary_a`` (complex, so ``r_comp_v``/``x_comp_v`` are
  volts at rated CT primary current), and the control voltage is
  ``V_c = |V_pt - (r_comp_v + j x_comp_v) I_ct|``;
* when ``|V_c - v_set_v| > band_v / 2`` the tap moves by
  ``round((v_set_v - V_c) / step_v)`` steps (at least one), where
  ``step_v = step_pu * V_rated / pt_ratio`` is one step in secondary volts, clamped to
  ``[tap_min, tap_max]``;
* the power flow is solved again after every round in which a tap moved; the loop stops
  when no tap moves (every regulator in its band or at a limit), when a tap vector repeats
  (hunting; the result is marked not regulated), or after ``max_rounds`` rounds.
"""

from __future__ import annotations

import numpy as np

from ._branches import regulated_groups

__all__ = ["control_voltage", "next_taps"]


def _measure(model, v_pn: np.ndarray, taps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """To-winding voltage (V) and line current (A) of every regulator.

    ``v_pn`` (S, M) phase-node voltages (pu); ``taps`` (S, R).
    """
    regs = model.regulators
    n_s, n_r = taps.shape
    v_to = np.empty((n_s, n_r), dtype=complex)
    i_line = np.empty((n_s, n_r), dtype=complex)
    vb = model.pn_vbase_kv
    s_phase = model.base_mva / 3.0
    uniq, inverse = np.unique(taps, axis=0, return_inverse=True)
    for u, row in enumerate(uniq):
        sel = np.flatnonzero(inverse.ravel() == u)
        groups = regulated_groups(model, row)
        where = {int(b): (g, j) for g in groups for j, b in enumerate(g.branch)}
        for r in range(n_r):
            g, j = where[int(regs.branch[r])]
            term = g.term[j]
            k = len(term) // 2
            i_term = v_pn[np.ix_(sel, term)] @ g.y[j].T  # (s, 2k) entering the branch
            pn = term[k + regs.core[r]]
            ref = regs.ref_pn[r]
            v_w = v_pn[sel, pn] - v_pn[sel, ref] if ref >= 0 else v_pn[sel, pn]
            v_to[sel, r] = v_w * vb[pn] * 1e3
            # Current leaving the to terminal towards the load (A).
            i_line[sel, r] = -i_term[:, k + regs.core[r]] * (s_phase / vb[pn]) * 1e3
    return v_to, i_line


def control_voltage(model, v_pn: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """Voltage the control sees on the PT secondary after compensation (V), (S, R).

    NaN for regulators without ``pt_ratio``.
    """
    regs = model.regulators
    v_to, i_line = _measure(model, v_pn, taps)
    with np.errstate(invalid="ignore", divide="ignore"):
        v_pt = v_to / regs.pt_ratio
        drop = (regs.r_comp_v + 1j * regs.x_comp_v) * (i_line / regs.ct_primary_a)
    # No current transformer: no compensation.
    drop = np.where(np.isfinite(regs.ct_primary_a), drop, 0.0)
    return np.abs(v_pt - drop)


def next_taps(model, v_c: np.ndarray, taps: np.ndarray, auto: np.ndarray) -> np.ndarray:
    """Taps after one control round (S, R); only ``auto`` regulators move."""
    regs = model.regulators
    step_v = regs.step * regs.v_rated_kv * 1e3 / regs.pt_ratio
    dev = regs.v_set_v - v_c
    outside = auto & (np.abs(dev) > 0.5 * regs.band_v)
    with np.errstate(invalid="ignore"):
        move = np.rint(dev / step_v)
    move = np.where(outside & (move == 0), np.sign(dev), move)
    move = np.where(outside & np.isfinite(move), move, 0).astype(np.int64)
    return np.clip(taps + move, regs.tap_min, regs.tap_max)
