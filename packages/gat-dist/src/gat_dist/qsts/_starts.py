"""Start voltages for the sequential engine's rows from the recent solved rows.

Every row of a batch (a step at the current taps and capacitor states) starts its fixed
point from the solved row nearest to it: nearest control state first (tap steps apart, plus
:data:`_CAP_WEIGHT` per capacitor in another state), then nearest step. A row of another
step at a nearby state is moved by the load change between the two steps as seen at a state
solved at both (``v(j, X) + v(k, Y) - v(j, Y)``: exact when the voltages are linear in the
load). Controls that swing back and forth (hunting, or a capacitor switching in and out)
revisit states a step or two later, and a start at that state is much closer than one at the
same step before the controls moved. Without a solved row the solver starts from no-load.

The start changes the iterations, not the answer (every row meets the solver tolerance).

:class:`Solved` keeps solved rows by their inputs (load and DER factors) and control state:
a step whose inputs equal an earlier step's (a shape coarser than the step holds its point
for several steps: an hourly shape at 15 minutes repeats each point four times) takes that
row at the same state instead of a solve; it is a solution of the same equations.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["Solved", "Starts"]

#: Solved rows kept by :class:`Solved`.
_SOLVED_ROWS = 128

#: Tap steps a capacitor in another state counts for in the state distance.
_CAP_WEIGHT = 4
#: Steps back a start is looked for.
_BACK = 2


class Starts:
    """Solved rows of the last few steps, keyed by step and control state."""

    def __init__(self) -> None:
        self._rows: dict[int, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
        self.last_v: np.ndarray | None = None

    def add(self, steps: np.ndarray, taps: np.ndarray, caps: np.ndarray, sol) -> None:  # type: ignore[no-untyped-def]
        """Keep the converged rows of a batch solved at ``taps``/``caps``."""
        for i, k in enumerate(np.asarray(steps).tolist()):
            if sol.converged[i]:
                here = self._rows.setdefault(k, [])
                here[:] = [
                    r
                    for r in here
                    if not (np.array_equal(r[0], taps) and np.array_equal(r[1], caps))
                ]
                here.append((taps.copy(), caps.copy(), sol.v[i]))
        if sol.converged[-1]:
            self.last_v = sol.v[-1]

    def rows(self, steps: np.ndarray, taps: np.ndarray, caps: np.ndarray) -> np.ndarray | None:
        """(S, T) start voltages of ``steps`` at ``taps``/``caps`` (``None``: no-load)."""
        if self.last_v is None:
            return None
        # Rows of steps before the reach of this batch are not needed again.
        first = int(np.min(steps)) - _BACK
        for k in [k for k in self._rows if k < first]:
            del self._rows[k]
        out = np.repeat(self.last_v[None, :], len(steps), axis=0)
        for i, k in enumerate(np.asarray(steps).tolist()):
            got = self._one(k, taps, caps)
            if got is not None:
                out[i] = got
        return out

    def _one(self, k: int, taps: np.ndarray, caps: np.ndarray) -> np.ndarray | None:
        best = None
        for j in range(k, k - _BACK - 1, -1):
            for r in self._rows.get(j, ()):
                d = int(np.abs(r[0] - taps).sum()) + _CAP_WEIGHT * int((r[1] != caps).sum())
                key = (d, k - j)
                if best is None or key < best[0]:
                    best = (key, j, r)
        if best is None:
            return None
        _, j, r = best
        if j == k:
            return r[2]
        # Move the row of step j to step k by the change seen at a state solved at both.
        for y in self._rows.get(k, ()):
            for x in self._rows.get(j, ()):
                if np.array_equal(x[0], y[0]) and np.array_equal(x[1], y[1]):
                    return r[2] + y[2] - x[2]
        return r[2]


class Solved:
    """Converged rows by (inputs, taps, capacitor states), the most recent kept."""

    def __init__(self, load: np.ndarray, injection: Any) -> None:
        self._load = load
        self._inj = injection
        self._rows: dict[tuple[bytes, bytes, bytes], tuple[Any, int]] = {}

    def _key(self, k: int, taps: np.ndarray, caps: np.ndarray) -> tuple[bytes, bytes, bytes]:
        inputs = np.asarray(self._load[k]).tobytes()
        if self._inj is not None:
            inputs += self._inj.p_mw[k].tobytes() + self._inj.q_mvar[k].tobytes()
        return inputs, np.asarray(taps).tobytes(), np.asarray(caps).tobytes()

    def add(self, steps: np.ndarray, taps: np.ndarray, caps: np.ndarray, sol: Any) -> None:
        """Keep the converged rows of a batch solved at ``taps``/``caps``."""
        for i, k in enumerate(np.asarray(steps).tolist()):
            if sol.converged[i]:
                key = self._key(k, taps, caps)
                self._rows.pop(key, None)
                self._rows[key] = (sol, i)
        while len(self._rows) > _SOLVED_ROWS:
            del self._rows[next(iter(self._rows))]

    def get(self, steps: np.ndarray, taps: np.ndarray, caps: np.ndarray) -> Any:
        """A solution of ``steps`` at ``taps``/``caps`` from kept rows, or ``None`` unless
        every step has one."""
        got = [self._rows.get(self._key(k, taps, caps)) for k in np.asarray(steps).tolist()]
        if any(g is None for g in got):
            return None
        return _gather(got, steps, self._load, self._inj)


def _gather(parts: list, steps: np.ndarray, load: np.ndarray, injection: Any) -> Any:
    """One :class:`~gat_pf.Solution` of rows ``(solution, row)`` (in order) for ``steps``:
    the rows' voltages and solver figures, the steps' own inputs."""
    from gat_pf import Injection, Solution

    def stack(name: str) -> np.ndarray:
        return np.stack([np.asarray(getattr(sol, name))[i] for sol, i in parts])

    inj = None
    if injection is not None:
        inj = Injection(injection.terms, injection.p_mw[steps], injection.q_mvar[steps])
    keys = parts[0][0].state.keys()
    return Solution(
        v=stack("v"),
        converged=stack("converged"),
        iterations=stack("iterations"),
        max_mismatch_mva=stack("max_mismatch_mva"),
        taps=stack("taps"),
        injection=inj,
        load_scale=np.asarray(load)[steps],
        state={key: np.stack([sol.state[key][i] for sol, i in parts]) for key in keys},
    )
