"""``gat dist hostcap``: hosting capacity of every node (or the chosen ones), exactly, in AC."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from gat_cli.context import AppContext
from gat_cli.options import (
    LOAD_SCALE,
    PU_VOLTAGE,
    FiniteFloat,
    comma_list,
    executor_options,
    fanout_options,
    force_option,
    grid_file_option,
    held_tol_option,
    out_dir_option,
)
from gat_cli.runner import command_run, emit, rel

__all__ = ["cli"]

_CHECKS = ("voltage", "thermal", "reverse-flow", "unbalance")
#: Test hook: seconds to wait after each finished shard (lets a test interrupt a run).
_DELAY_ENV = "GAT_TEST_SHARD_DELAY_S"


def _parse_checks(given: tuple[str, ...]) -> list[str]:
    items = [c.lower() for c in given]
    bad = [c for c in items if c not in _CHECKS]
    if bad or not items:
        raise click.BadParameter(
            f"{', '.join(bad) or 'nothing'}: choose from {', '.join(_CHECKS)}",
            param_hint="--check",
        )
    return sorted(set(items), key=_CHECKS.index)


@click.command()
@grid_file_option
@out_dir_option
@click.option(
    "--bus",
    "buses",
    multiple=True,
    callback=comma_list(),
    metavar="ID[,ID...]",
    help="Candidate node ids (repeat or comma-separate); default: every non-slack node.",
)
@click.option(
    "--max-injection",
    type=FiniteFloat(0.0, 1e5, min_open=True),
    default=10.0,
    show_default=True,
    help="Upper end of the search (MW).",
)
@click.option(
    "--tol",
    type=FiniteFloat(0.0, 1e3, min_open=True),
    default=0.001,
    show_default=True,
    help="Search tolerance (MW): the capacity is at most this far below the exact one.",
)
@click.option(
    "--steps",
    type=click.IntRange(0, 10_000),
    default=0,
    show_default=True,
    help="Also write the sweep curve: N equal steps up to --max-injection.",
)
@click.option(
    "--pf",
    "power_factor",
    type=FiniteFloat(0.0, 1.0, min_open=True),
    default=1.0,
    show_default=True,
    help="Power factor of the injection, in (0, 1].",
)
@click.option(
    "--pf-mode",
    type=click.Choice(["absorb", "inject"]),
    default="absorb",
    show_default=True,
    help="With --pf < 1: the DER absorbs reactive power (as smart inverters do) or injects it.",
)
@click.option(
    "--load-scale",
    "load_scales",
    multiple=True,
    callback=comma_list(LOAD_SCALE),
    metavar="X[,X...]",
    help="Load levels (repeat or comma-separate for several); default 1.0.",
)
@click.option(
    "--v-max",
    type=PU_VOLTAGE,
    default=None,
    help="Upper voltage limit for every node (pu); default: each node's v_max.",
)
@click.option(
    "--check",
    "checks",
    multiple=True,
    callback=comma_list(),
    default=("voltage,thermal,unbalance",),
    show_default=True,
    metavar="CHECK[,CHECK...]",
    help="Constraints enforced (repeat or comma-separate): voltage, thermal, reverse-flow "
    "(at the feeder head and, three-phase, through regulators), unbalance (three-phase: "
    "voltage unbalance factor at most --vuf-max).",
)
@click.option(
    "--phase-mode",
    type=click.Choice(["all", "each"]),
    default="all",
    show_default=True,
    help="Three-phase networks: all = the DER connects to all the node's phases, equal "
    "shares (one result per node); each = a single-phase DER on each phase in turn (one "
    "result per node phase).",
)
@click.option(
    "--vuf-max",
    type=FiniteFloat(0.0, 100.0, min_open=True),
    default=3.0,
    show_default=True,
    help="Largest voltage unbalance factor |V2|/|V1| allowed at three-phase nodes (%).",
)
@held_tol_option(
    "without injection (node phase below v_min, conductor above its rating, node above --vuf-max)"
)
@click.option(
    "--regulators",
    type=click.Choice(["fixed", "auto"]),
    default="fixed",
    show_default=True,
    help="Three-phase networks: fixed = taps as in dist_regulators (the voltage rise before "
    "the regulators act); auto = regulators with mode auto move in every trial.",
)
@click.option(
    "--method",
    type=click.Choice(["ac", "opf"]),
    default="ac",
    show_default=True,
    help="ac: search with a full AC power flow per trial; opf: the OPF hostcap objective "
    "(DER assets controllable), AC-checked.",
)
@click.option(
    "--search",
    type=click.Choice(["secant", "bisection"]),
    default="secant",
    show_default=True,
    help="How each step picks the trial inside the bracket.",
)
@click.option(
    "--block-size",
    type=click.IntRange(min=1),
    default=None,
    help="Candidates per shard (one batched power flow) [default: automatic].",
)
@click.option(
    "--pv-shape",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Time-series hosting capacity: a load_shapes table (Parquet or CSV) with the PV's "
    "shape; the largest PV per node with no violation at any of its steps, regulators "
    "acting (writes hostcap_timeseries).",
)
@click.option(
    "--load-shapes",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="With --pv-shape: load_shapes table the loads follow (default: the network's).",
)
@click.option(
    "--load-shape",
    "global_shape",
    default=None,
    metavar="SHAPE_ID",
    help="With --pv-shape: every load follows this one shape (of --load-shapes or the "
    "network's load_shapes), whatever its own link; the way to give a balanced network's "
    "loads (dist_nodes.load_p, which name no shape) a shape.",
)
@fanout_options
@force_option
@click.pass_obj
def cli(app: AppContext, grid_file: Path, out_dir: Path, **kw: Any) -> None:
    """Hosting capacity of each node: the largest injection at power factor --pf with no
    voltage, thermal, unbalance (or, with --check, reverse-flow) violation anywhere in a
    full AC power flow. Writes hostcap_summary.parquet (and hostcap_curves/ with --steps)
    into OUT_DIR.

    A network with three-phase tables is studied in phase coordinates (voltage per node
    phase, conductor current against its ampacity, voltage unbalance); --phase-mode each
    gives the single-phase capacity of every phase of every node.

    Every search step solves all candidate nodes of a shard in one batched power flow.
    Limits that the network already breaks without injection must not get worse.
    """
    if kw["pv_shape"] is not None:
        from gat_cli.commands.dist_hostcap_ts import run_timeseries

        return run_timeseries(app, grid_file, out_dir, kw)
    if kw["global_shape"] is not None:
        raise click.UsageError("--load-shape applies only with --pv-shape")
    kw.pop("pv_shape")
    kw.pop("load_shapes")
    kw.pop("global_shape")
    from gat_cli.network_input import read_grid_file
    from gat_dist.fanout import ShardStore
    from gat_dist.hostcap import HostcapOptions, hosting_capacity

    checks = _parse_checks(kw["checks"])
    load_scales = tuple(kw["load_scales"]) or (1.0,)
    params = {
        "grid_file": str(grid_file),
        "out_dir": str(out_dir),
        **{k: v for k, v in kw.items() if k not in ("checks", "load_scales", "buses")},
        "buses": list(kw["buses"]) or None,
        "load_scales": list(load_scales),
        "checks": checks,
    }
    options = HostcapOptions(
        method=kw["method"],
        buses=tuple(kw["buses"]) or None,
        max_injection_mw=kw["max_injection"],
        tol_mw=kw["tol"],
        pf=kw["power_factor"],
        q_mode=kw["pf_mode"],
        v_max=kw["v_max"],
        checks=frozenset(c.replace("-", "_") for c in checks),
        load_scales=load_scales,
        steps=kw["steps"],
        search=kw["search"],
        block_size=kw["block_size"],
        phase_mode=kw["phase_mode"],
        vuf_max_pct=kw["vuf_max"],
        regulators=kw["regulators"],
        held_tol_pu=kw["held_tol"],
    )
    executor = executor_options(kw)
    t0 = time.perf_counter()
    with command_run(
        app,
        out_dir=out_dir,
        command="dist hostcap",
        params=params,
        inputs=[grid_file],
        resume=kw["resume"],
        force=kw["force"],
    ) as run:
        net = read_grid_file(grid_file)
        _check_balanced_options(net, kw["phase_mode"])
        with _progress() as progress:
            result = hosting_capacity(
                net, options=options, executor=executor, store=ShardStore(run), progress=progress
            )
        run.stage_table(result.summary, "hostcap_summary")
        if result.held is not None:
            run.stage_table(result.held, "hostcap_held")
        if result.curves is not None:
            for scale, part in result.curves.groupby("load_scale", sort=False):
                name = f"hostcap_curves/load_scale={float(scale)!r}/part-0.parquet"
                run.stage_table(part.drop(columns="load_scale"), "hostcap_curves", filename=name)
    _print_summary(app, net.name, out_dir, result, time.perf_counter() - t0)


def _check_balanced_options(net, phase_mode: str) -> None:  # type: ignore[no-untyped-def]
    """Options for three-phase networks given explicitly on a balanced one are refused
    (they would be ignored: a balanced network has one phase and no unbalance)."""
    from gat_pf.physics import is_three_phase
    from gat_schemas.errors import InputError

    if is_three_phase(net):
        return
    ctx = click.get_current_context()
    given = [
        f"--{name.replace('_', '-')}"
        for name in ("vuf_max",)
        if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT
    ]
    if phase_mode == "each":
        given.insert(0, "--phase-mode each")
    if given:
        raise InputError(
            f"{', '.join(given)}: for three-phase networks; network {net.name} is balanced "
            "(one phase per node, no unbalance): omit them"
        )


@contextmanager
def _progress() -> Iterator[Callable[[int, int], None]]:
    """The progress bar, plus the test hook's pause after each finished shard."""
    from gat_cli.progress import progress_bar

    with progress_bar("hosting capacity (shards)") as draw:
        delay = float(os.environ.get(_DELAY_ENV, "0") or 0)
        if not delay:
            yield draw
            return

        def update(done: int, total: int) -> None:
            draw(done, total)
            if 0 < done < total:
                time.sleep(delay)

        yield update


def _held_records(held) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    return [
        {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        for row in held.to_dict(orient="records")
    ]


def _what(grp) -> str:  # type: ignore[no-untyped-def]
    """``nodes``, or ``node phases`` when the candidates are single phases."""
    return "node phases" if (grp["phase"].str.len() == 1).all() else "nodes"


def _print_summary(app: AppContext, name: str, out_dir: Path, result, seconds: float) -> None:  # type: ignore[no-untyped-def]
    s = result.summary
    lines, per_scale = [], []
    for scale, grp in s.groupby("load_scale", sort=False):
        hc = grp["hosting_capacity_mw"]
        counts = grp["limiting_constraint"].value_counts().to_dict()
        worst = grp.loc[hc.idxmin()]
        where = worst["bus_id"] + ("" if worst["phase"] == "ABC" else f".{worst['phase']}")
        per_scale.append(
            {
                "load_scale": float(scale),
                "nodes": len(grp),
                "hosting_capacity_mw": {"min": hc.min(), "median": hc.median(), "max": hc.max()},
                "lowest_bus": worst["bus_id"],
                "lowest_phase": worst["phase"],
                "limiting": counts,
            }
        )
        limits = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        lines.append(
            f"{name} at load x{scale:g}: {len(grp)} {_what(grp)}, capacity {hc.min():.3f} - "
            f"{hc.max():.3f} MW (median {hc.median():.3f}); lowest at {where} "
            f"({worst['limiting_constraint']}"
            + (
                f" at {worst['limiting_element']}"
                if isinstance(worst["limiting_element"], str)
                else ""
            )
            + f"); limited by: {limits}"
        )
    capped = s[s["limiting_constraint"] == "search_cap"]
    if len(capped):
        top = float(capped["hosting_capacity_mw"].max())
        lines.append(
            f"note: {len(capped)} of {len(s)} results reached the search cap ({top:g} MW) with "
            "no limit broken: the cap, not the network, set them (limiting_constraint "
            "search_cap)"
        )
    if result.held is not None and len(result.held):
        h = result.held
        shown = ", ".join(
            f"{r.limit} {r.element} {r.value:g} -> {r.held_at:.4g}" for r in h.head(3).itertuples()
        )
        more = f" and {len(h) - 3} more" if len(h) > 3 else ""
        lines.append(
            f"held (broken without injection; the DER may not make them worse by more than "
            f"the tolerance): {shown}{more} (hostcap_held)"
        )
    lines += [f"warning: {w}" for w in result.warnings]
    tables = "hostcap_summary, hostcap_held" + (
        ", hostcap_curves/" if result.curves is not None else ""
    )
    lines.append(
        f"{result.power_flows} batched power flows in {seconds:.2f} s; "
        f"written to {rel(out_dir)}/ ({tables}, run.json)"
    )
    emit(
        app,
        {
            "network": name,
            "out_dir": str(out_dir),
            "power_flows": result.power_flows,
            "seconds": seconds,
            "load_scales": per_scale,
            "search_cap_results": len(capped),
            "warnings": list(result.warnings),
            "held_limits": [] if result.held is None else _held_records(result.held),
        },
        lines,
    )
