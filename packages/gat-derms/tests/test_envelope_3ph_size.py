"""Bounded three-phase envelopes (IEEE 8500 reached 12.8 GB before).

- A group whose support LP would be too large is refused before any LP, naming its size.
- Rows a group cannot move past its limits are left out once the full model is too large
  (checked against the linear model's own range over the members' boxes).
- Each group keeps per-vertex checks, not its vertices' full AC solutions.
"""

from __future__ import annotations

import numpy as np
import pytest

import gat_derms.envelope.threephase as th
from gat_derms import EnvelopeOptions, compute_envelopes
from gat_dist.datasets import build_dataset
from gat_schemas import InputError

pytest.importorskip("highspy")


@pytest.fixture(scope="module")
def ieee13():  # type: ignore[no-untyped-def]
    return build_dataset("ieee13")


def test_oversized_group_is_refused_before_any_lp(ieee13, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def no_lp(*_a, **_k):  # type: ignore[no-untyped-def]
        raise AssertionError("an LP was built before the size check")

    monkeypatch.setattr(th, "_GroupLp", no_lp)
    monkeypatch.setattr(th, "MAX_LP_TERMS", 10)
    with pytest.raises(InputError, match=r"envelope \(three-phase\), group \S+: \d+ assets x"):
        compute_envelopes(
            ieee13, ieee13.table("der_assets"), EnvelopeOptions(group_by="bus_id", v_max=1.07)
        )


def test_rows_left_out_cannot_bind_over_the_box(ieee13, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import gat_pf
    from gat_dist.opf import OpfOptions
    from gat_dist.opf.threephase.ac import linearise
    from gat_dist.opf.threephase.data import opf3_data
    from gat_pf import ThreePhaseOptions

    assets = ieee13.table("der_assets")
    phys = gat_pf.physics_model(
        ieee13, model="three_phase", options_3ph=ThreePhaseOptions(regulators="fixed")
    )
    data = opf3_data(ieee13, phys, OpfOptions(v_max=1.07), assets=assets, cost_curves=None)
    p0 = np.clip(0.0, data.der_p_min, data.der_p_max)
    q0 = np.clip(0.0, data.der_q_min, data.der_q_max)
    lin = linearise(data, p0, q0, load_scale=1.0)
    members = np.arange(data.n_der)
    lo, hi = data.v_lo.copy(), data.v_hi.copy()
    cap = np.full(len(data.rated), 100.0)
    opts = EnvelopeOptions(group_by="bus_id", v_max=1.07)
    all_v, all_c = th.binding_rows(data, lin, members, lo, hi, cap, opts)
    assert (all_v == np.flatnonzero(data.limited)).all()  # small model: every row
    monkeypatch.setattr(th, "FULL_ROWS", 0)
    rows_v, rows_c = th.binding_rows(data, lin, members, lo, hi, cap, opts)
    assert len(rows_v) < len(all_v)
    # Every corner of the members' boxes (random ones): the rows left out stay inside.
    rng = np.random.default_rng(5)
    out_v = np.setdiff1d(all_v, rows_v)
    out_c = np.setdiff1d(all_c, rows_c)
    for _ in range(200):
        p = np.where(rng.random(data.n_der) < 0.5, data.der_p_min, data.der_p_max)
        q = np.where(rng.random(data.n_der) < 0.5, data.der_q_min, data.der_q_max)
        vm = lin.vm + lin.vm_dp @ (p - p0) + lin.vm_dq @ (q - q0)
        ld = lin.loading_pct + lin.loading_dp @ (p - p0) + lin.loading_dq @ (q - q0)
        assert (vm[out_v] >= lo[out_v]).all() and (vm[out_v] <= hi[out_v]).all()
        assert (ld[out_c] <= cap[out_c]).all()


def test_groups_keep_vertex_checks_not_solutions(ieee13, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    kept = []
    real = th._tables

    def spy(data, solved, options, limits):  # type: ignore[no-untyped-def]
        kept.extend(solved)
        return real(data, solved, options, limits)

    monkeypatch.setattr(th, "_tables", spy)
    compute_envelopes(
        ieee13, ieee13.table("der_assets"), EnvelopeOptions(group_by="bus_id", v_max=1.07)
    )
    for _gid, members, pts, checks, _c in kept:
        assert not hasattr(checks, "v") and len(checks.ev) == len(pts)
        assert all(len(p) == len(members) for _t, p, _q in pts)
