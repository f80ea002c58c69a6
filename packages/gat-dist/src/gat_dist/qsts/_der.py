"""DER output per step as extra injections on the physics model's terminals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gat_pf import Injection
from gat_schemas.errors import InputError

__all__ = ["GENERATING_TYPES", "DerMap", "der_map"]

#: Asset types whose output follows a shape in a QSTS (batteries and flexible loads need a
#: schedule, which is the schedulers' job).
GENERATING_TYPES = ("pv", "wind", "genset")


@dataclass(frozen=True, eq=False)
class DerMap:
    """How K DERs inject into the model.

    ``ids`` (K,) asset ids; ``terms`` (J,) terminals; ``weight`` (K, J) share of each DER's
    output on each terminal (rows sum to 1); ``p_max`` (K,) MW; ``q_fixed`` (K,) Mvar at
    ``p_max`` for a fixed-power-factor unit (``q_min == q_max``), else 0.
    """

    ids: np.ndarray
    terms: np.ndarray
    weight: np.ndarray
    p_max: np.ndarray
    q_fixed: np.ndarray

    def injection(self, factors: np.ndarray) -> tuple[Injection | None, np.ndarray]:
        """Injection for (S, K) factors, and the (S,) total DER output (MW)."""
        n_s = factors.shape[0]
        if not len(self.ids):
            return None, np.zeros(n_s)
        p = factors * self.p_max
        q = factors * self.q_fixed
        return Injection(self.terms, p @ self.weight, q @ self.weight), p.sum(axis=1)


def der_map(phys: Any, assets: pd.DataFrame | None, der_ids: Any = None) -> DerMap:
    """Map the generating DERs of ``assets`` (or those in ``der_ids``) onto ``phys``'s terminals.

    A DER on phases ``A``/``B``/``C`` (or several) spreads its output equally over those
    phases of its node; ``ABC`` or a balanced model: over all the node's terminals.

    Raises
    ------
    InputError
        A DER id not in the table, or a DER whose node or phase the model does not have.
    """
    if assets is None or not len(assets):
        if der_ids is not None and len(der_ids):
            raise InputError("qsts: DER multipliers given but the network has no der_assets")
        return DerMap(
            np.zeros(0, object), np.zeros(0, np.int64), np.zeros((0, 0)), np.zeros(0), np.zeros(0)
        )
    df = assets.reset_index(drop=True)
    aid = df["asset_id"].astype(str).to_numpy()
    if der_ids is None:
        use = np.flatnonzero(df["asset_type"].astype(str).isin(GENERATING_TYPES).to_numpy())
    else:
        pos = {a: k for k, a in enumerate(aid)}
        missing = [d for d in der_ids if str(d) not in pos]
        if missing:
            raise InputError(f"table der_assets, column asset_id: unknown DER(s) {missing[:5]}")
        use = np.array([pos[str(d)] for d in der_ids], dtype=np.int64)
    node_pos = {str(n): k for k, n in enumerate(phys.node_ids)}
    t_node = np.asarray(phys.term_node)
    t_phase = np.asarray(phys.term_phase).astype(str)
    rows: list[np.ndarray] = []
    for k in use:
        bus, ph = str(df.at[k, "bus_id"]), str(df.at[k, "phase"])
        if bus not in node_pos:
            raise InputError(f"table der_assets, column bus_id [{aid[k]}]: unknown node {bus}")
        at = np.flatnonzero(t_node == node_pos[bus])
        if phys.kind == "three_phase" and ph not in ("ABC", ""):
            at = at[np.isin(t_phase[at], list(ph))]
        if not len(at):
            raise InputError(
                f"table der_assets, column phase [{aid[k]}]: node {bus} has no phase {ph}"
            )
        rows.append(at)
    terms = np.unique(np.concatenate(rows)) if rows else np.zeros(0, np.int64)
    weight = np.zeros((len(use), len(terms)))
    for i, at in enumerate(rows):
        weight[i, np.searchsorted(terms, at)] = 1.0 / len(at)
    p_max = df["p_max"].to_numpy(dtype=float)[use]
    q_min = df["q_min"].to_numpy(dtype=float)[use] if "q_min" in df else np.zeros(len(use))
    q_max = df["q_max"].to_numpy(dtype=float)[use] if "q_max" in df else np.zeros(len(use))
    q_fixed = np.where(np.isclose(q_min, q_max) & np.isfinite(q_max), q_max, 0.0)
    return DerMap(aid[use].astype(object), terms.astype(np.int64), weight, p_max, q_fixed)
