"""Array model of the three-phase OPF: the physics model, the DER controls and their terminals.

DER set points are per asset (MW, Mvar, generation positive). An asset injects into the
terminals (node phases) of its ``phase`` at its ``bus_id``, in equal shares: a single-phase
asset on one terminal, a three-phase asset a third on each. ``W`` maps asset set points to
terminal injections: ``p_term = W @ p_der``.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gat_dist.opf.options import OpfOptions
from gat_dist.opf.sets import CURTAILABLE, _assets
from gat_schemas.errors import InputError

if TYPE_CHECKING:
    from gat_pf import PhysicsModel
    from gat_schemas import Network

__all__ = ["Opf3Data", "opf3_data"]


@dataclass(frozen=True, eq=False)
class Opf3Data:
    """A three-phase network and its DER as arrays (MW, Mvar, pu voltages, A currents).

    Attributes
    ----------
    phys
        The three-phase physics model (regulator taps held at ``dist_regulators.tap``).
    terms
        (K,) terminals any DER injects into (sorted).
    w
        (K, D) share of asset ``d``'s set point on terminal ``terms[k]``.
    v_lo, v_hi
        (T,) voltage limits applied per terminal (pu); slack terminals are not limited.
    limited
        (T,) terminals with voltage limits (not fixed by a slack).
    rated
        (C,) conductors with an ampacity.
    cap_pct
        (C,) allowed loading (%): 100, or a base-case overload held (see
        :func:`gat_dist.opf.threephase.api.hold_base_violations`).
    der_*
        Per asset: ids, node ids, phases, types, limits (MW, Mvar, MVA; NaN ``s_max`` =
        no rating), cost coefficients ``c1`` (currency/MWh) and ``c0`` (currency/h).
    """

    phys: PhysicsModel
    network_name: str
    terms: np.ndarray
    w: np.ndarray
    v_lo: np.ndarray
    v_hi: np.ndarray
    limited: np.ndarray
    rated: np.ndarray
    der_ids: np.ndarray
    der_node: np.ndarray
    der_phase: np.ndarray
    der_type: np.ndarray
    der_p_min: np.ndarray
    der_p_max: np.ndarray
    der_q_min: np.ndarray
    der_q_max: np.ndarray
    der_s_max: np.ndarray
    der_c1: np.ndarray
    der_c0: np.ndarray
    cap_pct: np.ndarray | None = None

    @property
    def cap(self) -> np.ndarray:
        """(C,) allowed loading (%); 100 unless held."""
        if self.cap_pct is None:
            return np.full(len(self.rated), 100.0)
        return self.cap_pct

    @property
    def n_der(self) -> int:
        """Number of DER assets."""
        return len(self.der_ids)

    @property
    def der_curtailable(self) -> np.ndarray:
        """True for pv and wind assets (their ``p_max`` is available power)."""
        return np.isin(self.der_type, CURTAILABLE)


def _der_terminals(
    phys: PhysicsModel, assets: pd.DataFrame | None, node_index: np.ndarray
) -> tuple[list[np.ndarray], np.ndarray]:
    """Terminals of every asset (its phases present at its node) and its phase label."""
    term_node = np.asarray(phys.term_node)
    term_phase = np.asarray(phys.term_phase).astype(str)
    phases = (
        assets["phase"].astype(object).where(assets["phase"].notna(), None).tolist()
        if assets is not None and "phase" in assets.columns
        else [None] * len(node_index)
    )
    out, labels = [], []
    for d, n in enumerate(node_index.tolist()):
        at = np.flatnonzero(term_node == n)
        want = str(phases[d]).upper() if phases[d] is not None else "ABC"
        pick = at[np.isin(term_phase[at], list(want))]
        if len(pick) == 0 or (phases[d] is not None and len(pick) < len(want) and len(want) < 3):
            aid = assets["asset_id"].iloc[d] if assets is not None else d
            have = "".join(term_phase[at])
            raise InputError(
                f"table der_assets, asset {aid}: phase {want} is not at node "
                f"{phys.node_ids[n]} (it has phases {have or 'none'})"
            )
        out.append(pick)
        labels.append("".join(term_phase[pick]))
    return out, np.array(labels, dtype=object)


def opf3_data(
    network: Network,
    phys: PhysicsModel,
    options: OpfOptions,
    *,
    assets: pd.DataFrame | None,
    cost_curves: pd.DataFrame | None,
) -> Opf3Data:
    """Build the three-phase OPF array model.

    A three-phase asset (``phase`` ABC) on a node with fewer phases injects on the phases
    the node has; a one- or two-phase asset must find its phases at its node.

    Raises
    ------
    gat_schemas.errors.InputError
        Assets on unknown nodes, on phases their node lacks, on a slack node, or referring
        to unknown cost curves.
    """
    from gat_dist.opf.options import Objective

    n = len(phys.node_ids)
    # The balanced asset reader works on any model with node ids; a base of 1 MVA keeps
    # its arrays in MW and Mvar.
    shim = SimpleNamespace(node_ids=np.asarray(phys.node_ids), node_bus=np.arange(n), base_mva=1.0)
    der = _assets(assets, cost_curves, shim, options.objective is Objective.COST)  # type: ignore[arg-type]
    node_index = der["der_node"]
    slack = np.asarray(phys.term_slack, dtype=bool)
    term_node = np.asarray(phys.term_node)
    on_slack = np.isin(node_index, term_node[slack])
    if on_slack.any():
        raise InputError(
            "table der_assets, column bus_id: asset(s) "
            f"{', '.join(map(str, der['der_ids'][on_slack][:5]))} sit on a slack node"
        )
    per_asset, labels = _der_terminals(phys, assets, node_index)
    terms = np.unique(np.concatenate(per_asset)) if per_asset else np.zeros(0, np.int64)
    w = np.zeros((len(terms), len(per_asset)))
    for d, t in enumerate(per_asset):
        w[np.searchsorted(terms, t), d] = 1.0 / len(t)
    v_lo = np.asarray(phys.term_v_min, dtype=float).copy()
    v_hi = np.asarray(phys.term_v_max, dtype=float).copy()
    if options.v_min is not None:
        v_lo[:] = options.v_min
    if options.v_max is not None:
        v_hi[:] = options.v_max
    return Opf3Data(
        phys=phys,
        network_name=network.name,
        terms=terms.astype(np.int64),
        w=w,
        v_lo=v_lo,
        v_hi=v_hi,
        limited=~slack,
        rated=np.isfinite(np.asarray(phys.ampacity_a, dtype=float))
        & np.asarray(phys.cond_rated, dtype=bool),
        der_ids=der["der_ids"],
        der_node=node_index,
        der_phase=labels,
        der_type=der["der_type"],
        der_p_min=der["p_min"],
        der_p_max=der["p_max"],
        der_q_min=der["q_min"],
        der_q_max=der["q_max"],
        der_s_max=der["s_max"],
        der_c1=der["c1"],
        der_c0=der["c0"],
    )
