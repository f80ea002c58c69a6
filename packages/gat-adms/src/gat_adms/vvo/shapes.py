"""Day types from a ``load_shapes`` table (or a CSV of multipliers per step).

A day type is either a shape of the table (its points are the day's periods) or a name
picked by date from a yearly shape: ``weekday``, ``weekend``, a season (``winter`` = Dec-Feb,
``spring`` = Mar-May, ``summer`` = Jun-Aug, ``autumn`` = Sep-Nov) or both joined by a dash
(``weekday-summer``, ``weekend-winter``). Its multiplier at each hour of the day is the mean
over the matching days of the yearly shape (the longest shape of the table, at least 364
days long), whose step 0 starts at ``year_start`` (midnight).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from gat_schemas.errors import InputError

from .plan import DayType

__all__ = ["DAY_KINDS", "SEASONS", "day_types_from_shapes"]

#: Months of each season.
SEASONS = {"winter": (12, 1, 2), "spring": (3, 4, 5), "summer": (6, 7, 8), "autumn": (9, 10, 11)}
#: Weekdays (Monday = 0) of each kind of day.
DAY_KINDS = {"weekday": (0, 1, 2, 3, 4), "weekend": (5, 6)}


def day_types_from_shapes(
    shapes: pd.DataFrame,
    *,
    day_types: list[str] | None = None,
    pv_shape: str | None = None,
    periods: int | None = None,
    year_start: dt.date | str = "2026-01-01",
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
    year_start
        Date of the yearly shape's step 0, for day types picked by date (see the module doc).

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
    by_date = [s for s in wanted if s not in known and _date_rule(s) is not None]
    unknown = [
        s
        for s in [*wanted, *([pv_shape] if pv_shape else [])]
        if s not in known and s not in by_date
    ]
    if unknown:
        raise InputError(
            f"load shapes: unknown shape(s) {', '.join(unknown)} (the table has {', '.join(known[:10])})"
        )
    pv = None
    if pv_shape:
        pv = df[df.shape_id == pv_shape].sort_values("step")["multiplier"].to_numpy(dtype=float)
    out = []
    for name in wanted:
        if name in by_date:
            out.append(_by_date(df, name, pv_shape, year_start, periods))
            continue
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


def _date_rule(name: str) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """(weekdays, months) a date-picked day type name selects, or ``None``."""
    days, months = tuple(range(7)), tuple(range(1, 13))
    parts = name.lower().split("-")
    if not parts or len(parts) > 2 or len(set(parts)) != len(parts):
        return None
    for part in parts:
        if part in DAY_KINDS:
            days = DAY_KINDS[part]
        elif part in SEASONS:
            months = SEASONS[part]
        else:
            return None
    return days, months


def _mean_day(values: np.ndarray, per_day: int, start: dt.date, rule) -> np.ndarray:  # type: ignore[no-untyped-def]
    n_days = len(values) // per_day
    dates = [start + dt.timedelta(days=k) for k in range(n_days)]
    days, months = rule
    pick = [k for k, d in enumerate(dates) if d.weekday() in days and d.month in months]
    if not pick:
        return np.zeros(0)
    return values[: n_days * per_day].reshape(n_days, per_day)[pick].mean(axis=0)


def _by_date(
    df: pd.DataFrame,
    name: str,
    pv_shape: str | None,
    year_start: dt.date | str,
    periods: int | None,
) -> DayType:
    """Day type ``name`` picked by date from the table's yearly shape (see the module doc)."""
    start = year_start if isinstance(year_start, dt.date) else _date(year_start)
    sizes = df.groupby("shape_id").size()
    yearly = str(sizes.idxmax())
    rows = df[df.shape_id == yearly].sort_values("step")
    interval = 1.0
    if "interval_h" in rows.columns and rows["interval_h"].notna().all():
        interval = float(rows["interval_h"].iloc[0])
    per_day = round(24.0 / interval)
    if per_day < 1 or abs(per_day * interval - 24.0) > 1e-9 or len(rows) < 364 * per_day:
        raise InputError(
            f"load shapes: day type {name} is picked by date from a yearly shape, but the "
            f"longest shape ({yearly}, {len(rows)} points of {interval:g} h) is not a year of "
            "whole days"
        )
    rule = _date_rule(name)
    ls = _mean_day(rows["multiplier"].to_numpy(dtype=float), per_day, start, rule)
    if not len(ls):
        raise InputError(f"load shapes: no day of the yearly shape {yearly} is a {name} day")
    pv = np.zeros(per_day)
    if pv_shape:
        pv_vals = df[df.shape_id == pv_shape].sort_values("step")["multiplier"].to_numpy(float)
        if len(pv_vals) >= len(rows):
            pv = _mean_day(pv_vals, per_day, start, rule)
        else:
            pv = np.resize(pv_vals, per_day)
    n = per_day if periods is None else min(per_day, periods)
    return DayType(name, ls[:n], pv[:n], np.full(n, interval))


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise InputError(f"year start {text!r} is not a date (YYYY-MM-DD)") from None
