"""Hosting capacity of many nodes: shards (load level x block of nodes), run, reduce."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

import gat_pf
from gat_dist.fanout import (
    ExecutorOptions,
    Progress,
    Shard,
    ShardStore,
    run_shards,
)
from gat_schemas import Network
from gat_schemas.errors import InputError

from ._checks import CONSTRAINTS, make_limits
from ._held import held_rows
from ._opf import opf_summary
from ._options import Check, HostcapMethod, HostcapOptions
from ._search import base_case, search_block, sweep

__all__ = [
    "HostcapResult",
    "candidate_buses",
    "hostcap_shard",
    "hostcap_shards",
    "hosting_capacity",
    "reduce_hostcap",
]

#: Voltage array entries (candidates x nodes) one block aims at when no block size is given.
_BLOCK_ENTRIES = 4_000_000


@dataclass(frozen=True, eq=False)
class HostcapResult:
    """Result of :func:`hosting_capacity`.

    Attributes
    ----------
    summary
        ``hostcap_summary`` table: one row per (load_scale, bus_id), load levels in the
        order given, nodes in candidate order.
    curves
        ``hostcap_curves`` rows with a leading ``load_scale`` column, or ``None`` without
        ``steps``.
    power_flows
        Batched power flows solved, summed over shards.
    warnings
        What the study could not check, in plain words (once per study, not per node):
        with the thermal check on, that no closed branch has a ``thermal_limit`` (so no
        capacity is thermally limited), or how many closed branches have none.
    held
        Limits the case without injection already breaks, held at their base value plus
        ``options.held_tol_pu`` (columns :data:`gat_dist.hostcap._held.HELD_COLUMNS`);
        ``None`` when not computed (a result reduced from shards alone).
    """

    summary: pd.DataFrame
    curves: pd.DataFrame | None
    power_flows: int
    warnings: tuple[str, ...] = ()
    held: pd.DataFrame | None = None


def rating_warnings(network: Network, options: HostcapOptions) -> tuple[str, ...]:
    """Warnings about unrated branches when the thermal check is on.

    A closed branch is rated when it has a ``thermal_limit``, a ``normamps`` of its own, or
    a line code with ``normamps``. Returns one message when no closed branch is rated, one
    counting the unrated closed branches when some are, and nothing when all are rated or
    the check is off.
    """
    if Check.THERMAL not in options.checks:
        return ()
    br = network.tables["dist_branches"]
    closed = (br["status"].astype(str) == "closed").to_numpy()
    limit = pd.to_numeric(br["thermal_limit"], errors="coerce").to_numpy(dtype=float)
    rated = np.isfinite(limit) | _has_ampacity(network)
    unrated = int((closed & ~rated).sum())
    n_closed = int(closed.sum())
    if not unrated:
        return ()
    codes = network.table("dist_linecodes")
    what = (
        "thermal_limit or normamps"
        if "normamps" in br.columns or (codes is not None and len(codes))
        else "thermal_limit"
    )
    if unrated == n_closed:
        return (
            f"no branch has a {what}, so thermal limits were not checked: every capacity is "
            "set by the other checks or by the search cap",
        )
    return (
        f"{unrated} of {n_closed} closed branches have no {what}; their loading was not checked",
    )


def _has_ampacity(network: Network) -> np.ndarray:
    """Branches with a ``normamps`` of their own or of their line code."""
    br = network.tables["dist_branches"]
    out = np.zeros(len(br), dtype=bool)
    if "normamps" in br.columns:
        out |= np.isfinite(pd.to_numeric(br["normamps"], errors="coerce").to_numpy(float))
    codes = network.table("dist_linecodes")
    if codes is not None and "normamps" in codes.columns and "linecode_id" in br.columns:
        amps = pd.to_numeric(codes["normamps"], errors="coerce").to_numpy(float)
        ok = set(codes["linecode_id"].astype(str)[np.isfinite(amps)])
        out |= br["linecode_id"].map(lambda c: isinstance(c, str) and c in ok).to_numpy(bool)
    return out


def candidate_buses(network: Network, options: HostcapOptions) -> tuple[str, ...]:
    """The candidate node ids: ``options.buses``, or every node that is not a slack node.

    Raises
    ------
    gat_schemas.errors.InputError
        Unknown ids, repeated ids, or a slack node among them.
    """
    nodes = network.tables["dist_nodes"]
    ids = nodes["node_id"].astype(str).to_numpy()
    slack = ids[(nodes["type"] == "slack").to_numpy()]
    if options.buses is None:
        return tuple(i for i in ids if i not in set(slack))
    known = set(ids)
    unknown = [b for b in options.buses if b not in known]
    if unknown:
        raise InputError(
            f"hostcap: table dist_nodes column node_id has no {', '.join(unknown[:5])}"
        )
    if len(set(options.buses)) != len(options.buses):
        raise InputError("hostcap: candidate buses repeat")
    bad = [b for b in options.buses if b in set(slack)]
    if bad:
        raise InputError(f"hostcap: {', '.join(bad[:5])}: slack nodes cannot be candidates")
    return options.buses


def hostcap_shards(network: Network, options: HostcapOptions) -> list[Shard]:
    """Split the study into shards: each load level x each block of candidate nodes.

    Shard ids are ``ls<i>-b<j>`` (load level index, block index); each shard runs
    :func:`hostcap_shard` with ``(network, options, load_scale, buses)``, the network as a
    :class:`~gat_schemas.Network` (which pickles, for process and Dask workers).
    """
    buses = candidate_buses(network, options)
    n_nodes = len(network.tables["dist_nodes"])
    size = options.block_size or max(1, _BLOCK_ENTRIES // max(n_nodes, 1))
    blocks = [buses[k : k + size] for k in range(0, len(buses), size)]
    return [
        Shard(f"ls{i}-b{j}", (network, options, scale, block))
        for i, scale in enumerate(options.load_scales)
        for j, block in enumerate(blocks)
    ]


def hostcap_shard(
    network: Network,
    options: HostcapOptions,
    load_scale: float,
    buses: Sequence[str],
) -> dict[str, pd.DataFrame]:
    """Hosting capacity of ``buses`` at one load level (one fan-out shard).

    Returns
    -------
    dict
        ``summary`` (hostcap_summary rows), ``curves`` (hostcap_curves rows with
        ``load_scale``; empty without ``steps``) and ``stats`` (``power_flows``: batched
        power flows solved).
    """
    phys = _physics(network, options)
    limits = make_limits(phys, options)
    points = phys.injection_points(buses, phase_mode=options.phase_mode)
    ids = list(points.node)
    phases = list(points.phase)
    if options.method is HostcapMethod.OPF:
        if phys.kind != "balanced":
            raise InputError(
                "hostcap method opf needs a balanced network; use method ac on three-phase networks"
            )
        summary = opf_summary(network, options, load_scale, ids)
        summary.insert(1, "phase", phases)
        given = limits
        limits, _, flows, _, _ = base_case(phys, limits, points, options, load_scale)
        curve = sweep(phys, limits, points, options, load_scale) if options.steps else None
        out = _tables(ids, phases, load_scale, summary, curve, flows + options.steps + 1)
        return out | {"held": held_rows(phys, options, given, limits, load_scale)}
    res = search_block(phys, limits, points, options, load_scale)
    summary = pd.DataFrame(
        {
            "bus_id": ids,
            "phase": phases,
            "load_scale": np.full(len(ids), float(load_scale)),
            "hosting_capacity_mw": res.hc_mw.astype(float),
            "limiting_constraint": [CONSTRAINTS[c] for c in res.constraint],
            "limiting_element": [e if e != "" else None for e in res.element],
            "vm_max_pu_at_hc": res.vm_max_pu.astype(float),
            "loading_max_pct_at_hc": res.loading_max_pct.astype(float),
        }
    )
    out = _tables(ids, phases, load_scale, summary, res.curve, res.steps)
    used = res.limits if res.limits is not None else limits
    return out | {"held": held_rows(phys, options, limits, used, load_scale)}


#: Three-phase trials: the fixed point alone (a trial it does not settle is a high injection
#: without solution, infeasible; Newton-Raphson on those only costs time), to a power
#: mismatch (pu of base_mva / 3) whose voltage error is far below any limit margin that
#: matters (capacities move by < 1e-5 relative between 1e-6 and 1e-9 on IEEE 13 and 34).
_TRIAL_METHOD_3PH = "fixed_point"
_TRIAL_TOL_3PH = 1e-6
#: Trials the fixed point has not settled in this many iterations count as without
#: solution: trials near a capacity, started from the candidate's previous trial, settle in
#: 5 to 20 (load admittances in the factorised matrix), while an injection far past voltage
#: collapse would otherwise iterate 500 times. A slow trial far above the capacity counts
#: as infeasible, which only moves the bracket's upper end down. The base case (no start)
#: may take up to 500.
_TRIAL_MAX_ITER_3PH = 25


def _physics(network: Network, options: HostcapOptions) -> gat_pf.PhysicsModel:
    """The physics model of a shard (balanced or three-phase, from the tables)."""
    return gat_pf.physics_model(
        network,
        model=options.model,
        pf_options=options.pf_options,
        options_3ph=gat_pf.ThreePhaseOptions(
            regulators=options.regulators,
            method=_TRIAL_METHOD_3PH,
            tol=_TRIAL_TOL_3PH,
            max_iter=_TRIAL_MAX_ITER_3PH,
        ),
    )


def _tables(ids, phases, load_scale, summary, curve, power_flows) -> dict[str, pd.DataFrame]:  # type: ignore[no-untyped-def]
    frames, order = [], []
    if curve is not None:
        p, evals = curve
        for k, (x, ev) in enumerate(zip(p, evals, strict=True), start=1):
            frames.append(
                pd.DataFrame(
                    {
                        "load_scale": np.full(len(ids), float(load_scale)),
                        "bus_id": ids,
                        "phase": phases,
                        "step": np.full(len(ids), k, dtype=np.int64),
                        "injection_mw": np.full(len(ids), float(x)),
                        "vm_max_pu": ev.vm_max_pu.astype(float),
                        "loading_max_pct": ev.loading_max_pct.astype(float),
                        "feasible": ev.feasible.astype(bool),
                    }
                )
            )
            order.append(np.arange(len(ids)) * len(p) + (k - 1))
    curves = pd.concat(frames, ignore_index=True) if frames else _empty_curves()
    if len(curves):  # point by point (candidate order), steps in order
        curves = curves.iloc[np.argsort(np.concatenate(order), kind="stable")]
        curves = curves.reset_index(drop=True)
    stats = pd.DataFrame({"power_flows": np.array([power_flows], dtype=np.int64)})
    return {"summary": summary, "curves": curves, "stats": stats}


def _empty_curves() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "load_scale": pd.Series(dtype=float),
            "bus_id": pd.Series(dtype=object),
            "phase": pd.Series(dtype=object),
            "step": pd.Series(dtype=np.int64),
            "injection_mw": pd.Series(dtype=float),
            "vm_max_pu": pd.Series(dtype=float),
            "loading_max_pct": pd.Series(dtype=float),
            "feasible": pd.Series(dtype=bool),
        }
    )


def reduce_hostcap(results: Sequence[dict[str, pd.DataFrame]], *, steps: int) -> HostcapResult:
    """Concatenate shard results, in shard order, into one :class:`HostcapResult`."""
    summary = pd.concat([r["summary"] for r in results], ignore_index=True)
    curves = None
    if steps:
        curves = pd.concat([r["curves"] for r in results], ignore_index=True)
    flows = int(sum(int(r["stats"]["power_flows"].sum()) for r in results))
    from ._held import reduce_held

    held = reduce_held([r.get("held") for r in results])
    return HostcapResult(summary=summary, curves=curves, power_flows=flows, held=held)


def hosting_capacity(
    network: Network,
    *,
    options: HostcapOptions = HostcapOptions(),  # noqa: B008 -- frozen, immutable
    executor: ExecutorOptions = ExecutorOptions(),  # noqa: B008 -- frozen, immutable
    store: ShardStore | None = None,
    progress: Progress | None = None,
) -> HostcapResult:
    """Hosting capacity of every candidate node at every load level.

    Parameters
    ----------
    network
        The network (``dist_nodes`` gives ``v_min``/``v_max``; ``dist_branches`` the
        ``thermal_limit`` in MVA, NaN = unrated).
    options
        What to inject, what to check, how to search (:class:`HostcapOptions`).
    executor
        Where shards run (see :mod:`gat_dist.fanout`).
    store
        Saves each finished shard and skips shards already saved (``--resume``).
    progress
        ``progress(done, total)`` in shards.

    Returns
    -------
    HostcapResult
        ``summary.limiting_constraint`` is ``search_cap`` where no checked limit broke up to
        ``options.max_injection_mw``; ``warnings`` says when thermal limits were not
        (fully) checked for lack of ratings.

    Raises
    ------
    gat_schemas.errors.InputError
        Unknown or slack candidate nodes, unusable options.
    gat_schemas.errors.NotConvergedError
        When the power flow without injection does not converge at a load level.
    """
    shards = hostcap_shards(network, options)
    results = run_shards(hostcap_shard, shards, executor=executor, store=store, progress=progress)
    result = reduce_hostcap(results, steps=options.steps)
    return replace(result, warnings=rating_warnings(network, options))
