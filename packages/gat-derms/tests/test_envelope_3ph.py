"""P-Q envelopes on a three-phase network (the ieee13 dataset and its der_assets).

Checks independent of the envelope code: vertices re-solved through the physics interface
directly (set points spread over each asset's phases), the asset boxes, and the base point
(every asset at zero) lying inside each group's hull.
"""

from __future__ import annotations

import numpy as np
import pytest

from gat_derms import EnvelopeOptions, compute_envelopes
from gat_dist.datasets import build_dataset
from gat_schemas import InputError

pytest.importorskip("highspy")


@pytest.fixture(scope="module")
def ieee13():  # type: ignore[no-untyped-def]
    return build_dataset("ieee13")


@pytest.fixture(scope="module")
def by_bus(ieee13):  # type: ignore[no-untyped-def]
    assets = ieee13.table("der_assets")
    return compute_envelopes(ieee13, assets, EnvelopeOptions(group_by="bus_id", v_max=1.07))


def _inside(point: np.ndarray, vertices: np.ndarray, tol: float) -> bool:
    """Point in a counter-clockwise convex polygon (within ``tol``), segments and points too."""
    n = len(vertices)
    if n == 1:
        return bool(np.linalg.norm(point - vertices[0]) <= tol)
    if n == 2:
        a, b = vertices
        t = np.clip(np.dot(point - a, b - a) / max(np.dot(b - a, b - a), 1e-18), 0.0, 1.0)
        return bool(np.linalg.norm(point - (a + t * (b - a))) <= tol)
    for i in range(n):
        a, b = vertices[i], vertices[(i + 1) % n]
        cross = (b[0] - a[0]) * (point[1] - a[1]) - (b[1] - a[1]) * (point[0] - a[0])
        if cross < -tol * np.linalg.norm(b - a):
            return False
    return True


def test_every_group_has_an_envelope_holding_its_base_point(by_bus, ieee13) -> None:  # type: ignore[no-untyped-def]
    s = by_bus.summary.set_index("group_id")
    assert set(s.index) == {"670", "671", "675", "634", "652", "692"}
    assert (s["status"] == "optimal").all()
    # The secant cuts bring every vertex within the AC tolerances in the default 4 rounds
    # (XFM1, held at its base loading + 0.1 %, takes group 634 four).
    assert s["ac_verified"].all()
    assert (s["ac_corrections"] <= 4).all()
    assets = ieee13.table("der_assets")
    for gid, env in by_bus.envelopes.groupby("group_id"):
        members = assets[assets.bus_id.astype(str) == gid]
        base = np.array(
            [
                np.clip(0.0, members.p_min, members.p_max).sum(),
                np.clip(0.0, members.q_min, members.q_max).sum(),
            ]
        )
        assert _inside(base, env[["p_mw", "q_mvar"]].to_numpy(), 1e-6), gid


def test_vertices_respect_asset_limits_and_pass_an_independent_ac_check(by_bus, ieee13) -> None:  # type: ignore[no-untyped-def]
    import gat_pf
    from gat_pf import Injection, ThreePhaseOptions

    assets = ieee13.table("der_assets").set_index("asset_id")
    sp = by_bus.setpoints.join(
        assets[["p_min", "p_max", "q_min", "q_max", "bus_id", "phase"]], on="asset_id", rsuffix="_a"
    )
    assert (sp.p_mw >= sp.p_min - 1e-9).all() and (sp.p_mw <= sp.p_max + 1e-9).all()
    assert (sp.q_mvar >= sp.q_min - 1e-9).all() and (sp.q_mvar <= sp.q_max + 1e-9).all()
    phys = gat_pf.physics_model(ieee13, options_3ph=ThreePhaseOptions(regulators="fixed"))
    n_t = len(phys.term_node)
    node = np.asarray(phys.node_ids).astype(str)[phys.term_node]
    phase = np.asarray(phys.term_phase).astype(str)
    verified = by_bus.summary.set_index("group_id")["ac_verified"]
    for (gid, vertex), rows in sp.groupby(["group_id", "vertex"]):
        if not verified[gid]:
            continue
        p, q = np.zeros((1, n_t)), np.zeros((1, n_t))
        for r in rows.itertuples():
            at = np.flatnonzero((node == str(r.bus_id)) & np.isin(phase, list(r.phase)))
            p[0, at] += r.p_mw / len(at)
            q[0, at] += r.q_mvar / len(at)
        sol = phys.solve(Injection(np.arange(n_t), p, q))
        assert sol.converged.all()
        vm = phys.limits(sol).vm_pu[0][~np.asarray(phys.term_slack)]
        held = by_bus.held[by_bus.held.limit == "v_max"]["held_at"]
        top = max(1.07, float(held.max()) if len(held) else 1.07)
        assert vm.max() <= top + 1e-3, (gid, vertex)
        assert vm.min() >= 0.95 - 1e-3, (gid, vertex)


def test_feeder_grouping_is_refused_on_three_phase(ieee13) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="feeder is for balanced networks"):
        compute_envelopes(ieee13, ieee13.table("der_assets"), EnvelopeOptions(group_by="feeder"))


def test_shipped_aggregator_at_defaults_is_ac_verified(ieee13) -> None:  # type: ignore[no-untyped-def]
    """IEEE 13 as shipped (one aggregator, 1.05 pu, default ratings; XFM1, 650632, 632670
    and 670671 already overloaded and held): the secant cuts need 7 rounds here, so the
    three-phase default must allow them. Every vertex is re-solved independently and its
    conductor loadings compared with the held ratings."""
    import gat_pf
    from gat_pf import Injection, ThreePhaseOptions

    assets = ieee13.table("der_assets")
    r = compute_envelopes(ieee13, assets, EnvelopeOptions())
    s = r.summary.iloc[0]
    assert bool(s["ac_verified"]), s.to_dict()
    phys = gat_pf.physics_model(ieee13, options_3ph=ThreePhaseOptions(regulators="fixed"))
    n_t = len(phys.term_node)
    node = np.asarray(phys.node_ids).astype(str)[phys.term_node]
    phase = np.asarray(phys.term_phase).astype(str)
    labels = np.asarray(phys.cond_label).astype(str)
    held = r.held[r.held.limit == "ampacity"].set_index("element")["held_at"]
    cap = np.array([max(100.0, float(held.get(lab, 100.0))) for lab in labels])
    sp = r.setpoints.join(assets.set_index("asset_id")[["bus_id", "phase"]], on="asset_id")
    for _vertex, rows in sp.groupby("vertex"):
        p, q = np.zeros((1, n_t)), np.zeros((1, n_t))
        for row in rows.itertuples():
            at = np.flatnonzero((node == str(row.bus_id)) & np.isin(phase, list(row.phase)))
            p[0, at] += row.p_mw / len(at)
            q[0, at] += row.q_mvar / len(at)
        sol = phys.solve(Injection(np.arange(n_t), p, q))
        assert sol.converged.all()
        loading = np.nan_to_num(phys.limits(sol).loading_pct[0], nan=0.0)
        assert (loading <= cap + 0.1 + 1e-6).all(), labels[np.argmax(loading - cap)]
