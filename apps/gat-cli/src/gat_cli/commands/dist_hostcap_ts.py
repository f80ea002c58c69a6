"""``gat dist hostcap --pv-shape FILE``: hosting capacity over a time series (issue 16, item 5).

Called from :mod:`gat_cli.commands.dist_hostcap` when ``--pv-shape`` is given: the PV shape
(a ``load_shapes`` table holding one shape) sets the steps (its points, at its interval),
the loads follow their daily shapes (yearly when the PV shape is longer than a day) from
``--load-shapes`` or the network's ``load_shapes``, and every candidate's capacity is the
largest PV with no violation at any step, the regulators acting (``--regulators auto``,
the default here; ``fixed`` holds them).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from gat_cli.context import AppContext
from gat_cli.runner import command_run, emit, rel

__all__ = ["run_timeseries"]


def _read_shapes(path: Path) -> Any:
    from gat_cli.commands.dist_qsts import _read_shapes as read

    return read(path)


def _regulators(net: Any, controls: bool) -> str:
    regs = net.table("dist_regulators")
    if regs is None or not len(regs):
        return "no regulators"
    return "regulators acting" if controls else "regulators held"


def _culprit(row: Any) -> str:
    """``: 890.C v_max 1.0511 pu``: what broke which limit (empty when nothing did)."""
    elem, limit, value = row["limiting_element"], row["limiting_limit"], row["limiting_value"]
    if not isinstance(elem, str) or not isinstance(limit, str):
        return ""
    unit = "%" if limit.endswith("rating") else " pu"
    return (
        f": {elem} {limit} {value:.4f}{unit}"
        if unit == " pu"
        else f": {elem} {limit} {value:.1f}{unit}"
    )


def _one_shape(net: Any, loads: Any, shape_id: str, path: Any, n: int, step_h: float) -> Any:
    """(n,) multipliers of shape ``shape_id`` (``--load-shape``) at the PV shape's steps.

    Raises
    ------
    InputError
        No load_shapes table to take it from, or no such shape in it.
    """
    import numpy as np

    from gat_dist.qsts import shape_values
    from gat_schemas.errors import InputError

    table = net.table("load_shapes") if loads is None else loads
    where = path or "the network's load_shapes"
    if table is None:
        raise InputError(f"--load-shape {shape_id}: no load_shapes table; pass --load-shapes")
    try:
        return shape_values(table, shape_id, (np.arange(n) + 1.0) * step_h)
    except InputError:
        raise InputError(f"--load-shape {shape_id}: {where} holds no such shape") from None


def run_timeseries(app: AppContext, grid_file: Path, out_dir: Path, kw: dict[str, Any]) -> None:
    """Run the time-series study and write ``hostcap_timeseries.parquet``."""
    import numpy as np

    from gat_cli.network_input import read_grid_file
    from gat_dist.qsts import (
        TimeseriesHostcapOptions,
        shape_multipliers,
        shape_values,
        timeseries_hosting_capacity,
    )
    from gat_dist.qsts._shapes import SHAPE_KINDS
    from gat_schemas.errors import InputError

    src = click.get_current_context().get_parameter_source("regulators")
    controls = kw["regulators"] == "auto" or src == click.core.ParameterSource.DEFAULT
    params = {
        "grid_file": str(grid_file),
        "out_dir": str(out_dir),
        "pv_shape": str(kw["pv_shape"]),
        "load_shapes": None if kw["load_shapes"] is None else str(kw["load_shapes"]),
        "load_shape": kw["global_shape"],
        "buses": list(kw["buses"]) or None,
        "max_injection": kw["max_injection"],
        "tol": kw["tol"],
        "v_max": kw["v_max"],
        "phase_mode": kw["phase_mode"],
        "held_tol": kw["held_tol"],
        "controls": controls,
    }
    t0 = time.perf_counter()
    with command_run(
        app,
        out_dir=out_dir,
        command="dist hostcap",
        params=params,
        inputs=[grid_file, kw["pv_shape"], kw["load_shapes"]],
        force=kw["force"],
    ) as run:
        net = read_grid_file(grid_file)
        pv_table = _read_shapes(kw["pv_shape"])
        ids = pv_table["shape_id"].astype(str).unique()
        if len(ids) != 1:
            raise InputError(f"{kw['pv_shape']}: --pv-shape must hold one shape, found {len(ids)}")
        rows = pv_table.sort_values("step")
        step_h = float(rows["interval_h"].iloc[0])
        if not np.isfinite(step_h):
            raise InputError(f"{kw['pv_shape']}: --pv-shape needs a fixed interval_h")
        n = len(rows)
        pv = shape_values(pv_table, ids[0], (np.arange(n) + 1.0) * step_h)
        loads = None if kw["load_shapes"] is None else _read_shapes(kw["load_shapes"])
        kind = SHAPE_KINDS[0] if n * step_h <= 24.0 else SHAPE_KINDS[1]
        global_shape = kw["global_shape"]
        if loads is not None and global_shape is None:
            from gat_cli.commands.dist_qsts import require_named

            require_named(
                net, kind, loads, kw["load_shapes"], "link them in dist_loads or name one with "
                "--load-shape SHAPE_ID (the loads of a balanced network's dist_nodes.load_p "
                "follow no shape)"
            )  # fmt: skip
        if global_shape is None:
            load = shape_multipliers(net, kind=kind, steps=n, step_h=step_h, shapes=loads).load
        else:
            load = _one_shape(net, loads, global_shape, kw["load_shapes"], n, step_h)
        taps = None
        if controls:
            from gat_cli.commands.dist_qsts import _initial_taps

            taps = _initial_taps(net)
        options = TimeseriesHostcapOptions(
            buses=tuple(kw["buses"]) or None,
            phase_mode=kw["phase_mode"],
            max_mw=kw["max_injection"],
            tol_mw=kw["tol"],
            v_max=kw["v_max"],
            held_tol=kw["held_tol"],
            controls=controls,
        )
        table = timeseries_hosting_capacity(net, load, pv, options, initial_taps=taps)
        run.stage_table(table, "hostcap_timeseries")
    hc = table["hosting_capacity_mw"]
    worst = table.loc[hc.idxmin()]
    counts = table["limiting_constraint"].value_counts().to_dict()
    lines = [
        f"{net.name}: {len(table)} candidates over {n} steps of {step_h:g} h "
        f"({_regulators(net, controls)}): capacity {hc.min():.3f} - "
        f"{hc.max():.3f} MW (median {hc.median():.3f}); lowest at {worst['bus_id']}"
        f"{'' if worst['phase'] == 'ABC' else '.' + worst['phase']} ({worst['limiting_constraint']}"
        f" at step {int(worst['limiting_step'])}{_culprit(worst)}); limited by: "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
        f"{time.perf_counter() - t0:.2f} s; written to {rel(out_dir)}/ (hostcap_timeseries, "
        "run.json)",
    ]
    emit(
        app,
        {
            "network": net.name,
            "out_dir": str(out_dir),
            "steps": n,
            "step_h": step_h,
            "controls": controls,
            "hosting_capacity_mw": {"min": hc.min(), "median": hc.median(), "max": hc.max()},
            "limiting": counts,
        },
        lines,
    )
