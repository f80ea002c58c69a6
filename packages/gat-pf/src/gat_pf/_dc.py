"""DC power flow on the array model (model-level wrapper of the DC kernel)."""

from __future__ import annotations

import numpy as np

from gat_schemas.errors import InputError

from ._model import BUS_PQ, BUS_PV, PowerFlowModel

__all__ = ["dc_branch_flows", "solve_dc"]


def _dc_branches(model: PowerFlowModel):
    a = np.flatnonzero(model.branch_active)
    x = model.branch_x[a]
    if (x == 0).any():
        raise InputError(
            f"method dc needs x != 0 on every closed branch; table dist_branches, column x is 0 on "
            f"{', '.join(map(str, model.branch_ids[a[x == 0]][:5]))}"
        )
    from ._kernels.dc import branch_susceptance

    return a, branch_susceptance(x, model.branch_tap[a])


def solve_dc(model: PowerFlowModel, inj) -> tuple[np.ndarray, np.ndarray]:
    """Bus angles (S, n_bus, rad) and the largest nodal residual per scenario (pu).

    Specified injections are ``gen_p - load_p`` (loads at 1 pu; source nodes inject
    ``gen_p``); shunt conductances consume ``gs_mw``.
    """
    from ._kernels.dc import dc_power_flow

    a, bdc = _dc_branches(model)
    t = model.node_type
    p_node = np.where((t == BUS_PQ) | (t == BUS_PV), inj.gen.real, 0.0) - inj.load.real
    if model.buses_are_nodes:
        p_bus = np.array(p_node, dtype=float)
    else:
        p_bus = np.asarray((model.node_to_bus @ p_node.T).T)
    g_bus = np.bincount(model.node_bus, weights=model.node_shunt.real, minlength=model.n_bus)
    res = dc_power_flow(
        model.n_bus,
        model.branch_f_bus[a],
        model.branch_t_bus[a],
        bdc,
        model.branch_shift[a],
        g_bus,
        model.slack,
        p_bus,
    )
    return res.theta, res.residual


def dc_branch_flows(model: PowerFlowModel, theta: np.ndarray) -> np.ndarray:
    """Active flow entering each branch at its from end (S, n_branch, pu); 0 when inactive."""
    a, bdc = _dc_branches(model)
    out = np.zeros((theta.shape[0], len(model.branch_ids)))
    f, t = model.branch_f_bus[a], model.branch_t_bus[a]
    out[:, a] = bdc * (theta[:, f] - theta[:, t] - model.branch_shift[a])
    return out
