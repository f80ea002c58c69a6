"""Linear and mixed-integer programs built as sparse matrices for HiGHS, without Pyomo.

The models that are rebuilt many times per study (the three-phase OPF's rounds, the
schedule's periods, the Volt/VAR MILP) assemble their columns and rows as blocks of numpy
arrays and hand HiGHS one column-wise matrix: building the same model through Pyomo costs
seconds per round. One mechanism serves them all:

- :class:`Cols` hands out column blocks (bounds, cost, integrality);
- :class:`Rows` hands out row blocks and collects the matrix as (row, column, value)
  triplets;
- :func:`build_lp` turns both into a ``highspy.HighsLp``;
- :func:`new_highs` gives a silent, one-thread HiGHS instance.
"""

from __future__ import annotations

import os
import sys

import highspy
import numpy as np
import scipy.sparse as sp

__all__ = ["INF", "Cols", "Rows", "build_lp", "new_highs"]

INF = highspy.kHighsInf


def _block(value: object, shape: tuple[int, ...]) -> np.ndarray:
    return np.broadcast_to(np.asarray(value, dtype=float), shape).ravel().copy()


class Cols:
    """Column blocks: :meth:`add` returns the indices of a new block shaped ``shape``."""

    def __init__(self) -> None:
        self.n = 0
        self.lb: list[np.ndarray] = []
        self.ub: list[np.ndarray] = []
        self.cost: list[np.ndarray] = []
        self.integer: list[np.ndarray] = []

    def add(
        self,
        shape: tuple[int, ...],
        lb: object,
        ub: object,
        cost: object = 0.0,
        integer: bool = False,
    ) -> np.ndarray:
        """A block of ``prod(shape)`` columns with bounds ``lb``/``ub`` and ``cost``
        (scalars or arrays broadcast to ``shape``); ``integer`` makes them integer."""
        size = int(np.prod(shape))
        idx = np.arange(self.n, self.n + size, dtype=np.int64).reshape(shape)
        self.n += size
        self.lb.append(_block(lb, shape))
        self.ub.append(_block(ub, shape))
        self.cost.append(_block(cost, shape))
        self.integer.append(np.full(size, bool(integer)))
        return idx


class Rows:
    """Row blocks (:meth:`add`) and the matrix triplets (:meth:`coef`)."""

    def __init__(self) -> None:
        self.n = 0
        self.lo: list[np.ndarray] = []
        self.hi: list[np.ndarray] = []
        self.r: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.v: list[np.ndarray] = []

    def add(self, shape: tuple[int, ...], lo: object, hi: object) -> np.ndarray:
        """A block of ``prod(shape)`` rows ``lo <= a x <= hi``; returns their indices."""
        size = int(np.prod(shape))
        idx = np.arange(self.n, self.n + size, dtype=np.int64).reshape(shape)
        self.n += size
        self.lo.append(_block(lo, shape))
        self.hi.append(_block(hi, shape))
        return idx

    def coef(self, rows: object, cols: object, vals: object) -> None:
        """Add coefficients (broadcast together); zeros are dropped, duplicates summed."""
        r, c, v = np.broadcast_arrays(rows, cols, np.asarray(vals, dtype=float))
        keep = v != 0
        self.r.append(r[keep].ravel())
        self.c.append(c[keep].ravel())
        self.v.append(v[keep].ravel())


def _cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)


def build_lp(cols: Cols, rows: Rows, *, offset: float = 0.0) -> highspy.HighsLp:
    """The ``HighsLp`` (minimisation, column-wise matrix) of ``cols`` and ``rows``; bounds
    beyond +-inf are clipped to HiGHS's infinity; integrality is set only when a column
    block is integer."""
    a = sp.csc_matrix(
        (_cat(rows.v, float), (_cat(rows.r, np.int64), _cat(rows.c, np.int64))),
        shape=(rows.n, cols.n),
    )
    a.sum_duplicates()
    lp = highspy.HighsLp()
    lp.num_col_ = cols.n
    lp.num_row_ = rows.n
    lp.col_cost_ = _cat(cols.cost, float)
    lp.col_lower_ = np.clip(_cat(cols.lb, float), -INF, INF)
    lp.col_upper_ = np.clip(_cat(cols.ub, float), -INF, INF)
    lp.row_lower_ = np.clip(_cat(rows.lo, float), -INF, INF)
    lp.row_upper_ = np.clip(_cat(rows.hi, float), -INF, INF)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(float)
    lp.offset_ = float(offset)
    integer = _cat(cols.integer, bool)
    if integer.any():
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
            for i in integer
        ]
    return lp


def new_highs() -> highspy.Highs:
    """A silent HiGHS instance running on one thread.

    HiGHS writes a banner to file descriptor 1 when an instance is created, before any option
    can silence it; it is discarded, since libraries never print. One thread, as every GAT
    HiGHS instance: HiGHS sizes its scheduler once per process and refuses later instances
    of another size.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        highs = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("threads", 1)
    return highs
