"""Current-injection fixed point in phase coordinates, batched over scenarios.

With the slack phases' voltages ``v_s`` fixed, the other bus phases solve
``Y_LL v_L = i(v) - Y_LS v_s``, where ``i(v)`` are the load elements' injected currents.
``Y_LL`` is factorised once (SuperLU, fill-reducing column order, so meshed networks work
too) and every iteration is one solve with an ``n x S`` right-hand side for S scenarios.
The start point is the no-load solution, which already carries the transformers' phase
shifts and ratios. The iteration is Anderson-accelerated (depth ``_DEPTH``; see
:func:`_iterate`): the same stopping test, about half the iterations on long feeders.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._loads import adjust_power

__all__ = [
    "V_BOUND_PU",
    "BlockDelta",
    "Factor3",
    "FixedPointResult",
    "determined",
    "factorize_3ph",
    "fixed_point",
]

#: Anderson acceleration depth: residual differences kept (see :func:`_iterate`).
_DEPTH = 4
#: Sanity bound on every bus-phase voltage of a converged state (pu of the node's line-to-
#: neutral base); see :func:`determined`.
V_BOUND_PU = 2.0


@dataclass(frozen=True, eq=False)
class Factor3:
    """LU factors of ``Y_LL`` with ``Y_LS`` and the index sets they refer to."""

    lu: Any
    unknown: np.ndarray
    slack: np.ndarray
    y_ls: Any


@dataclass(frozen=True, eq=False)
class BlockDelta:
    """Per-scenario admittance blocks to add to the factorised matrix (regulators at taps
    other than the factor's), for one group of branches with 2k terminals each.

    ``term`` (B, 2k) bus phases of the branches' terminals; ``dy`` (S, B, 2k, 2k) the
    scenario's block minus the factor's (pu). The fixed point solves every scenario with its
    own matrix through the factor and a low-rank update (:class:`_Deltas`), so S scenarios
    at different taps share one factorisation and take the same iterates as with their own.
    """

    term: np.ndarray
    dy: np.ndarray


@dataclass(frozen=True, eq=False)
class FixedPointResult:
    """Bus-phase voltages (S, n_bp), convergence per scenario, mismatch (pu of base_mva/3)."""

    v: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    mismatch: np.ndarray


def factorize_3ph(
    y: Any, slack: np.ndarray, unknown: np.ndarray, order: np.ndarray | None = None
) -> Factor3:
    """Factorise the unknown block of the bus-phase admittance matrix.

    Parameters
    ----------
    y
        Bus-phase admittance matrix (CSR, pu).
    slack, unknown
        Bus phases with fixed voltage, and the others.
    order
        The unknowns leaves first (reverse breadth-first from the slack) for a radial
        network: eliminated in that order without pivoting, a tree has no fill-in beyond
        the phase blocks. ``None`` (or a factor whose check residual is poor) lets SuperLU
        choose a fill-reducing order with partial pivoting.

    Raises
    ------
    RuntimeError
        From SuperLU when ``Y_LL`` is singular.
    """
    import scipy.sparse.linalg as spla

    if order is not None:
        rows = y[order]
        y_ll = rows[:, order].tocsc()
        # Panels of one column: the tree order has no fill beyond the phase blocks, so the
        # supernodes are tiny and wider panels only add symbolic work (IEEE 8500: 4.5 ->
        # 2.0 ms, same fill and solve time; the values agree to rounding).
        lu = spla.splu(
            y_ll,
            permc_spec="NATURAL",
            diag_pivot_thresh=0.0,
            panel_size=1,
            options={"SymmetricMode": True},
        )
        probe = np.exp(1j * np.arange(len(order)))
        x = lu.solve(probe)
        # Backward error, relative to the matrix's scale: 1 milliohm switches put entries of
        # 1e5 pu in Y, so an absolute bound rejected good factors of IEEE 8500.
        scale = abs(y_ll).sum(axis=1).max() * np.abs(x).max() + 1.0
        err = np.abs(y_ll @ x - probe).max() / scale
        if np.isfinite(err) and err < 1e-12:
            return Factor3(lu=lu, unknown=order, slack=slack, y_ls=rows[:, slack].tocsr())
    rows = y[unknown]
    y_ll = rows[:, unknown].tocsc()
    y_ls = rows[:, slack].tocsr()
    lu = spla.splu(y_ll, permc_spec="COLAMD")
    return Factor3(lu=lu, unknown=unknown, slack=slack, y_ls=y_ls)


def fixed_point(
    factor: Factor3,
    loads: Any,
    n_bp: int,
    v_slack: np.ndarray,
    scale: np.ndarray | None,
    n_s: int,
    *,
    tol: float,
    max_iter: int,
    v_start: np.ndarray | None = None,
    deltas: tuple[BlockDelta, ...] = (),
    y_load: np.ndarray | None = None,
) -> FixedPointResult:
    """Solve S three-phase power flows together.

    Parameters
    ----------
    factor
        From :func:`factorize_3ph`.
    loads
        :class:`~._loads.LoadElements`.
    n_bp
        Number of bus phases.
    v_slack
        Slack voltages (pu), one per ``factor.slack``.
    scale
        Per-element load factors (S, E), or ``None`` for the network's loads.
    n_s
        Number of scenarios S.
    tol
        Largest per-phase power mismatch allowed (pu of ``base_mva / 3``).
    max_iter
        Iteration limit.
    v_start
        Optional start voltages (S, n_bp) (e.g. the previous regulator round).
    deltas
        :class:`BlockDelta` per branch group: scenario admittances that differ from the
        factor's (regulators at other taps); empty = every scenario is the factor's.
    y_load
        Admittance of every load element (E,) (pu, unscaled) that the factor's matrix holds
        as ``incidence^T diag(y_load) incidence`` on top of the network's: each iteration
        adds ``y_load * v_element`` back to the element currents, so the solution and the
        mismatch test are those without it; the factor then carries the loads' constant-
        impedance share and the iteration converges in fewer steps on heavily loaded
        feeders. ``None``: the factor is the network's alone.

    Returns
    -------
    FixedPointResult
    """
    with np.errstate(all="ignore"):  # a diverging iterate ends as not converged
        res = _iterate(
            factor, loads, n_bp, v_slack, scale, n_s, tol, max_iter, v_start, deltas, y_load
        )
    sane = determined(res.v)
    if sane.all():
        return res
    return FixedPointResult(res.v, res.converged & sane, res.iterations, res.mismatch)


def determined(v: np.ndarray) -> np.ndarray:
    """Whether each state (S, n_bp) is physically plausible: every bus-phase voltage at most
    :data:`V_BOUND_PU`. A state above it met the mismatch tolerance only because a part of
    the network has (almost) no reference to ground (a floating winding): its common-mode
    voltage is undetermined, so the solution is not reported as converged."""
    with np.errstate(invalid="ignore"):
        return np.abs(v).max(axis=-1, initial=0.0) <= V_BOUND_PU


class _Deltas:
    """Exact solves with ``Y_LL + dY_s`` per scenario from the factor of ``Y_LL``.

    ``dY_s`` lives on the few bus phases the :class:`BlockDelta` terminals touch, so the
    Woodbury identity gives ``(Y + E D_s E^T)^-1 b = g - Z K_s E^T g`` with ``g = Y^-1 b``,
    ``Z = Y^-1 E`` (one solve per touched unknown, once) and ``K_s = (I + D_s E^T Z)^-1 D_s``
    (small and dense, once per scenario); the slack columns of ``dY_s`` change the constant
    part of the right-hand side instead. Scenario-major layout: right-hand sides (S, n_u).
    """

    def __init__(self, deltas: tuple[BlockDelta, ...], factor: Factor3, v_slack, n_bp: int):
        n_s = deltas[0].dy.shape[0]
        touched = np.unique(np.concatenate([d.term.ravel() for d in deltas]))
        at = np.full(n_bp, -1, dtype=np.int64)
        at[touched] = np.arange(len(touched))
        d_full = np.zeros((n_s, len(touched), len(touched)), dtype=complex)
        for d in deltas:
            t = at[d.term]  # (B, 2k)
            rows = np.broadcast_to(t[:, :, None], d.dy.shape[1:])
            cols = np.broadcast_to(t[:, None, :], d.dy.shape[1:])
            np.add.at(d_full, (slice(None), rows, cols), d.dy)
        pos = np.full(n_bp, -1, dtype=np.int64)
        pos[factor.unknown] = np.arange(len(factor.unknown))
        vs = np.zeros(n_bp, dtype=complex)
        vs[factor.slack] = v_slack
        is_u = pos[touched] >= 0
        self.pu = pos[touched[is_u]]  # unknown positions touched
        d_uu = d_full[:, is_u][:, :, is_u]
        # Constant right-hand side change: -(dY_us v_s) on the touched unknowns, (S, p).
        self.dc = -(d_full[:, is_u][:, :, ~is_u] @ vs[touched[~is_u]])
        self.zt, g = _z_of(factor, self.pu)  # (Y^-1 E)^T (p, n_u) and its touched part (p, p)
        # K_s depends only on D_s: solved once per distinct block set (the rows of a time
        # series batch share a few tap and capacitor vectors), exact for the others.
        first: dict[bytes, int] = {}
        inv = np.array([first.setdefault(row.tobytes(), len(first)) for row in d_uu])
        d_u = d_uu[np.unique(inv, return_index=True)[1]]
        eye = np.eye(len(self.pu))
        self.k = np.linalg.solve(eye[None] + d_u @ g[None], d_u)[inv]  # (S, p, p)

    def keep(self, mask: np.ndarray) -> None:
        self.k, self.dc = self.k[mask], self.dc[mask]

    def solve(self, lu: Any, rhs: np.ndarray) -> np.ndarray:
        """``(Y + dY_s)^-1 (rhs_s + dc_s)`` for every row s of ``rhs`` (S, n_u), which is
        overwritten."""
        rhs[:, self.pu] += self.dc
        g = _lu_rows(lu, rhs)
        w = (self.k @ g[:, self.pu][:, :, None])[:, :, 0]  # (S, p)
        g -= w @ self.zt
        return g


#: ``Y^-1 E`` per factor and touched unknowns (weakly held): a time series solves many
#: batches with the same regulator and capacitor blocks on the same factor.
_Z: weakref.WeakKeyDictionary[Any, dict[bytes, tuple[np.ndarray, np.ndarray]]] = (
    weakref.WeakKeyDictionary()
)


def _z_of(factor: Factor3, pu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``Z^T`` (p, n_u) for ``Z = Y_LL^-1 E`` with the unit columns ``E`` at unknown positions
    ``pu``, and ``Z[pu]`` (p, p), kept per factor (read-only arrays; a few touched sets per
    factor)."""
    per = _Z.setdefault(factor, {})
    key = np.asarray(pu, dtype=np.int64).tobytes()
    got = per.get(key)
    if got is None:
        e = np.zeros((len(factor.unknown), len(pu)), dtype=complex)
        e[pu, np.arange(len(pu))] = 1.0
        z = factor.lu.solve(e) if len(pu) else e
        got = (np.ascontiguousarray(z.T), np.ascontiguousarray(z[pu]))
        for a in got:
            a.setflags(write=False)
        if len(per) >= 16:
            per.clear()
        per[key] = got
    return got


def _lu_rows(lu: Any, rhs: np.ndarray) -> np.ndarray:
    """``Y_LL^-1`` applied to every row of ``rhs`` (S, n_u), as (S, n_u) in C order: the
    transpose is the Fortran-ordered (n_u, S) array SuperLU takes and returns, so neither
    side is copied."""
    return lu.solve(rhs.T).T


def _spmul_rows(mat: Any, x: np.ndarray) -> np.ndarray:
    """``(mat @ x^T)^T`` (S, m) for a sparse ``mat`` (m, n) and rows ``x`` (S, n): scipy's
    sparse products take (n, S) in C order, so one transposed copy goes in and one comes out
    (cheaper than the per-row broadcasting the column layout costs with few scenarios)."""
    return np.ascontiguousarray((mat @ np.ascontiguousarray(x.T)).T)


def _currents(loads: Any, ve: np.ndarray, scale: np.ndarray | None) -> np.ndarray:
    """Element currents drawn, negated, (S, E) from element voltages ``ve`` (S, E):
    ``-conj(s(|v|) / v)``, computed as ``-conj(s) v / |v|^2`` (no complex division); an
    element at zero voltage carries no current."""
    mag2 = ve.real * ve.real
    mag2 += ve.imag * ve.imag
    vm = np.sqrt(mag2)
    vm /= loads.v_nom
    s = vm * loads.s_z
    s += loads.s_i
    s *= vm
    s += loads.s_p
    if getattr(loads, "exps", None) is not None or getattr(loads, "band", None) is not None:
        adjust_power(loads, vm, s)
    if scale is not None:
        s *= scale
    np.conjugate(s, out=s)
    s *= ve
    # -1 / |v|^2 in place; a zero stays zero (no current at zero voltage).
    s *= np.divide(-1.0, mag2, out=mag2, where=mag2 > 0.0)
    return s


#: Element incidences split by unknown/slack columns, per load-element set (weakly held).
_SPLIT: weakref.WeakKeyDictionary[Any, tuple[np.ndarray, np.ndarray, tuple[Any, ...]]] = (
    weakref.WeakKeyDictionary()
)


def _split_incidence(loads: Any, unknown: np.ndarray, slack: np.ndarray) -> tuple[Any, ...]:
    """``(inc_u, inc_u.T, inc_s)``: the element incidence's unknown columns (CSR), their
    transpose (CSR) and its slack columns, kept per element set and column split (a time
    series solves the same elements at many tap vectors, every factor with the same split).
    """
    got = _SPLIT.get(loads)
    if got is not None and np.array_equal(got[0], unknown) and np.array_equal(got[1], slack):
        return got[2]
    inc = loads.incidence.tocsc()
    inc_u = inc[:, unknown].tocsr()
    out = (inc_u, inc_u.T.tocsr(), inc[:, slack].tocsr())
    _SPLIT[loads] = (np.array(unknown), np.array(slack), out)
    return out


def _iterate(
    factor: Factor3,
    loads: Any,
    n_bp: int,
    v_slack: np.ndarray,
    scale: np.ndarray | None,
    n_s: int,
    tol: float,
    max_iter: int,
    v_start: np.ndarray | None,
    deltas: tuple[BlockDelta, ...] = (),
    y_load: np.ndarray | None = None,
) -> FixedPointResult:
    # Scenario-major layout (S x unknowns, C order, factor order): every per-scenario
    # operation (Anderson inner products and weights, mismatch maxima, element currents)
    # runs along contiguous rows, whatever S is; SuperLU reads and writes the transpose
    # without a copy, the two sparse products per iteration take one transposed copy each
    # way (:func:`_spmul_rows`). The element incidence is split into its unknown and slack
    # columns once, so no iteration scatters.
    #
    # Anderson acceleration (depth ``_DEPTH``) of the map ``G(x) = Y_LL^-1 (i(x) + c)``: the
    # next point is ``G(x_k) - sum_j gamma_j dG_j``, with ``gamma`` fitting the latest
    # residual ``G(x_k) - x_k`` by the residuals' differences. ``Y_LL x - c`` of that point is
    # the same combination of the right-hand sides already solved (``r`` below), so its power
    # mismatch ``x conj(r - i(x))`` costs no extra solve and the stopping test is the plain
    # fixed point's. On IEEE 8500 it takes 11 iterations instead of 27.
    unknown = factor.unknown
    inc_u, inc_ut, inc_s = _split_incidence(loads, unknown, factor.slack)
    ve_s = inc_s @ v_slack
    c = -(factor.y_ls @ v_slack).astype(complex)
    extra = _Deltas(deltas, factor, v_slack, n_bp) if deltas else None
    if v_start is not None:
        x = np.ascontiguousarray(v_start[:, unknown])
    elif extra is not None:
        x = extra.solve(factor.lu, np.repeat(c[None, :], n_s, axis=0))
    else:
        x = np.repeat(factor.lu.solve(c)[None, :], n_s, axis=0)
    sc = None if scale is None else np.ascontiguousarray(scale)

    def injected(x: np.ndarray) -> np.ndarray:
        ve = _spmul_rows(inc_u, x)
        ve += ve_s
        cur = _currents(loads, ve, sc)
        if y_load is not None:
            cur += y_load * ve  # the admittance the factor holds, moved back to the right
        return _spmul_rows(inc_ut, cur)

    inj = injected(x)
    v_u = x.copy()
    iterations = np.full(n_s, max_iter, dtype=np.int64)
    mis = np.full(n_s, np.inf)
    # Scenarios leave the iteration when they meet the tolerance or diverge; the others go on.
    # ``active`` are the scenarios of the working rows, ``live`` those still iterating:
    # finished rows are dropped only once a quarter of them is done (dropping copies the
    # history buffers; a finished row's result is recorded when it finishes).
    active = np.arange(n_s)
    live = np.ones(n_s, dtype=bool)
    hist = _History(n_s, len(unknown))
    last: tuple[np.ndarray, ...] | None = None
    for k in range(1, max_iter + 1):
        rhs = inj + c
        g = _lu_rows(factor.lu, rhs) if extra is None else extra.solve(factor.lu, rhs)
        f = g - x
        if last is not None and _DEPTH:
            hist.push(f - last[0], g - last[1], inj - last[2])
        last = (f, g, inj)  # fresh arrays every iteration: no copy needed
        if hist.filled:
            x, r = hist.step(hist.weights(f), g, inj)
        else:
            x, r = g, inj
        inj = injected(x)
        d = r - inj
        d *= x
        m = np.abs(d).max(axis=1) if d.shape[1] else np.zeros(len(active))
        mis[active[live]] = m[live]
        ok = m <= tol
        iterations[active[live & ok]] = k
        # A row's voltages are recorded when it stops (met the tolerance or diverged) or
        # when the iteration limit ends the loop, not copied every iteration.
        stop = live & (ok | ~np.isfinite(m))
        if stop.any():
            v_u[active[stop]] = x[stop]
            live &= ~stop
            if not live.any():
                break
        if 4 * int(live.sum()) <= 3 * len(live):
            keep = live
            active, live = active[keep], np.ones(int(keep.sum()), dtype=bool)
            x, inj = x[keep], inj[keep]
            last = tuple(a[keep] for a in last)
            hist.keep(keep)
            if sc is not None:
                sc = sc[keep]
            if extra is not None:
                extra.keep(keep)
    if live.any():
        v_u[active[live]] = x[live]
    v = np.empty((n_s, n_bp), dtype=complex)
    v[:, factor.slack] = v_slack
    v[:, unknown] = v_u
    return FixedPointResult(v=v, converged=mis <= tol, iterations=iterations, mismatch=mis)


class _History:
    """Anderson history: ring buffers (S, depth, n) of the differences of residuals, images
    and right-hand sides, and the residual differences' Gram matrices (S, depth, depth),
    updated by one row and column per new difference instead of recomputed (the slot order
    does not matter to the least-squares fit).

    The weights are real: the load currents are not analytic in v (they depend on
    conj(v)), so the map is one of R^2n and the fit is over real and imaginary parts together
    (inner products ``Re(conj(a) b)`` on the complex numbers' float views, batched BLAS).
    """

    def __init__(self, n_s: int, n: int) -> None:
        self.df = np.zeros((n_s, _DEPTH, n), dtype=complex)
        self.dg = np.zeros_like(self.df)
        self.dr = np.zeros_like(self.df)
        self.gram = np.zeros((n_s, _DEPTH, _DEPTH))
        self.filled = 0
        self.slot = -1

    def push(self, df: np.ndarray, dg: np.ndarray, dr: np.ndarray) -> None:
        self.slot = (self.slot + 1) % _DEPTH
        j = self.slot
        self.df[:, j], self.dg[:, j], self.dr[:, j] = df, dg, dr
        self.filled = min(self.filled + 1, _DEPTH)
        row = _dots(self.df[:, : self.filled], df)  # (S, m)
        self.gram[:, j, : self.filled] = row
        self.gram[:, : self.filled, j] = row

    def weights(self, f: np.ndarray) -> np.ndarray:
        """Real least-squares ``gamma`` (S, m) minimising ``|f - sum_j gamma_j df_j|`` per
        scenario (normal equations, lightly regularised)."""
        m = self.filled
        gram = self.gram[:, :m, :m].copy()
        diag = np.arange(m)
        ridge = 1e-12 * gram[:, diag, diag].sum(axis=1) + 1e-300
        gram[:, diag, diag] += ridge[:, None]
        rhs = _dots(self.df[:, :m], f)[:, :, None]  # (S, m, 1)
        return np.linalg.solve(gram, rhs)[:, :, 0]

    def step(self, gamma: np.ndarray, g: np.ndarray, inj: np.ndarray) -> tuple[np.ndarray, ...]:
        """``g - sum_j gamma_j dg_j`` and ``inj - sum_j gamma_j dr_j`` (S, n) each, in float
        arithmetic on the complex numbers' parts (a real BLAS product)."""
        m = self.filled
        w = gamma[:, None, :]  # (S, 1, m)
        x = g - (w @ self.dg[:, :m].view(np.float64))[:, 0].view(complex)
        r = inj - (w @ self.dr[:, :m].view(np.float64))[:, 0].view(complex)
        return x, r

    def keep(self, mask: np.ndarray) -> None:
        self.df, self.dg, self.dr = self.df[mask], self.dg[mask], self.dr[mask]
        self.gram = self.gram[mask]


def _dots(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``Re sum_n conj(a[s, j, n]) b[s, n]`` (S, m) for ``a`` (S, m, n) and ``b`` (S, n)."""
    return (a.view(np.float64) @ b.view(np.float64)[:, :, None])[:, :, 0]
