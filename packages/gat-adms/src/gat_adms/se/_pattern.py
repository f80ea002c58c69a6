"""Measurement and constraint Jacobians on a fixed sparsity pattern, filled by value.

:func:`gat_adms.se._model.jacobian` builds the Jacobian from scipy.sparse products, which
costs about 60 sparse constructions per call. The pattern does not change between
iterations or snapshots of one measurement set, so :class:`JacobianPattern` computes it
once (index arrays and the CSR order) and :meth:`JacobianPattern.fill` only evaluates the
values, vectorised over the nonzeros.

Every power row (an injection, a flow, a zero-injection constraint) is ``Re`` or ``Im`` of
``s = v_a conj(y V)`` with ``v_a`` one terminal's voltage and ``y`` a row of ``Y``,
``Y_f`` or ``Y_t``; a current row is ``|y V|``. With ``dV_k = V_k (j dtheta_k + dvm_k /
vm_k)`` and ``i = y V``:

- ``ds/dtheta_k = j (a_k V_k conj(i) - v_a conj(y_k V_k))``,
- ``ds/dvm_k = (a_k V_k conj(i) + v_a conj(y_k V_k)) / vm_k``,
- ``d|i|/dx_k = Re(conj(i) / |i| di/dx_k)``, ``di/dtheta_k = j y_k V_k``,
  ``di/dvm_k = y_k V_k / vm_k``,

``a_k`` 1 at the column of ``v_a``. Voltage rows are constant (1 at their state).
"""

from __future__ import annotations

import weakref

import numpy as np
import scipy.sparse as sp

from ._model import I_MAG, P_FLOW, P_INJ, Q_FLOW, Q_INJ, V_ANG, V_MAG, MeasArrays, SeModel

__all__ = ["JacobianPattern", "pattern_for"]


class JacobianPattern:
    """Sparsity of ``H`` (M, n) and ``C`` (2Z, n) for one measurement set and its values.

    Parameters
    ----------
    model
        The measurement model.
    meas
        The M measurements.
    zero
        (Z,) zero-injection terminals (constraint rows: P of each, then Q of each).
    """

    def __init__(self, model: SeModel, meas: MeasArrays, zero: np.ndarray) -> None:
        n_e = model.n_elec
        n_ns = len(model.ns)
        m = len(meas)
        zero = np.asarray(zero, dtype=np.int64)
        n_z = len(zero)
        self.m, self.n_c, self.n = m, 2 * n_z, model.n_state
        k = meas.kind
        # Power and current rows: their y row (Y, Y_f or Y_t) and v_a terminal.
        inj = np.flatnonzero(np.isin(k, (P_INJ, Q_INJ)))
        br = np.flatnonzero(np.isin(k, (P_FLOW, Q_FLOW, I_MAG)))
        n_cond = model.yf.shape[0]
        ymat = sp.vstack([model.y, model.yf, model.yt]).tocsr()
        acol_all = np.concatenate(
            [np.arange(n_e), model.af.indices, model.at.indices]
        )  # af/at: one 1 per row
        src = np.concatenate(
            [
                meas.elec[inj],
                n_e + meas.cond[br] + np.where(meas.to_side[br], n_cond, 0),
                np.tile(zero, 2),
            ]
        ).astype(np.int64)
        out_row = np.concatenate([inj, br, m + np.arange(2 * n_z)]).astype(np.int64)
        imag = np.concatenate(
            [k[inj] == Q_INJ, k[br] == Q_FLOW, np.r_[np.zeros(n_z, bool), np.ones(n_z, bool)]]
        )
        cur = np.concatenate([np.zeros(len(inj), bool), k[br] == I_MAG, np.zeros(2 * n_z, bool)])
        yr = ymat[src]
        self._yr = yr
        self._src_row, self._src_imag, self._src_cur = out_row, imag, cur
        self._vmag_rows = np.flatnonzero(k == V_MAG)
        self._vang_rows = np.flatnonzero(k == V_ANG)
        self._vmag_elec = meas.elec[self._vmag_rows]
        self._vang_elec = meas.elec[self._vang_rows]
        self._aterm = acol_all[src]
        # Union of the y row's columns and the v_a column, per power row.
        n_p = len(src)
        y_rows = np.repeat(np.arange(n_p), np.diff(yr.indptr))
        key = np.concatenate([y_rows * n_e + yr.indices, np.arange(n_p) * n_e + self._aterm])
        uniq, inv = np.unique(key, return_inverse=True)
        yv = np.zeros(len(uniq), dtype=complex)
        np.add.at(yv, inv[: len(y_rows)], yr.data)
        av = np.zeros(len(uniq))
        a_pos = inv[len(y_rows) :]
        av[a_pos[~cur]] = 1.0
        prow = uniq // n_e
        pcol = uniq % n_e
        self._prow, self._pcol, self._yv, self._av = prow, pcol, yv, av
        self._pimag = imag[prow]
        self._pcur = cur[prow]
        # Output columns: theta of non-slack terminals, vm of all.
        theta_col = np.full(n_e, -1, dtype=np.int64)
        theta_col[model.ns] = np.arange(n_ns)
        tc = theta_col[pcol]
        self._keep_theta = tc >= 0
        vmag = np.flatnonzero(k == V_MAG)
        vang = np.flatnonzero(k == V_ANG)
        vang_c = theta_col[meas.elec[vang]]
        vang = vang[vang_c >= 0]
        rows = np.concatenate([out_row[prow][self._keep_theta], out_row[prow], vmag, vang]).astype(
            np.int64
        )
        cols = np.concatenate(
            [tc[self._keep_theta], n_ns + pcol, n_ns + meas.elec[vmag], vang_c[vang_c >= 0]]
        ).astype(np.int64)
        self._n_const = len(vmag) + len(vang)
        order = np.lexsort((cols, rows))
        self._order = order
        dest = np.empty(len(order), dtype=np.int64)
        dest[order] = np.arange(len(order))
        n_t = int(self._keep_theta.sum())
        n_p = len(prow)
        self._dest_theta = dest[:n_t]
        self._dest_vm = dest[n_t : n_t + n_p]
        self._dest_const = dest[n_t + n_p :]
        self._nnz = len(order)
        self._a_pos = np.flatnonzero(av != 0.0)
        self._aterm_p = self._aterm[prow]
        rows_s = rows[order]
        self._indices = cols[order].astype(np.int32)
        indptr = np.zeros(m + 2 * n_z + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows_s, minlength=m + 2 * n_z), out=indptr[1:])
        self._indptr = indptr.astype(np.int32)
        self._row_of = rows_s
        self._indices64 = self._indices.astype(np.int64)
        self._cut = int(indptr[m])

    def values(self, v: np.ndarray) -> np.ndarray:
        """Nonzeros of ``[H; C]`` in CSR order at voltages ``v`` (E,)."""
        return self.evaluate(v)[0]

    def functions(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The measurement functions ``h`` (M,), the zero-injection residuals ``c`` (2Z,)
        and the power rows' ``y V`` at voltages ``v`` (E,) (the values of
        :func:`gat_adms.se._model.evaluate` and :func:`gat_adms.se._model.constraints`)."""
        i_r = self._yr @ v
        s_r = v[self._aterm] * np.conj(i_r)
        fun = np.where(self._src_imag, s_r.imag, s_r.real)
        fun[self._src_cur] = np.abs(i_r[self._src_cur])
        out = np.empty(self.m + self.n_c)
        out[self._src_row] = fun
        out[self._vmag_rows] = np.abs(v[self._vmag_elec])
        out[self._vang_rows] = np.angle(v[self._vang_elec])
        return out[: self.m], out[self.m :], i_r

    def evaluate(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Nonzeros of ``[H; C]`` (CSR order), ``h`` (M,) and ``c`` (2Z,) at voltages ``v``
        (E,), sharing one ``y V`` product (:meth:`functions`)."""
        v = np.asarray(v).reshape(-1)
        h, c, i_r = self.functions(v)
        vk = v[self._pcol]
        inv_vm = 1.0 / np.abs(vk)
        yvk = self._yv * vk
        ir = i_r[self._prow]
        # s = v_a conj(i): d/dtheta = j (base - other), d/dvm = (base + other) / vm with
        # other = v_a conj(y_k V_k) and base = V_k conj(i) only at the v_a column.
        other = v[self._aterm_p] * np.conj(yvk)
        pim = self._pimag
        d_theta = np.where(pim, -other.real, other.imag)
        d_vm = np.where(pim, other.imag, other.real)
        a = self._a_pos
        base = vk[a] * np.conj(ir[a])
        pim_a = pim[a]
        d_theta[a] += np.where(pim_a, base.real, -base.imag)
        d_vm[a] += np.where(pim_a, base.imag, base.real)
        d_vm *= inv_vm
        if self._pcur.any():
            c_ = self._pcur
            w = np.conj(ir[c_]) / np.maximum(np.abs(ir[c_]), 1e-12)
            d_theta[c_] = (w * 1j * yvk[c_]).real
            d_vm[c_] = (w * yvk[c_]).real * inv_vm[c_]
        data = np.empty(self._nnz)
        data[self._dest_theta] = d_theta[self._keep_theta]
        data[self._dest_vm] = d_vm
        data[self._dest_const] = 1.0
        return data, h, c

    def rmatvec(self, data: np.ndarray, y: np.ndarray) -> np.ndarray:
        """``[H; C]^T y`` (n,) for nonzeros ``data`` (CSR order) and ``y`` (M + 2Z,)."""
        return np.bincount(self._indices64, weights=data * y[self._row_of], minlength=self.n)

    def fill(self, v: np.ndarray) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """``H`` (M, n) and ``C`` (2Z, n) at voltages ``v`` (E,)."""
        data = self.values(v)
        cut = self._cut
        h = sp.csr_matrix(
            (data[:cut], self._indices[:cut], self._indptr[: self.m + 1]), (self.m, self.n)
        )
        c = sp.csr_matrix(
            (data[cut:], self._indices[cut:], self._indptr[self.m :] - cut), (self.n_c, self.n)
        )
        return h, c

    def row_of_nonzero(self, which: str) -> np.ndarray:
        """Row of every nonzero of ``H`` (``"h"``) or ``C`` (``"c"``), in CSR order."""
        return self._row_of[: self._cut] if which == "h" else self._row_of[self._cut :] - self.m


_CACHE: weakref.WeakKeyDictionary[MeasArrays, tuple[SeModel, bytes, JacobianPattern]] = (
    weakref.WeakKeyDictionary()
)


def pattern_for(model: SeModel, meas: MeasArrays, zero: np.ndarray) -> JacobianPattern:
    """The :class:`JacobianPattern` of ``meas`` on ``model``, kept while ``meas`` lives
    (one per measurement-set object: repeated estimates of it skip the ~7 ms build)."""
    key = np.asarray(zero, dtype=np.int64).tobytes()
    hit = _CACHE.get(meas)
    if hit is not None and hit[0] is model and hit[1] == key:
        return hit[2]
    pattern = JacobianPattern(model, meas, zero)
    _CACHE[meas] = (model, key, pattern)
    return pattern
