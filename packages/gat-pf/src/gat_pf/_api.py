"""Public entry points: single power flow, batches of scenarios, and their result tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ._model import PowerFlowModel, build_model
from ._options import Method, PowerFlowOptions
from ._solve import Injections, scenario_injections, solve
from ._tables import result_tables

if TYPE_CHECKING:
    import pandas as pd

    from gat_schemas import Network

__all__ = ["BatchResult", "PowerFlowResult", "batch_tables", "run_power_flow", "solve_batch"]


@dataclass(frozen=True, eq=False)
class PowerFlowResult:
    """Result of :func:`run_power_flow`.

    Attributes
    ----------
    nodes
        ``pf_nodes`` table: node_id, vm_pu, va_deg, p_mw, q_mvar (net injection = generation
        - load - shunt consumption, MW/Mvar), the node's v_min/v_max (pu), ``violation``
        (``under``, ``over`` or ``""``) and ``v_violation_pu`` (distance outside, pu).
    branches
        ``pf_branches`` table (flows in MW/Mvar entering the branch at each end; losses =
        sum of both ends; ``rating_mva`` = thermal_limit; ``loading_pct`` = max(|S_from|,
        |S_to|) / thermal_limit * 100, NaN when unrated or open; ``overloaded`` above 100).
    summary
        One-row ``pf_summary`` table (with the counts of violations and the worst loading).
    method
        Method actually used (``AUTO`` resolved).
    converged, iterations, max_mismatch_mva
        Convergence facts (mismatch = largest |dP| or |dQ| at a node, MVA).
    voltages
        Complex node voltages (pu), in model node order.
    """

    nodes: pd.DataFrame
    branches: pd.DataFrame
    summary: pd.DataFrame
    method: Method
    converged: bool
    iterations: int
    max_mismatch_mva: float
    voltages: np.ndarray


@dataclass(frozen=True, eq=False)
class BatchResult:
    """Result of :func:`solve_batch` for S scenarios (arrays, no tables).

    Attributes
    ----------
    method
        Method used.
    voltages
        Complex node voltages (S, N) (pu), in model node order.
    converged
        Bool (S,).
    iterations
        Iterations per scenario (S,); with Newton-Raphson and reactive limits, the sum over
        limit-switching rounds.
    max_mismatch_mva
        Largest |dP| or |dQ| per scenario (S,) (MVA); NaN for DC.
    node_load, node_gen
        Node loads at 1 pu and scheduled generation used (S, N) complex pu (may be
        broadcast views); :func:`batch_tables` needs them.
    """

    method: Method
    voltages: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    max_mismatch_mva: np.ndarray
    node_load: np.ndarray
    node_gen: np.ndarray


def _model_of(network_or_model: Network | PowerFlowModel) -> PowerFlowModel:
    if isinstance(network_or_model, PowerFlowModel):
        return network_or_model
    return build_model(network_or_model)


def _v_bus(model: PowerFlowModel, v_node: np.ndarray) -> np.ndarray:
    v_bus = np.empty((v_node.shape[0], model.n_bus), dtype=complex)
    v_bus[:, model.node_bus] = v_node
    return v_bus


def run_power_flow(
    network_or_model: Network | PowerFlowModel,
    *,
    options: PowerFlowOptions = PowerFlowOptions(),  # noqa: B008 -- frozen, immutable
    load_scale: float = 1.0,
) -> PowerFlowResult:
    """Solve one AC (or DC) power flow.

    Parameters
    ----------
    network_or_model
        A :class:`gat_schemas.Network`, or a model from :func:`build_model` (reuse it to skip
        the build and, for the sweep, the factorisation).
    options
        Method and convergence settings.
    load_scale
        Factor applied to every load (P and Q).

    Returns
    -------
    PowerFlowResult

    Raises
    ------
    gat_schemas.errors.InputError
        Unusable network or options.
    gat_schemas.errors.NotConvergedError
        When the tolerance is not met; ``last_iterate`` holds the node voltages (pu).
    """
    model = _model_of(network_or_model)
    scale = None if load_scale == 1.0 else load_scale
    inj = scenario_injections(model, load_scale=scale)
    sol = solve(model, inj, options)
    mism = sol.mismatch_pu * model.base_mva
    if sol.method is Method.DC:
        mism = np.full_like(mism, np.nan)
    nodes, branches, summary = result_tables(
        model,
        sol.method,
        sol.v_bus,
        inj.load,
        inj.gen,
        sol.converged,
        sol.iterations,
        mism,
        scenario_ids=None,
    )
    return PowerFlowResult(
        nodes=nodes,
        branches=branches,
        summary=summary,
        method=sol.method,
        converged=bool(sol.converged[0]),
        iterations=int(sol.iterations[0]),
        max_mismatch_mva=float(mism[0]),
        voltages=sol.v_bus[0, model.node_bus],
    )


def solve_batch(
    model: PowerFlowModel,
    *,
    load_p_mw: object = None,
    load_q_mvar: object = None,
    gen_p_mw: object = None,
    gen_q_mvar: object = None,
    load_scale: object = None,
    options: PowerFlowOptions = PowerFlowOptions(),  # noqa: B008 -- frozen, immutable
) -> BatchResult:
    """Solve S scenarios in one call (no Python loop over scenarios).

    Parameters
    ----------
    model
        From :func:`build_model`.
    load_p_mw, load_q_mvar
        Node loads (MW, Mvar; consumption positive), shape (S, N) in model node order or
        broadcastable ((N,) is one scenario); absent = the network's loads.
    gen_p_mw, gen_q_mvar
        Node generation (MW, Mvar; injection positive), same shapes; absent = the network's.
        ``gen_p_mw`` is the set point at source nodes; both are ignored at slack nodes and
        ``gen_q_mvar`` at source nodes (their Q is solved for).
    load_scale
        Multiplies the loads: a scalar, S per-scenario factors (1-D), or (S, N).
    options
        Method and convergence settings. The sweep solves all scenarios with one matrix
        right-hand side per iteration; Newton-Raphson with one shared Jacobian factorisation
        (a matrix right-hand side), or one block-diagonal Jacobian when sharing contracts poorly.

    Returns
    -------
    BatchResult

    Raises
    ------
    gat_schemas.errors.NotConvergedError
        When any scenario misses the tolerance (the message lists them; ``last_iterate``
        holds the (S, N) node voltages).
    """
    inj = scenario_injections(
        model,
        load_p_mw=load_p_mw,
        load_q_mvar=load_q_mvar,
        gen_p_mw=gen_p_mw,
        gen_q_mvar=gen_q_mvar,
        load_scale=load_scale,
    )
    sol = solve(model, inj, options)
    mism = sol.mismatch_pu * model.base_mva
    if sol.method is Method.DC:
        mism = np.full_like(mism, np.nan)
    return BatchResult(
        method=sol.method,
        voltages=sol.v_bus[:, model.node_bus],
        converged=sol.converged,
        iterations=sol.iterations,
        max_mismatch_mva=mism,
        node_load=inj.load,
        node_gen=inj.gen,
    )


def batch_tables(
    model: PowerFlowModel, batch: BatchResult, scenario_ids: Sequence[object] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Result tables of a batch, each with a leading ``scenario_id`` column.

    Parameters
    ----------
    model
        The model the batch was solved on.
    batch
        From :func:`solve_batch`.
    scenario_ids
        One id per scenario (default ``0..S-1``).

    Returns
    -------
    (pf_nodes, pf_branches, pf_summary)
        Long tables: S x N node rows, S x n_branch branch rows, S summary rows.
    """
    n_s = batch.voltages.shape[0]
    ids = list(range(n_s)) if scenario_ids is None else list(scenario_ids)
    if len(ids) != n_s:
        from gat_schemas.errors import InputError

        raise InputError(f"batch_tables: {len(ids)} scenario ids for {n_s} scenarios")
    inj = Injections(load=batch.node_load, gen=batch.node_gen)
    return result_tables(
        model,
        batch.method,
        _v_bus(model, batch.voltages),
        inj.load,
        inj.gen,
        batch.converged,
        batch.iterations,
        batch.max_mismatch_mva,
        scenario_ids=ids,
    )
