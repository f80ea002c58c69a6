"""Result tables of the analytical reliability indices (IEEE 1366 definitions).

``load_point_indices`` and ``reliability_indices`` are built from :class:`~gat_adms.impacts.Indices`
(:func:`~gat_adms.impacts.expected_indices` of a :class:`~gat_adms.impacts.FaultImpacts`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gat_adms.impacts import FaultImpacts, Indices, expected_indices

__all__ = ["index_tables", "load_point_table", "system_table"]


def load_point_table(impacts: FaultImpacts, indices: Indices) -> pd.DataFrame:
    """``load_point_indices``: lambda (1/yr), r (h), U (h/yr), ENS (MWh/yr) per load point."""
    return pd.DataFrame(
        {
            "node_id": np.asarray(impacts.load_points, dtype=object),
            "customers": np.asarray(impacts.customers, dtype=np.int64),
            "load_mw": np.asarray(impacts.load_mw, dtype=float),
            "lambda_per_yr": indices.lambda_per_yr,
            "r_h": indices.r_h,
            "u_h_per_yr": indices.u_h_per_yr,
            "ens_mwh_per_yr": indices.ens_mwh_per_yr,
        }
    )


def system_table(
    impacts: FaultImpacts, indices: Indices, method: str = "analytical"
) -> pd.DataFrame:
    """``reliability_indices``: one row of SAIFI, SAIDI, CAIDI, ASAI, ENS, AENS."""
    return pd.DataFrame(
        {
            "method": [method],
            "customers": [int(np.asarray(impacts.customers).sum())],
            "SAIFI": [indices.saifi],
            "SAIDI": [indices.saidi],
            "CAIDI": [indices.caidi],
            "ASAI": [indices.asai],
            "ENS": [indices.ens],
            "AENS": [indices.aens],
        }
    )


def index_tables(impacts: FaultImpacts) -> tuple[Indices, pd.DataFrame, pd.DataFrame]:
    """Analytical indices of ``impacts`` and their two tables.

    Returns
    -------
    (Indices, load_point_indices, reliability_indices)
    """
    ix = expected_indices(impacts)
    return ix, load_point_table(impacts, ix), system_table(impacts, ix)
