"""AC check of a schedule: every period re-solved in one batched power flow (gat-pf).

Injections and loads are MW/Mvar (generation positive, loads consumption positive). The
check parallels :func:`gat_dist.opf.verify.ac_check` with per-period, per-node loads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gat_schemas.errors import NotConvergedError

__all__ = ["AcDay", "ac_day"]

_FIXED = (1, 2)  # source and slack node types: their voltage is held, not limited


@dataclass(frozen=True, eq=False)
class AcDay:
    """AC power flows of T periods (NaN where a period did not converge).

    Attributes
    ----------
    converged
        (T,) bool.
    vm
        Node voltage magnitudes (T, N) (pu), ``dist_nodes`` order.
    v_bus_sq
        Squared voltage magnitude of each bus (T, n_bus) (pu), for the LP correction.
    head_p_mw, head_q_mvar
        Power drawn from the slack node(s) (T,) (MW, Mvar).
    loss_mw
        Active losses (T,) (MW): head import + generation - load.
    loading_pct
        Largest ``max(|S_from|, |S_to|) / thermal_limit`` per period (T,) (%); NaN if unrated.
    v_excess_pu
        (T, N) ``max(v_min - vm, vm - v_max, 0)`` at limited nodes, 0 elsewhere (pu).
    branch_loading_pct
        (T, E) loading of every active branch (%), NaN when unrated.
    vm_min_pu, vm_max_pu
        (T,) over the limited nodes.
    loading_over_pct
        (T, E) loading minus the allowed loading (100 %, or a held base-case overload on
        three-phase networks) (percentage points), NaN when unrated.
    """

    converged: np.ndarray
    vm: np.ndarray
    v_bus_sq: np.ndarray
    head_p_mw: np.ndarray
    head_q_mvar: np.ndarray
    loss_mw: np.ndarray
    loading_pct: np.ndarray
    v_excess_pu: np.ndarray
    branch_loading_pct: np.ndarray
    vm_min_pu: np.ndarray
    vm_max_pu: np.ndarray
    loading_over_pct: np.ndarray


def _solve(pf, load_p, load_q, gen_p, gen_q):  # type: ignore[no-untyped-def]
    import gat_pf

    try:
        batch = gat_pf.solve_batch(
            pf, load_p_mw=load_p, load_q_mvar=load_q, gen_p_mw=gen_p, gen_q_mvar=gen_q
        )
        return batch.voltages, batch.converged
    except NotConvergedError:
        # One period failing must not hide the others: solve them one by one.
        v = np.full(gen_p.shape, np.nan, dtype=complex)
        ok = np.zeros(gen_p.shape[0], dtype=bool)
        for t in range(gen_p.shape[0]):
            try:
                b = gat_pf.solve_batch(
                    pf,
                    load_p_mw=load_p[t],
                    load_q_mvar=load_q[t],
                    gen_p_mw=gen_p[t],
                    gen_q_mvar=gen_q[t],
                )
                v[t], ok[t] = b.voltages[0], True
            except NotConvergedError:
                pass
        return v, ok


def ac_day(
    data,  # type: ignore[no-untyped-def]
    load_p: np.ndarray,
    load_q: np.ndarray,
    der_p_node: np.ndarray,
    der_q_node: np.ndarray,
) -> AcDay:
    """Solve every period's AC power flow in one batch and measure it.

    Parameters
    ----------
    data
        :class:`gat_dist.opf.sets.OpfData` (power-flow model, voltage limits, branches).
    load_p, load_q
        Node loads (T, N) (MW, Mvar).
    der_p_node, der_q_node
        Scheduled DER injections summed per node (T, N) (MW, Mvar), added to the nodes'
        own generation.
    """
    pf = data.pf
    base_gen = pf.node_gen * pf.base_mva
    gen_p = der_p_node + base_gen.real
    gen_q = der_q_node + base_gen.imag
    v_node, ok = _solve(pf, load_p, load_q, gen_p, gen_q)
    first = np.zeros(pf.n_bus, dtype=np.int64)
    first[pf.node_bus[::-1]] = np.arange(pf.n_nodes)[::-1]
    v_bus = v_node[:, first]
    # Bus injections S = V conj(Y V); the slack bus injection plus its own load is the import.
    s_bus = v_bus * np.conj((pf.ybus @ v_bus.T).T) * pf.base_mva
    slack_nodes = pf.node_type == 2
    slack_bus = np.unique(pf.node_bus[slack_nodes])
    on_slack = np.isin(pf.node_bus, slack_bus)
    head = s_bus[:, slack_bus].sum(axis=1) + (
        (load_p + 1j * load_q)[:, on_slack] - (der_p_node + 1j * der_q_node)[:, on_slack]
    ).sum(axis=1)
    loss = head.real + gen_p[:, ~slack_nodes].sum(axis=1) - load_p.sum(axis=1)
    rows = data.br_row
    yff, yft, ytf, ytt = (y[rows] for y in pf.branch_y)
    vf, vt = v_bus[:, pf.branch_f_bus[rows]], v_bus[:, pf.branch_t_bus[rows]]
    s_from = vf * np.conj(yff * vf + yft * vt) * pf.base_mva
    s_to = vt * np.conj(ytf * vf + ytt * vt) * pf.base_mva
    rating = pf.branch_rating[rows]
    with np.errstate(invalid="ignore", divide="ignore"):
        loading = np.maximum(np.abs(s_from), np.abs(s_to)) / rating * 100.0
    rated = np.isfinite(rating)
    if rated.any():
        lr = loading[:, rated]
        worst = np.where(ok[:, None] & np.isfinite(lr), lr, -np.inf).max(axis=1)
        worst_loading = np.where(np.isfinite(worst), worst, np.nan)
    else:
        worst_loading = np.full(len(ok), np.nan)
    vm = np.abs(v_node)
    limited = ~np.isin(pf.node_type, _FIXED)
    excess = np.maximum(data.node_vmin - vm, vm - data.node_vmax)
    excess = np.where(limited, np.maximum(excess, 0.0), 0.0)
    if limited.any():
        vmin = vm[:, limited].min(axis=1)
        vmax = vm[:, limited].max(axis=1)
    else:
        vmin = vmax = np.full(len(ok), np.nan)
    return AcDay(
        converged=ok,
        vm=vm,
        v_bus_sq=np.abs(v_bus) ** 2,
        head_p_mw=head.real,
        head_q_mvar=head.imag,
        loss_mw=loss,
        loading_pct=worst_loading,
        v_excess_pu=excess,
        branch_loading_pct=loading,
        vm_min_pu=vmin,
        vm_max_pu=vmax,
        loading_over_pct=loading - 100.0,
    )
