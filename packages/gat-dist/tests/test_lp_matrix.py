"""The shared sparse-matrix LP builder (gat_dist.lp_matrix) on problems solved by hand."""

from __future__ import annotations

import numpy as np

from gat_dist.lp_matrix import INF, Cols, Rows, build_lp, new_highs


def _solve(cols: Cols, rows: Rows) -> np.ndarray:
    highs = new_highs()
    highs.passModel(build_lp(cols, rows))
    highs.run()
    return np.asarray(highs.getSolution().col_value)


def test_lp_by_hand():
    # min -x - 2y  s.t.  x + y <= 4,  x + 3y <= 6,  x, y >= 0  ->  (3, 1), objective -5.
    cols, rows = Cols(), Rows()
    x = cols.add((2,), 0.0, INF, cost=[-1.0, -2.0])
    r = rows.add((2,), -INF, [4.0, 6.0])
    rows.coef(r[:, None], x[None, :], [[1.0, 1.0], [1.0, 3.0]])
    np.testing.assert_allclose(_solve(cols, rows), [3.0, 1.0], atol=1e-9)


def test_integer_columns_and_duplicate_coefficients_summed():
    # max x (integer) s.t. 0.5 x + 0.5 x + 0 y <= 2.5 (two triplets on one entry) -> x = 2.
    cols, rows = Cols(), Rows()
    x = cols.add((1,), 0.0, 10.0, cost=-1.0, integer=True)
    y = cols.add((1,), 0.0, 1.0)
    r = rows.add((1,), -INF, 2.5)
    rows.coef(r, x, 0.5)
    rows.coef(r, x, 0.5)
    rows.coef(r, y, 0.0)
    lp = build_lp(cols, rows)
    assert list(lp.a_matrix_.value_) == [1.0]
    np.testing.assert_allclose(_solve(cols, rows)[0], 2.0)


def test_empty_row_set():
    cols, rows = Cols(), Rows()
    cols.add((3,), -1.0, 1.0, cost=1.0)
    np.testing.assert_allclose(_solve(cols, rows), [-1.0, -1.0, -1.0])
