"""The Gauss-Newton KKT system on a fixed pattern, factorised by LDL^T with a reused ordering.

API (small and stable; the batch may import it):

- :func:`assembly_for` ``(pattern)``: the :class:`KktAssembly` of a
  :class:`gat_adms.se._pattern.JacobianPattern` (built once, kept while the pattern
  lives; call :meth:`KktAssembly.reset` at the start of each estimate).
  :meth:`KktAssembly.factor` ``(jac, weight)`` assembles the augmented KKT matrix by value
  from the Jacobian's nonzeros ``jac`` (CSR order of the pattern) and the weights
  ``1/sigma^2`` and returns a :class:`KktFactor`: ``scale`` (the constraint rows' factor),
  ``rho`` and ``solve(rhs)`` for the unregularised system.
- :class:`SingularGainError` (re-exported by :mod:`gat_adms.se._wls`).

The matrix is the augmented Lagrangian form of the KKT system of
:mod:`gat_adms.se._wls`:

    [ G + rho Cs^T Cs   Cs^T ] [ dx  ]   [ H^T W r - Cs^T (lam + rho cs) ]
    [ Cs                0    ] [ dlam] = [ -cs                           ],

``Cs = scale * C``, ``cs = scale * c``. Adding ``rho Cs^T (Cs dx + cs) = 0`` to the first
row changes neither dx nor dlam, but makes the (1,1) block positive definite whenever the
state is observable (its null space is that of G and Cs together), where G alone is only
semidefinite (zero-injection terminals without measurements nearby have empty rows in G).
After symmetric equilibration ``D K D`` (D = 1/sqrt of each row's largest entry, a G
row's bounded by its diagonal) and a
regularisation ``-delta I`` of the constraint block the matrix is quasi-definite, so an
LDL^T factorisation exists for any symmetric ordering (qdldl: AMD once per pattern, then
numeric refactorisations only). Iterative refinement against the unregularised matrix
removes the regularisation's error.

Safety net: when the factorisation breaks down or its pivots suggest rank deficiency, it
is retried with a ten times larger regularisation (kept for the estimate's later
factorisations) up to ``DELTA_MAX``; then, or when the refinement does not reach its
tolerance, the same matrix is solved by SuperLU with partial pivoting
(:func:`gat_adms.se._wls.factor`'s method), which also decides singularity exactly as
before.
"""

from __future__ import annotations

import weakref

import numpy as np
import qdldl
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from gat_schemas.errors import InputError

__all__ = ["KktAssembly", "KktFactor", "SingularGainError", "assembly_for"]

#: Regularisation of the (equilibrated) constraint block: small against the equilibrated
#: matrix's entries (<= 1), large enough to keep the LDL^T pivots of rows eliminated
#: before their neighbours away from zero (measured on the bench feeder: 1e-10 and 1e-11
#: reach a residual of 1e-13 in two refinement steps, 1e-12 stalls at 1e-9, 1e-14 diverges).
DELTA = 1e-10
#: Augmentation weight (relative to the constraint rows' scale; 1e-3 to 1e-1 behave alike).
RHO = 1e-2
#: Refinement steps at most, and the residual (relative to the right-hand side) they aim at
#: by default: on the bench feeder 1e-10, 1e-8 and 1e-6 reach the same optimum (1e-12 pu)
#: in 4.9, 5.0 and 5.4 Gauss-Newton iterations on average.
REFINE_STEPS = 6
REFINE_TOL = 1e-8
#: A residual still above this share after the refinement sends the solve to SuperLU.
ACCEPT = 1e-8
#: A factorisation that breaks down or fails the pivot test is retried with a ten times
#: larger regularisation up to this, then SuperLU solves.
DELTA_MAX = 1e-7
#: Primal pivots (the equilibrated matrix's entries are <= 1) must exceed this, as SuperLU's
#: U diagonal had to exceed 1e-13 of its largest; otherwise SuperLU decides.
PIVOT_MIN = 1e-13


class SingularGainError(InputError):
    """The gain (KKT) matrix is singular: the measurements do not determine the state."""


class KktAssembly:
    """Index maps from the Jacobian ``J = [H; C]`` nonzeros to the augmented KKT matrix.

    Parameters
    ----------
    pattern
        The measurement set's :class:`gat_adms.se._pattern.JacobianPattern` (``M``
        measurement rows, then ``2Z`` constraint rows, ``n`` state columns, CSR).
    rho
        Augmentation weight of the constraint rows (relative to ``scale**2``).
    """

    def __init__(self, pattern: object, rho: float = RHO) -> None:
        indptr = np.asarray(pattern._indptr, dtype=np.int64)  # type: ignore[attr-defined]
        cols = np.asarray(pattern._indices, dtype=np.int64)  # type: ignore[attr-defined]
        self.m = int(pattern.m)  # type: ignore[attr-defined]
        self.n = n = int(pattern.n)  # type: ignore[attr-defined]
        self.n_c = n_c = int(pattern.n_c)  # type: ignore[attr-defined]
        self.rho = float(rho)
        self.cut = cut = int(indptr[self.m])
        n_k = n + n_c
        nnz = len(cols)
        lens = np.diff(indptr)
        row_of = np.repeat(np.arange(len(lens)), lens)
        # Every pair (e1, e2) of nonzeros in one row with col(e1) <= col(e2): J^T W J.
        rep = lens[row_of]
        e1 = np.repeat(np.arange(nnz), rep)
        start = np.cumsum(rep) - rep
        e2 = indptr[row_of[e1]] + (np.arange(len(e1)) - np.repeat(start, rep))
        up = cols[e1] <= cols[e2]
        e1, e2 = e1[up], e2[up]
        # Constraint rows as the upper-right block: row = state column, col = n + row.
        ce = np.arange(cut, nnz)
        keys = np.concatenate(
            [
                cols[e2] * n_k + cols[e1],
                (n + row_of[ce] - self.m) * n_k + cols[ce],
                np.arange(n_k) * (n_k + 1),  # every diagonal, so empty rows show
            ]
        )
        uniq, inv = np.unique(keys, return_inverse=True)
        self.k_rows = (uniq % n_k).astype(np.int32)
        k_cols = uniq // n_k
        self.k_indptr = np.zeros(n_k + 1, dtype=np.int32)
        np.cumsum(np.bincount(k_cols, minlength=n_k), out=self.k_indptr[1:])
        self.k_cols = k_cols
        self._k_rows64 = self.k_rows.astype(np.int64)
        self._k_cols64 = k_cols.astype(np.int64)
        self.delta = DELTA
        self.nnz = len(uniq)
        n_pair = len(e1)
        self._pos_pair = inv[:n_pair]
        self._pos_c = inv[n_pair : n_pair + len(ce)]
        self._e1, self._e2 = e1, e2
        self._row_of = row_of
        self._h_rows, self._h_cols = row_of[:cut], cols[:cut]
        diag = inv[n_pair + len(ce) :]
        self._diag = diag
        self._dual_diag = diag[n:]
        # The constraint columns are the data's tail (CSC): their entries and diagonals.
        self._tail = int(self.k_indptr[n])
        self._tail_start = self.k_indptr[n:-1] - self._tail
        self._tail_rows = self.k_rows[self._tail :]
        self._solver: qdldl.Solver | None = None

    def reset(self) -> None:
        """Back to the default regularisation ``DELTA`` (a retry raises it for the
        factorisations that follow; an estimate starts from the default, so its iterations
        do not depend on the estimates before it)."""
        self.delta = DELTA

    def scale(self, jac: np.ndarray, weight: np.ndarray) -> float:
        """The constraint rows' factor: ``sqrt(max diag G) / max |C|`` (1 without
        constraints), so the blocks are of one size before the equilibration."""
        if not self.n_c:
            return 1.0
        h = jac[: self.cut]
        g_diag = np.bincount(self._h_cols, weights=weight[self._h_rows] * h * h, minlength=self.n)
        c_max = float(np.abs(jac[self.cut :]).max()) or 1.0
        return float(np.sqrt(float(np.abs(g_diag).max()) or 1.0) / c_max)

    def matrix(self, jac: np.ndarray, weight: np.ndarray, scale: float) -> np.ndarray:
        """Upper-triangle values (CSC order of ``k_rows``/``k_indptr``) of the augmented KKT
        matrix: ``jac`` the nonzeros of ``[H; C]`` (CSR order), ``weight`` (M,) ``1/sigma^2``,
        ``scale`` the constraint rows' factor."""
        root = np.sqrt(np.concatenate([weight, np.full(self.n_c, self.rho * scale * scale)]))
        jw = jac * root[self._row_of]
        out = np.bincount(self._pos_pair, weights=jw[self._e1] * jw[self._e2], minlength=self.nnz)
        out[self._pos_c] += scale * jac[self.cut :]
        return out

    def factor(self, jac: np.ndarray, weight: np.ndarray, *, check: bool = True) -> KktFactor:
        """Assemble and factorise (see the module doc); :class:`SingularGainError` when the
        matrix is singular. ``check``: test the LDL^T pivots for rank deficiency (the
        refinement's failure still hands a singular matrix to SuperLU without it)."""
        scale = self.scale(jac, weight)
        return KktFactor(self, self.matrix(jac, weight, scale), scale, check)

    def _ldl(self, mat: sp.csc_matrix) -> qdldl.Solver:
        if self._solver is None:
            self._solver = qdldl.Solver(mat, upper=True)
        else:
            self._solver.update(mat, upper=True)
        return self._solver


class KktFactor:
    """One factorised augmented KKT matrix (upper-triangle values ``data`` on the
    assembly's pattern), equilibrated as ``D K D`` (``D`` = 1/sqrt of each row's largest
    entry, or of its diagonal where that is larger than its G entries)."""

    def __init__(self, asm: KktAssembly, data: np.ndarray, scale: float, check: bool) -> None:
        self.asm = asm
        self.scale = scale
        self.rho = asm.rho
        n = asm.n
        # The symmetric equilibration of :func:`gat_adms.se._wls.factor` with each primal
        # row's largest G entry bounded by its diagonal (|G_ij| <= sqrt(G_ii G_jj) for a
        # semidefinite G keeps every scaled entry <= 1 all the same).
        big = data[asm._diag].copy()
        if asm.n_c:
            tail = np.abs(data[asm._tail :])
            np.maximum.at(big, asm._tail_rows, tail)
            big[n:] = np.maximum.reduceat(tail, asm._tail_start)
        if not (np.isfinite(big).all() and (big > 0).all()):
            raise SingularGainError("gain matrix has an empty row")
        d = 1.0 / np.sqrt(big)
        self.d = d
        self._scaled = data * np.take(d, asm._k_rows64) * np.take(d, asm._k_cols64)
        self._lu: spla.SuperLU | None = None
        self._ldl: qdldl.Solver | None = None
        while True:
            self._regularise(asm.delta)
            if self._factor_ldl(check):
                return
            if asm.delta >= DELTA_MAX:
                self._superlu()
                return
            asm.delta = max(10.0 * asm.delta, 1e-12)

    def _regularise(self, delta: float) -> None:
        asm = self.asm
        n_k = asm.n + asm.n_c
        self.delta = delta
        scaled = self._scaled.copy()
        scaled[asm._dual_diag] -= delta
        self._reg = sp.csc_matrix((scaled, asm.k_rows, asm.k_indptr), (n_k, n_k))
        self._reg_t = self._reg.T
        self._reg_diag = scaled[asm._diag]

    def _factor_ldl(self, check: bool) -> bool:
        """LDL^T of the regularised matrix; False when it breaks down or (``check``) its
        inertia or pivots say the primal block is not positive definite."""
        asm = self.asm
        try:
            ldl = asm._ldl(self._reg)
        except (ValueError, RuntimeError):  # qdldl: a zero pivot
            asm._solver = None
            return False
        if check:
            _, piv, perm = ldl.factors()
            primal = perm < asm.n
            # Equilibrated entries are <= 1: a primal pivot near zero is rank deficiency
            # (pivots of rows eliminated after their constraint rows grow by ~1/delta, so
            # a ratio to the largest pivot would not do).
            if (
                not np.isfinite(piv).all()
                or (piv[primal] <= PIVOT_MIN).any()
                or (piv[~primal] >= 0.0).any()
            ):
                return False
        self._ldl = ldl
        return True

    def _superlu(self) -> None:
        """Fall back to SuperLU on the unregularised matrix (also the singularity test)."""
        asm = self.asm
        n_k = asm.n + asm.n_c
        up = sp.csc_matrix((self._scaled, asm.k_rows, asm.k_indptr), (n_k, n_k))
        full = (up + sp.triu(up, k=1, format="csc").T).tocsc()
        try:
            self._lu = spla.splu(full, permc_spec="MMD_AT_PLUS_A")
        except RuntimeError as exc:
            raise SingularGainError(f"gain matrix is singular ({exc})") from None
        diag_u = np.abs(self._lu.U.diagonal())
        if not np.isfinite(diag_u).all() or diag_u.min() <= 1e-13 * diag_u.max():
            raise SingularGainError("gain matrix is numerically singular")

    def _matvec(self, x: np.ndarray) -> np.ndarray:
        """The unregularised (equilibrated) matrix times ``x``."""
        out = self._reg @ x + self._reg_t @ x - self._reg_diag * x
        out[self.asm.n :] += self.delta * x[self.asm.n :]
        return out

    def solve(self, rhs: np.ndarray, tol: float = REFINE_TOL) -> np.ndarray:
        """Solve ``K x = rhs`` (rhs (n + 2Z,)) for the unregularised augmented matrix:
        refinement until the residual is below ``tol`` of the right-hand side or stops
        falling tenfold per step; SuperLU when it is then above ``ACCEPT`` (and ``tol``).
        A Gauss-Newton step needs no more than ``REFINE_TOL``: the right-hand side is the
        exact gradient, so an inexact step changes the iterations, not the optimum."""
        d = self.d
        b = d * rhs
        if self._lu is None:
            x = self._ldl.solve(b)
            nb = float(np.abs(b).max()) or 1.0
            last = np.inf
            for k in range(REFINE_STEPS + 1):
                r = b - self._matvec(x)
                size = float(np.abs(r).max()) / nb
                stop = size <= tol or size > 0.1 * last or k == REFINE_STEPS
                if stop or not np.isfinite(size):
                    break
                x = x + self._ldl.solve(r)
                last = size
            if np.isfinite(size) and size <= max(tol, ACCEPT):
                return d * x
            self.asm.delta = min(max(10.0 * self.asm.delta, 1e-12), DELTA_MAX)
            self._superlu()
        return d * self._lu.solve(b)


_CACHE: weakref.WeakKeyDictionary[object, KktAssembly] = weakref.WeakKeyDictionary()


def assembly_for(pattern: object) -> KktAssembly:
    """The :class:`KktAssembly` of ``pattern``, kept while the pattern lives (its index maps
    and the LDL^T ordering are built once per measurement set)."""
    hit = _CACHE.get(pattern)
    if hit is None:
        hit = _CACHE[pattern] = KktAssembly(pattern)
    return hit
