"""Switched capacitor states as per-scenario admittance changes (``solve(cap_on=...)``).

Both physics models list the network's capacitor banks (``dist_caps`` rows of kind
``capacitor``, table order) as ``cap_ids`` (K,) with their tables' state ``cap_on0`` (K,)
(``status == "closed"``). ``solve(cap_on=(K,) or (S, K))`` solves every scenario with its own
banks in or out, as a model built from the network with ``dist_caps.status`` edited would:

- three-phase: a bank is a shunt block on its one to three bus phases (wye: phase to
  ground; delta: between phases), the same entries :mod:`gat_pf._threephase._model` puts in
  ``Y``. A scenario's banks that differ from the tables' are
  :class:`~gat_pf._threephase._solve.BlockDelta` blocks (``+y`` switched in, ``-y`` out),
  solved through the factor of the tables' matrix with the low-rank update the regulator
  blocks use: no new model, no new factorisation;
- balanced: the bank's ``q_mvar`` of constant-impedance injection at 1 pu on its node's
  shunt (as :func:`gat_pf.build_model` adds it); one model variant per distinct state
  (cached), solved with :func:`gat_pf.solve_batch`.

A bank's state changes shunt admittance only: branch flows (and so ``limits``,
``conductor_power``, ``power_totals``) follow from the solved voltages as before, except
through ideal switches whose currents come from the nodal balance, which uses the tables'
banks.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from gat_schemas.errors import InputError

__all__ = ["cap_rows", "capacitor_table", "three_phase_caps"]


def capacitor_table(network: Any) -> Any:
    """The ``dist_caps`` rows of kind ``capacitor`` (table order, index reset) or ``None``."""
    caps = network.table("dist_caps")
    if caps is None or not len(caps):
        return None
    caps = caps.reset_index(drop=True)
    if "kind" in caps.columns:
        caps = caps[caps["kind"].astype(str) == "capacitor"].reset_index(drop=True)
    return caps if len(caps) else None


def cap_ids_on0(caps: Any) -> tuple[np.ndarray, np.ndarray]:
    """(K,) ids and (K,) tables' states (closed) of :func:`capacitor_table`'s rows."""
    if caps is None:
        return np.zeros(0, dtype=object), np.zeros(0, dtype=bool)
    return (
        caps["cap_id"].astype(str).to_numpy(dtype=object),
        (caps["status"].astype(str) == "closed").to_numpy(dtype=bool),
    )


def three_phase_caps(network: Any, m: Any) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """Per bank: its phase nodes (n_k,) and its closed admittance block (n_k, n_k) (pu of
    ``base_mva / 3``), as the three-phase model builds it. A bank the model could not
    place (unknown node or phases) has an empty block and cannot be switched in."""
    from ._threephase._model import _capacitors

    caps = capacitor_table(network)
    pns: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    if caps is None:
        return (), ()
    s_phase = m.base_mva / 3.0
    closed = caps.assign(status="closed")
    for i in range(len(caps)):
        try:
            r, c, v = _capacitors(closed.iloc[[i]], m.node_ids, m.pn_index, s_phase)
        except InputError:
            pns.append(np.zeros(0, dtype=np.int64))
            ys.append(np.zeros((0, 0), dtype=complex))
            continue
        pn = np.unique(np.concatenate([r, c])).astype(np.int64)
        block = np.zeros((len(pn), len(pn)), dtype=complex)
        np.add.at(block, (np.searchsorted(pn, r), np.searchsorted(pn, c)), v)
        pns.append(pn)
        ys.append(block)
    return tuple(pns), tuple(ys)


def cap_rows(cap_on: Any, on0: np.ndarray, n_s: int) -> np.ndarray | None:
    """``cap_on`` as (S, K) bool, or ``None`` when every scenario has the tables' states.

    Raises
    ------
    InputError
        When ``cap_on`` is not (K,) or (S, K).
    """
    if cap_on is None:
        return None
    k = len(on0)
    arr = np.asarray(cap_on)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != k or arr.shape[0] not in (1, n_s):
        raise InputError(f"solve: cap_on must be ({k},) or ({n_s}, {k}) (cap_ids order)")
    rows = np.broadcast_to(arr.astype(bool), (n_s, k))
    if (rows == on0[None, :]).all():
        return None
    return rows


def three_phase_cap_deltas(phys: Any, rows: np.ndarray, pn_bus: np.ndarray) -> tuple:
    """:class:`BlockDelta` per bank whose state differs from the tables' in some scenario:
    ``(on_s - on0) * y`` on the bank's bus phases."""
    from ._threephase._solve import BlockDelta

    diff = rows.astype(float) - phys.cap_on0[None, :].astype(float)  # (S, K)
    out = []
    for k in np.flatnonzero((diff != 0).any(axis=0)):
        pn, y = phys.cap_pn[k], phys.cap_y[k]
        if not len(pn):
            raise InputError(
                f"solve: capacitor {phys.cap_ids[k]} cannot be switched (its node or phases "
                "are not in the network)"
            )
        dy = diff[:, k][:, None, None, None] * y[None, None, :, :]
        out.append(BlockDelta(term=pn_bus[pn][None, :], dy=dy))
    return tuple(out)


def rows_of(deltas: tuple, rows: np.ndarray) -> tuple:
    """The deltas of scenarios ``rows`` only."""
    from ._threephase._solve import BlockDelta

    return tuple(BlockDelta(term=d.term, dy=d.dy[rows]) for d in deltas)


def balanced_variant(phys: Any, state: np.ndarray) -> Any:
    """The balanced :class:`~gat_pf.PowerFlowModel` with the banks at ``state`` (K,),
    cached per state on the model."""
    m = phys.model
    key = "caps:" + np.asarray(state, dtype=np.int8).tobytes().hex()
    got = m._cache.get(key)
    if got is not None:
        return got
    d_q = (np.asarray(state, dtype=float) - phys.cap_on0.astype(float)) * phys.cap_q_mvar
    if (~np.isfinite(d_q)).any() or ((phys.cap_node < 0) & (d_q != 0)).any():
        raise InputError("solve: a capacitor to switch has an unknown node")
    shunt = np.zeros(m.n_nodes)
    np.add.at(shunt, phys.cap_node[d_q != 0], d_q[d_q != 0])
    node_shunt = m.node_shunt + 1j * shunt / m.base_mva
    bus_shunt = m.bus_shunt + 1j * np.bincount(
        m.node_bus, weights=shunt / m.base_mva, minlength=m.n_bus
    )
    got = dataclasses.replace(m, node_shunt=node_shunt, bus_shunt=bus_shunt, _cache={})
    if sum(k.startswith("caps:") for k in m._cache) >= 64:
        for k in [k for k in m._cache if k.startswith("caps:")]:
            del m._cache[k]
    m._cache[key] = got
    return got
