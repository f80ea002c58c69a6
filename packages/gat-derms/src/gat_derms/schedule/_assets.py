"""DER assets of a schedule as arrays, with their per-period windows and energy needs.

Reads the ``der_assets`` table plus four optional scheduling columns (extra columns of the
data contract, NaN where they do not apply):

``soc_init`` (fraction of ``energy_cap``)
    Stored energy at the start of the day. Default: batteries the middle of
    ``[soc_min, soc_max]``, EVs ``soc_min``.
``energy_need`` (MWh)
    EV: energy the battery must receive (after the charging efficiency) within the
    window; flexible load: energy it must consume within the window. NaN: no need (an
    EV or flexible load then only follows its bounds).
``window_start``, ``window_end`` (h after local midnight, 0-24)
    When an EV is plugged in or a flexible load may run; outside it their p and q are 0.
    ``start > end`` wraps past midnight (the day is one cyclic window: 20 -> 6 is
    00:00-06:00 and 20:00-24:00). A period belongs to the window when its start does.
    NaN: the whole day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gat_schemas.errors import InputError

__all__ = ["SCHEDULE_COLUMNS", "AssetArrays", "asset_arrays"]

#: Optional scheduling columns read from der_assets (see the module doc).
SCHEDULE_COLUMNS = ("soc_init", "energy_need", "window_start", "window_end")
_STORAGE = ("battery", "ev")
_CURTAILABLE = ("pv", "wind")
_WINDOWED = ("ev", "flex_load")


@dataclass(frozen=True, eq=False)
class AssetArrays:
    """Per-asset arrays (A assets) and per-period masks (T, A). MW, Mvar, MVA, MWh."""

    ids: np.ndarray
    kind: np.ndarray
    node: np.ndarray
    p_min: np.ndarray
    p_max: np.ndarray
    q_min: np.ndarray
    q_max: np.ndarray
    s_max: np.ndarray
    ramp_up: np.ndarray
    ramp_down: np.ndarray
    energy_cap: np.ndarray
    soc_min: np.ndarray
    soc_max: np.ndarray
    soc_init: np.ndarray
    efficiency: np.ndarray
    energy_need: np.ndarray
    c1: np.ndarray
    c0: np.ndarray
    active: np.ndarray

    @property
    def n(self) -> int:
        """Number of assets."""
        return len(self.ids)

    @property
    def storage(self) -> np.ndarray:
        """True for batteries and EVs (SOC, separate charge and discharge)."""
        return np.isin(self.kind, _STORAGE)

    @property
    def curtailable(self) -> np.ndarray:
        """True for pv and wind (their availability can be curtailed)."""
        return np.isin(self.kind, _CURTAILABLE)


def _col(df: pd.DataFrame, name: str) -> np.ndarray:
    if name not in df.columns:
        return np.full(len(df), np.nan)
    return pd.to_numeric(df[name], errors="coerce").to_numpy(dtype=float)


def _window_mask(hours: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """(T, A) True where the period start lies in the asset's window."""
    h = hours[:, None]
    s = np.where(np.isnan(start), 0.0, start)[None, :]
    e = np.where(np.isnan(end), 24.0, end)[None, :]
    inside = (h >= s) & (h < e)
    wrapped = (h >= s) | (h < e)
    return np.where(s <= e, inside, wrapped)


def _fail(source: str, column: str, ids: np.ndarray, bad: np.ndarray, what: str) -> None:
    if bad.any():
        shown = ", ".join(map(str, ids[bad][:5]))
        raise InputError(f"{source}: table der_assets, column {column}: {what} (asset_id {shown})")


def asset_arrays(
    assets: pd.DataFrame,
    node_ids: np.ndarray,
    hours: np.ndarray,
    cost_curves: pd.DataFrame | None,
    *,
    source: str = "der_assets",
    dt_hours: float | None = None,
) -> AssetArrays:
    """Asset arrays for ``len(hours)`` periods starting at ``hours`` (local clock, h) of
    ``dt_hours`` each (given: a flexible load's least consumption in its window is checked
    against its need).

    Raises
    ------
    gat_schemas.errors.InputError
        Unknown bus or cost curve, or scheduling columns out of range (window outside
        0-24 h, negative need, ``soc_init`` outside ``[soc_min, soc_max]``, an EV need
        beyond its capacity, a flexible load whose ``p_max < 0`` makes it consume more
        than its need within its window).
    """
    ids = assets["asset_id"].astype(str).to_numpy(dtype=object)
    kind = assets["asset_type"].astype(str).to_numpy(dtype=object)
    index = {str(n): i for i, n in enumerate(node_ids)}
    buses = assets["bus_id"].astype(str).to_numpy(dtype=object)
    node = np.array([index.get(b, -1) for b in buses], dtype=np.int64)
    _fail(source, "bus_id", ids, node < 0, "node not in dist_nodes")
    f = {c: _col(assets, c) for c in ("p_min", "p_max", "q_min", "q_max", "s_max")}
    f.update({c: _col(assets, c) for c in ("ramp_up", "ramp_down", "energy_cap")})
    f.update({c: _col(assets, c) for c in ("soc_min", "soc_max", "efficiency")})
    extra = {c: _col(assets, c) for c in SCHEDULE_COLUMNS}
    storage = np.isin(kind, _STORAGE)
    windowed = np.isin(kind, _WINDOWED)

    for c in ("window_start", "window_end"):
        v = extra[c]
        _fail(source, c, ids, ~np.isnan(v) & ((v < 0) | (v > 24)), "must be within 0-24 h")
        _fail(source, c, ids, ~np.isnan(v) & ~windowed, "only EVs and flexible loads have windows")
    need = extra["energy_need"]
    _fail(source, "energy_need", ids, ~np.isnan(need) & (need < 0), "must be >= 0 MWh")
    _fail(
        source,
        "energy_need",
        ids,
        ~np.isnan(need) & ~windowed,
        "only EVs and flexible loads have an energy need",
    )
    idle = storage & ((f["p_min"] > 0) | (f["p_max"] < 0))
    _fail(source, "p_min", ids, idle, "a battery or EV must be able to idle: p_min <= 0 <= p_max")
    cap = np.where(storage, f["energy_cap"], np.nan)
    _fail(source, "energy_cap", ids, storage & ~(cap > 0), "must be > 0 MWh for battery and ev")
    soc_min = np.where(storage, np.nan_to_num(f["soc_min"], nan=0.0), np.nan)
    soc_max = np.where(storage, np.nan_to_num(f["soc_max"], nan=1.0), np.nan)
    default = np.where(kind == "ev", soc_min, (soc_min + soc_max) / 2.0)
    soc_init = np.where(
        storage, np.where(np.isnan(extra["soc_init"]), default, extra["soc_init"]), np.nan
    )
    outside = storage & ((soc_init < soc_min - 1e-12) | (soc_init > soc_max + 1e-12))
    _fail(source, "soc_init", ids, outside, "must be within [soc_min, soc_max]")
    ev_need = (kind == "ev") & ~np.isnan(need)
    over = ev_need & (soc_init * cap + need > soc_max * cap + 1e-9)
    _fail(
        source,
        "energy_need",
        ids,
        over,
        "soc_init x energy_cap + energy_need exceeds soc_max x energy_cap",
    )

    active = _window_mask(hours, extra["window_start"], extra["window_end"])
    active[:, ~windowed] = True
    if dt_hours is not None:
        # Need = consumption in the window (+ shortfall): a load that cannot stop consumes
        # at least -p_max in every window period, and more than its need is infeasible.
        least = np.maximum(-f["p_max"], 0.0) * dt_hours * active.sum(axis=0)
        over = (kind == "flex_load") & ~np.isnan(need) & (least > need + 1e-9)
        if over.any():
            i = int(np.argmax(over))
            _fail(
                source,
                "energy_need",
                ids,
                over,
                f"below what p_max < 0 makes the flexible load consume within its window "
                f"(at least {least[i]:g} MWh, need {need[i]:g} MWh)",
            )

    c1, c0 = np.zeros(len(ids)), np.zeros(len(ids))
    if "cost_curve_id" in assets.columns:
        cc = assets["cost_curve_id"].to_numpy(dtype=object)
        has = pd.notna(cc)
        if has.any():
            if cost_curves is None:
                raise InputError(
                    f"{source}: table der_assets, column cost_curve_id: assets refer to cost "
                    "curves but no der_cost_curves table was given"
                )
            table = cost_curves.set_index(cost_curves["cost_curve_id"].astype(str))
            keys = np.array([str(c) for c in cc[has]], dtype=object)
            unknown = np.array([k not in table.index for k in keys])
            if unknown.any():
                raise InputError(
                    f"{source}: table der_assets, column cost_curve_id: "
                    f"{', '.join(sorted(set(keys[unknown]))[:5])} not in der_cost_curves"
                )
            c1[has] = table.loc[list(keys), "c1"].to_numpy(dtype=float)
            if "c0" in table.columns:
                c0[has] = table.loc[list(keys), "c0"].fillna(0.0).to_numpy(dtype=float)
    return AssetArrays(
        ids=ids,
        kind=kind,
        node=node,
        p_min=f["p_min"],
        p_max=f["p_max"],
        q_min=f["q_min"],
        q_max=f["q_max"],
        s_max=f["s_max"],
        ramp_up=f["ramp_up"],
        ramp_down=f["ramp_down"],
        energy_cap=cap,
        soc_min=soc_min,
        soc_max=soc_max,
        soc_init=soc_init,
        efficiency=f["efficiency"],
        energy_need=np.where(windowed, need, np.nan),
        c1=c1,
        c0=c0,
        active=active,
    )
