"""``gat dist qsts``: quasi-static time series over a day, a year or a range of hours."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import click

from gat_cli.context import AppContext
from gat_cli.options import FiniteFloat, force_option, grid_file_option, out_dir_option
from gat_cli.runner import command_run, emit, rel

__all__ = ["cli"]

_STEP = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(h|hr|hour|hours|min|m|s|sec)\s*$", re.IGNORECASE)
#: Shape column and default length (h) of each mode.
_MODES = {"daily": ("daily", 24.0), "yearly": ("yearly", 8760.0), "range": ("yearly", None)}


def _parse_step(ctx: click.Context, param: click.Parameter, value: str) -> float:
    """``1h``, ``15min``, ``30s`` -> hours."""
    m = _STEP.match(value or "")
    if not m:
        raise click.BadParameter(f"{value!r}: give a duration such as 1h, 15min or 30s")
    x, unit = float(m.group(1)), m.group(2).lower()
    hours = x if unit.startswith("h") else x / 60.0 if unit in ("min", "m") else x / 3600.0
    if not hours > 0:
        raise click.BadParameter("the step must be longer than 0")
    return hours


@click.command()
@grid_file_option
@out_dir_option
@click.option(
    "--mode",
    type=click.Choice(list(_MODES)),
    default="daily",
    show_default=True,
    help="daily: the loads' and DERs' daily shapes over 24 h; yearly: their yearly shapes "
    "over 8760 h; range: the yearly shapes from --start for --steps steps.",
)
@click.option(
    "--load-shapes",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="load_shapes table (Parquet or CSV: shape_id, step, hour, multiplier, interval_h) "
    "instead of the network's.",
)
@click.option(
    "--load-shape",
    "global_shape",
    default=None,
    metavar="SHAPE_ID",
    help="Every load follows this one shape (of --load-shapes or the network's load_shapes), "
    "whatever its own link; the way to give a balanced network's loads (dist_nodes.load_p, "
    "which name no shape) a shape. Fixed loads stay at rated power.",
)
@click.option(
    "--start",
    type=FiniteFloat(0.0, 1e6),
    default=0.0,
    show_default=True,
    help="Hour of the shapes at which the study starts (step k is at start + (k+1) x step).",
)
@click.option(
    "--steps",
    type=click.IntRange(1, 10_000_000),
    default=None,
    help="Number of steps [default: 24 h (daily) or 8760 h (yearly) of steps].",
)
@click.option(
    "--step",
    "step_h",
    default="1h",
    show_default=True,
    callback=_parse_step,
    help="Step length: 1h, 15min, 30s ...",
)
@click.option(
    "--control-mode",
    type=click.Choice(["static", "time", "off"]),
    default="static",
    show_default=True,
    help="static: regulators and capacitors act until at rest every step; time: a control "
    "acts once its condition lasted its delay (delays accumulate across steps); off: held.",
)
@click.option(
    "--max-tap-change",
    type=click.IntRange(1, 64),
    default=16,
    show_default=True,
    help="Largest tap move of a regulator within one step (steps); a regulator's own "
    "dist_regulators.max_tap_change applies when smaller.",
)
@click.option(
    "--reg-delay",
    type=FiniteFloat(0.0, 1e6),
    default=None,
    help="Time mode: seconds a regulator's voltage must stay out of band before it moves "
    "[default: each regulator's dist_regulators.delay_s, 15 s when absent].",
)
@click.option(
    "--initial-taps",
    type=click.Choice(["settled", "table"]),
    default="settled",
    show_default=True,
    help="settled: taps where a power flow at full load leaves the automatic regulators "
    "(as an OpenDSS script solves before its daily or yearly run); table: dist_regulators.tap.",
)
@click.option(
    "--save-voltages",
    is_flag=True,
    help="Also write every node phase's voltage at every step (qsts_voltages/, partitioned).",
)
@click.option(
    "--block-steps",
    type=click.IntRange(1, 10_000_000),
    default=744,
    show_default=True,
    help="Steps per shard (a resumed run restarts after the last finished shard).",
)
@click.option(
    "--resume", is_flag=True, help="Continue the run in OUT_DIR: redo only unfinished shards."
)
@force_option
@click.pass_obj
def cli(app: AppContext, grid_file: Path, out_dir: Path, **kw: Any) -> None:
    """Quasi-static time series: one power flow per step, loads and DERs following their
    shapes (load_shapes), regulators and switched capacitors keeping their state between
    steps. Writes qsts_steps, qsts_meters and qsts_controls (and qsts_voltages/ with
    --save-voltages) into OUT_DIR.

    Steps at which no control acts are solved as one batch; a step that does not converge
    is reported (converged false), never filled with another step's answer.
    """
    from gat_cli.network_input import read_grid_file
    from gat_cli.progress import progress_bar
    from gat_dist.fanout import ShardStore
    from gat_dist.qsts import QstsOptions, run_qsts, shape_multipliers

    kind, hours = _MODES[kw["mode"]]
    if kw["mode"] == "range" and kw["steps"] is None:
        raise click.UsageError("--mode range needs --steps")
    n_steps = kw["steps"] or max(1, round(hours / kw["step_h"]))
    params = {
        "grid_file": str(grid_file),
        "out_dir": str(out_dir),
        **{k: (str(v) if isinstance(v, Path) else v) for k, v in kw.items()},
        "steps": n_steps,
    }
    options = QstsOptions(
        control_mode=kw["control_mode"],
        step_h=kw["step_h"],
        start_h=kw["start"],
        max_tap_change=kw["max_tap_change"],
        reg_delay_s=kw["reg_delay"],
        save_voltages=kw["save_voltages"],
    )
    t0 = time.perf_counter()
    with command_run(
        app,
        out_dir=out_dir,
        command="dist qsts",
        params=params,
        inputs=[grid_file, kw["load_shapes"]],
        resume=kw["resume"],
        force=kw["force"],
    ) as run:
        net = read_grid_file(grid_file)
        shapes = None if kw["load_shapes"] is None else _read_shapes(kw["load_shapes"])
        mult = shape_multipliers(
            net, kind=kind, steps=n_steps, step_h=kw["step_h"], start_h=kw["start"], shapes=shapes
        )
        mult, shape_notes = _apply_links(net, kind, mult, shapes, kw, n_steps)
        taps = _initial_taps(net) if kw["initial_taps"] == "settled" else None
        with progress_bar("qsts (steps)") as draw:
            tables = run_qsts(
                net,
                mult,
                options,
                initial_taps=taps,
                block_steps=kw["block_steps"],
                store=ShardStore(run),
                progress=draw,
            )
        run.stage_table(tables.steps, "qsts_steps")
        run.stage_table(tables.meters, "qsts_meters")
        run.stage_table(tables.controls, "qsts_controls")
        for block, part in tables.voltages:
            name = f"qsts_voltages/block={block}/part-0.parquet"
            run.stage_table(part, "qsts_voltages", filename=name)
    _print_summary(
        app, net.name, out_dir, tables, n_steps, kw["step_h"], time.perf_counter() - t0, shape_notes
    )


def _read_shapes(path: Path) -> Any:
    import pandas as pd

    from gat_schemas import conform_table, validate_table
    from gat_schemas.errors import InputError, ValidationError

    try:
        df = pd.read_csv(path) if path.suffix.lower() == ".csv" else pd.read_parquet(path)
    except Exception as exc:
        raise InputError(f"{path}: cannot read a load_shapes table ({exc})") from None
    df = conform_table("load_shapes", df)
    found = validate_table("load_shapes", df)
    if found:
        raise ValidationError(found, source=str(path))
    return df


def _named(table: Any, kind: str) -> list[str]:
    """Shape ids named in column ``kind`` of ``table`` (lower case, in row order)."""
    if table is None or kind not in table.columns:
        return []
    return [str(v).lower() for v in table[kind].tolist() if isinstance(v, str) and v]


def require_named(net: Any, kind: str, shapes: Any, path: Any, hint: str) -> None:
    """Refuse a ``load_shapes`` file ``path`` none of whose shapes a load or DER of ``net``
    names in column ``kind`` (nothing would follow it).

    Raises
    ------
    InputError
        One line naming the file, its shapes, the column and ``hint``.
    """
    from gat_schemas.errors import InputError

    loads, ders = net.table("dist_loads"), net.table("der_assets")
    named = set(_named(loads, kind)) | set(_named(ders, kind))
    if not set(shapes["shape_id"].astype(str).str.lower()) & named:
        listed = ", ".join(sorted(set(shapes["shape_id"].astype(str))))
        raise InputError(
            f"{path}: no load or DER names any of its shapes ({listed}) in column {kind} of "
            f"dist_loads or der_assets, so nothing would follow them; {hint}"
        )


def _apply_links(net: Any, kind: str, mult: Any, shapes: Any, kw: dict, n_steps: int) -> Any:  # type: ignore[type-arg]
    """The multipliers with ``--load-shape`` applied, and notes on what follows no shape.

    Raises
    ------
    InputError
        ``--load-shapes FILE`` none of whose shapes any load or DER names in column ``kind``
        (nothing would follow it) and no ``--load-shape``.
    """
    import numpy as np

    from gat_dist.qsts import Multipliers, shape_values
    from gat_schemas.errors import InputError

    table = net.table("load_shapes") if shapes is None else shapes
    loads, ders = net.table("dist_loads"), net.table("der_assets")
    if ders is not None:
        ders = ders[ders["asset_type"].astype(str).isin(("pv", "wind", "genset"))]
    global_shape = kw["global_shape"]
    if shapes is not None and global_shape is None:
        require_named(
            net, kind, shapes, kw["load_shapes"], "name one with --load-shape SHAPE_ID to apply it "
            "to every load"
        )  # fmt: skip
    notes = []
    if global_shape is not None:
        times = kw["start"] + (np.arange(n_steps) + 1.0) * kw["step_h"]
        try:
            load = shape_values(table, global_shape, times)
        except InputError:
            where = kw["load_shapes"] or "the network's load_shapes"
            raise InputError(f"--load-shape {global_shape}: {where} holds no such shape") from None
        mult = Multipliers(load=load, der=mult.der, der_ids=mult.der_ids)
        notes.append(f"every load follows shape {global_shape} (--load-shape)")
    else:
        if loads is not None and len(loads):
            fixed = loads["fixed"].fillna(False).astype(bool) if "fixed" in loads.columns else False
            free = loads[~fixed] if "fixed" in loads.columns else loads
            n = int(len(free) - len(_named(free, kind)))
            if n:
                notes.append(f"{n} load(s) name no {kind} shape: rated power at every step")
        nodes = net.nodes
        if "load_p" in nodes.columns and (nodes["load_p"].fillna(0.0) != 0).any():
            notes.append(
                "the loads of dist_nodes.load_p name no shape: rated power at every step "
                "(--load-shape SHAPE_ID applies one to every load)"
            )
    if ders is not None and len(ders):
        n = int(len(ders) - len(_named(ders, kind)))
        if n:
            notes.append(f"{n} DER(s) (pv, wind, genset) name no {kind} shape: p_max at every step")
    return mult, notes


def _initial_taps(net: Any) -> Any:
    """Taps of a power flow at full load with automatic regulators (None without any)."""
    import gat_pf

    regs = net.table("dist_regulators")
    if regs is None or not len(regs) or not gat_pf.physics.is_three_phase(net):
        return None
    return gat_pf.run_power_flow_3ph(net).taps


def _print_summary(app, name, out_dir, tables, n_steps, step_h, seconds, shape_notes=()) -> None:  # type: ignore[no-untyped-def]
    m = tables.meters.iloc[0]
    moved = {k.split(":", 1)[1]: v[0] for k, v in tables.operations.items() if v[0]}
    ops = ", ".join(f"{k} {v}" for k, v in moved.items()) or "none"
    lines = [
        f"{name}: {n_steps} steps of {step_h:g} h ({tables.model_kind}), "
        f"{int(m['steps_not_converged'])} not converged",
        f"energy delivered {m['energy_mwh']:.3f} MWh (reverse {m['reverse_energy_mwh']:.3f}), "
        f"losses {m['losses_mwh']:.3f} MWh ({m['losses_pct']:.2f} %), DER {m['der_mwh']:.3f} MWh, "
        f"peak {m['peak_demand_mw']:.3f} MW at step {int(m['peak_step'])}",
        f"voltage {m['v_min_pu']:.4f} - {m['v_max_pu']:.4f} pu; hours outside limits: under "
        f"{m['hours_under']:g} h, over {m['hours_over']:g} h (node-phase hours "
        f"{m['node_hours_under']:g} / {m['node_hours_over']:g})",
        f"operations: taps {int(m['tap_operations'])} ({int(m['tap_steps'])} steps), "
        f"capacitors {int(m['cap_operations'])}; by device: {ops}",
    ]
    lines += [f"note: {n}" for n in (*shape_notes, *tables.notes)]
    if tables.blocks_resumed:
        lines.append(f"resumed: {tables.blocks_resumed} block(s) read from the earlier run")
    lines.append(
        f"{seconds:.2f} s; written to {rel(out_dir)}/ (qsts_steps, qsts_meters, qsts_controls"
        + (", qsts_voltages/" if tables.voltages else "")
        + ", run.json)"
    )
    emit(
        app,
        {
            "network": name,
            "out_dir": str(out_dir),
            "steps": n_steps,
            "step_h": step_h,
            "seconds": seconds,
            "model": tables.model_kind,
            "meters": {k: (v.item() if hasattr(v, "item") else v) for k, v in m.to_dict().items()},
            "operations": {k: list(v) for k, v in tables.operations.items()},
            "notes": [*shape_notes, *tables.notes],
        },
        lines,
    )
