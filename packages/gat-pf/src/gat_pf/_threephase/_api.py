"""Public entry points of the three-phase power flow: one run, batches, result tables."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from gat_schemas.errors import InputError, NotConvergedError

from ._loads_in_y import load_admittance, load_matrix
from ._model import ThreePhaseModel
from ._newton import newton_3ph
from ._ratings import build_model_3ph
from ._regulators import control_voltage, next_taps
from ._solve import V_BOUND_PU, Factor3, determined, factorize_3ph, fixed_point
from ._tables import tables_3ph

if TYPE_CHECKING:
    import pandas as pd

    from gat_schemas import Network

__all__ = [
    "ThreePhaseBatch",
    "ThreePhaseOptions",
    "ThreePhaseResult",
    "batch_tables_3ph",
    "floating_hint_3ph",
    "run_power_flow_3ph",
    "solve_batch_3ph",
]

REGULATOR_CONTROLS = ("auto", "fixed")
#: ``auto``: the fixed point, then Newton-Raphson for the scenarios it does not settle.
METHODS = ("auto", "fixed_point", "newton")
_MAX_FACTORS = 64


@dataclass(frozen=True, kw_only=True)
class ThreePhaseOptions:
    """Settings of a three-phase power flow.

    Parameters
    ----------
    tol
        Largest per-phase complex power mismatch allowed at any bus phase, per unit of one
        phase's power base ``base_mva / 3``.
    max_iter
        Iteration limit of the fixed point (per regulator round).
    regulators
        ``auto``: regulators whose ``dist_regulators.mode`` is ``auto`` move their taps (see
        :mod:`gat_pf._threephase._regulators` for the convention); ``fixed``: every tap stays
        at ``dist_regulators.tap``.
    max_regulator_rounds
        Limit of control rounds (power flows) of the regulator loop.
    method
        ``fixed_point``: the current-injection fixed point on ``Y_LL`` factorised once;
        ``newton``: Newton-Raphson on the current mismatch (a factorisation per step, one
        scenario at a time); ``auto``: the fixed point, and Newton-Raphson from the no-load
        voltages for every scenario the fixed point does not settle.
    """

    tol: float = 1e-9
    max_iter: int = 500
    regulators: str = "auto"
    max_regulator_rounds: int = 30
    method: str = "auto"

    def __post_init__(self) -> None:
        if not self.tol > 0:
            raise InputError(f"ThreePhaseOptions.tol must be > 0, got {self.tol}")
        if self.max_iter < 1:
            raise InputError(f"ThreePhaseOptions.max_iter must be >= 1, got {self.max_iter}")
        if self.max_regulator_rounds < 1:
            raise InputError("ThreePhaseOptions.max_regulator_rounds must be >= 1")
        if self.method not in METHODS:
            raise InputError(
                f"unknown three-phase method {self.method!r} (use {', '.join(METHODS)})"
            )
        if self.regulators not in REGULATOR_CONTROLS:
            raise InputError(
                f"unknown regulator control {self.regulators!r} (use {', '.join(REGULATOR_CONTROLS)})"
            )


@dataclass(frozen=True, eq=False)
class ThreePhaseResult:
    """Result of :func:`run_power_flow_3ph`.

    Attributes
    ----------
    nodes, branches, regulators, summary
        The ``pf3_nodes``, ``pf3_branches``, ``pf3_regulators`` and one-row ``pf3_summary``
        tables (MW, Mvar, kV, A; injections generation positive).
    converged, iterations, regulator_rounds, max_mismatch_mva
        Convergence facts (iterations summed over regulator rounds).
    voltages
        Complex phase-node voltages (pu of each node's line-to-neutral base), model order.
    taps
        Final regulator taps (steps, ``dist_regulators`` order; empty without regulators).
    """

    nodes: pd.DataFrame
    branches: pd.DataFrame
    regulators: pd.DataFrame
    summary: pd.DataFrame
    converged: bool
    iterations: int
    regulator_rounds: int
    max_mismatch_mva: float
    voltages: np.ndarray
    taps: np.ndarray


@dataclass(frozen=True, eq=False)
class ThreePhaseBatch:
    """Result of :func:`solve_batch_3ph` for S scenarios (arrays, no tables).

    Attributes
    ----------
    voltages
        Complex phase-node voltages (S, M), pu.
    converged, iterations, regulator_rounds, max_mismatch_mva
        Per scenario (S,); mismatch in MVA per phase.
    taps
        Regulator taps (S, R).
    v_control
        Control voltage of every regulator on its PT secondary (S, R) (V; NaN without PT).
    scale
        Per-element load factors used (S, E), or ``None``.
    method
        Method that produced each scenario's answer (S,): ``zbus`` (fixed point), ``newton``
        or ``zbus+newton`` (the fallback).
    """

    voltages: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    regulator_rounds: np.ndarray
    max_mismatch_mva: np.ndarray
    taps: np.ndarray
    v_control: np.ndarray
    scale: np.ndarray | None
    method: np.ndarray


def _no_load(model: ThreePhaseModel, fac: Factor3) -> np.ndarray:
    v = np.zeros(model.n_bp, dtype=complex)
    v[fac.slack] = model.v_slack
    v[fac.unknown] = fac.lu.solve((-(fac.y_ls @ model.v_slack)).astype(complex))
    return v


def _factor(
    model: ThreePhaseModel, taps: np.ndarray | None, *, y_load: np.ndarray | None = None
) -> Factor3:
    """The factor of ``Y_LL`` at ``taps`` (kept per tap vector), or with ``y_load`` of
    ``Y + A^T diag(y_load) A`` (kept per tap vector and ``y_load``; see
    :func:`~._loads_in_y.load_admittance`)."""
    key = "f3:" + ("" if taps is None else ",".join(map(str, np.asarray(taps).tolist())))
    if y_load is not None:
        key += ":" + hashlib.blake2b(y_load.tobytes(), digest_size=16).hexdigest()
    cache = model._cache
    fac = cache.get(key)
    if fac is None:
        y = model.ybus(taps)
        if y_load is not None:
            y = (y + load_matrix(model, y_load)).tocsr()
        try:
            fac = factorize_3ph(y, model.bp_slack, model.bp_unknown, model.elimination_order())
        except RuntimeError as exc:
            raise NotConvergedError(
                f"three-phase power flow: singular admittance matrix ({exc}); check for "
                "phases fed only through ungrounded windings or isolated conductors"
            ) from None
        if sum(k.startswith("f3:") for k in cache) >= _MAX_FACTORS:
            for k in [k for k in cache if k.startswith("f3:")]:
                del cache[k]
        cache[key] = fac
    return fac


def _element_scale(model: ThreePhaseModel, load_scale: object) -> tuple[np.ndarray | None, int]:
    if load_scale is None:
        return None, 1
    ld = model.loads
    sc = np.asarray(load_scale, dtype=float)
    n = len(model.node_ids)
    if sc.ndim == 0:
        sc = sc.reshape(1, 1)
    elif sc.ndim == 1:
        sc = sc[:, None]
    if sc.ndim != 2 or sc.shape[1] not in (1, n):
        raise InputError(f"load_scale: expected a scalar, (S,) or (S, {n}), got {sc.shape}")
    if not np.isfinite(sc).all():
        raise InputError("load_scale: factors must be finite")
    per_node = np.broadcast_to(sc, (sc.shape[0], n))
    out = np.where(ld.scaled[None, :], per_node[:, ld.node], 1.0)
    return out, sc.shape[0]


def _solve(
    model: ThreePhaseModel,
    scale: np.ndarray | None,
    n_s: int,
    options: ThreePhaseOptions,
    *,
    y_load: bool = False,
):
    """The regulator loop over fixed points (and Newton-Raphson where they fail); ``y_load``:
    the fixed point factorises ``Y`` with the loads' admittances (:func:`~._loads_in_y.load_admittance`).
    """
    regs = model.regulators
    y_el = load_admittance(model) if y_load else None
    n_r = 0 if regs is None else len(regs.ids)
    taps = np.zeros((n_s, n_r), dtype=np.int64)
    auto = np.zeros(n_r, dtype=bool)
    if regs is not None:
        taps[:] = regs.tap0
        if options.regulators == "auto":
            auto = regs.auto.copy()
    v = np.zeros((n_s, model.n_bp), dtype=complex)
    conv = np.zeros(n_s, dtype=bool)
    iters = np.zeros(n_s, dtype=np.int64)
    mis = np.full(n_s, np.inf)
    rounds = np.zeros(n_s, dtype=np.int64)
    regulated = np.ones(n_s, dtype=bool)
    todo = np.arange(n_s)
    seen: list[set[bytes]] = [set() for _ in range(n_s)]
    started = np.zeros(n_s, dtype=bool)
    v_c = np.full((n_s, n_r), np.nan)
    used = np.full(n_s, "zbus", dtype=object)
    for _ in range(options.max_regulator_rounds):
        uniq, inv = np.unique(taps[todo], axis=0, return_inverse=True)
        for u, row in enumerate(uniq):
            rows = todo[inv.ravel() == u]
            tap_row = row if n_r else None
            if options.method != "newton":
                res = fixed_point(
                    _factor(model, tap_row, y_load=y_el),
                    model.loads,
                    model.n_bp,
                    model.v_slack,
                    None if scale is None else scale[rows],
                    len(rows),
                    tol=options.tol,
                    max_iter=options.max_iter,
                    v_start=v[rows] if started[rows].all() else None,
                    y_load=y_el,
                )
                v[rows], conv[rows], mis[rows] = res.v, res.converged, res.mismatch
                iters[rows] += res.iterations
                need = rows[~res.converged]
            else:
                need = rows
            if options.method != "fixed_point" and len(need):
                _newton_rows(
                    model,
                    tap_row,
                    need,
                    v,
                    conv,
                    iters,
                    mis,
                    started,
                    scale,
                    options,
                )
                used[need] = "newton" if options.method == "newton" else "zbus+newton"
            rounds[rows] += 1
            started[rows] = True
        if n_r:
            v_c[todo] = control_voltage(model, v[todo][:, model.pn_bus], taps[todo])
        if not auto.any():
            break
        for s in todo:
            seen[s].add(taps[s].tobytes())
        new = next_taps(model, v_c[todo], taps[todo], auto)
        moved = (new != taps[todo]).any(axis=1) & conv[todo]
        hunting = np.array([new[j].tobytes() in seen[s] for j, s in enumerate(todo)], dtype=bool)
        regulated[todo[moved & hunting]] = False
        taps[todo] = np.where((moved & ~hunting)[:, None], new, taps[todo])
        todo = todo[moved & ~hunting]
        if not len(todo):
            break
    else:
        regulated[todo] = False
    return v, conv & regulated, iters, mis, taps, rounds, v_c, used


def _newton_rows(model, taps, need, v, conv, iters, mis, started, scale, options) -> None:  # type: ignore[no-untyped-def]
    """Newton-Raphson for the scenarios ``need`` (in place), from their last voltages when
    those are close (previous regulator round or a nearly settled fixed point), else from the
    no-load voltages."""
    y = model.ybus(taps)
    start = None
    for s in need:
        if started[s] and np.isfinite(v[s]).all() and mis[s] < 1e-2:
            v0 = v[s]
        else:
            start = _no_load(model, _factor(model, taps)) if start is None else start
            v0 = start
        vs, ok, it, m = newton_3ph(
            y,
            model.loads,
            model.bp_unknown,
            model.bp_slack,
            v0,
            None if scale is None else scale[s],
            tol=options.tol,
            max_iter=min(options.max_iter, 50),
        )
        v[s], conv[s], mis[s] = vs, ok, m
        iters[s] += it


def _undetermined(model: ThreePhaseModel, v: np.ndarray) -> str:
    """Why a state above the voltage sanity bound is not a solution, naming the node."""
    mag = np.where(np.isfinite(v), np.abs(v), np.inf)
    at = int(np.argmax(mag))
    node = model.pn_labels()[at]  # v is in phase-node order
    return (
        f"voltage {mag[at]:.3g} pu at node {node} is above the {V_BOUND_PU:g} pu sanity "
        "bound: the state is not determined (a winding or network part with almost no "
        "reference to ground floats; check dist_transformers.ppm_antifloat and groundings)"
    )


def floating_hint_3ph(model: ThreePhaseModel) -> str:
    """``"; ..."`` naming phase-to-neutral loads behind ungrounded windings, or ``""``."""
    nodes = model.floating_loads()
    if not len(nodes):
        return ""
    shown = ", ".join(map(str, nodes[:5])) + (
        f" and {len(nodes) - 5} more" if len(nodes) > 5 else ""
    )
    return (
        f"; phase-to-neutral loads at {shown} sit behind ungrounded (delta or wye) windings "
        "with no ground path, so the neutral floats: connect them phase to phase or ground "
        "the winding (wye_g)"
    )


def _model_of(network_or_model: Network | ThreePhaseModel) -> ThreePhaseModel:
    if isinstance(network_or_model, ThreePhaseModel):
        return network_or_model
    return build_model_3ph(network_or_model)


def solve_batch_3ph(
    network_or_model: Network | ThreePhaseModel,
    *,
    load_scale: object = None,
    options: ThreePhaseOptions = ThreePhaseOptions(),
) -> ThreePhaseBatch:
    """Solve S three-phase power flows together (one factorisation per tap vector).

    Parameters
    ----------
    network_or_model
        A network, or a model from :func:`build_model_3ph` (reuse it: its factors are kept).
    load_scale
        Factors on every load element (P and Q): a scalar, S per-scenario factors, or an
        (S, N) array of per-node factors (model node order). Node generation is not scaled.
    options
        Convergence and regulator settings.

    Returns
    -------
    ThreePhaseBatch
        Scenarios that miss the tolerance, or whose regulators hunt, have ``converged``
        False (no exception: check it).
    """
    model = _model_of(network_or_model)
    scale, n_s = _element_scale(model, load_scale)
    v, conv, iters, mis, taps, rounds, v_c, used = _solve(model, scale, n_s, options, y_load=True)
    return ThreePhaseBatch(
        voltages=v[:, model.pn_bus],
        converged=conv,
        iterations=iters,
        regulator_rounds=rounds,
        max_mismatch_mva=mis * model.base_mva / 3.0,
        taps=taps,
        v_control=v_c,
        scale=scale,
        method=used,
    )


def batch_tables_3ph(
    model: ThreePhaseModel, batch: ThreePhaseBatch, scenario_ids: Sequence[object] | None = None
) -> dict[str, pd.DataFrame]:
    """``pf3_*`` tables of a batch, each with a leading ``scenario_id`` column."""
    n_s = batch.voltages.shape[0]
    ids = list(range(n_s)) if scenario_ids is None else list(scenario_ids)
    if len(ids) != n_s:
        raise InputError(f"batch_tables_3ph: {len(ids)} scenario ids for {n_s} scenarios")
    return tables_3ph(
        model,
        batch.voltages,
        batch.taps if model.regulators is not None else None,
        batch.converged,
        batch.iterations,
        batch.regulator_rounds,
        batch.max_mismatch_mva / (model.base_mva / 3.0),
        batch.v_control,
        batch.scale,
        batch.method,
        scenario_ids=ids,
    )


def run_power_flow_3ph(
    network_or_model: Network | ThreePhaseModel,
    *,
    options: ThreePhaseOptions = ThreePhaseOptions(),
    load_scale: float = 1.0,
) -> ThreePhaseResult:
    """Solve one unbalanced three-phase power flow.

    Parameters
    ----------
    network_or_model
        A :class:`gat_schemas.Network`, or a model from :func:`build_model_3ph`.
    options
        Convergence and regulator settings.
    load_scale
        Factor on every load (P and Q).

    Returns
    -------
    ThreePhaseResult

    Raises
    ------
    gat_schemas.errors.InputError
        Unusable network.
    gat_schemas.errors.NotConvergedError
        Tolerance not met or regulators hunting; ``last_iterate`` holds the phase-node
        voltages (pu).
    """
    model = _model_of(network_or_model)
    batch = solve_batch_3ph(
        model, load_scale=None if load_scale == 1.0 else [load_scale], options=options
    )
    if not batch.converged[0]:
        what = (
            "regulators did not settle (taps hunting or max_regulator_rounds reached)"
            if batch.max_mismatch_mva[0] <= options.tol * model.base_mva / 3.0
            else f"no convergence in {int(batch.iterations[0])} iterations"
        )
        if not determined(batch.voltages[0]):
            what = _undetermined(model, batch.voltages[0])
        raise NotConvergedError(
            f"three-phase power flow: {what} (largest mismatch "
            f"{batch.max_mismatch_mva[0]:.3g} MVA per phase){floating_hint_3ph(model)}",
            iterations=int(batch.iterations[0]),
            max_mismatch=float(batch.max_mismatch_mva[0]),
            last_iterate=batch.voltages[0],
        )
    t = tables_3ph(
        model,
        batch.voltages,
        batch.taps if model.regulators is not None else None,
        batch.converged,
        batch.iterations,
        batch.regulator_rounds,
        batch.max_mismatch_mva / (model.base_mva / 3.0),
        batch.v_control,
        batch.scale,
        batch.method,
        scenario_ids=None,
    )
    return ThreePhaseResult(
        nodes=t["pf3_nodes"],
        branches=t["pf3_branches"],
        regulators=t["pf3_regulators"],
        summary=t["pf3_summary"],
        converged=True,
        iterations=int(batch.iterations[0]),
        regulator_rounds=int(batch.regulator_rounds[0]),
        max_mismatch_mva=float(batch.max_mismatch_mva[0]),
        voltages=batch.voltages[0],
        taps=batch.taps[0],
    )
