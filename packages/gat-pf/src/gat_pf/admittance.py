"""The network's admittance behind a :class:`~gat_pf.physics.PhysicsModel`, for estimators.

State estimation writes its measurement functions (injections, branch flows, currents)
directly in the node voltages, so it needs the admittance matrix and each conductor's
end currents as linear maps of the voltages. :func:`network_admittance` gives them for
both models in one shape:

- *electrical terminals* (E of them): the balanced model's buses (nodes joined by closed
  ideal switches share one), the three-phase model's bus phases. Every terminal of the
  physics model (``term_*``) sits on one electrical terminal (``term_elec``).
- ``y`` (E, E): the network's admittance (lines, transformers, regulators at the given
  taps, shunts and capacitors), without the loads; per unit of one terminal's power base
  ``s_base_mva`` (balanced: ``base_mva``; three-phase: ``base_mva / 3`` per phase).
- ``cond_from`` / ``cond_to`` (C, E): current entering every conductor (physics model
  order, ``cond_*``) at its from / to end, per unit of that end's base current.
  Ideal switches (``cond_ideal``) carry a current the voltages do not fix: zero rows.

Sign convention: currents and powers entering the network from a terminal are positive
(an injection), so a load is a negative injection.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = ["NetworkAdmittance", "network_admittance"]

_SQRT3 = float(np.sqrt(3.0))


@dataclass(frozen=True, eq=False)
class NetworkAdmittance:
    """Admittance and indexing of a physics model (see the module doc).

    Attributes
    ----------
    y
        (E, E) complex CSR admittance, pu on ``s_base_mva`` and the terminals' bases.
    s_base_mva
        Power base of one electrical terminal (MVA).
    term_elec
        (T,) electrical terminal of every physics terminal.
    elec_slack
        (E,) bool, voltage fixed by a slack set point.
    elec_v_slack
        (E,) complex slack set points (pu; 1 elsewhere).
    elec_node
        (E,) a node index of every electrical terminal (the first physics terminal's).
    elec_phase
        (E,) phase letter (``"ABC"`` for the balanced model).
    elec_i_base_a
        (E,) base current of every electrical terminal (A; NaN when ``base_kv`` is unknown).
    elec_load
        (E,) nominal load at 1 pu voltage (complex, MW + j Mvar per terminal, consumption
        positive; a delta load's power is split equally over its two phases).
    elec_fixed
        (E,) bool, terminals with own injections (loads, generation, sources, slack).
    cond_from, cond_to
        (C, E) complex CSR: current entering each conductor at its from / to end (pu).
    cond_f_elec, cond_t_elec
        (C,) electrical terminal at each end.
    cond_ideal
        (C,) bool, ideal switches (their rows are zero).
    """

    y: Any
    s_base_mva: float
    term_elec: np.ndarray
    elec_slack: np.ndarray
    elec_v_slack: np.ndarray
    elec_node: np.ndarray
    elec_phase: np.ndarray
    elec_i_base_a: np.ndarray
    elec_load: np.ndarray
    elec_fixed: np.ndarray
    cond_from: Any
    cond_to: Any
    cond_f_elec: np.ndarray
    cond_t_elec: np.ndarray
    cond_ideal: np.ndarray

    @property
    def n_elec(self) -> int:
        """Number of electrical terminals E."""
        return int(self.y.shape[0])


def network_admittance(phys: Any, taps: np.ndarray | None = None) -> NetworkAdmittance:
    """The admittance of a physics model's network (``taps``: regulator steps, three-phase).

    Parameters
    ----------
    phys
        A :class:`~gat_pf.physics.PhysicsModel` from :func:`gat_pf.physics_model`.
    taps
        (R,) regulator positions (steps) for the three-phase model; ``None`` = the
        network's ``dist_regulators.tap``. Ignored by the balanced model.
    """
    if phys.kind == "balanced":
        return _balanced(phys)
    return _three_phase(phys, taps)


def _balanced(phys: Any) -> NetworkAdmittance:
    m = phys.model
    nb = m.n_bus
    a = phys.cond_index
    yff, yft, ytf, ytt = (y[a] for y in m.branch_y)
    fb, tb = m.branch_f_bus[a], m.branch_t_bus[a]
    rows = np.arange(len(a))
    cond_from = sp.csr_matrix(
        (np.concatenate([yff, yft]), (np.tile(rows, 2), np.concatenate([fb, tb]))), (len(a), nb)
    )
    cond_to = sp.csr_matrix(
        (np.concatenate([ytf, ytt]), (np.tile(rows, 2), np.concatenate([fb, tb]))), (len(a), nb)
    )
    first = np.full(nb, -1, dtype=np.int64)
    first[m.node_bus[::-1]] = np.arange(m.n_nodes)[::-1]
    kv = phys.node_base_kv[first]
    with np.errstate(invalid="ignore", divide="ignore"):
        i_base = m.base_mva * 1e3 / (_SQRT3 * kv)
    load = np.asarray(m.node_to_bus @ m.node_load) * m.base_mva
    gen = np.asarray(m.node_to_bus @ np.abs(m.node_gen)) > 0
    slack = m.bus_type == 2
    v_slack = np.where(slack, m.bus_v_set, 1.0).astype(complex)
    return NetworkAdmittance(
        y=m.ybus.tocsr(),
        s_base_mva=float(m.base_mva),
        term_elec=np.asarray(m.node_bus, dtype=np.int64),
        elec_slack=slack,
        elec_v_slack=v_slack,
        elec_node=first,
        elec_phase=np.full(nb, "ABC", dtype=object),
        elec_i_base_a=i_base,
        elec_load=load,
        elec_fixed=(np.abs(load) > 0) | gen | (m.bus_type != 0),
        cond_from=cond_from,
        cond_to=cond_to,
        cond_f_elec=np.asarray(fb, dtype=np.int64),
        cond_t_elec=np.asarray(tb, dtype=np.int64),
        cond_ideal=np.zeros(len(a), dtype=bool),
    )


def _three_phase(phys: Any, taps: np.ndarray | None) -> NetworkAdmittance:
    from ._threephase._branches import regulated_groups

    m = phys.model
    row = None
    if m.regulators is not None:
        row = np.asarray(m.regulators.tap0 if taps is None else taps, dtype=np.int64)
    y = m.ybus(row)
    n_pn, n_bp = m.n_pn, m.n_bp
    to_bp = sp.csr_matrix((np.ones(n_pn), (np.arange(n_pn), m.pn_bus)), (n_pn, n_bp))
    groups = list(m.branches.groups)
    if m.regulators is not None:
        groups += list(regulated_groups(m, row))
    rows_f, cols, vals_f, vals_t = [], [], [], []
    off = 0
    for g in groups:
        n_b, two_k = g.term.shape
        k = two_k // 2
        for c in range(k):
            rows_f.append(np.repeat(off + np.arange(n_b), two_k))
            cols.append(g.term.ravel())
            vals_f.append(g.y[:, c, :].ravel())
            vals_t.append(g.y[:, k + c, :].ravel())
            off += n_b
    n_c = len(phys.cond_cols)
    # Conductor order: flows_3ph's columns (groups, then ideal switches) permuted by cond_cols.
    pos = np.empty(n_c, dtype=np.int64)
    pos[phys.cond_cols] = np.arange(n_c)

    def mat(vals: list[np.ndarray]) -> sp.csr_matrix:
        if not rows_f:
            return sp.csr_matrix((n_c, n_bp), dtype=complex)
        r = pos[np.concatenate(rows_f)]
        c = np.concatenate(cols)
        pn = sp.csr_matrix((np.concatenate(vals), (r, c)), (n_c, n_pn))
        return (pn @ to_bp).tocsr()

    ideal = np.zeros(n_c, dtype=bool)
    ideal[pos[off:]] = True
    ld = m.loads
    s = (ld.s_p + ld.s_i + ld.s_z) * (m.base_mva / 3.0)
    share = np.where(ld.pn_b >= 0, 0.5, 1.0)
    load_pn = np.zeros(n_pn, dtype=complex)
    np.add.at(load_pn, ld.pn_a, s * share)
    delta = ld.pn_b >= 0
    np.add.at(load_pn, ld.pn_b[delta], s[delta] * 0.5)
    load = np.asarray(to_bp.T @ load_pn)
    first = np.full(n_bp, -1, dtype=np.int64)
    first[m.pn_bus[::-1]] = np.arange(n_pn)[::-1]
    node = m.pn_node[first]
    slack = np.zeros(n_bp, dtype=bool)
    slack[m.bp_slack] = True
    v_slack = np.ones(n_bp, dtype=complex)
    v_slack[m.bp_slack] = m.v_slack
    fixed_node = np.isin(np.asarray(m.node_type).astype(str), ["slack", "source"])
    with np.errstate(invalid="ignore", divide="ignore"):
        i_base = m.base_mva * 1e3 / (_SQRT3 * m.node_base_kv[node])
    return NetworkAdmittance(
        y=sp.csr_matrix(y),
        s_base_mva=float(m.base_mva) / 3.0,
        term_elec=np.asarray(m.pn_bus, dtype=np.int64),
        elec_slack=slack,
        elec_v_slack=v_slack,
        elec_node=node,
        elec_phase=np.array(list("ABC"), dtype=object)[m.pn_phase[first]],
        elec_i_base_a=i_base,
        elec_load=load,
        elec_fixed=(np.abs(load) > 0) | slack | fixed_node[node],
        cond_from=mat(vals_f),
        cond_to=mat(vals_t),
        cond_f_elec=np.asarray(m.pn_bus[phys.cond_pf], dtype=np.int64),
        cond_t_elec=np.asarray(m.pn_bus[phys.cond_pt], dtype=np.int64),
        cond_ideal=ideal,
    )
