"""Day types from a ``load_shapes`` table (or a CSV of multipliers per step)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gat_schemas.errors import InputError

from .plan import DayType

__all__ = ["day_types_from_shapes"]


def day_types_from_shapes(
    shapes: pd.DataFrame,
    *,
    day_types: list[str] | None = None,
    pv_shape: str | None = None,
    periods: int | None = None,
) -> list[DayType]:
    """One day type per load shape.

    Parameters
    ----------
    shapes
        ``load_shapes`` rows (``shape_id``, ``step``, ``multiplier``, optional ``hour`` and
        ``interval_h``); a table without ``shape_id`` is one shape named ``day``. A period
        lasts the shape's ``interval_h`` (1 h when absent).
    day_types
        The shapes to use as day types (default: every shape except ``pv_shape``).
    pv_shape
        Shape of the PV factor (pu of ``p_max``; periods beyond its length repeat it
        cyclically); without it DER produce no active power (reactive support only).
    periods
        Use only the first ``periods`` steps of every shape.

    Raises
    ------
    gat_schemas.errors.InputError
        Missing columns, an unknown shape name, or a shape with no points.
    """
    if "multiplier" not in shapes.columns or "step" not in shapes.columns:
        raise InputError("load shapes: need the columns step and multiplier (and shape_id)")
    df = shapes.copy()
    if "shape_id" not in df.columns:
        df["shape_id"] = "day"
    df["shape_id"] = df["shape_id"].astype(str)
    known = list(dict.fromkeys(df["shape_id"]))
    wanted = day_types or [s for s in known if s != pv_shape]
    unknown = [s for s in [*wanted, *([pv_shape] if pv_shape else [])] if s not in known]
    if unknown:
        raise InputError(
            f"load shapes: unknown shape(s) {', '.join(unknown)} (the table has {', '.join(known[:10])})"
        )
    pv = None
    if pv_shape:
        pv = df[df.shape_id == pv_shape].sort_values("step")["multiplier"].to_numpy(dtype=float)
    out = []
    for name in wanted:
        rows = df[df.shape_id == name].sort_values("step")
        if periods is not None:
            rows = rows.iloc[:periods]
        if not len(rows):
            raise InputError(f"load shapes: shape {name} has no points")
        ls = rows["multiplier"].to_numpy(dtype=float)
        if "interval_h" in rows.columns and rows["interval_h"].notna().all():
            hours = rows["interval_h"].to_numpy(dtype=float)
        else:
            hours = np.ones(len(rows))
        pv_scale = np.zeros(len(rows)) if pv is None else np.resize(pv, len(rows))
        out.append(DayType(name, ls, pv_scale, hours))
    return out
