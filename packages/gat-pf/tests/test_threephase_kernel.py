"""The compiled three-phase fixed point (``_threephase/_kernel.py``) against references that
share none of its arithmetic: element currents from ``_loads.element_currents`` (numpy, the
laws through ``adjust_power``) and element by element from the ZIP definition; solutions
from a dense ``numpy.linalg.solve`` fixed point on small random three-phase radial networks;
a batch with per-row admittance blocks (Woodbury) against each row factorised with its own
matrix; Kirchhoff's law in power terms at the converged point (hypothesis)."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from gat_pf._threephase import _solve
from gat_pf._threephase._loads import Band, Exponents, LoadElements, element_currents

_SHIFT = np.exp(-2j * np.pi / 3 * np.arange(3))


def _zip_loads(rng: np.random.Generator, n_e: int) -> SimpleNamespace:
    def c(size: int) -> np.ndarray:
        return rng.normal(size=size) + 1j * rng.normal(size=size)

    return SimpleNamespace(s_p=c(n_e), s_i=c(n_e), s_z=c(n_e), v_nom=rng.uniform(0.5, 2.0, n_e))


def test_element_currents_follow_the_zip_load_definition() -> None:
    rng = np.random.default_rng(3)
    n_s, n_e = 3, 7
    loads = _zip_loads(rng, n_e)
    ve = rng.normal(size=(n_s, n_e)) + 1j * rng.normal(size=(n_s, n_e))
    ve[1, 2] = 0.0  # an element at zero voltage carries no current
    scale = rng.uniform(0.2, 1.5, (n_s, n_e)) * np.exp(1j * rng.uniform(-1, 1, (n_s, n_e)))
    for sc in (None, scale, scale.real):
        got = _solve._currents(loads, ve.copy(), None if sc is None else sc.copy())
        for s in range(n_s):
            for e in range(n_e):
                v = ve[s, e]
                if v == 0:
                    assert got[s, e] == 0
                    continue
                m = abs(v) / loads.v_nom[e]
                power = loads.s_p[e] + loads.s_i[e] * m + loads.s_z[e] * m * m
                power *= 1.0 if sc is None else sc[s, e]
                # The kernel returns the injected current: minus the current drawn.
                assert abs(got[s, e] + np.conj(power / v)) <= 1e-12 * (1 + abs(power / v))


def _network(rng: np.random.Generator, n_bus: int, n_load: int, laws: bool):  # type: ignore[no-untyped-def]
    """A random radial three-phase network: bus 0 the slack (balanced 1 pu), coupled 3x3
    line impedances, wye and delta loads on random buses (ZIP parts; with ``laws`` some
    with exponents and some with a voltage band around their operating voltage)."""
    n_bp = 3 * n_bus
    parent = np.array([0] + [int(rng.integers(0, b)) for b in range(1, n_bus)])
    rows, cols, vals = [], [], []
    for b in range(1, n_bus):
        z = (rng.uniform(0.002, 0.01) + 1j * rng.uniform(0.004, 0.02)) * np.eye(3)
        z += (0.001 + 0.003j) * (1 - np.eye(3)) * rng.uniform(0.3, 1.0)
        y = np.linalg.inv(z)
        a, c = 3 * parent[b] + np.arange(3), 3 * b + np.arange(3)
        for (r, q), sign in (((a, a), 1), ((c, c), 1), ((a, c), -1), ((c, a), -1)):
            rr, qq = np.meshgrid(r, q, indexing="ij")
            rows.append(rr.ravel())
            cols.append(qq.ravel())
            vals.append(sign * y.ravel())
    y_bus = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n_bp, n_bp)
    )
    bus = rng.integers(1, n_bus, n_load)
    ph = rng.integers(0, 3, n_load)
    delta = rng.uniform(size=n_load) < 0.3
    a = 3 * bus + ph
    b = np.where(delta, 3 * bus + (ph + 1) % 3, -1)
    s = (rng.uniform(0.01, 0.04, n_load) + 1j * rng.uniform(0.0, 0.02, n_load)) * (1 + delta)
    frac = rng.dirichlet(np.ones(3), n_load)
    exps = band = None
    if laws:
        ex_idx = np.flatnonzero(rng.uniform(size=n_load) < 0.3)
        exps = Exponents(
            ex_idx,
            s.real[ex_idx],
            s.imag[ex_idx],
            rng.uniform(0.5, 2.5, len(ex_idx)),
            rng.uniform(1.0, 3.5, len(ex_idx)),
        )
        frac[ex_idx] = [1.0, 0.0, 0.0]
        bd_idx = np.flatnonzero(rng.uniform(size=n_load) < 0.5)
        # Bands placed against the network's voltages (0.95-1.0 pu): elements above
        # v_max, between v_low and v_min, and below v_low.
        kind = rng.integers(0, 3, len(bd_idx))
        v_min = np.where(kind == 0, 0.8, 1.03) + rng.uniform(0, 0.01, len(bd_idx))
        v_max = np.where(kind == 0, 0.9, 1.1) + rng.uniform(0, 0.01, len(bd_idx))
        v_low = np.where(kind == 1, 1.01, 0.7) + rng.uniform(0, 0.01, len(bd_idx))
        y_r = s[bd_idx] * rng.uniform(0.8, 1.2, len(bd_idx))
        band = Band(bd_idx, v_min, v_max, v_low, y_r, s[bd_idx] * 0.95, s[bd_idx] * 1.05)
    inc_rows = np.concatenate([np.arange(n_load), np.flatnonzero(delta)])
    inc = sp.csr_matrix(
        (
            np.concatenate([np.ones(n_load), -np.ones(int(delta.sum()))]),
            (inc_rows, np.concatenate([a, b[delta]])),
        ),
        shape=(n_load, n_bp),
    )
    loads = LoadElements(
        pn_a=a,
        pn_b=b,
        node=bus,
        s_p=s * frac[:, 0],
        s_i=s * frac[:, 1],
        s_z=s * frac[:, 2],
        v_nom=np.where(delta, np.sqrt(3.0), 1.0),
        scalable=np.ones(n_load, bool),
        incidence=inc,
        exps=exps,
        band=band,
    )
    # leaves first: deepest buses first (reverse breadth-first order)
    depth = np.zeros(n_bus, int)
    for b in range(1, n_bus):
        depth[b] = depth[parent[b]] + 1
    order = np.concatenate([3 * b + np.arange(3) for b in np.argsort(-depth, kind="stable")])
    return y_bus, loads, order[order >= 3]


def _dense_reference(y_bus, loads, scale, v_slack, y_extra=None):  # type: ignore[no-untyped-def]
    """Plain fixed point ``v = Y_LL^-1 (i(v) - Y_LS v_s)`` with dense numpy solves and the
    numpy element currents, to a change below 1e-14 pu."""
    y = y_bus.toarray() if y_extra is None else y_bus.toarray() + y_extra
    yll, yls = y[3:, 3:], y[3:, :3]
    v = np.zeros((1, y.shape[0]), complex)
    v[0, :3] = v_slack
    v[0, 3:] = np.linalg.solve(yll, -yls @ v_slack)
    for _ in range(2000):
        cur, _ = element_currents(loads, v, scale)
        inj = -(loads.incidence.T @ cur[0])
        new = np.linalg.solve(yll, inj[3:] - yls @ v_slack)
        step = np.abs(new - v[0, 3:]).max()
        v[0, 3:] = new
        if step < 1e-14:
            return v[0]
    raise AssertionError("the dense reference did not converge")


@pytest.mark.parametrize("ordered", [True, False])
@pytest.mark.parametrize("laws", [False, True])
def test_fixed_point_matches_a_dense_reference(ordered: bool, laws: bool) -> None:
    """Both factor kinds: the leaves-first order (no permutation) and SuperLU's COLAMD with
    partial pivoting (row and column permutations)."""
    rng = np.random.default_rng(11 + laws)
    y_bus, loads, order = _network(rng, 14, 30, laws)
    n_bp = y_bus.shape[0]
    fac = _solve.factorize_3ph(y_bus, np.arange(3), np.arange(3, n_bp), order if ordered else None)
    if not ordered:
        assert not np.array_equal(fac.lu.perm_c, np.arange(n_bp - 3))
    scale = rng.uniform(0.5, 3.0, (4, len(loads.s_p)))
    res = _solve.fixed_point(fac, loads, n_bp, _SHIFT, scale, 4, tol=1e-12, max_iter=200)
    assert res.converged.all() and (res.mismatch <= 1e-12).all()
    for s in range(4):
        want = _dense_reference(y_bus, loads, scale[s : s + 1], _SHIFT)
        assert np.abs(res.v[s] - want).max() < 1e-10
    if laws:  # the laws acted: elements on every side of their bands
        _, ve = element_currents(loads, res.v, scale)
        m = np.abs(ve[:, loads.band.idx]) / loads.v_nom[loads.band.idx]
        assert (m > loads.band.v_max).any() and (m <= loads.band.v_low).any()
        assert ((m > loads.band.v_low) & (m <= loads.band.v_min)).any()


def _block_deltas(rng: np.random.Generator, n_s: int, n_bp: int):  # type: ignore[no-untyped-def]
    """Two groups of per-row blocks: a 2x2 one between unknown bus phases and a 6x6 one on a
    branch from the slack bus (its slack columns change the right-hand side); rows 0 and 3
    have no change, rows 1 and 4 the same one."""
    dy1 = np.zeros((n_s, 1, 2, 2), complex)
    dy2 = np.zeros((n_s, 1, 6, 6), complex)
    for s in range(n_s):
        if s in (0, 3):
            continue
        if s == 4:
            dy1[s], dy2[s] = dy1[1], dy2[1]
            continue
        g = (rng.uniform(1, 20) + 1j * rng.uniform(-30, -5)) * np.array([[1, -1], [-1, 1]])
        dy1[s, 0] = g
        y3 = np.diag(rng.uniform(5, 40, 3) - 1j * rng.uniform(10, 80, 3))
        dy2[s, 0] = np.block([[y3, -y3], [-y3, y3]])
    term1 = np.array([[7, 12]])
    term2 = np.array([np.concatenate([np.arange(3), 3 + np.arange(3)])])
    return (_solve.BlockDelta(term1, dy1), _solve.BlockDelta(term2, dy2))


def _scatter(deltas, s: int, n_bp: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    out = np.zeros((n_bp, n_bp), complex)
    for d in deltas:
        for b in range(d.term.shape[0]):
            out[np.ix_(d.term[b], d.term[b])] += d.dy[s, b]
    return out


@pytest.mark.parametrize("ordered", [True, False])
def test_batch_with_mixed_blocks_and_laws_matches_each_row_alone(ordered: bool) -> None:
    rng = np.random.default_rng(5)
    y_bus, loads, order = _network(rng, 12, 26, True)
    n_bp = y_bus.shape[0]
    n_s = 6
    deltas = _block_deltas(rng, n_s, n_bp)
    slack, unknown = np.arange(3), np.arange(3, n_bp)
    fac = _solve.factorize_3ph(y_bus, slack, unknown, order if ordered else None)
    scale = rng.uniform(0.5, 2.5, (n_s, len(loads.s_p))) * np.exp(1j * rng.uniform(-0.3, 0.3))
    batch = _solve.fixed_point(
        fac, loads, n_bp, _SHIFT, scale, n_s, tol=1e-12, max_iter=300, deltas=deltas
    )
    assert batch.converged.all()
    for s in range(n_s):
        y_s = (y_bus + sp.csr_matrix(_scatter(deltas, s, n_bp))).tocsr()
        own = _solve.fixed_point(
            _solve.factorize_3ph(y_s, slack, unknown, order if ordered else None),
            loads,
            n_bp,
            _SHIFT,
            scale[s : s + 1],
            1,
            tol=1e-12,
            max_iter=300,
        )
        assert own.converged[0]
        assert np.abs(batch.v[s] - own.v[0]).max() < 1e-10
        assert abs(int(batch.iterations[s]) - int(own.iterations[0])) <= 1
        # and both are the dense reference's solution with the row's own matrix
        want = _dense_reference(y_bus, loads, scale[s : s + 1], _SHIFT, _scatter(deltas, s, n_bp))
        assert np.abs(batch.v[s] - want).max() < 1e-10
    # warm starts from the solution: one iteration, same voltages
    again = _solve.fixed_point(
        fac, loads, n_bp, _SHIFT, scale, n_s, tol=1e-12, max_iter=300, v_start=batch.v,
        deltas=deltas,
    )  # fmt: skip
    assert (again.iterations == 1).all() and np.abs(again.v - batch.v).max() < 1e-11


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n_bus=st.integers(2, 9),
    load=st.floats(0.2, 4.0),
    laws=st.booleans(),
)
def test_converged_point_satisfies_kirchhoff_in_power_terms(
    seed: int, n_bus: int, load: float, laws: bool
) -> None:
    """At every converged row, the network's own currents ``Y v`` at the unknown bus phases
    equal the loads' injections (from the numpy element currents) within the power
    tolerance; rows the iteration gives up on are reported as not converged (no warning,
    no exception)."""
    rng = np.random.default_rng(seed)
    y_bus, loads, order = _network(rng, n_bus, 3 * n_bus, laws)
    n_bp = y_bus.shape[0]
    fac = _solve.factorize_3ph(y_bus, np.arange(3), np.arange(3, n_bp), order)
    scale = load * rng.uniform(0.5, 1.5, (3, len(loads.s_p)))
    tol = 1e-10
    res = _solve.fixed_point(fac, loads, n_bp, _SHIFT, scale, 3, tol=tol, max_iter=100)
    cur, _ = element_currents(loads, res.v, scale)
    for s in np.flatnonzero(res.converged):
        mismatch = res.v[s] * np.conj(y_bus @ res.v[s] + loads.incidence.T @ cur[s])
        assert np.abs(mismatch[3:]).max() <= 1.01 * tol + 1e-13
        # power balance: the slack supplies the loads' consumption (element voltage times
        # conjugate current drawn) plus the passive lines' losses (real part >= 0)
        s_slack = np.sum(res.v[s, :3] * np.conj((y_bus @ res.v[s])[:3]))
        s_load = np.sum((loads.incidence @ res.v[s]) * np.conj(cur[s]))
        assert (s_slack - s_load).real >= -1e-9
        assert abs(s_slack - s_load - res.v[s] @ np.conj(y_bus @ res.v[s])) <= 1e-8
    assert (res.converged == (res.mismatch <= tol) & _solve.determined(res.v)).all()


def test_a_diverging_row_stops_without_stopping_the_others() -> None:
    rng = np.random.default_rng(2)
    y_bus, loads, order = _network(rng, 8, 20, False)  # no band: no impedance fallback
    n_bp = y_bus.shape[0]
    fac = _solve.factorize_3ph(y_bus, np.arange(3), np.arange(3, n_bp), order)
    scale = np.ones((3, len(loads.s_p)))
    scale[1] *= 1e4  # far beyond the network's loadability
    res = _solve.fixed_point(fac, loads, n_bp, _SHIFT, scale, 3, tol=1e-10, max_iter=60)
    assert res.converged[[0, 2]].all() and not res.converged[1]
    assert np.abs(res.v[0] - res.v[2]).max() == 0.0  # same inputs, same row arithmetic


def test_empty_batches_and_networks_without_loads() -> None:
    rng = np.random.default_rng(4)
    y_bus, loads, order = _network(rng, 5, 8, True)
    n_bp = y_bus.shape[0]
    fac = _solve.factorize_3ph(y_bus, np.arange(3), np.arange(3, n_bp), order)
    deltas = _block_deltas(rng, 0, n_bp)
    none = _solve.fixed_point(
        fac, loads, n_bp, _SHIFT, np.ones((0, 8)), 0, tol=1e-10, max_iter=10, deltas=deltas
    )
    assert none.v.shape == (0, n_bp) and none.converged.shape == (0,)
    no_loads = LoadElements(
        pn_a=np.zeros(0, np.int64),
        pn_b=np.zeros(0, np.int64),
        node=np.zeros(0, np.int64),
        s_p=np.zeros(0, complex),
        s_i=np.zeros(0, complex),
        s_z=np.zeros(0, complex),
        v_nom=np.zeros(0),
        scalable=np.zeros(0, bool),
        incidence=sp.csr_matrix((0, n_bp)),
    )
    res = _solve.fixed_point(fac, no_loads, n_bp, _SHIFT, None, 2, tol=1e-10, max_iter=10)
    want = np.linalg.solve(y_bus.toarray()[3:, 3:], -y_bus.toarray()[3:, :3] @ _SHIFT)
    assert res.converged.all() and (res.iterations == 1).all()
    assert np.abs(res.v[:, 3:] - want).max() < 1e-12


def test_importing_gat_pf_does_not_import_numba() -> None:
    code = "import sys, gat_pf; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
