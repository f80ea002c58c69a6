"""Regulator control rules, vectorised over steps and regulators.

The control voltage ``v_c`` (V, PT secondary, after line-drop compensation) comes from
:func:`gat_pf.regulator_control_v`. A regulator whose ``v_c`` is more than half its band
from ``v_set_v`` moves ``round((v_set_v - v_c) / step_v)`` steps (at least one, in the
direction of the set point), within ``[tap_min, tap_max]`` and at most ``max_tap_change``
steps; the rule of :mod:`gat_pf._threephase._regulators` (OpenDSS ``RegControl``, winding 2).
"""

from __future__ import annotations

import numpy as np

from gat_pf import RegulatorSettings

__all__ = ["out_of_band", "tap_moves", "timed_actions"]


def out_of_band(st: RegulatorSettings, v_c: np.ndarray) -> np.ndarray:
    """(S, R) bool: auto regulators whose control voltage is outside the band."""
    with np.errstate(invalid="ignore"):
        dev = np.abs(st.v_set_v - v_c)
        return st.auto & np.isfinite(dev) & (dev > 0.5 * st.band_v)


def tap_moves(
    st: RegulatorSettings, v_c: np.ndarray, taps: np.ndarray, max_change: int
) -> np.ndarray:
    """(S, R) tap moves (steps) the controls ask for at control voltages ``v_c`` (S, R) and
    taps ``taps`` (R,) or (S, R); 0 where in band or at the limit in the needed direction."""
    out = out_of_band(st, v_c)
    with np.errstate(invalid="ignore", divide="ignore"):
        dev = st.v_set_v - v_c
        move = np.rint(dev / st.step_v)
    move = np.where(out & (move == 0), np.sign(dev), move)
    move = np.where(out & np.isfinite(move), move, 0.0).astype(np.int64)
    # np.minimum/np.maximum: np.clip's per-call cost is most of a round's (R,) work.
    move = np.minimum(np.maximum(move, -max_change), max_change)
    target = np.minimum(np.maximum(taps + move, st.tap_min), st.tap_max)
    return (target - taps).astype(np.int64)


def timed_actions(
    out: np.ndarray, timer_s: np.ndarray, delay_s: np.ndarray, step_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """Time mode: which steps of a block may act, and the timers after each step.

    ``out`` (b, R) out of band at each step (controls unchanged within the block);
    ``timer_s`` (R,) time the condition has lasted before the block. A regulator acts at
    step j when it is out of band there and its condition has lasted ``delay_s`` before it
    (sampled once per step: an out-of-band step adds ``step_s``, an in-band step resets).

    Returns ``(act (b, R) bool, timer_before (b, R))``.
    """
    b, r = out.shape
    before = np.zeros((b, r))
    t = np.asarray(timer_s, dtype=float).copy()
    for j in range(b):
        before[j] = t
        t = np.where(out[j], t + step_s, 0.0)
    return out & (before >= delay_s), before
