"""Reliability inputs: validation of the tables against a network, and element failure rates.

Every rule on the three reliability tables is the data contract's own
(:func:`gat_schemas.validate_network`, so ``gat validate`` applies them to a network folder
holding these tables too); this module decides which tables take part and adds that a
reliability study needs load points.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gat_schemas import Network, Violation, apply_defaults, conform_table, validate_network
from gat_schemas.errors import InputError

__all__ = ["RULES", "element_rates", "validate_reliability"]

#: The rules checked, in plain words (the ``check`` names of the violations in brackets).
RULES = (
    "schema of reliability, switching_devices and outage_scenarios: required columns, "
    "dtypes, element_type and device_type values, rates >= 0, repair_time_h > 0, "
    "operate_time_h >= 0, duration_h > 0; unique element_id, device_id, scenario_id+element_id",
    "element_id names a dist_branches branch_id, a dist_nodes node_id or a switching_devices "
    "device_id as its element_type says [foreign_key]",
    "exactly one of failure_rate_per_yr and failure_rate_per_km_yr per row "
    "[failure_rate, one_rate]",
    "failure_rate_per_km_yr only on branches, and only where the branch has a length_km [per_km]",
    "a device's branch_id is a dist_branches branch_id [foreign_key]",
    "a device's normal_state equals its branch's status [normal_state]; a tie is normally "
    "open [tie_open]",
    "an outage scenario's element_id is in reliability [foreign_key]",
    "the network has load points: nodes with customers > 0 [load_points]",
)

_TABLES = ("reliability", "switching_devices", "outage_scenarios")


def _num(df: pd.DataFrame, col: str) -> np.ndarray:
    if col not in df.columns:
        return np.full(len(df), np.nan)
    return pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)


def validate_reliability(
    network: Network,
    reliability: pd.DataFrame | None = None,
    devices: pd.DataFrame | None = None,
    scenarios: pd.DataFrame | None = None,
) -> list[Violation]:
    """Check reliability inputs against a network and return every violation (see :data:`RULES`).

    Parameters
    ----------
    network
        The network (valid on its own); its own reliability tables are replaced by the
        ones given.
    reliability, devices, scenarios
        ``reliability``, ``switching_devices`` and ``outage_scenarios`` tables; ``None`` =
        the network's table if it has one.

    Returns
    -------
    list of Violation
        Violations of the three reliability tables, plus ``dist_nodes.customers`` when no
        node has customers. Empty when the inputs are usable.
    """
    given = {
        "reliability": reliability,
        "switching_devices": devices,
        "outage_scenarios": scenarios,
    }
    tables = {n: df for n, df in network.tables.items() if n not in _TABLES}
    for name, df in given.items():
        df = network.table(name) if df is None else df
        if df is not None:
            tables[name] = df
    found = validate_network(Network(network.name, network.base_mva, tables))
    out = [v for v in found if v.table in _TABLES]
    nodes, _ = apply_defaults("dist_nodes", network.nodes)
    if not (pd.to_numeric(nodes["customers"], errors="coerce") > 0).any():
        out.append(
            Violation(
                "dist_nodes",
                "customers",
                (),
                "load_points",
                "no node has customers > 0: a reliability study needs load points",
            )
        )
    return out


def element_rates(network: Network, reliability: pd.DataFrame) -> pd.DataFrame:
    """Failure rate per year of every element of a (valid) reliability table.

    Returns
    -------
    pandas.DataFrame
        ``element_id``, ``element_type``, ``failure_rate_per_yr`` (1/yr: the given rate,
        or ``failure_rate_per_km_yr * length_km``), ``repair_time_h`` (h), in table order.
    """
    rel = conform_table("reliability", reliability).reset_index(drop=True)
    rate = _num(rel, "failure_rate_per_yr")
    per_km = _num(rel, "failure_rate_per_km_yr")
    need = np.isnan(rate)
    if need.any():
        branches, _ = apply_defaults("dist_branches", network.branches)
        length = pd.to_numeric(
            rel["element_id"].map(
                dict(zip(branches["branch_id"], branches["length_km"], strict=True))
            ),
            errors="coerce",
        ).to_numpy(float)
        rate = np.where(need, per_km * length, rate)
    if np.isnan(rate).any():
        bad = rel["element_id"].to_numpy()[np.isnan(rate)]
        raise InputError(
            f"reliability: no failure rate for element(s) {', '.join(map(str, bad[:5]))} "
            "(run the reliability validation)"
        )
    return pd.DataFrame(
        {
            "element_id": rel["element_id"].astype(str).to_numpy(),
            "element_type": rel["element_type"].astype(str).to_numpy(),
            "failure_rate_per_yr": rate,
            "repair_time_h": rel["repair_time_h"].to_numpy(float),
        }
    )
