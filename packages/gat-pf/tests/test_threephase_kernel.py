"""Kernel pieces of the three-phase fixed point against their textbook definitions:
element currents ``conj(S(|V|) / V)`` and the Anderson least-squares weights, computed here
element by element and with ``numpy.linalg.lstsq`` (independent of the kernel's in-place,
incremental and scenario-major arithmetic)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from gat_pf._threephase import _solve


def _loads(rng: np.random.Generator, n_e: int) -> SimpleNamespace:
    def c(size: int) -> np.ndarray:
        return rng.normal(size=size) + 1j * rng.normal(size=size)

    return SimpleNamespace(s_p=c(n_e), s_i=c(n_e), s_z=c(n_e), v_nom=rng.uniform(0.5, 2.0, n_e))


def test_element_currents_follow_the_zip_load_definition() -> None:
    rng = np.random.default_rng(3)
    n_s, n_e = 3, 7
    loads = _loads(rng, n_e)
    ve = rng.normal(size=(n_s, n_e)) + 1j * rng.normal(size=(n_s, n_e))
    ve[1, 2] = 0.0  # an element at zero voltage carries no current
    scale = rng.uniform(0.2, 1.5, (n_s, n_e)) * np.exp(1j * rng.uniform(-1, 1, (n_s, n_e)))
    for sc in (None, scale):
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


def test_anderson_weights_are_the_real_least_squares_fit() -> None:
    """After more pushes than the depth (the ring buffer wraps) and a dropped scenario, the
    weights minimise |f - sum_j gamma_j df_j| over real gamma for each scenario, and
    :meth:`step` combines images and right-hand sides with them."""
    rng = np.random.default_rng(5)
    n_s, n = 4, 9

    def c(*shape: int) -> np.ndarray:
        return rng.normal(size=shape) + 1j * rng.normal(size=shape)

    hist = _solve._History(n_s, n)
    pushed = []
    for _ in range(_solve._DEPTH + 2):
        d = (c(n_s, n), c(n_s, n), c(n_s, n))
        hist.push(*d)
        pushed.append(d)
    keep = np.array([True, False, True, True])
    hist.keep(keep)
    f, g, inj = c(3, n), c(3, n), c(3, n)
    gamma = hist.weights(f)
    x, r = hist.step(gamma, g, inj)
    last = pushed[-_solve._DEPTH :]
    for s_new, s in enumerate(np.flatnonzero(keep)):
        df = np.stack([p[0][s] for p in last])  # (m, n), slot order differs: compare fits
        a = np.concatenate([df.real, df.imag], axis=1).T  # (2n, m)
        b = np.concatenate([f[s_new].real, f[s_new].imag])
        want, *_ = np.linalg.lstsq(a, b, rcond=None)
        fit = gamma[s_new] @ np.stack([hist.df[s_new, j] for j in range(_solve._DEPTH)])
        want_fit = want @ df
        assert np.allclose(fit, want_fit, atol=1e-9)
        dg = np.stack([hist.dg[s_new, j] for j in range(_solve._DEPTH)])
        dr = np.stack([hist.dr[s_new, j] for j in range(_solve._DEPTH)])
        assert np.allclose(x[s_new], g[s_new] - gamma[s_new] @ dg, atol=1e-12)
        assert np.allclose(r[s_new], inj[s_new] - gamma[s_new] @ dr, atol=1e-12)
