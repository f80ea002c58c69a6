"""Build the pf_nodes, pf_branches and pf_summary tables from solved arrays."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._flows import flow_arrays
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

    Power columns are MW/Mvar/MVA (pu times ``base_mva``); angles in degrees.
    """
    fa = flow_arrays(model, method, v_bus, load, gen)
    base = model.base_mva
    n_s, n = fa.v_node.shape
    nbr = len(model.branch_ids)
    va = (
        np.angle(fa.v_node, deg=True)
        if method is not Method.DC
        else np.rad2deg(np.angle(fa.v_node))
    )
    vm = np.abs(fa.v_node)
    s_node = fa.s_node * base
    nodes = pd.DataFrame(
        {
            "node_id": np.tile(model.node_ids, n_s),
            "vm_pu": vm.ravel(),
            "va_deg": va.ravel(),
            "p_mw": s_node.real.ravel(),
            "q_mvar": s_node.imag.ravel(),
        }
    )
    sf, st = fa.s_from * base, fa.s_to * base
    loss = sf + st
    closed = model.branch_active | model.branch_merged
    with np.errstate(invalid="ignore", divide="ignore"):
        loading = np.maximum(np.abs(sf), np.abs(st)) / model.branch_rating * 100.0
    loading = np.where(closed & np.isfinite(model.branch_rating), loading, np.nan)
    branches = pd.DataFrame(
        {
            "branch_id": np.tile(model.branch_ids, n_s),
            "from_node": np.tile(model.branch_from, n_s),
            "to_node": np.tile(model.branch_to, n_s),
            "p_from_mw": sf.real.ravel(),
            "q_from_mvar": sf.imag.ravel(),
            "p_to_mw": st.real.ravel(),
            "q_to_mvar": st.imag.ravel(),
            "p_loss_mw": loss.real.ravel(),
            "q_loss_mvar": loss.imag.ravel(),
            "s_from_mva": np.abs(sf).ravel(),
            "loading_pct": loading.ravel(),
        }
    )
    gen_total = (fa.s_node + fa.load + fa.shunt).real.sum(axis=1) * base
    imin, imax = vm.argmin(axis=1), vm.argmax(axis=1)
    rows = np.arange(n_s)
    summary = pd.DataFrame(
        {
            "method": [method.value] * n_s,
            "converged": np.asarray(converged, dtype=bool),
            "iterations": np.asarray(iterations, dtype=np.int64),
            "max_mismatch_mva": np.asarray(mismatch_mva, dtype=float),
            "total_load_mw": fa.load.real.sum(axis=1) * base,
            "total_gen_mw": gen_total,
            "p_loss_mw": loss.real.sum(axis=1),
            "q_loss_mvar": loss.imag.sum(axis=1),
            "vm_min_pu": vm[rows, imin],
            "vm_min_node": model.node_ids[imin].astype(str),
            "vm_max_pu": vm[rows, imax],
            "vm_max_node": model.node_ids[imax].astype(str),
        }
    )
    if scenario_ids is not None:
        sid = np.asarray(list(scenario_ids), dtype=object)
        nodes.insert(0, "scenario_id", np.repeat(sid, n))
        branches.insert(0, "scenario_id", np.repeat(sid, nbr))
        summary.insert(0, "scenario_id", sid)
    return nodes, branches, summary
