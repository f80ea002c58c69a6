"""``gat adms vvo-plan``: Volt/VAR plan over day types, AC-verified, against the baseline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from gat_cli.context import AppContext
from gat_cli.options import (
    PU_VOLTAGE,
    TIME_LIMIT,
    FiniteFloat,
    force_option,
    grid_file_option,
    out_dir_option,
)
from gat_cli.runner import command_run, emit, rel

__all__ = ["cli", "objective_option", "vvo_options_from"]

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def objective_option(name: str, default: str) -> Any:
    """``--objective``-like option taking VVO objective terms (shared with ``dist opf``)."""
    return click.option(
        name,
        default=default,
        show_default=True,
        metavar="TERMS",
        help="loss (MW), cvr (head demand with the loads' voltage dependence, MW), "
        "voltage-deviation (mean |V - 1| pu), or weighted terms such as "
        "loss=1,voltage-deviation=0.5.",
    )


def vvo_common(func: Any) -> Any:
    """Options shared by ``adms vvo-plan`` and ``dist opf --objective vvo``."""
    for deco in reversed(
        [
            click.option(
                "--v-min",
                type=PU_VOLTAGE,
                default=None,
                help="Lower voltage limit (pu) [default: dist_nodes.v_min].",
            ),
            click.option(
                "--v-max",
                type=PU_VOLTAGE,
                default=None,
                help="Upper voltage limit (pu) [default: dist_nodes.v_max].",
            ),
            click.option(
                "--cvr-factor",
                type=FiniteFloat(0.0, 10.0),
                default=0.8,
                show_default=True,
                help="dP/P per dV/V of constant-power loads in the cvr objective.",
            ),
            click.option(
                "--substation-setpoint",
                is_flag=True,
                help="Optimise the substation voltage set point too (slack v_set, 0.625 % "
                "steps within +-5 %).",
            ),
            click.option(
                "--no-der-q",
                is_flag=True,
                help="Keep DER at zero reactive power (taps and capacitors only).",
            ),
            click.option(
                "--max-rounds",
                type=click.IntRange(1, 100),
                default=12,
                show_default=True,
                help="Largest number of linearise / MILP / AC-check rounds.",
            ),
        ]
    ):
        func = deco(func)
    return func


def _check_shapes(shapes, path) -> None:  # type: ignore[no-untyped-def]
    """A load_shapes file is validated against its schema (a full table) or, in the short
    form (step, multiplier), its multipliers must be finite: one line naming the file,
    column and rows (read without validation because the short form has no shape_id)."""
    import numpy as np
    import pandas as pd

    from gat_schemas import ValidationError, validate_table
    from gat_schemas.errors import InputError

    if "shape_id" in shapes.columns:
        violations = validate_table("load_shapes", shapes)
        if violations:
            raise ValidationError(violations, source=str(path))
        return
    if "multiplier" in shapes.columns:
        values = pd.to_numeric(shapes["multiplier"], errors="coerce").to_numpy(dtype=float)
        bad = np.flatnonzero(~np.isfinite(values))
        if len(bad):
            steps = shapes["step"].iloc[bad[:5]].tolist() if "step" in shapes else bad[:5].tolist()
            raise InputError(
                f"{path}: load_shapes.multiplier rows step {', '.join(map(str, steps))}: "
                "must be a finite number"
            )


def vvo_options_from(kw: dict[str, Any]) -> Any:
    """:class:`gat_adms.vvo.VvoOptions` from the parsed options."""
    from gat_adms.vvo import VvoOptions

    return VvoOptions(
        objective=kw["vvo_objective"],
        v_min=kw["v_min"],
        v_max=kw["v_max"],
        cvr_factor=kw["cvr_factor"],
        der_q=not kw["no_der_q"],
        substation=kw["substation_setpoint"],
        max_rounds=kw["max_rounds"],
        max_tap_ops=kw.get("max_tap_ops"),
        max_cap_ops=kw.get("max_cap_ops"),
        time_limit_s=kw.get("time_limit"),
    )


@click.command()
@grid_file_option
@out_dir_option
@click.option(
    "--load-shapes",
    type=_FILE,
    default=None,
    help="load_shapes table (.parquet/.csv: shape_id, step, multiplier[, hour, interval_h]; a CSV "
    "of step, multiplier is one day type named 'day') [default: the network's load_shapes].",
)
@click.option(
    "--day-types",
    default=None,
    metavar="IDS",
    help="Comma-separated day types: shape ids, or names picked by date from the yearly shape "
    "(weekday-summer, weekend-winter, ...) [default: every shape but the PV one].",
)
@click.option(
    "--pv-shape", default=None, metavar="ID", help="Shape of the PV output (pu of p_max)."
)
@click.option(
    "--year-start",
    default="2026-01-01",
    show_default=True,
    metavar="DATE",
    help="Date of the yearly shape's first point, for day types picked by date "
    "(weekday, weekend, winter/spring/summer/autumn, or weekday-summer and the like).",
)
@click.option(
    "--periods",
    type=click.IntRange(1, 10_000),
    default=None,
    help="Plan only the first N periods of each day type.",
)
@objective_option("--objective", "loss")
@vvo_common
@click.option(
    "--max-tap-ops",
    type=click.IntRange(0, 10_000),
    default=None,
    help="Largest number of tap steps per regulator per day.",
)
@click.option(
    "--max-cap-ops",
    type=click.IntRange(0, 10_000),
    default=None,
    help="Largest number of switchings per capacitor per day.",
)
@click.option(
    "--assets", type=_FILE, default=None, help="der_assets table [default: the network's]."
)
@click.option("--time-limit", type=TIME_LIMIT, default=None, help="HiGHS time limit per MILP (s).")
@click.option(
    "--resume",
    is_flag=True,
    help="Continue the run in OUT_DIR: plan only the day types not finished (one shard each).",
)
@force_option
@click.pass_obj
def cli(app: AppContext, grid_file: Path, out_dir: Path, **kw: Any) -> None:
    """Plan regulator taps, capacitor switching and DER reactive power for every period of
    each day type, and compare the plan with the feeder's own controls on the same days.

    Each day type is a load shape (hourly multipliers on every load); DER produce p_max times
    the PV shape. A MILP on the AC sensitivities of the network (three-phase or balanced)
    chooses the settings, linking the periods through the tap and capacitor operation limits;
    the exact settings are re-solved by the AC power flow and the model re-linearised until
    they pass the AC check (or the summary says why not). The baseline is the feeder's
    rule-based regulators (band, set point, line drop) with capacitors as in the data.
    Writes vvo_settings, vvo_periods and vvo_summary into OUT_DIR.
    """
    from gat_adms.vvo import day_types_from_shapes
    from gat_cli.network_input import read_grid_file
    from gat_dist.table_files import read_table_file
    from gat_schemas.errors import InputError

    kw["vvo_objective"] = kw.pop("objective")
    params = {"grid_file": str(grid_file), "out_dir": str(out_dir)}
    params.update({k: (str(v) if isinstance(v, Path) else v) for k, v in kw.items()})
    with command_run(
        app,
        out_dir=out_dir,
        command="adms vvo-plan",
        params=params,
        inputs=[grid_file, kw["load_shapes"], kw["assets"]],
        force=kw["force"],
        resume=kw["resume"],
    ) as run:
        options = vvo_options_from(kw)
        net = read_grid_file(grid_file)
        if kw["load_shapes"] is not None:
            shapes = read_table_file(kw["load_shapes"], "load_shapes", validate=False)
            _check_shapes(shapes, kw["load_shapes"])
        elif net.table("load_shapes") is not None:
            shapes = net.table("load_shapes")
        else:
            raise InputError(
                f"{grid_file}: no load_shapes table in the network folder; give --load-shapes FILE"
            )
        names = (
            [s.strip() for s in kw["day_types"].split(",") if s.strip()]
            if kw["day_types"]
            else None
        )
        days = day_types_from_shapes(
            shapes,
            day_types=names,
            pv_shape=kw["pv_shape"],
            periods=kw["periods"],
            year_start=kw["year_start"],
        )
        assets = None if kw["assets"] is None else read_table_file(kw["assets"], "der_assets")
        from gat_cli.progress import progress_bar
        from gat_dist.fanout import Shard, ShardStore, run_shards

        shards = [
            Shard(f"day={k}-{_safe(d.name)}", (net, d, assets, options)) for k, d in enumerate(days)
        ]
        with progress_bar("VVO plan (day types)") as progress:
            parts = run_shards(_plan_day, shards, store=ShardStore(run), progress=progress)
        result = _combine(parts)
        run.stage_table(result.settings, "vvo_settings")
        run.stage_table(result.periods, "vvo_periods")
        run.stage_table(result.summary, "vvo_summary")
    print_vvo_summary(app, net.name, out_dir, result)


def _safe(name: str) -> str:
    """A day type's name as part of a shard id (letters, digits, ``._+-=``)."""
    import re

    return re.sub(r"[^A-Za-z0-9._+=-]", "_", name)[:40]


def _plan_day(net: Any, day: Any, assets: Any, options: Any) -> dict[str, Any]:
    """One day type's plan as a shard result (its three tables and its run facts)."""
    import pandas as pd

    from gat_adms.vvo import plan_vvo

    res = plan_vvo(net, [day], assets=assets, options=options)
    facts = pd.DataFrame(
        {"model": [res.model], "n_solves": [res.n_solves], "elapsed_s": [res.elapsed_s]}
    )
    return {
        "vvo_settings": res.settings,
        "vvo_periods": res.periods,
        "vvo_summary": res.summary,
        "facts": facts,
    }


def _combine(parts: list[dict[str, Any]]) -> Any:
    """The day types' shard results as one :class:`gat_adms.vvo.VvoResult`."""
    import pandas as pd

    from gat_adms.vvo import VvoResult

    facts = pd.concat([p["facts"] for p in parts], ignore_index=True)
    return VvoResult(
        settings=pd.concat([p["vvo_settings"] for p in parts], ignore_index=True),
        periods=pd.concat([p["vvo_periods"] for p in parts], ignore_index=True),
        summary=pd.concat([p["vvo_summary"] for p in parts], ignore_index=True),
        model=str(facts["model"].iloc[0]),
        n_solves=int(facts["n_solves"].sum()),
        elapsed_s=float(facts["elapsed_s"].sum()),
    )


def print_vvo_summary(app: AppContext, name: str, out_dir: Path, result: Any) -> None:
    """The plan against the baseline, one line per day type and case."""
    summ = result.summary
    lines = [
        f"{name}: Volt/VAR plan ({result.model} model), {summ['day_type'].nunique()} day type(s), "
        f"{result.n_solves} AC power flows in {result.elapsed_s:.1f} s"
    ]
    for day, grp in summ.groupby("day_type", sort=False):
        g = grp.set_index("case")
        o, b = g.loc["optimised"], g.loc["baseline"]
        lines.append(
            f"{day}: objective {o.objective:.6g} vs baseline {b.objective:.6g} ({o.objective_terms}); "
            f"energy {o.energy_mwh:.4f} vs {b.energy_mwh:.4f} MWh, losses {o.loss_mwh * 1e3:.2f} vs "
            f"{b.loss_mwh * 1e3:.2f} kWh, V {o.v_min_pu:.4f}..{o.v_max_pu:.4f} vs "
            f"{b.v_min_pu:.4f}..{b.v_max_pu:.4f} pu, hours outside {o.hours_outside:g} vs "
            f"{b.hours_outside:g}, tap ops {o.tap_ops} vs {b.tap_ops}, cap ops {o.cap_ops} vs {b.cap_ops}"
        )
        lines.append(
            f"  AC check: {o.periods_ac_ok}/{o.periods} periods pass ({o.status}, {o.rounds} rounds): {o.message}"
        )
    lines.append(f"written to {rel(out_dir)}/ (vvo_settings, vvo_periods, vvo_summary, run.json)")
    emit(
        app,
        {
            "network": name,
            "out_dir": str(out_dir),
            "model": result.model,
            "summary": summ.to_dict(orient="records"),
        },
        lines,
    )
