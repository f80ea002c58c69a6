"""Ungrounded (three-wire delta) sections and the voltage measure their limits are judged on.

A node's phase voltages are solved against ground. Where nothing grounds the common mode
(zero-sequence voltage) of a section, its line-to-ground voltages are set by whatever weak
reference is left (line capacitance, the transformers' anti-floating shunts) and say nothing
about what a customer or a device sees: every load and winding there is connected phase to
phase and sees line-to-line voltage. The band ``[v_min, v_max]`` is then judged on the
line-to-line magnitudes in pu of the line-to-line base.

The rule is a graph rule over the model's elements, not a threshold:

- a *section* is a set of nodes joined by closed lines and switches (galvanic connection of
  the phase conductors); transformers separate sections (their windings are magnetically,
  not galvanically, coupled);
- a section is *grounded* when one of its nodes holds a slack (a source), a transformer
  winding wound grounded wye (or a center-tap secondary, or a branch marked transformer
  without winding data: GAT's balanced reading), a load or generation element connected
  phase to ground (wye) with a non-zero power, or a shunt to ground (a wye capacitor or a
  node shunt: a row of the phase-node shunt admittance whose entries do not sum to zero);
- every phase node of a section that is not grounded is *ungrounded*. Line charging and the
  anti-floating shunts live in the branch blocks, so they never ground a section.

At an ungrounded phase node the judged magnitude is ``|V_p - V_q| / sqrt 3`` (pu of the
line-to-line base ``base_kv``), ``q`` the next phase present at the node in the cyclic order
A -> B -> C -> A (A-B, B-C, C-A at a three-phase node; the one pair of a two-phase node on
both its phases). A one-phase ungrounded node has no pair: it keeps its line-to-neutral
magnitude. Everywhere else the judged magnitude is ``|V|``, bit for bit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ._model import ThreePhaseModel

__all__ = [
    "judged_columns",
    "judged_vm",
    "ll_pair_labels",
    "ll_partner",
    "ungrounded_pn",
    "vll_pu",
]

_SQRT3 = np.sqrt(3.0)


def ungrounded_pn(model: ThreePhaseModel) -> np.ndarray:
    """(M,) bool: phase nodes whose section nothing grounds (see the module doc); kept.

    Models derived with extra elements share their parent's cache: the key holds the number
    of load elements, so a derived model's answer is its own.
    """
    key = f"ungrounded_pn:{len(model.loads.pn_a)}"
    got = model._cache.get(key)
    if got is not None:
        return got
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    br = model.branches
    n = len(model.node_ids)
    link = (br.active | br.merged) & ~br.transformer
    g = coo_matrix((np.ones(int(link.sum())), (br.f_node[link], br.t_node[link])), (n, n))
    _, section = connected_components(g, directed=False)
    ground = np.zeros(n, dtype=bool)
    ground[model.node_type == "slack"] = True
    xf = br.transformer & (br.active | br.merged)
    # A regulated branch is in ``active`` too; a winding on either side grounds its node.
    ground[br.f_node[xf & br.side_grounded[:, 0]]] = True
    ground[br.t_node[xf & br.side_grounded[:, 1]]] = True
    ld = model.loads
    wye = (ld.pn_b < 0) & ((ld.s_p != 0) | (ld.s_i != 0) | (ld.s_z != 0))
    ground[model.pn_node[ld.pn_a[wye]]] = True
    sr, _, sv = model.shunt_pn
    if len(sr):
        to_ground = np.zeros(model.n_pn, dtype=complex)
        np.add.at(to_ground, sr, sv)
        scale = np.zeros(model.n_pn)
        np.add.at(scale, sr, np.abs(sv))
        # A delta bank's rows sum to zero (up to rounding); a wye bank's do not.
        ground[model.pn_node[np.abs(to_ground) > 1e-9 * np.maximum(scale, 1e-300)]] = True
    grounded_section = np.zeros(int(section.max()) + 1 if n else 0, dtype=bool)
    grounded_section[section[ground]] = True
    out = ~grounded_section[section[model.pn_node]]
    model._cache[key] = out
    return out


def ll_partner(model: ThreePhaseModel) -> np.ndarray:
    """(M,) the phase node whose difference gives each phase node's line-to-line voltage:
    the next phase present at the node (A -> B -> C -> A), -1 on one-phase nodes; kept."""
    got = model._cache.get("ll_partner")
    if got is not None:
        return got
    idx = model.pn_index[model.pn_node]  # (M, 3)
    out = np.full(model.n_pn, -1, dtype=np.int64)
    for step in (1, 2):
        cand = idx[np.arange(model.n_pn), (model.pn_phase + step) % 3]
        take = (out < 0) & (cand >= 0)
        out[take] = cand[take]
    model._cache["ll_partner"] = out
    return out


def ll_pair_labels(model: ThreePhaseModel) -> np.ndarray:
    """(M,) the phase pair of each phase node's line-to-line voltage (``"AB"``, ``"CA"``,
    ...; ``""`` on one-phase nodes)."""
    letters = np.array(list("ABC"), dtype=object)
    partner = ll_partner(model)
    has = partner >= 0
    out = np.full(model.n_pn, "", dtype=object)
    out[has] = letters[model.pn_phase[has]] + letters[model.pn_phase[partner[has]]]
    return out


def judged_columns(model: ThreePhaseModel) -> tuple[np.ndarray, np.ndarray]:
    """The phase nodes judged line to line (ungrounded with a partner) and their partners."""
    partner = ll_partner(model)
    cols = np.flatnonzero(ungrounded_pn(model) & (partner >= 0))
    return cols, partner[cols]


def vll_pu(model: ThreePhaseModel, v_pn: np.ndarray) -> np.ndarray:
    """(S, M) line-to-line magnitudes ``|V_p - V_partner| / sqrt 3`` (pu of the line-to-line
    base); NaN on one-phase nodes. ``v_pn`` (S, M) complex pu of the line-to-neutral base."""
    partner = ll_partner(model)
    has = partner >= 0
    out = np.full(v_pn.shape, np.nan)
    out[:, has] = np.abs(v_pn[:, has] - v_pn[:, partner[has]]) / _SQRT3
    return out


def judged_vm(model: ThreePhaseModel, v_pn: np.ndarray) -> np.ndarray:
    """(S, M) the magnitude the voltage band is judged on (pu): ``|V|`` at grounded phase
    nodes (and one-phase nodes), the line-to-line magnitude at ungrounded ones."""
    vm = np.abs(v_pn)
    cols, partner = judged_columns(model)
    if len(cols):
        vm[:, cols] = np.abs(v_pn[:, cols] - v_pn[:, partner]) / _SQRT3
    return vm
