"""Load scenarios given as a table, turned into the (S, N) arrays of :func:`solve_batch`.

A scenarios table (``pf_scenarios``) has a ``scenario_id`` column and one of three forms:

* ``scale`` without ``node_id``: one row per scenario, every load multiplied by ``scale``;
* ``node_id`` and ``scale``: per-node load factors; nodes not listed keep factor 1;
* ``node_id``, ``load_p`` (MW) and optionally ``load_q`` (Mvar): the loads of the listed
  nodes (consumption positive); nodes not listed keep their network load.

Scenarios keep the order in which their ids first appear.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gat_schemas.errors import InputError, ValidationError

from ._model import PowerFlowModel

__all__ = ["ScenarioArrays", "scenario_arrays"]


@dataclass(frozen=True)
class ScenarioArrays:
    """Scenario ids and the node loads of each scenario.

    Attributes
    ----------
    scenario_ids
        Ids in first-appearance order (S,).
    load_p_mw, load_q_mvar
        Node loads (S, N) in model node order (MW, Mvar; consumption positive).
    """

    scenario_ids: tuple[str, ...]
    load_p_mw: np.ndarray
    load_q_mvar: np.ndarray


def _fail(source: str, message: str) -> InputError:
    where = f"{source}: " if source else ""
    return InputError(f"{where}table pf_scenarios {message}")


def _few(values: object, k: int = 5) -> str:
    items = [str(v) for v in values]  # type: ignore[attr-defined]
    shown = ", ".join(items[:k])
    return shown + (f", ... {len(items) - k} more" if len(items) > k else "")


def scenario_arrays(
    model: PowerFlowModel, table: pd.DataFrame, *, source: str = ""
) -> ScenarioArrays:
    """Turn a scenarios table into per-scenario node loads.

    Parameters
    ----------
    model
        The model the scenarios apply to (node ids and base loads).
    table
        The scenarios (see the module docstring for the three accepted forms).
    source
        File name used in error messages.

    Raises
    ------
    ValidationError
        The table breaks the ``pf_scenarios`` schema (types, non-finite numbers, negative
        scale factors, duplicate scenario/node rows).
    InputError
        Missing or conflicting columns, unknown node ids, or an empty table.
    """
    from gat_schemas import conform_table, validate_table

    table = conform_table("pf_scenarios", table)
    violations = validate_table("pf_scenarios", table)
    if violations:
        raise ValidationError(violations, source=source)
    cols = set(table.columns)
    if "scenario_id" not in cols:
        raise _fail(source, "needs a scenario_id column")
    if table.empty:
        raise _fail(source, "has no rows")
    has_scale, has_p = "scale" in cols, "load_p" in cols
    if has_scale == has_p:
        raise _fail(source, "needs exactly one of the columns scale or load_p (with node_id)")
    if "load_q" in cols and not has_p:
        raise _fail(source, "column load_q needs load_p")
    if has_p and "node_id" not in cols:
        raise _fail(source, "columns load_p/load_q need a node_id column")
    df = table.reset_index(drop=True)
    if df["scenario_id"].isna().any():
        raise _fail(source, "column scenario_id has empty values")
    sid = df["scenario_id"].astype(str)
    ids = tuple(pd.unique(sid))
    s_index = pd.Index(ids).get_indexer(sid)
    base_p = model.node_load.real * model.base_mva
    base_q = model.node_load.imag * model.base_mva
    n_s = len(ids)

    if "node_id" not in cols:
        dup = sid[sid.duplicated()]
        if len(dup):
            raise _fail(source, f"column scenario_id rows [{_few(dup.unique())}]: listed twice")
        scale = df["scale"].to_numpy(dtype=float)
        factor = np.empty(n_s)
        factor[s_index] = scale
        return ScenarioArrays(ids, factor[:, None] * base_p, factor[:, None] * base_q)

    node = df["node_id"].astype(str)
    n_index = pd.Index(model.node_ids.astype(str)).get_indexer(node)
    if (n_index < 0).any():
        unknown = node[n_index < 0].unique()
        raise _fail(source, f"column node_id [{_few(unknown)}]: not a node of the network")
    load_p = np.repeat(base_p[None, :], n_s, axis=0)
    load_q = np.repeat(base_q[None, :], n_s, axis=0)
    if has_scale:
        scale = df["scale"].to_numpy(dtype=float)
        load_p[s_index, n_index] *= scale
        load_q[s_index, n_index] *= scale
    else:
        load_p[s_index, n_index] = df["load_p"].to_numpy(dtype=float)
        if "load_q" in cols:
            load_q[s_index, n_index] = df["load_q"].to_numpy(dtype=float)
    return ScenarioArrays(ids, load_p, load_q)
