"""Build the pf_nodes, pf_branches and pf_summary tables from solved arrays."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._flows import flow_arrays
from ._limits import OVER, UNDER, loading_worst, voltage_violations
from ._model import PowerFlowModel
from ._options import Method

__all__ = ["result_tables"]


def result_tables(
    model: PowerFlowModel,
    method: Method,
    v_bus: np.ndarray,
    load: np.ndarray,
    gen: np.ndarray,
    converged: np.ndarray,
    iterations: np.ndarray,
    mismatch_mva: np.ndarray,
    *,
    scenario_ids: Sequence[object] | None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Tables of S solved scenarios (``scenario_ids=None``: one run, no scenario column).

    Power columns are MW/Mvar/MVA (pu times ``base_mva``); angles in degrees. Voltages
    are checked against each node's ``v_min``/``v_max`` (pu) and rated branches against
    ``thermal_limit`` (MVA): ``loading_pct`` is the larger end's apparent power over the
    rating (%), and a branch is overloaded above 100 %.
    """
    fa = flow_arrays(model, method, v_bus, load, gen)
    base = model.base_mva
    n_s, n = fa.v_node.shape
    nbr = len(model.branch_ids)
    vm = np.abs(fa.v_node)
    label, v_out = voltage_violations(vm, model.node_v_min, model.node_v_max)
    # Columns are fresh arrays, so the frames can hold them without another copy.
    nodes = pd.DataFrame(
        {
            "node_id": np.tile(model.node_ids, n_s),
            "vm_pu": vm.ravel(),
            "va_deg": np.angle(fa.v_node, deg=True).ravel(),
            "p_mw": _scaled(fa.s_node.real, base),
            "q_mvar": _scaled(fa.s_node.imag, base),
            "v_min": np.tile(model.node_v_min, n_s),
            "v_max": np.tile(model.node_v_max, n_s),
            "violation": label.ravel(),
            "v_violation_pu": v_out.ravel(),
        },
        copy=False,
    )
    sf, st = fa.s_from, fa.s_to
    loss_p, loss_q = sf.real + st.real, sf.imag + st.imag
    s_abs = np.abs(sf)
    closed = model.branch_active | model.branch_merged
    rated = closed & np.isfinite(model.branch_rating)
    loading = np.full((n_s, nbr), np.nan)
    if rated.any():
        k = np.flatnonzero(rated)
        peak = np.maximum(s_abs[:, k], np.abs(st[:, k]))
        loading[:, k] = peak * (100.0 * base / model.branch_rating[k])
    over = np.nan_to_num(loading, nan=0.0) > 100.0
    branches = pd.DataFrame(
        {
            "branch_id": np.tile(model.branch_ids, n_s),
            "from_node": np.tile(model.branch_from, n_s),
            "to_node": np.tile(model.branch_to, n_s),
            "p_from_mw": _scaled(sf.real, base),
            "q_from_mvar": _scaled(sf.imag, base),
            "p_to_mw": _scaled(st.real, base),
            "q_to_mvar": _scaled(st.imag, base),
            "p_loss_mw": _scaled(loss_p, base),
            "q_loss_mvar": _scaled(loss_q, base),
            "s_from_mva": _scaled(s_abs, base),
            "rating_mva": np.tile(model.branch_rating, n_s),
            "loading_pct": loading.ravel(),
            "overloaded": over.ravel(),
        },
        copy=False,
    )
    load_total = fa.load.real.sum(axis=1)
    gen_total = fa.s_node.real.sum(axis=1) + load_total + fa.shunt.real.sum(axis=1)
    imin, imax = vm.argmin(axis=1), vm.argmax(axis=1)
    rows = np.arange(n_s)
    load_max, load_at = loading_worst(loading, model.branch_ids)
    summary = pd.DataFrame(
        {
            "method": [method.value] * n_s,
            "converged": np.asarray(converged, dtype=bool),
            "iterations": np.asarray(iterations, dtype=np.int64),
            "max_mismatch_mva": np.asarray(mismatch_mva, dtype=float),
            "total_load_mw": load_total * base,
            "total_gen_mw": gen_total * base,
            "p_loss_mw": loss_p.sum(axis=1) * base,
            "q_loss_mvar": loss_q.sum(axis=1) * base,
            "vm_min_pu": vm[rows, imin],
            "vm_min_node": model.node_ids[imin].astype(str),
            "vm_max_pu": vm[rows, imax],
            "vm_max_node": model.node_ids[imax].astype(str),
            "n_under_v_min": (label == UNDER).sum(axis=1).astype(np.int64),
            "n_over_v_max": (label == OVER).sum(axis=1).astype(np.int64),
            "n_overloaded": over.sum(axis=1).astype(np.int64),
            "loading_max_pct": load_max,
            "loading_max_branch": load_at,
        }
    )
    if scenario_ids is not None:
        sid = np.asarray(list(scenario_ids), dtype=object)
        nodes.insert(0, "scenario_id", np.repeat(sid, n))
        branches.insert(0, "scenario_id", np.repeat(sid, nbr))
        summary.insert(0, "scenario_id", sid)
    return nodes, branches, summary


def _scaled(x: np.ndarray, factor: float) -> np.ndarray:
    """``x * factor`` as a new contiguous 1-D array (one pass, also for strided views)."""
    out = np.empty(x.shape)
    np.multiply(x, factor, out=out)
    return out.ravel()
