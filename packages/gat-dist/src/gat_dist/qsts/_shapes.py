"""Per-step multipliers from the ``load_shapes`` table and the loads' and DERs' shape links.

Time of step k (h): ``t_k = start_h + (k + 1) * step_h``, as OpenDSS advances its clock before
each solve of a daily or yearly run. A shape with a fixed interval gives point
``round(t / interval) mod npts`` (1-based, 0 meaning the last point), OpenDSS's rule, so
step k of an hourly run at ``start_h = 0`` uses point k; a shape whose points carry their own
hours is interpolated linearly in t (periodic over its last hour).

Loads: every ``dist_loads`` row naming a shape in the study's column (``daily``, ``yearly``
or ``duty``) follows it; loads without one and the nodes' own ``load_p`` keep factor 1.
Loads marked ``fixed`` (OpenDSS ``status=fixed``) are left out: the three-phase power flow
holds them at rated power whatever the factor. A
node's factor is the mean of its other loads' factors weighted by their rated active power
(exact when a node's loads share one shape, as in the EPRI feeders); when every load that is
not fixed follows the same shape the factor is one per step. DERs (``der_assets`` with a shape link) follow their
shape; a DER without one runs at ``p_max``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gat_schemas.errors import InputError

from ._der import GENERATING_TYPES
from ._types import Multipliers

__all__ = ["SHAPE_KINDS", "shape_multipliers", "shape_values"]

SHAPE_KINDS = ("daily", "yearly", "duty")


def shape_values(shapes: pd.DataFrame, shape_id: str, times_h: np.ndarray) -> np.ndarray:
    """Multipliers of shape ``shape_id`` at times ``times_h`` (h, OpenDSS's lookup rule).

    Raises
    ------
    InputError
        The shape is not in the table.
    """
    ids = shapes["shape_id"].astype(str)
    rows = shapes[ids.str.lower() == str(shape_id).lower()].sort_values("step")
    if rows.empty:
        raise InputError(f"table load_shapes, column shape_id: no shape {shape_id!r}")
    mult = rows["multiplier"].to_numpy(dtype=float)
    interval = rows["interval_h"].to_numpy(dtype=float)
    t = np.asarray(times_h, dtype=float)
    if np.isfinite(interval[0]):
        n = len(mult)
        idx = np.rint(t / interval[0]).astype(np.int64) % n  # 1-based, 0 = the last point
        return mult[np.where(idx == 0, n - 1, idx - 1)]
    hours = rows["hour"].to_numpy(dtype=float)
    period = hours[-1]
    tt = np.mod(t, period) if period > 0 else t
    return np.interp(tt, hours, mult)


def shape_multipliers(
    network: Any,
    *,
    kind: str,
    steps: int,
    step_h: float,
    start_h: float = 0.0,
    shapes: pd.DataFrame | None = None,
    assets: pd.DataFrame | None = None,
) -> Multipliers:
    """:class:`Multipliers` for ``steps`` steps of ``step_h`` hours from ``start_h``.

    Parameters
    ----------
    network
        The network (its ``dist_loads``, ``dist_nodes`` and, unless ``assets``,
        ``der_assets``).
    kind
        ``daily``, ``yearly`` or ``duty``: which shape column of the loads and DERs applies.
    shapes
        A ``load_shapes`` table to use instead of the network's.
    assets
        A ``der_assets`` table to use instead of the network's.

    Raises
    ------
    InputError
        Unknown kind, a shape named but absent, no ``load_shapes`` at all.
    """
    if kind not in SHAPE_KINDS:
        raise InputError(f"unknown shape kind {kind!r} (use {', '.join(SHAPE_KINDS)})")
    table = network.table("load_shapes") if shapes is None else shapes
    if table is None or not len(table):
        raise InputError("no load_shapes table: give the network one or pass --load-shapes")
    times = start_h + (np.arange(steps) + 1.0) * step_h
    cache: dict[str, np.ndarray] = {}

    def values(sid: str, who: str) -> np.ndarray:
        if sid not in cache:
            try:
                cache[sid] = shape_values(table, sid, times)
            except InputError as exc:
                raise InputError(f"{who}, column {kind}: {exc}") from None
        return cache[sid]

    nodes = network.nodes
    node_ids = nodes["node_id"].astype(str).to_numpy()
    pos = {n: i for i, n in enumerate(node_ids)}
    weight = np.zeros(len(node_ids))
    weighted = np.zeros((steps, len(node_ids)))
    if "load_p" in nodes.columns:
        p0 = np.abs(nodes["load_p"].fillna(0.0).to_numpy(dtype=float))
        weight += p0
        weighted += p0[None, :]
    loads = network.table("dist_loads")
    linked: set[str] = set()
    unlinked = False
    if loads is not None and len(loads):
        p = sum(
            np.abs(loads[c].fillna(0.0).to_numpy(dtype=float))
            for c in ("p_a_mw", "p_b_mw", "p_c_mw")
            if c in loads.columns
        )
        at = loads["node_id"].astype(str).map(pos).to_numpy()
        load_ids = (
            loads["load_id"].astype(str).to_numpy()
            if "load_id" in loads.columns
            else np.arange(len(loads)).astype(str)
        )
        link = loads[kind] if kind in loads.columns else pd.Series([None] * len(loads))
        fixed = (
            loads["fixed"].fillna(False).to_numpy(dtype=bool)
            if "fixed" in loads.columns
            else np.zeros(len(loads), dtype=bool)
        )
        for k, sid in enumerate(link.tolist()):
            f = np.ones(steps)
            if fixed[k]:
                continue  # the power flow keeps a fixed load at rated power whatever the factor
            if sid is not None and not (isinstance(sid, float) and np.isnan(sid)):
                f = values(str(sid), f"table dist_loads, row {load_ids[k]!r}")
                linked.add(str(sid).lower())
            elif p[k] > 0:
                unlinked = True
            weight[at[k]] += p[k]
            weighted[:, at[k]] += p[k] * f
    has_plain = "load_p" in nodes.columns and (nodes["load_p"].fillna(0.0) != 0).any()
    if len(linked) == 1 and not unlinked and not has_plain:
        load = values(next(iter(linked)), "table dist_loads")
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            load = np.where(weight > 0, weighted / weight, 1.0)
    der_table = network.table("der_assets") if assets is None else assets
    der, der_ids = None, None
    if der_table is not None and len(der_table):
        gen = der_table[der_table["asset_type"].astype(str).isin(GENERATING_TYPES)]
        der_ids = tuple(gen["asset_id"].astype(str))
        cols = []
        link = gen[kind] if kind in gen.columns else pd.Series([None] * len(gen))
        for aid, sid in zip(der_ids, link.tolist(), strict=True):
            if sid is None or (isinstance(sid, float) and np.isnan(sid)):
                cols.append(np.ones(steps))
            else:
                cols.append(values(str(sid), f"table der_assets, row {aid!r}"))
        der = np.stack(cols, axis=1) if cols else np.zeros((steps, 0))
    return Multipliers(load=load, der=der, der_ids=der_ids)
