"""Load-scale scenarios for the three-phase batch, from a ``pf_scenarios`` table.

Two of the table's forms apply (the loads of a three-phase network live in several tables,
so scenarios scale them rather than replace them):

* ``scenario_id`` and ``scale``: one factor per scenario on every load;
* ``scenario_id``, ``node_id`` and ``scale``: per-node factors (nodes not listed keep 1),
  applied to the node's ``load_p``/``load_q`` and its ``dist_loads`` rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gat_schemas.errors import InputError, ValidationError

from ._model import ThreePhaseModel

__all__ = ["scenario_scales_3ph"]


def _fail(source: str, message: str) -> InputError:
    where = f"{source}: " if source else ""
    return InputError(f"{where}table pf_scenarios {message}")


def scenario_scales_3ph(
    model: ThreePhaseModel, table: pd.DataFrame, *, source: str = ""
) -> tuple[tuple[str, ...], np.ndarray]:
    """Scenario ids (first-appearance order) and load factors for :func:`solve_batch_3ph`.

    Returns
    -------
    (ids, scale)
        ``scale`` is (S,) for the per-scenario form and (S, N) (model node order) for the
        per-node form.

    Raises
    ------
    ValidationError
        The table breaks the ``pf_scenarios`` schema.
    InputError
        No ``scale`` column (``load_p`` forms are balanced-only), unknown nodes, duplicates.
    """
    from gat_schemas import conform_table, validate_table

    table = conform_table("pf_scenarios", table)
    found = validate_table("pf_scenarios", table)
    if found:
        raise ValidationError(found, source=source)
    cols = set(table.columns)
    if "load_p" in cols or "load_q" in cols:
        raise _fail(source, "columns load_p/load_q apply to the balanced power flow only")
    if "scenario_id" not in cols or "scale" not in cols:
        raise _fail(source, "needs scenario_id and scale columns in three-phase mode")
    if table.empty:
        raise _fail(source, "has no rows")
    df = table.reset_index(drop=True)
    sid = df["scenario_id"].astype(str)
    ids = tuple(pd.unique(sid))
    s_index = pd.Index(ids).get_indexer(sid)
    scale = df["scale"].to_numpy(dtype=float)
    if "node_id" not in cols:
        if sid.duplicated().any():
            raise _fail(source, "column scenario_id: a scenario is listed twice")
        out = np.empty(len(ids))
        out[s_index] = scale
        return ids, out
    node = df["node_id"].astype(str)
    n_index = pd.Index(model.node_ids.astype(str)).get_indexer(node)
    if (n_index < 0).any():
        unknown = ", ".join(node[n_index < 0].unique()[:5])
        raise _fail(source, f"column node_id [{unknown}]: not a node of the network")
    out = np.ones((len(ids), len(model.node_ids)))
    out[s_index, n_index] = scale
    return ids, out
