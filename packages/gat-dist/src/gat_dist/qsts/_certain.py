"""Predicted control voltages of predict-and-verify stepping and when a prediction is certain.

:class:`Predictor` holds the linear model the stepping uses where no power flow at a (step,
taps) pair exists yet: the change of every regulator's control voltage (V, PT secondary)
per tap step, ``J + level x J1`` (R, R), and per unit of load factor, ``L + level x L1`` (R,). ``J`` and
``L`` are measured at the start (one batch); ``J`` and ``J1`` are refitted by least squares
(:meth:`Predictor.refit`) from the solved pairs of one step at different taps that the run
produced, ``L`` and ``L1`` from consecutive accepted steps, so the model follows the
sensitivities' change with the load.

It also keeps an empirical error bound of same-step predictions (from a solved pair of the
same step at other taps): every solved pair that could have been predicted from another
solved pair of its step is a check (:meth:`Predictor.check`); the bound per regulator for a
prediction over ``d`` tap steps (sum over regulators of the tap change) is ``SAFETY x d``
times the largest error per tap step of the recent checks, plus a floor. Predictions from
the step before at the same taps (its solved pair moved by the load change) are checked and
bounded the same way, per unit of the largest change of a node's load factor; where both
exist, the control voltage lies in both intervals. A control round whose
predicted voltage lies further than the bound from every band edge and rounding boundary
makes the same tap move at every voltage within the bound (:func:`certain_moves`; the move
is monotone in the control voltage, so equal moves at both ends of the interval mean the
same move throughout), so that round need not be solved.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np

__all__ = ["SAFETY", "Predictor", "Rule", "certain_moves"]

#: Error bound = SAFETY x the largest recent same-step prediction error (per regulator).
SAFETY = 3.0
#: Checks needed before any prediction counts as certain.
MIN_CHECKS = 20
#: Recent checks the bound is taken over.
RECENT = 400
#: Pairs needed (per fitted coefficient block) before the first refit.
_MIN_FIT = 4


class Predictor:
    """Linear control-voltage model with a refit and an empirical error bound.

    Parameters
    ----------
    j0
        (R, R) measured change of each regulator's control voltage (rows) per tap step of
        each regulator (columns) (V/step).
    per_load
        (R,) change per unit of load factor (V).
    step_v
        (R,) one tap step on the PT secondary (V); the bound's floor is 1 % of it.
    """

    def __init__(self, j0: np.ndarray, per_load: np.ndarray, step_v: np.ndarray) -> None:
        n_r = len(per_load)
        self.j = np.asarray(j0, dtype=float).copy()
        self.j1 = np.zeros((n_r, n_r))
        self._at_level: dict[float, np.ndarray] = {}
        self.per_load = np.asarray(per_load, dtype=float)
        self._load_prior = self.per_load.copy()
        self._prior = self.j.copy()
        self.floor = 0.01 * np.nan_to_num(np.asarray(step_v, dtype=float), nan=0.0)
        self._ata = np.zeros((2 * n_r, 2 * n_r))
        self._aty = np.zeros((2 * n_r, n_r))
        self._n_fit = 0
        self.l1 = np.zeros(n_r)
        self._load_at: dict[tuple[float, float], np.ndarray] = {}
        self._lta = np.zeros((2, 2))
        self._lty = np.zeros((2, n_r))
        self._n_load = 0
        self._errors: deque[np.ndarray] = deque(maxlen=RECENT)
        self.n_checks = 0
        self._rate: np.ndarray | None = None
        self._cross: deque[np.ndarray] = deque(maxlen=RECENT)
        self.n_cross = 0
        self._cross_rate: np.ndarray | None = None

    def tap_change(self, d_taps: np.ndarray, level: float) -> np.ndarray:
        """(R,) predicted control-voltage change (V) for tap change ``d_taps`` at ``level``."""
        m = self._at_level.get(level)
        if m is None:  # the same matrix for every call at this level until a refit
            m = self._at_level[level] = self.j + level * self.j1
        return m @ d_taps

    def add_pair(self, d_taps: np.ndarray, d_v: np.ndarray, level: float) -> None:
        """One solved pair of a step: tap change ``d_taps`` gave ``d_v`` (V)."""
        self.add_pairs(d_taps[None, :], np.asarray(d_v)[None, :], np.array([level]))

    def add_pairs(self, d_taps: np.ndarray, d_v: np.ndarray, level: np.ndarray) -> None:
        """Solved pairs of steps at load levels ``level`` (n,): tap changes ``d_taps``
        (n, R) gave ``d_v`` (n, R) V."""
        d = np.asarray(d_taps, dtype=float)
        x = np.concatenate([d, np.asarray(level, dtype=float)[:, None] * d], axis=1)
        self._ata += x.T @ x
        self._aty += x.T @ np.asarray(d_v, dtype=float)
        self._n_fit += len(d)

    def refit(self) -> None:
        """Least-squares ``J``, ``J1`` from the pairs so far, regularised towards the
        measured ``J`` (a coefficient the pairs do not determine keeps the measured value)."""
        n_r = len(self.per_load)
        if self._n_load >= 8:
            lam = 1e-6 * max(1.0, float(np.trace(self._lta)) / 2)
            prior = np.vstack([self._load_prior, np.zeros(n_r)])
            w = np.linalg.solve(self._lta + lam * np.eye(2), self._lty + lam * prior)
            if np.isfinite(w).all():
                self.per_load, self.l1 = w[0], w[1]
                self._load_at = {}
        if self._n_fit < _MIN_FIT * n_r:
            return
        lam = 1e-6 * max(1.0, float(np.trace(self._ata)) / (2 * n_r))
        prior = np.vstack([self._prior.T, np.zeros((n_r, n_r))])
        a = self._ata + lam * np.eye(2 * n_r)
        w = np.linalg.solve(a, self._aty + lam * prior)
        if np.isfinite(w).all():
            self.j, self.j1 = w[:n_r].T, w[n_r:].T
            self._at_level = {}

    def load_change(self, level_from: float, level_to: float) -> np.ndarray:
        """(R,) predicted control-voltage change (V) from load factor ``level_from`` to
        ``level_to`` at fixed taps: the integral of ``L + level x L1``."""
        got = self._load_at.get((level_from, level_to))
        if got is None:  # the same change for every call at these levels until a refit
            a, b = level_from, level_to
            got = self.per_load * (b - a) + self.l1 * (0.5 * (b * b - a * a))
            self._load_at[(level_from, level_to)] = got
        return got

    def add_load_pair(self, level_from: float, level_to: float, d_v: np.ndarray) -> None:
        """Two solved steps: their control voltages differ by ``d_v`` (V) once the tap
        change is taken out (:meth:`tap_change`)."""
        self.add_load_pairs(np.array([level_from]), np.array([level_to]), np.asarray(d_v)[None, :])

    def add_load_pairs(self, level_from: np.ndarray, level_to: np.ndarray, d_v: np.ndarray) -> None:
        """:meth:`add_load_pair` for n pairs at once (levels (n,), ``d_v`` (n, R) V); pairs
        at equal levels or with values that are not finite are left out."""
        a, b = np.asarray(level_from, dtype=float), np.asarray(level_to, dtype=float)
        x = np.stack([b - a, 0.5 * (b * b - a * a)], axis=1)
        d_v = np.asarray(d_v, dtype=float)
        good = np.isfinite(x).all(axis=1) & np.isfinite(d_v).all(axis=1) & (b != a)
        x, d_v = x[good], d_v[good]
        self._lta += x.T @ x
        self._lty += x.T @ d_v
        self._n_load += len(x)

    def check(self, err: np.ndarray, distance: int) -> None:
        """Record the error (V, per regulator) of one same-step prediction over ``distance``
        tap steps (the sum over regulators of the tap change)."""
        self.checks(np.asarray(err, dtype=float)[None, :], np.array([distance]))

    def checks(self, err: np.ndarray, distance: np.ndarray) -> None:
        """:meth:`check` for n predictions in order (``err`` (n, R) V, ``distance`` (n,))."""
        per_step = np.abs(err) / np.maximum(1, distance)[:, None]
        self._errors.extend(per_step)
        self.n_checks += len(per_step)
        self._rate = None

    def rate(self) -> np.ndarray | None:
        """(R,) largest recent same-step prediction error per tap step of distance (V), or
        ``None`` before enough checks."""
        if self.n_checks < MIN_CHECKS:
            return None
        if self._rate is None:
            self._rate = np.nan_to_num(np.max(np.stack(self._errors), axis=0), nan=np.inf)
        return self._rate

    def bound(self, rate: np.ndarray, distance: int) -> np.ndarray:
        """(R,) error bound (V) of a same-step prediction over ``distance`` tap steps."""
        return SAFETY * rate * max(1, distance) + self.floor

    def check_cross(self, err: np.ndarray, change: float) -> None:
        """Record the error (V, per regulator) of one prediction from the step before at the
        same taps (:meth:`load_change`) over a load change ``change`` (> 0; the largest
        change of a node's load factor)."""
        self.checks_cross(np.asarray(err, dtype=float)[None, :], np.array([change]))

    def checks_cross(self, err: np.ndarray, change: np.ndarray) -> None:
        """:meth:`check_cross` for n predictions in order (``err`` (n, R) V, ``change`` (n,))."""
        per_unit = np.abs(err) / np.asarray(change, dtype=float)[:, None]
        self._cross.extend(per_unit)
        self.n_cross += len(per_unit)
        self._cross_rate = None

    def cross_rate(self) -> np.ndarray | None:
        """(R,) largest recent error per unit of load change of predictions from the step
        before at the same taps (V), or ``None`` before enough checks."""
        if self.n_cross < MIN_CHECKS:
            return None
        if self._cross_rate is None:
            worst = np.max(np.stack(self._cross), axis=0)
            self._cross_rate = np.nan_to_num(worst, nan=np.inf)
        return self._cross_rate

    def cross_bound(self, rate: np.ndarray, change: float) -> np.ndarray:
        """(R,) error bound (V) of a prediction from the step before at the same taps."""
        return SAFETY * rate * change + self.floor


class Rule:
    """The regulator rule of :func:`._regcontrol.tap_moves` (the same moves) for one tap
    vector at a time, compiled (:mod:`._rule_jit`): the stepping's recurrence applies it
    some ten thousand times per thousand steps.

    Parameters
    ----------
    st
        :class:`gat_pf.RegulatorSettings`.
    max_change
        (R,) or scalar largest move per step (tap steps).
    """

    def __init__(self, st: Any, max_change: Any) -> None:
        n_r = len(st.tap0)
        mtc = np.broadcast_to(np.asarray(max_change, dtype=np.int64), (n_r,))
        self.mtc = mtc.copy()
        # (R, 3) v_set_v, half band, step_v (V); (R, 4) auto, max change, tap limits.
        rule_f = np.stack([st.v_set_v, 0.5 * np.asarray(st.band_v), st.step_v], axis=1)
        rule_i = np.stack([np.asarray(st.auto), mtc, st.tap_min, st.tap_max], axis=1)
        self.arrays = (
            np.ascontiguousarray(rule_f, dtype=float).reshape(n_r, 3),
            np.ascontiguousarray(rule_i, dtype=np.int64).reshape(n_r, 4),
        )

    def moves(self, v_c: np.ndarray, taps: np.ndarray) -> np.ndarray:
        """(R,) tap moves (steps) at control voltages ``v_c`` (R,) and taps ``taps`` (R,):
        0 in band, ``round(dev / step_v)`` (at least one) out of it, within ``max_change``
        and the tap limits."""
        from ._rule_jit import rule_moves

        out = np.zeros(len(self.mtc), dtype=np.int64)
        rule_moves(*self.arrays, _floats(v_c), _ints(taps), out)
        return out

    def certain(self, v_c: np.ndarray, bound: np.ndarray, taps: np.ndarray) -> np.ndarray | None:
        """See :func:`certain_moves`."""
        from ._rule_jit import rule_certain

        out = np.zeros(len(self.mtc), dtype=np.int64)
        ok = rule_certain(*self.arrays, _floats(v_c), _floats(bound), _ints(taps), out)
        return out if ok else None


def _floats(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=float)


def _ints(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.int64)


def certain_moves(
    rule: Rule, v_c: np.ndarray, bound: np.ndarray, taps: np.ndarray
) -> np.ndarray | None:
    """The tap moves of the control rule at ``v_c`` (R,) when every control voltage within
    ``bound`` (R,) of it gives the same moves, else ``None``.

    The move of a regulator is a non-decreasing step function of ``v_set_v - v_c`` (dead
    band, then ``round(dev / step_v)``, at least one, clipped), so the moves at the two ends
    of the interval being equal means the same move throughout.
    """
    return rule.certain(v_c, bound, taps)
