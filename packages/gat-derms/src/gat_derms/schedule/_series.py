"""Time series of a schedule (prices, loads, PV availability) as aligned arrays.

The price series' timestamps are the periods. They must be timezone-aware, unique and
equally spaced (the spacing is the period length ``dt``). Load and PV series must list
exactly the same timestamps. Every problem is an :class:`~gat_schemas.errors.InputError`
naming the source, the table, the column and the offending rows or values.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gat_schemas.errors import InputError

__all__ = ["Periods", "load_arrays", "periods_from_prices", "pv_arrays", "read_series"]

_TABLES = ("price_series", "load_series", "pv_series")
_SHOWN = 3


@dataclass(frozen=True, eq=False)
class Periods:
    """The schedule's periods.

    Attributes
    ----------
    timestamps
        Period starts (``pandas.DatetimeIndex``, timezone of the price series).
    dt_hours
        Period length (h).
    price
        Price per period (currency/MWh), (T,).
    """

    timestamps: pd.DatetimeIndex
    dt_hours: float
    price: np.ndarray

    @property
    def n(self) -> int:
        """Number of periods."""
        return len(self.timestamps)


def _rows(mask: np.ndarray) -> str:
    idx = np.flatnonzero(mask)
    text = ", ".join(str(i) for i in idx[:_SHOWN])
    return text + (f" (and {idx.size - _SHOWN} more)" if idx.size > _SHOWN else "")


def _parse_times(values: pd.Series, where: str) -> pd.DatetimeIndex:
    """Timezone-aware timestamps (as UTC) from text or datetime values."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return pd.DatetimeIndex(values).tz_convert("UTC")
    if pd.api.types.is_datetime64_dtype(values.dtype):
        raise InputError(f"{where}, column timestamp: timestamps have no timezone (row 0)")
    if values.isna().any():
        raise InputError(
            f"{where}, column timestamp: missing value in row(s) {_rows(values.isna().to_numpy())}"
        )
    codes, uniques = pd.factorize(values.astype(str))
    parsed = []
    for i, text in enumerate(uniques):
        try:
            ts = pd.Timestamp(text)
        except (ValueError, TypeError):
            raise InputError(
                f"{where}, column timestamp: {text!r} is not a timestamp "
                f"(row {int(np.argmax(codes == i))})"
            ) from None
        if ts.tzinfo is None:
            raise InputError(
                f"{where}, column timestamp: {text!r} has no timezone (row "
                f"{int(np.argmax(codes == i))}); write it with its UTC offset, e.g. "
                "2026-07-01T00:00:00+02:00"
            )
        parsed.append(ts.tz_convert("UTC"))
    return pd.DatetimeIndex(parsed)[codes]


def read_series(path: str | os.PathLike[str], table: str) -> pd.DataFrame:
    """Read a series table (``price_series``, ``load_series``, ``pv_series``) from CSV/Parquet.

    Raises
    ------
    gat_schemas.errors.InputError
        Unreadable file or a schema violation (missing column, non-finite value ...).
    """
    from gat_dist.table_files import read_table_file

    if table not in _TABLES:
        raise InputError(f"unknown series table {table!r}")
    return read_table_file(Path(path), table)


def periods_from_prices(
    prices: pd.DataFrame, *, dt_hours: float | None = None, source: str = "price_series"
) -> Periods:
    """The periods and prices of a ``price_series`` table.

    Parameters
    ----------
    prices
        ``timestamp`` (timezone-aware), ``price`` (currency/MWh).
    dt_hours
        Period length (h); default: the spacing of the timestamps. When given with more than
        one period it must equal that spacing.
    source
        Name used in messages (the file).
    """
    where = f"{source}: table price_series"
    for col in ("timestamp", "price"):
        if col not in prices.columns:
            raise InputError(f"{where}: missing column {col}")
    if len(prices) == 0:
        raise InputError(f"{where}: no rows")
    times = _parse_times(prices["timestamp"], where)
    dup = times.duplicated()
    if dup.any():
        raise InputError(f"{where}, column timestamp: duplicate timestamp in row(s) {_rows(dup)}")
    order = np.argsort(times.asi8, kind="stable")
    times = times[order]
    price = prices["price"].to_numpy(dtype=float)[order]
    if not np.isfinite(price).all():
        raise InputError(
            f"{where}, column price: not finite in row(s) {_rows(~np.isfinite(price))}"
        )
    if len(times) > 1:
        steps = np.diff(times.asi8) / 3.6e12
        step = float(steps.min())
        if not np.allclose(steps, step, rtol=0, atol=1e-9):
            gap = int(np.argmax(~np.isclose(steps, step, rtol=0, atol=1e-9)))
            missing = times[gap] + pd.Timedelta(hours=step)
            raise InputError(
                f"{where}, column timestamp: periods are not equally spaced ({step:g} h); "
                f"missing timestamp {missing.tz_convert(_zone(prices)).isoformat()} "
                f"after {times[gap].tz_convert(_zone(prices)).isoformat()}"
            )
        if dt_hours is not None and not np.isclose(dt_hours, step, rtol=0, atol=1e-9):
            raise InputError(
                f"{where}: --dt-hours {dt_hours:g} differs from the timestamp spacing {step:g} h"
            )
        dt = step
    else:
        if dt_hours is None:
            raise InputError(f"{where}: one period only; give its length (dt_hours)")
        dt = float(dt_hours)
    if not dt > 0:
        raise InputError(f"{where}: period length must be > 0 h, got {dt:g}")
    return Periods(times.tz_convert(_zone(prices)), dt, price)


def _zone(prices: pd.DataFrame):  # type: ignore[no-untyped-def]
    """The timezone of the first timestamp (kept for the output tables)."""
    first = prices["timestamp"].iloc[0]
    if isinstance(prices["timestamp"].dtype, pd.DatetimeTZDtype):
        return prices["timestamp"].dt.tz
    return pd.Timestamp(str(first)).tzinfo


def _period_index(df: pd.DataFrame, periods: Periods, where: str) -> np.ndarray:
    """Period number of every row; every period must appear and no other timestamp."""
    if "timestamp" not in df.columns:
        raise InputError(f"{where}: missing column timestamp")
    times = _parse_times(df["timestamp"], where)
    want = periods.timestamps.tz_convert("UTC")
    pos = want.get_indexer(times)
    if (pos < 0).any():
        bad = times[pos < 0][0].tz_convert(periods.timestamps.tz)
        raise InputError(
            f"{where}, column timestamp: {bad.isoformat()} is not a period of the price "
            f"series (row(s) {_rows(pos < 0)})"
        )
    seen = np.zeros(periods.n, dtype=bool)
    seen[pos] = True
    if not seen.all():
        miss = want[~seen]
        more = f" (and {miss.size - 1} more)" if miss.size > 1 else ""
        raise InputError(
            f"{where}, column timestamp: missing timestamp "
            f"{miss[0].tz_convert(periods.timestamps.tz).isoformat()}{more}"
        )
    return pos


def _duplicates(keys: pd.DataFrame, where: str, what: str) -> None:
    dup = keys.duplicated().to_numpy()
    if dup.any():
        raise InputError(f"{where}: duplicate ({what}) in row(s) {_rows(dup)}")


def _every_period(
    pos: np.ndarray, col: np.ndarray, names: np.ndarray, periods: Periods, where: str, key: str
) -> None:
    """Every node or asset listed in a series must have a row for every period (a missing
    row would otherwise silently keep the network's value for that period)."""
    listed = np.unique(col)
    seen = np.zeros((periods.n, listed.size), dtype=bool)
    seen[pos, np.searchsorted(listed, col)] = True
    if seen.all():
        return
    t, k = np.argwhere(~seen.T)[0][::-1]
    more = int((~seen).sum()) - 1
    stamp = periods.timestamps[t].isoformat()
    raise InputError(
        f"{where}, column timestamp: {key} {names[listed[k]]} has no row for {stamp}"
        + (f" (and {more} more)" if more else "")
        + f"; a {key} listed in the series needs a row for every period"
    )


def load_arrays(
    loads: pd.DataFrame | None,
    periods: Periods,
    node_ids: np.ndarray,
    base_p: np.ndarray,
    base_q: np.ndarray,
    *,
    source: str = "load_series",
) -> tuple[np.ndarray, np.ndarray]:
    """Node loads per period (MW, Mvar; consumption positive), each (T, N).

    Forms (see the ``load_series`` schema): ``scale``; ``node_id`` + ``scale``;
    ``node_id`` + ``load_p`` [+ ``load_q``]. Without a series every period has the
    network's loads. ``base_p``, ``base_q`` are the network's node loads (N,).
    """
    t = periods.n
    p = np.tile(np.asarray(base_p, dtype=float), (t, 1))
    q = np.tile(np.asarray(base_q, dtype=float), (t, 1))
    if loads is None:
        return p, q
    where = f"{source}: table load_series"
    pos = _period_index(loads, periods, where)
    has = {c for c in ("node_id", "scale", "load_p", "load_q") if c in loads.columns}
    if "node_id" not in has:
        if "scale" not in has:
            raise InputError(f"{where}: give a scale column (or node_id with scale or load_p)")
        _duplicates(loads[["timestamp"]], where, "timestamp")
        scale = loads["scale"].to_numpy(dtype=float)
        factor = np.ones(t)
        factor[pos] = scale
        return p * factor[:, None], q * factor[:, None]
    index = {str(n): i for i, n in enumerate(node_ids)}
    nodes = loads["node_id"].astype(str).to_numpy()
    col = np.array([index.get(n, -1) for n in nodes])
    if (col < 0).any():
        unknown = sorted(set(nodes[col < 0]))
        raise InputError(
            f"{where}, column node_id: unknown node(s) {', '.join(unknown[:5])} "
            f"(row(s) {_rows(col < 0)})"
        )
    _duplicates(pd.DataFrame({"t": pos, "n": col}), where, "timestamp, node_id")
    _every_period(pos, col, np.asarray(node_ids, dtype=object), periods, where, "node_id")
    if "load_p" in has:
        lp = loads["load_p"].to_numpy(dtype=float)
        if "load_q" in has:
            lq = loads["load_q"].to_numpy(dtype=float)
        else:
            ratio = np.divide(
                base_q[col], base_p[col], out=np.zeros(col.size), where=base_p[col] != 0
            )
            lq = lp * ratio
        p[pos, col] = lp
        q[pos, col] = lq
        return p, q
    if "scale" not in has:
        raise InputError(f"{where}: with node_id give scale or load_p")
    s = loads["scale"].to_numpy(dtype=float)
    p[pos, col] = base_p[col] * s
    q[pos, col] = base_q[col] * s
    return p, q


def pv_arrays(
    pv: pd.DataFrame | None,
    periods: Periods,
    asset_ids: np.ndarray,
    curtailable: np.ndarray,
    p_max: np.ndarray,
    *,
    source: str = "pv_series",
) -> np.ndarray:
    """Available power of every asset per period (MW), (T, A), capped at ``p_max``.

    Only curtailable assets (pv, wind) are affected; the others keep ``p_max``. Forms: ``scale``
    (every pv/wind asset); ``asset_id`` + ``scale``; ``asset_id`` + ``p_avail``. Without a
    series, or for assets the series does not list, the availability is ``p_max``.
    """
    t = periods.n
    avail = np.tile(np.asarray(p_max, dtype=float), (t, 1))
    if pv is None:
        return avail
    where = f"{source}: table pv_series"
    pos = _period_index(pv, periods, where)
    if "asset_id" not in pv.columns:
        if "scale" not in pv.columns:
            raise InputError(f"{where}: give a scale column (or asset_id with scale or p_avail)")
        _duplicates(pv[["timestamp"]], where, "timestamp")
        factor = np.ones(t)
        factor[pos] = np.minimum(pv["scale"].to_numpy(dtype=float), 1.0)
        avail[:, curtailable] = p_max[curtailable] * factor[:, None]
        return avail
    index = {str(a): i for i, a in enumerate(asset_ids)}
    ids = pv["asset_id"].astype(str).to_numpy()
    col = np.array([index.get(a, -1) for a in ids])
    if (col < 0).any():
        unknown = sorted(set(ids[col < 0]))
        raise InputError(
            f"{where}, column asset_id: unknown asset(s) {', '.join(unknown[:5])} "
            f"(row(s) {_rows(col < 0)})"
        )
    wrong = ~curtailable[col]
    if wrong.any():
        raise InputError(
            f"{where}, column asset_id: {', '.join(sorted(set(ids[wrong]))[:5])} not a pv or "
            f"wind asset (row(s) {_rows(wrong)})"
        )
    _duplicates(pd.DataFrame({"t": pos, "a": col}), where, "timestamp, asset_id")
    _every_period(pos, col, np.asarray(asset_ids, dtype=object), periods, where, "asset_id")
    if "p_avail" in pv.columns:
        value = pv["p_avail"].to_numpy(dtype=float)
    elif "scale" in pv.columns:
        value = pv["scale"].to_numpy(dtype=float) * p_max[col]
    else:
        raise InputError(f"{where}: with asset_id give scale or p_avail")
    avail[pos, col] = np.minimum(value, p_max[col])
    return avail
