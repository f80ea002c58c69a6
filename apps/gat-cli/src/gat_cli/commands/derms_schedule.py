"""``gat derms schedule``: multi-period DER schedule under network limits, AC-checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from gat_cli.context import AppContext
from gat_cli.options import (
    PU_VOLTAGE,
    FiniteFloat,
    GatCommand,
    force_option,
    grid_file_option,
    held_tol_option,
    out_dir_option,
)
from gat_cli.runner import command_run, emit, rel

__all__ = ["cli", "schedule_input_options"]

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def schedule_input_options(func):  # type: ignore[no-untyped-def]
    """The inputs and model options ``schedule`` and ``stress-test`` share."""
    options = [
        grid_file_option,
        click.option(
            "--assets", type=_FILE, required=True, help="der_assets table (.csv/.parquet)."
        ),
        click.option(
            "--price-series",
            type=_FILE,
            required=True,
            help="price_series table: timestamp, price (currency/MWh); defines the periods.",
        ),
        click.option(
            "--load-series",
            type=_FILE,
            default=None,
            help="load_series table (scale, or per node scale / load_p) [default: network loads].",
        ),
        click.option(
            "--pv-series",
            type=_FILE,
            default=None,
            help="pv_series table (scale, or per asset scale / p_avail) [default: p_max].",
        ),
        click.option(
            "--cost-curves",
            type=_FILE,
            default=None,
            help="der_cost_curves table [default: the network's].",
        ),
        click.option(
            "--objective",
            type=click.Choice(["cost", "curtailment"]),
            default="cost",
            show_default=True,
            help="cost: price x head import + asset costs; curtailment: least curtailed "
            "energy, then least cost.",
        ),
        click.option(
            "--dt-hours",
            type=FiniteFloat(0.0, 24.0, min_open=True),
            default=None,
            help="Period length (h) [default: the spacing of the price timestamps].",
        ),
        click.option(
            "--v-min", type=PU_VOLTAGE, default=None, help="Lower voltage limit (pu), all nodes."
        ),
        click.option(
            "--v-max", type=PU_VOLTAGE, default=None, help="Upper voltage limit (pu), all nodes."
        ),
        click.option(
            "--ac-corrections",
            type=click.IntRange(min=0),
            default=None,
            help="LP re-solves with limits corrected by the AC check when it finds violations "
            "[default: 2 balanced, 8 three-phase].",
        ),
        held_tol_option("in a period without DER (three-phase networks)"),
        click.option(
            "--v-tol",
            type=FiniteFloat(0.0, 1.0),
            default=0.002,
            show_default=True,
            help="Voltage tolerance (pu) of the AC violation count.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def schedule_options(kw: dict[str, Any]):  # type: ignore[no-untyped-def]
    """:class:`ScheduleOptions` from the shared options."""
    from gat_derms.schedule import ScheduleOptions

    return ScheduleOptions(
        objective=kw["objective"],
        dt_hours=kw["dt_hours"],
        v_min=kw["v_min"],
        v_max=kw["v_max"],
        ac_corrections=kw["ac_corrections"],
        v_tol_pu=kw["v_tol"],
        held_tol_pu=kw["held_tol"],
    )


def read_inputs(kw: dict[str, Any]) -> dict[str, Any]:
    """Read the network and tables named by the shared options."""
    from gat_cli.network_input import read_grid_file
    from gat_derms.schedule import read_series
    from gat_dist.table_files import read_table_file

    def opt(key: str, table: str):  # type: ignore[no-untyped-def]
        return None if kw[key] is None else read_series(kw[key], table)

    return {
        "network": read_grid_file(kw["grid_file"]),
        "assets": read_table_file(kw["assets"], "der_assets"),
        "prices": read_series(kw["price_series"], "price_series"),
        "loads": opt("load_series", "load_series"),
        "pv": opt("pv_series", "pv_series"),
        "cost_curves": None
        if kw["cost_curves"] is None
        else read_table_file(kw["cost_curves"], "der_cost_curves"),
        "sources": {
            "assets": str(kw["assets"]),
            "prices": str(kw["price_series"]),
            "loads": str(kw["load_series"]),
            "pv": str(kw["pv_series"]),
        },
    }


def input_paths(kw: dict[str, Any]) -> list[Path]:
    """Input files recorded in run.json (their digests guard --resume)."""
    keys = ("grid_file", "assets", "price_series", "load_series", "pv_series", "cost_curves")
    return [kw[k] for k in keys if kw[k] is not None]


def jsonable_params(kw: dict[str, Any]) -> dict[str, Any]:
    """Parameters for run.json (paths as text)."""
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in kw.items()}


@click.command(cls=GatCommand, renamed={"-o": "-d", "--out": "--out-dir"})
@schedule_input_options
@out_dir_option
@force_option
@click.pass_obj
def cli(app: AppContext, **kw: Any) -> None:
    """Schedule a DER portfolio over the periods of --price-series under the network's
    voltage and thermal limits (LinDistFlow per period, one LP for the whole day), then
    re-solve every period in one batched AC power flow and report the violations.

    Batteries and EVs have separate charge and discharge (one-way efficiency on each) and
    a state of charge within [soc_min, soc_max] x energy_cap; a battery ends the day at its
    initial energy (soc_init), an EV with soc_init plus its energy_need. EVs and flexible
    loads run only within [window_start, window_end) and must receive energy_need there
    (any shortfall is reported as undelivered). PV availability comes from --pv-series;
    the rest is curtailed. Writes schedule.parquet, schedule_network.parquet and
    schedule_summary.parquet into OUT_DIR.

    A network with three-phase tables (gat dataset export ieee13) is scheduled per node
    phase: each DER on its phase, limits per node phase and conductor ampacity, the
    network linearised by the three-phase AC power flow and every period checked by it;
    limits a period breaks without DER are held (--held-tol). The load series is then one
    scale per period.
    """
    from gat_derms.schedule import run_schedule

    out_dir: Path = kw["out_dir"]
    options = schedule_options(kw)
    with command_run(
        app,
        out_dir=out_dir,
        command="derms schedule",
        params=jsonable_params(kw),
        inputs=input_paths(kw),
        force=kw["force"],
    ) as run:
        inputs = read_inputs(kw)
        result = run_schedule(
            inputs["network"],
            inputs["assets"],
            inputs["prices"],
            loads=inputs["loads"],
            pv=inputs["pv"],
            cost_curves=inputs["cost_curves"],
            options=options,
            sources=inputs["sources"],
        )
        run.stage_table(result.schedule, "schedule")
        run.stage_table(result.network, "schedule_network")
        run.stage_table(result.summary, "schedule_summary")
        run.params["model"] = result.model
        if result.model == "three_phase":
            run.params["held_limits"] = held_records(result.held)
    _print_summary(app, inputs["network"].name, out_dir, result.summary, result)


def held_records(held) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """The held-limit table as JSON records for run.json."""
    return [
        {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        for row in held.to_dict(orient="records")
    ]


def held_line(held) -> str | None:  # type: ignore[no-untyped-def]
    """One line naming the limits held at their base-case value (three-phase), or None."""
    if not len(held):
        return None
    shown = ", ".join(
        f"{r.limit} {r.element} {r.value:g} -> {r.held_at:.4g}" for r in held.head(4).itertuples()
    )
    more = f" (and {len(held) - 4} more, in run.json held_limits)" if len(held) > 4 else ""
    return f"limits broken without DER, held at their base value + tolerance: {shown}{more}"


def _print_summary(app: AppContext, name: str, out_dir: Path, summary, result) -> None:  # type: ignore[no-untyped-def]
    r = summary.to_dict(orient="records")[0]
    model = "" if result.model == "balanced" else " (three-phase)"
    lp_name = "LinDistFlow" if result.model == "balanced" else "linear model"
    lines = [
        f"{name}{model}: {r['assets']} assets, {r['periods']} periods of {r['dt_hours']:g} h, "
        f"objective {r['objective']} ({r['status']})",
        f"cost {r['cost']:.2f} ({lp_name} {r['cost_lp']:.2f}), import {r['import_mwh']:.3f} "
        f"MWh, curtailed {r['curtailed_mwh']:.3f} MWh, undelivered {r['undelivered_mwh']:.3f} "
        f"MWh, LP slack {r['lp_slack']:.1e}",
        f"AC check ({r['ac_converged_periods']}/{r['periods']} periods converged, "
        f"{r['ac_corrections']} correction{'' if r['ac_corrections'] == 1 else 's'}): "
        f"V {r['worst_vm_min_pu']:.4f}..{r['worst_vm_max_pu']:.4f} pu, loading max "
        f"{r['worst_loading_pct']:.1f} %; violations: voltage {r['ac_voltage_violations']} "
        f"(tol {r['v_tol_pu']:g} pu), thermal {r['ac_thermal_violations']}",
        f"written to {rel(out_dir)}/ (schedule, schedule_network, schedule_summary, run.json)",
    ]
    held = held_line(result.held)
    if held:
        lines.insert(3, held)
    payload = {"out_dir": str(out_dir), "summary": r, "model": result.model}
    if result.model == "three_phase":
        payload["held_limits"] = held_records(result.held)
    emit(app, payload, lines)
