"""Per-unit blocks of transformer banks: the cores' admittance, OpenDSS's anti-floating
shunts, and the terminals of units whose windings use different conductors.

Split from :mod:`._branches` (which assembles every branch's block): a bank's block comes from
:func:`._primitives.core_bank` on the unit's winding incidence (:func:`._primitives.bank_wiring`),
scaled to per unit, plus the anti-floating shunt of every winding end.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gat_schemas.errors import InputError

from ._primitives import bank_wiring, core_bank

__all__ = ["antifloat_siemens", "bank_block", "unit_terminals"]


def bank_block(spec: tuple[Any, ...], ratio: np.ndarray | None, scale: np.ndarray) -> np.ndarray:
    """Per-unit block of a bank; ``ratio`` (per conductor) multiplies the to tap of each core
    whose to winding starts on that conductor (regulators)."""
    k, conn_f, conn_t, kv_f, kv_t, s, z, tap_f, tap_t, ppm, y_mag, sides = spec
    cores, wiring = bank_wiring(k, conn_f, conn_t, kv_f, kv_t, sides)
    first = np.array([a for a, _ in wiring[1]], dtype=np.int64)
    taps = np.full(cores, tap_t) if ratio is None else tap_t * ratio[first]
    y = core_bank(k, conn_f, conn_t, kv_f, kv_t, s, z, tap_f, taps, y_mag, sides) * scale
    shunt = np.concatenate(
        [
            antifloat_siemens(ppm, s, k, conn, kv, cores=cores, wiring=w)
            for conn, kv, w in ((conn_f, kv_f, wiring[0]), (conn_t, kv_t, wiring[1]))
        ]
    )
    y[np.diag_indices(2 * k)] += shunt * np.diag(scale)
    return y


def antifloat_siemens(
    ppm: float,
    s_mva: float,
    k: int,
    conn: str,
    kv: float,
    *,
    cores: int | None = None,
    wiring: tuple[tuple[int, int], ...] | None = None,
) -> np.ndarray:
    """OpenDSS's anti-floating shunt of one winding side: admittance (S) on each of its ``k``
    terminals to ground.

    Each end of each core's winding carries ``-1j * ppm * 1e-6 * S_1ph / V^2 / 2`` to ground,
    with ``S_1ph = s_mva / cores`` the rating per core (MVA) and ``V`` the winding voltage (kV): ``kv`` for
    delta or a single-phase unit, ``kv / sqrt 3`` for a three-phase wye. A terminal gets the
    ends wound on it: one for a wye phase or a single-phase delta unit, two for a three-phase
    delta (measured on OpenDSS's ``Yprim``, ppm 1 minus ppm 0: a three-phase delta terminal
    ``ppm S_1ph / V^2``, a wye phase or single-phase terminal half of that). A wye neutral is
    grounded or eliminated and gets none. Positive ``ppm`` is inductive, negative capacitive.
    ``cores`` (default: three when ``k`` is 3) and ``wiring`` (:func:`bank_wiring` of this
    side; default every conductor wound as in a plain bank) give the unit's windings.
    """
    if cores is None:
        cores = 3 if k == 3 else (1 if (k == 2 and conn == "delta") else k)
    if wiring is None:
        wiring = bank_wiring(k, conn, conn, 1.0, 1.0)[1][0]
    v = kv / np.sqrt(3.0) if (cores == 3 and conn != "delta") else kv
    ends = np.zeros(k)
    for a, b in wiring:
        ends[a] += 1.0
        if b >= 0:
            ends[b] += 1.0
    return ends * (-0.5j * ppm * 1e-6 * (s_mva / cores) / v**2)


def unit_terminals(
    i: int,
    ph: np.ndarray,
    sides: tuple[tuple[int, ...], tuple[int, ...]],
    f: np.ndarray,
    t: np.ndarray,
    pn_index: np.ndarray,
    bids: np.ndarray,
    node_ids: np.ndarray,
) -> np.ndarray:
    """(2k,) terminals of a unit whose windings use different conductors: each conductor's
    phase node at each end; a conductor a side does not use (no admittance there) may be
    absent at that end's node and then takes the place of the side's first used one."""
    k = len(ph)
    term = np.empty(2 * k, dtype=np.int64)
    for side, node in ((0, f[i]), (1, t[i])):
        pn = pn_index[node, ph]
        missing = [int(c) for c in sides[side] if pn[c] < 0]
        if missing:
            letters = "".join("ABC"[ph[c]] for c in missing)
            raise InputError(
                f"table dist_transformers, branch {bids[i]}: phase(s) {letters} of its "
                f"{'from' if side == 0 else 'to'} winding are not at node {node_ids[node]} "
                "(dist_nodes.phase)"
            )
        pn = np.where(pn >= 0, pn, pn[sides[side][0]])
        term[side * k : (side + 1) * k] = pn
    return term
