"""Dispatch a power flow to a kernel: single runs and batches of S scenarios."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gat_schemas.errors import InputError, NotConvergedError

from ._model import BUS_PQ, BUS_PV, BUS_SLACK, PowerFlowModel
from ._options import Method, PowerFlowOptions

__all__ = ["Injections", "Solution", "choose_method", "scenario_injections", "solve"]


@dataclass(frozen=True, eq=False)
class Injections:
    """Node loads and generation of S scenarios (pu, complex, shape (S, N))."""

    load: np.ndarray
    gen: np.ndarray


@dataclass(frozen=True, eq=False)
class Solution:
    """Bus voltages of S scenarios and how they were obtained."""

    method: Method
    v_bus: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    mismatch_pu: np.ndarray


def choose_method(model: PowerFlowModel, method: Method) -> Method:
    """Resolve ``AUTO`` and check that the method suits the network."""
    if method is Method.AUTO:
        return Method.BFS if model.is_radial and len(model.pv) == 0 else Method.NR
    if method is Method.BFS and len(model.pv):
        ids = model.node_ids[np.isin(model.node_bus, model.pv) & (model.node_type == BUS_PV)]
        raise InputError(
            f"method bfs cannot hold source-node voltages (dist_nodes type source: "
            f"{', '.join(map(str, ids[:5]))}); use method nr or auto"
        )
    return method


def _as_2d(name: str, a: object, n: int) -> np.ndarray:
    arr = np.asarray(a, dtype=float)
    if arr.ndim == 0:
        return arr.reshape(1, 1)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] not in (1, n):
        raise InputError(f"{name}: expected shape (S, {n}) or broadcastable, got {arr.shape}")
    return arr


def scenario_injections(
    model: PowerFlowModel,
    *,
    load_p_mw: object = None,
    load_q_mvar: object = None,
    gen_p_mw: object = None,
    gen_q_mvar: object = None,
    load_scale: object = None,
) -> Injections:
    """Assemble (S, N) complex pu loads and generation from the optional overrides.

    Arrays are MW/Mvar of shape (S, N) in model node order, or broadcastable to it; absent
    ones take the network's values. ``load_scale`` multiplies both load parts: a scalar,
    a 1-D array of S per-scenario factors, or an (S, N) array.
    """
    n = model.n_nodes
    base = model.base_mva
    lp = (
        model.node_load.real[None, :]
        if load_p_mw is None
        else _as_2d("load_p_mw", load_p_mw, n) / base
    )
    lq = (
        model.node_load.imag[None, :]
        if load_q_mvar is None
        else _as_2d("load_q_mvar", load_q_mvar, n) / base
    )
    gp = (
        model.node_gen.real[None, :] if gen_p_mw is None else _as_2d("gen_p_mw", gen_p_mw, n) / base
    )
    gq = (
        model.node_gen.imag[None, :]
        if gen_q_mvar is None
        else _as_2d("gen_q_mvar", gen_q_mvar, n) / base
    )
    scale = None
    if load_scale is not None:
        sc = np.asarray(load_scale, dtype=float)
        scale = sc.reshape(-1, 1) if sc.ndim <= 1 else _as_2d("load_scale", sc, n)
    shapes = [a.shape for a in (lp, lq, gp, gq)] + ([scale.shape] if scale is not None else [])
    try:
        s_n = np.broadcast_shapes(*shapes)[0]
    except ValueError:
        raise InputError(f"scenario arrays do not broadcast together: {shapes}") from None
    load = lp + 1j * lq
    if scale is not None:
        load = load * scale
    load = np.broadcast_to(load, (s_n, n))
    gen = np.broadcast_to(gp + 1j * gq, (s_n, n))
    return Injections(load=load, gen=gen)


def _to_bus(model: PowerFlowModel, x: np.ndarray) -> np.ndarray:
    """Sum (S, N) node quantities into (S, n_bus) bus quantities."""
    if model.buses_are_nodes:
        return np.array(x, dtype=complex)
    return np.asarray((model.node_to_bus @ np.asarray(x).T).T, dtype=complex)


def bus_specs(model: PowerFlowModel, inj: Injections):
    """Bus injections split into constant-power, -current and -impedance parts (pu).

    Generation counts at PQ nodes (P and Q) and at source nodes (P only: their Q is free);
    at slack nodes it is an output. ZIP parts are ``None`` when the network has none.
    """
    t = model.node_type
    gen = inj.gen
    gen_eff = np.where(t == BUS_PQ, gen, np.where(t == BUS_PV, gen.real + 0j, 0j))
    z, i = model.node_z_frac, model.node_i_frac
    has_i, has_z = bool(i.any()), bool(z.any())
    s_const = _to_bus(model, gen_eff - inj.load * (1.0 - z - i))
    s_i = _to_bus(model, -inj.load * i) if has_i else None
    s_z = _to_bus(model, -inj.load * z) if has_z else None
    return s_const, s_i, s_z


def _slack_voltage(model: PowerFlowModel) -> np.ndarray:
    return model.bus_v_set[model.slack].astype(complex)


def solve(model: PowerFlowModel, inj: Injections, options: PowerFlowOptions) -> Solution:
    """Solve S scenarios with the method chosen by ``options``; raise when one fails.

    Raises
    ------
    gat_schemas.errors.InputError
        When the method does not suit the network.
    gat_schemas.errors.NotConvergedError
        When a scenario misses the tolerance within the iteration limit (the message names the
        failed scenarios; ``last_iterate`` holds the (S, N) node voltages).
    """
    method = choose_method(model, options.method)
    n_s = inj.load.shape[0]
    if method is Method.DC:
        from ._dc import solve_dc

        theta, resid = solve_dc(model, inj)
        v_bus = np.exp(1j * theta)
        sol = Solution(method, v_bus, np.ones(n_s, bool), np.ones(n_s, np.int64), resid)
        return sol
    limit = options.iteration_limit(method)
    s_const, s_i, s_z = bus_specs(model, inj)
    if method is Method.BFS:
        sol = _solve_bfs(model, s_const, s_i, s_z, options.tol, limit)
    else:
        sol = _solve_nr(model, s_const, s_i, s_z, options, limit)
    if not sol.converged.all():
        bad = np.flatnonzero(~sol.converged)
        which = "" if n_s == 1 else f" in scenario(s) {', '.join(map(str, bad[:10]))}"
        if len(bad) > 10:
            which += f" (and {len(bad) - 10} more)"
        worst = float(np.nanmax(np.where(np.isfinite(sol.mismatch_pu), sol.mismatch_pu, np.inf)))
        raise NotConvergedError(
            f"power flow ({method.value}) did not converge{which}: max mismatch "
            f"{worst * model.base_mva:.3g} MVA after {int(sol.iterations.max())} iterations "
            f"(tol {options.tol:g} pu)",
            iterations=int(sol.iterations.max()),
            max_mismatch=worst * model.base_mva,
            last_iterate=sol.v_bus[:, model.node_bus] if n_s > 1 else sol.v_bus[0, model.node_bus],
        )
    return sol


def _solve_bfs(model, s_const, s_i, s_z, tol, limit) -> Solution:
    tree = model.tree_sweep()
    if tree is not None:
        from ._kernels.tree import tree_sweep

        o = tree.order
        v, conv, iters, mis = tree_sweep(
            tree,
            np.take(s_const, o, axis=1),
            None if s_i is None else np.take(s_i, o, axis=1),
            None if s_z is None else np.take(s_z, o, axis=1),
            tol=tol,
            max_iter=limit,
        )
        v_bus = np.empty(v.shape[::-1], dtype=complex)
        v_bus[:, o] = v.T
        return Solution(Method.BFS, v_bus, conv, iters, mis)
    from ._kernels.sweep import sweep

    try:
        fac = model.sweep_factor()
    except RuntimeError as exc:
        raise NotConvergedError(f"power flow (bfs): singular admittance matrix ({exc})") from None
    u = fac.unknown
    res = sweep(
        fac,
        _slack_voltage(model),
        s_const[:, u],
        None if s_i is None else s_i[:, u],
        None if s_z is None else s_z[:, u],
        tol=tol,
        max_iter=limit,
    )
    n_s = res.v.shape[0]
    v_bus = np.empty((n_s, model.n_bus), dtype=complex)
    v_bus[:, u] = res.v
    v_bus[:, model.slack] = _slack_voltage(model)[None, :]
    return Solution(Method.BFS, v_bus, res.converged, res.iterations, res.mismatch)


def _solve_nr(model, s_const, s_i, s_z, options, limit) -> Solution:
    from ._kernels.newton import newton

    n_s = s_const.shape[0]
    v0 = np.ones((n_s, model.n_bus), dtype=complex)
    ctl = model.bus_type != BUS_PQ
    v0[:, ctl] = model.bus_v_set[ctl]
    pv_active = np.broadcast_to(model.bus_type == BUS_PV, v0.shape).copy()
    s_const = np.array(np.broadcast_to(s_const, v0.shape))
    q_lo, q_hi = _bus_q_limits(model)
    iterations = np.zeros(n_s, dtype=np.int64)
    order = _elimination_order(model)
    for _ in range(len(model.pv) + 1):
        res = newton(
            model.ybus,
            model.nonslack,
            v0,
            model.bus_v_set,
            pv_active,
            s_const,
            s_i,
            s_z,
            tol=options.tol,
            max_iter=limit,
            order=order,
        )
        iterations += res.iterations
        if res.singular:
            raise NotConvergedError(
                "power flow (nr): singular Jacobian (check for isolated or zero-impedance parts)",
                iterations=int(iterations.max()),
                last_iterate=res.v[:, model.node_bus],
            )
        if not options.enforce_q_limits or not res.converged.all() or not pv_active.any():
            break
        s_calc = res.v * np.conj((model.ybus @ res.v.T).T)
        q_ctl = (s_calc - res.s_spec).imag
        hi = pv_active & (q_ctl > q_hi + options.tol)
        lo = pv_active & (q_ctl < q_lo - options.tol)
        if not (hi.any() or lo.any()):
            break
        s_const = s_const + 1j * np.where(hi, q_hi, 0.0) + 1j * np.where(lo, q_lo, 0.0)
        pv_active &= ~(hi | lo)
        v0 = res.v
    return Solution(Method.NR, res.v, res.converged, iterations, res.mismatch)


def _elimination_order(model: PowerFlowModel) -> np.ndarray | None:
    """Non-slack buses leaves first on a radial network (no fill-in), else ``None``."""
    if not model.is_radial:
        return None
    tree = model._cache.get("tree")
    if tree is not None:
        rev = tree.order[::-1]
    elif len(model.slack) == 1:
        from scipy.sparse.csgraph import depth_first_order

        pre = depth_first_order(
            model.topology.bus_graph, model.slack[0], directed=True, return_predecessors=False
        )
        if len(pre) != model.n_bus:
            return None
        rev = pre[::-1]
    else:
        tree = model.tree_sweep()
        if tree is None:
            return None
        rev = tree.order[::-1]
    is_ns = model.bus_type[rev] != BUS_SLACK
    return rev[is_ns].astype(np.int64)


def _bus_q_limits(model: PowerFlowModel) -> tuple[np.ndarray, np.ndarray]:
    src = model.node_type == BUS_PV
    lo = np.zeros(model.n_bus)
    hi = np.zeros(model.n_bus)
    np.add.at(lo, model.node_bus[src], model.node_q_min[src])
    np.add.at(hi, model.node_bus[src], model.node_q_max[src])
    lo[model.bus_type == BUS_SLACK] = -np.inf
    hi[model.bus_type == BUS_SLACK] = np.inf
    return lo[None, :], hi[None, :]
