"""Validation of a DER portfolio (``der_assets``) against the data contract and a network.

Every rule is reported at once as :class:`gat_schemas.Violation` records. The single-table
rules (schema, duplicate ids, ``p_min <= p_max`` ...) and the cross-table rules (bus and
cost-curve references, phases) are the data contract's own, run by
:func:`gat_schemas.validate_table` and :func:`gat_schemas.validate_network`; this module
only decides which tables take part.
"""

from __future__ import annotations

import pandas as pd

from gat_schemas import Network, Violation, validate_network, validate_table

__all__ = ["RULES", "validate_assets"]

#: The rules checked, in plain words (the ``check`` names of the violations in brackets).
RULES = (
    "schema: required columns, dtypes, no NaN where not allowed, asset_type and phase "
    "values, efficiency in (0, 1], soc_min and soc_max in [0, 1], ramp_up, ramp_down, "
    "energy_cap >= 0, s_max > 0, priority >= 0",
    "asset_id unique [unique]",
    "p_min <= p_max, q_min <= q_max, soc_min <= soc_max [p_min<=p_max ...]",
    "energy_cap > 0 for battery and ev [storage_energy]",
    "s_max >= max(|p_min|, |p_max|) and s_max >= max(|q_min|, |q_max|): the inverter "
    "reaches every P bound at q = 0 and every Q bound at p = 0 [s_max>=|p|, s_max>=|q|]",
    "with a network: bus_id is a dist_nodes node_id [foreign_key]; the asset's phases are "
    "within the node's phases, e.g. A within ABC [phase_subset]",
    "with cost curves (given or in the network): cost_curve_id is a der_cost_curves "
    "cost_curve_id [foreign_key]; without a cost-curve table the references are not checked",
)

_TABLES = ("der_assets", "der_cost_curves")


def validate_assets(
    assets: pd.DataFrame,
    *,
    network: Network | None = None,
    cost_curves: pd.DataFrame | None = None,
) -> list[Violation]:
    """Check a DER asset table and return every violation (see :data:`RULES`).

    Parameters
    ----------
    assets
        The ``der_assets`` table (p in MW, generation positive; q in Mvar, injection positive).
    network
        Network the assets connect to; its own ``der_assets`` table is ignored (replaced by
        ``assets``). Without it bus ids and phases are not checked.
    cost_curves
        ``der_cost_curves`` table; when omitted, the network's table is used if it has one.

    Returns
    -------
    list of Violation
        Empty when the portfolio is valid. Only violations of ``der_assets`` and
        ``der_cost_curves`` are returned; the network's own tables are not judged here.
    """
    if not isinstance(assets, pd.DataFrame):
        return validate_table("der_assets", assets)
    curves = cost_curves
    if curves is None and network is not None:
        curves = network.table("der_cost_curves")
    if network is None:
        # Without dist_nodes the bus references are skipped by the cross-table checks.
        tables: dict[str, pd.DataFrame] = {}
        name, base = "assets", 1.0
    else:
        tables = {n: df for n, df in network.tables.items() if n not in _TABLES}
        name, base = network.name, network.base_mva
    tables["der_assets"] = assets
    if curves is not None:
        tables["der_cost_curves"] = curves
    found = validate_network(Network(name, base, tables))
    return [v for v in found if v.table in _TABLES]
