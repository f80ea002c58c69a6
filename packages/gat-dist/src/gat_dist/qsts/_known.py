"""The solved (step, taps) pairs of one predict-and-verify window.

Two views of the same pairs: per step a dict ``taps bytes -> (control voltages (R,) V,
converged, solution, row)`` in the order they were solved (look-ups of one pair), and flat
arrays in that order (the compiled recurrence and checks, :mod:`._rule_jit`, scan them).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["Known"]


class Known:
    """Solved pairs of a window (see the module docstring).

    Parameters
    ----------
    n_r
        Number of regulators (the taps' length).
    """

    def __init__(self, n_r: int) -> None:
        self.n_r = n_r
        self.by_step: dict[int, dict[bytes, tuple[np.ndarray, bool, Any, int]]] = {}
        self.sols: list[Any] = []
        self._parts: list[tuple[np.ndarray, ...]] = []
        self._flat: tuple[np.ndarray, ...] | None = None

    def put(
        self, steps: np.ndarray, taps: np.ndarray, v_c: np.ndarray, ok: np.ndarray, sol: Any
    ) -> None:
        """Add the rows of ``sol``: steps (n,), taps (n, R), control voltages (n, R) V,
        converged (n,)."""
        steps = np.asarray(steps, dtype=np.int64)
        taps = np.ascontiguousarray(taps, dtype=np.int64).reshape(len(steps), self.n_r)
        v_c = np.ascontiguousarray(v_c, dtype=float).reshape(len(steps), self.n_r)
        ok = np.asarray(ok, dtype=bool)
        for i, k in enumerate(steps.tolist()):
            self.by_step.setdefault(k, {})[taps[i].tobytes()] = (v_c[i], bool(ok[i]), sol, i)
        batch = np.full(len(steps), len(self.sols), dtype=np.int64)
        self._parts.append((steps, taps, v_c, ok, batch, np.arange(len(steps))))
        self.sols.append(sol)
        self._flat = None

    def get(self, k: int) -> dict[bytes, tuple[np.ndarray, bool, Any, int]]:
        """The pairs of step ``k`` (empty without any)."""
        return self.by_step.get(k, {})

    def entry(self, k: int, taps: np.ndarray) -> tuple[np.ndarray, bool, Any, int]:
        """``(v_c, converged, solution, row)`` of the pair (step ``k``, ``taps``)."""
        return self.by_step[k][np.ascontiguousarray(taps, dtype=np.int64).tobytes()]

    def _all(self) -> tuple[np.ndarray, ...]:
        if self._flat is None:
            n = self.n_r
            ints, empty = np.zeros(0, np.int64), np.zeros((0, n))
            none = (ints, empty.astype(np.int64), empty, np.zeros(0, bool), ints, ints)
            parts = self._parts or [none]
            self._flat = tuple(np.concatenate(c) for c in zip(*parts, strict=True))
        return self._flat

    def pairs(self, k_lo: int, k_end: int) -> tuple[np.ndarray, ...]:
        """The pairs of steps ``k_lo .. k_end - 1`` in solve order: ``(ptr, taps (P, R),
        control voltages (P, R) V, converged (P,))``, step ``k_lo + i`` at
        ``ptr[i]:ptr[i + 1]``, and ``at`` (P,) their numbers for :meth:`voltages`."""
        step, taps, v_c, ok = self._all()[:4]
        at = np.flatnonzero((step >= k_lo) & (step < k_end))
        at = at[np.argsort(step[at], kind="stable")]
        ptr = np.searchsorted(step[at], np.arange(k_lo, k_end + 1))
        return ptr.astype(np.int64), taps[at], v_c[at], ok[at], at

    def steps_of(self, at: np.ndarray) -> np.ndarray:
        """Steps of pairs numbered ``at``."""
        return self._all()[0][at]

    def voltages(self, at: np.ndarray, n_t: int) -> np.ndarray:
        """(len(at), T) solved terminal voltages (pu) of pairs numbered ``at``."""
        batch, row = self._all()[4:]
        out = np.empty((len(at), n_t), dtype=complex)
        b_of, r_of = batch[at], row[at]
        for b in np.unique(b_of).tolist():
            sel = b_of == b
            out[sel] = self.sols[b].v[r_of[sel]]
        return out
