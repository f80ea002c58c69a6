"""Many snapshots of one measurement set: one gain factorisation per group of snapshots.

:func:`solve_batch`: one gain matrix, in rectangular coordinates and in the null space of
the zero-injection constraints, factorised at a reference estimate, every snapshot
iterating on it with its exact gradient and Anderson acceleration, right-hand sides as one
matrix (:mod:`gat_adms.se._rect`). The gradient is exact, so the
iteration converges to the same minimum as Gauss-Newton (:func:`gat_adms.se._wls.solve_one`).
"""

from __future__ import annotations

import numpy as np

from ._model import MeasArrays, SeModel
from ._pattern import pattern_for
from ._rect import RectChord, solve_chord
from ._rectops import rect_ops
from ._wls import V_COLLAPSE, SingularGainError, WlsOptions, WlsSolution, factor, solve_one

__all__ = ["CHORD_FACTOR", "CHORD_ROUNDS", "GROUP_SIZE", "solve_batch"]

#: The batch's chord iteration gets this many times ``max_iter`` before a snapshot falls
#: back to its own Gauss-Newton.
CHORD_FACTOR = 3
#: Snapshots per group of the batch (one reference and factorisation each): measured on
#: the bench feeder (1,000 snapshots, null-space chord), groups of 50 / 100 / 200 / 400 /
#: 1,000 took 0.87 / 0.82 / 0.87 / 1.19 / 1.65 ms per snapshot (5.9 to 8.4 steps).
GROUP_SIZE = 100
#: The batch's rounds: the snapshots a round's chord does not solve get a new reference
#: (Gauss-Newton on the one nearest their median) and a new factorisation, this many times.
CHORD_ROUNDS = 3
_DEFAULT_OPTIONS = WlsOptions()


def solve_batch(
    model: SeModel,
    meas: MeasArrays,
    z: np.ndarray,
    zero: np.ndarray,
    x0: np.ndarray,
    options: WlsOptions = _DEFAULT_OPTIONS,
    *,
    reference: np.ndarray | None = None,
    sigma: np.ndarray | None = None,
    group_size: int | None = None,
) -> WlsSolution:
    """S snapshots ``z`` (S, M) of one measurement set, one factorisation per group.

    The gain is factorised once per group, in rectangular coordinates, at a reference estimate
    and every snapshot iterates on it with its exact gradient, right-hand sides solved
    together (:mod:`gat_adms.se._rect`); the fixed point is each snapshot's WLS optimum.
    Snapshots that do not converge that way get a new reference among them and another
    round (at most ``CHORD_ROUNDS``); what is left gets its own Gauss-Newton
    (:func:`solve_one`) and is flagged in ``fallback``. References are solved by
    Gauss-Newton (not flagged).

    More than ``group_size`` (default ``GROUP_SIZE``) snapshots are ordered along the first
    principal component of their normalised readings (mostly the load level) and split
    into groups of about that size, each with its own reference: a closer reference needs
    fewer steps, and smaller arrays stay in cache.

    ``x0`` (n,) or (S, n): start of the references' Gauss-Newton; ``reference`` (n,)
    state where the matrix is factorised (then one group; default: the Gauss-Newton
    estimate of the snapshot nearest the group's median readings); ``sigma`` (S, M)
    per-snapshot standard deviations (pu; default ``meas.sigma`` for all), so that sensors
    whose sigma follows the reading share one batch.
    """
    z = np.atleast_2d(z)
    n_s = z.shape[0]
    size = GROUP_SIZE if group_size is None else max(1, int(group_size))
    if reference is not None or n_s <= size:
        return _solve_group(model, meas, z, zero, x0, options, reference=reference, sigma=sigma)
    sig = np.broadcast_to(meas.sigma if sigma is None else sigma, z.shape)
    x0 = np.asarray(x0, dtype=float).reshape(-1, model.n_state)
    parts = np.array_split(_principal_order(z, sig), -(-n_s // size))
    out = [
        (
            g,
            _solve_group(
                model,
                meas,
                z[g],
                zero,
                x0[g] if len(x0) == n_s else x0[0],
                options,
                sigma=None if sigma is None else sig[g],
            ),
        )
        for g in parts
    ]
    fields = ("x", "v", "converged", "iterations", "objective", "lam", "fallback")
    merged = {}
    for name in fields:
        first = getattr(out[0][1], name)
        arr = np.empty((n_s, *first.shape[1:]), dtype=first.dtype)
        for g, sol in out:
            arr[g] = getattr(sol, name)
        merged[name] = arr
    return WlsSolution(**merged)


def _nearest_centre(z: np.ndarray, sig: np.ndarray) -> int:
    """Index of the snapshot nearest the mean readings (in sigmas)."""
    return int(np.argmin((((z - z.mean(axis=0)) / sig) ** 2).sum(axis=1)))


def _principal_order(z: np.ndarray, sig: np.ndarray) -> np.ndarray:
    """Snapshot order along the first principal component of ``z / sigma`` (centred)
    (power iteration, deterministic start: the snapshot farthest from the mean)."""
    zn = z / sig
    zn = zn - zn.mean(axis=0)
    vec = zn[int(np.argmax(np.einsum("sm,sm->s", zn, zn)))].copy()
    for _ in range(30):
        vec = zn.T @ (zn @ vec)
        norm = np.linalg.norm(vec)
        if norm == 0.0:
            break
        vec /= norm
    return np.argsort(zn @ vec, kind="stable")


def _solve_group(
    model: SeModel,
    meas: MeasArrays,
    z: np.ndarray,
    zero: np.ndarray,
    x0: np.ndarray,
    options: WlsOptions = _DEFAULT_OPTIONS,
    *,
    reference: np.ndarray | None = None,
    sigma: np.ndarray | None = None,
) -> WlsSolution:
    """One group of :func:`solve_batch` (its arguments)."""
    z = np.atleast_2d(z)
    n_s = z.shape[0]
    pattern = pattern_for(model, meas, zero)
    sig = np.broadcast_to(meas.sigma if sigma is None else sigma, z.shape)

    def meas_of(s: int) -> MeasArrays:
        if sigma is None:
            return meas
        return MeasArrays(meas.kind, meas.elec, meas.cond, meas.to_side, sig[s])

    x0 = np.asarray(x0, dtype=float).reshape(-1, model.n_state)
    v = np.empty((n_s, model.n_elec), dtype=complex)
    lam = np.zeros((n_s, 2 * len(zero)))
    converged = np.zeros(n_s, dtype=bool)
    iters = np.zeros(n_s, dtype=np.int64)
    pending = np.arange(n_s)
    k = 0
    converged_ref = True
    for level in range(CHORD_ROUNDS):
        if len(pending) == 0:
            break
        if reference is None or level > 0:
            # The reference: Gauss-Newton on the pending snapshot nearest their mean.
            k = int(pending[_nearest_centre(z[pending], sig[pending])])
            # From the last reference when it converged (closer), else the batch's start
            # (a failed reference may sit at a spurious point, e.g. a collapsed terminal).
            start = reference if level > 0 and converged_ref else x0[min(k, len(x0) - 1)]
            first = solve_one(model, meas_of(k), z[k], zero, start, options, pattern=pattern)
            reference = first.x[0]
            v[k], lam[k] = first.v[0], first.lam[0]
            converged[k], iters[k] = first.converged[0], first.iterations[0]
            converged_ref = bool(converged[k])
            if converged[k]:
                # Not converged: the state still gives the matrix; the chord tries the
                # snapshot again with the others.
                pending = pending[pending != k]
        if len(pending) == 0:
            break
        v_ref = model.voltages(reference)
        try:
            chord = RectChord(model, meas_of(k), zero, v_ref[0], factor, pattern)
        except SingularGainError:
            break
        v_c, lam_c, ok, it = solve_chord(
            chord,
            z[pending],
            v_ref,
            options.tol,
            CHORD_FACTOR * options.max_iter,
            weight=None if sigma is None else 1.0 / sig[pending] ** 2,
        )
        # A terminal collapsed to ~0 V is a spurious stationary point of the rectangular
        # iteration (IEEE 123: the floating delta bus 610 at 0 V, J 16 times Gauss-Newton's),
        # never an estimate: such snapshots go on to the next round or the fallback.
        ok = ok & (np.abs(v_c) > V_COLLAPSE).all(axis=1)
        done = pending[ok]
        v[done], lam[done], converged[done] = v_c[ok], lam_c[ok], True
        iters[pending] += it
        pending = pending[~ok]
    # What no chord round solved (too far from every reference): Gauss-Newton each.
    fallback = np.zeros(n_s, dtype=bool)
    fallback[pending] = True
    for s in pending:
        # From the batch's start, as a snapshot estimated alone (a failed reference may be
        # a worse start).
        start = x0[min(s, len(x0) - 1)]
        one = solve_one(model, meas_of(s), z[s], zero, start, options, pattern=pattern)
        v[s], lam[s], converged[s] = one.v[0], one.lam[0], one.converged[0]
        iters[s] += one.iterations[0]
    x = np.concatenate([np.angle(v[:, model.ns]), np.abs(v)], axis=1)
    ops = rect_ops(model, meas)
    rect = np.concatenate(
        [v[:, model.ns].real.T, v[:, model.ns].imag.T, np.abs(v[:, model.slack]).T]
    )
    r = ops.residual(ops.f0 @ rect, np.ascontiguousarray(z.T)).T
    return WlsSolution(
        x=x,
        v=v,
        converged=converged,
        iterations=iters,
        objective=np.sum(r * r / sig**2, axis=1),
        lam=lam,
        fallback=fallback,
    )
