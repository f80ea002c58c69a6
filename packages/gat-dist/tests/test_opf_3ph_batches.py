"""Bounded memory of the three-phase OPF's linear model (IEEE 8500 took 12 GB before).

The central differences of :func:`gat_dist.opf.threephase.ac.linearise` were solved as one
batch of ``1 + 4 D`` AC power flows: every solution's voltages, currents and branch powers
at once (O(S T) memory). They are now solved in batches of a bounded size; these tests
check the size of the batches handed to the solver and that the derivatives do not depend
on how the scenarios are split (expected values: the same central differences in one batch).
"""

from __future__ import annotations

import numpy as np
import pytest

import gat_dist.opf.threephase.ac as ac_mod
from gat_dist.datasets import build_dataset
from gat_dist.opf import OpfOptions
from gat_dist.opf.threephase.ac import assets_per_batch, linearise
from gat_dist.opf.threephase.data import opf3_data

pytest.importorskip("highspy")


@pytest.fixture(scope="module")
def data13():  # type: ignore[no-untyped-def]
    import gat_pf
    from gat_pf import ThreePhaseOptions

    net = build_dataset("ieee13")
    phys = gat_pf.physics_model(
        net, model="three_phase", options_3ph=ThreePhaseOptions(regulators="fixed")
    )
    return opf3_data(net, phys, OpfOptions(), assets=net.table("der_assets"), cost_curves=None)


def test_batch_size_follows_the_memory_budget() -> None:
    # IEEE 8500's three-phase model: 8534 terminals, 8531 conductors, 1297 DER assets.
    per = assets_per_batch(8534, 8531)
    scenarios = 4 * per + 1
    assert 4 <= scenarios * 400 * (8534 + 8531) <= ac_mod.BATCH_BYTES + 400 * (8534 + 8531)
    assert per < 1297  # the 5189 scenarios of one batch would not fit
    assert assets_per_batch(10, 10) >= 1297  # small networks: one batch, as before
    assert assets_per_batch(10**9, 10**9) == 1


def test_split_batches_give_the_same_derivatives(data13, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    n = data13.n_der
    assert n >= 3
    p0 = np.clip(0.0, data13.der_p_min, data13.der_p_max)
    q0 = np.clip(0.0, data13.der_q_min, data13.der_q_max)
    whole = linearise(data13, p0, q0, load_scale=1.0)
    sizes: list[int] = []
    real = ac_mod.evaluate

    def spy(data, p, q, *, load_scale):  # type: ignore[no-untyped-def]
        sizes.append(np.atleast_2d(p).shape[0])
        return real(data, p, q, load_scale=load_scale)

    monkeypatch.setattr(ac_mod, "evaluate", spy)
    n_entries = len(data13.phys.term_node) + len(data13.phys.cond_branch)
    budget = 4 * 400 * n_entries  # one asset per batch
    split = linearise(data13, p0, q0, load_scale=1.0, batch_bytes=budget)
    assert sizes == [5] + [4] * (n - 1)
    for name in ("vm_dp", "vm_dq", "loading_dp", "loading_dq", "head_dp", "loss_dp", "loss_hp"):
        np.testing.assert_allclose(getattr(split, name), getattr(whole, name), atol=1e-6)
    np.testing.assert_allclose(split.vm, whole.vm, atol=1e-10)
    assert abs(split.loss_mw - whole.loss_mw) < 1e-9


def test_oversized_lp_is_refused_before_any_power_flow(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import gat_dist.opf.threephase.api as api
    from gat_dist.opf import run_opf
    from gat_schemas import InputError

    net = build_dataset("ieee13")

    def no_flow(*_a, **_k):  # type: ignore[no-untyped-def]
        raise AssertionError("a power flow ran before the size check")

    monkeypatch.setattr(api, "linearise", no_flow)
    monkeypatch.setattr(api, "MAX_LP_COEFS", 100)
    with pytest.raises(
        InputError, match=r"three-phase OPF of ieee13: \d+ controllable DER .* at most"
    ):
        run_opf(net, options=OpfOptions(v_max=1.07))


def test_size_check_counts_the_dense_rows(data13) -> None:  # type: ignore[no-untyped-def]
    import gat_dist.opf.threephase.api as api

    n_v, n_c = int(data13.limited.sum()), int(data13.rated.sum())
    coefs = (2 * n_v + n_c) * 2 * data13.n_der
    assert coefs < api.MAX_LP_COEFS  # IEEE 13 passes
    api.check_size(data13, OpfOptions())
    # IEEE 8500 with its 1297 dataset assets: 8531 limited terminals, 8528 rated conductors.
    assert (2 * 8531 + 8528) * 2 * 1297 > api.MAX_LP_COEFS
