"""Center-tapped single-phase transformers: split-phase (120/240 V) secondaries.

A center-tapped unit has three windings on one core: the primary (from one phase to neutral)
and two equal secondary halves in series whose common point (the center tap) is grounded.
Half 1 runs from the center tap to leg 1, half 2 from leg 2 to the center tap, so leg 1 is in
phase with the primary and leg 2 opposite (OpenDSS ``buses=[P.1 S.1.0 S.0.2]``).

Leakage: the three pairwise short-circuit impedances (% on the unit rating)
``Z_HX1 = r_pct + j x_pct``, ``Z_HX2 = r_pct + j x_ht_pct``, ``Z_X1X2 = r_lt_pct + j x_lt_pct``
give the star (T) equivalent ``z_H = (Z_HX1 + Z_HX2 - Z_X1X2) / 2``, ``z_1 = Z_HX1 - z_H``,
``z_2 = Z_HX2 - z_H``; with winding voltages ``u_k`` in per unit of their rated voltage
(times tap) the winding currents are ``i = (D - y y^T / sum(y)) u``, ``y_k = 1 / z_k``,
``D = diag(y)``. The magnetising branch (``noload_loss_pct``, ``imag_pct``: conductance and
susceptance in % of the rating at rated voltage) is a shunt across winding 2 (leg 1 to the
center tap), where OpenDSS puts it (its no-load current flows through ``Z_HX1``: checked
against OpenDSS's no-load secondary voltage).

Terminals of the block: ``[primary, primary, leg 1, leg 2]`` (the primary phase node twice, so
the block has the shape of a two-conductor branch: conductor 1 = primary -> leg 1, conductor 2
= primary -> leg 2). The primary terminal's rows and columns are shared equally by its two
copies, so flows report half the primary current on each conductor (loading against half the
rating) and the node admittance matrix is the same.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gat_schemas.errors import InputError

__all__ = [
    "center_tap_admittance",
    "center_tap_admittances",
    "center_tap_chunk",
    "center_tap_legs",
    "center_tap_params",
    "is_center_tap",
]


def is_center_tap(rec: dict[str, Any]) -> bool:
    """Whether a ``dist_transformers`` record is a center-tapped unit."""
    return str(rec.get("conn_to")) == "center_tap"


def _num(rec: dict[str, Any], key: str) -> float:
    v = rec.get(key)
    x = float("nan") if v is None else float(v)
    if not math.isfinite(x):
        raise InputError(
            f"table dist_transformers, branch {rec['branch_id']}: column {key} is required for "
            "a center_tap unit"
        )
    return x


def _opt(rec: dict[str, Any], key: str) -> float:
    v = rec.get(key)
    x = 0.0 if v is None else float(v)
    return x if math.isfinite(x) else 0.0


def center_tap_legs(rec: dict[str, Any]) -> str:
    """The two legs (``phases_to``, default ``AB``) of a center-tapped record."""
    legs = rec.get("phases_to")
    return legs if isinstance(legs, str) else "AB"


def center_tap_params(rec: dict[str, Any]) -> tuple[str, str, tuple[Any, ...]]:
    """``(primary phase, legs, (kv_from, kv_to, s_mva, z_hx1, z_hx2, z_x1x2, tap_from, tap_to,
    y_mag_pct))``.

    Impedances in % on the unit rating; checked: one primary phase, a grounded-wye primary,
    two distinct legs.
    """
    bid = rec["branch_id"]
    prim = str(rec["phases"])
    legs = center_tap_legs(rec)
    if len(prim) != 1 or len(legs) != 2 or legs[0] == legs[1]:
        raise InputError(
            f"table dist_transformers, branch {bid}: a center_tap unit has one primary phase "
            f"(phases={prim}) and two distinct legs (phases_to={legs})"
        )
    if str(rec["conn_from"]) != "wye_g":
        raise InputError(
            f"table dist_transformers, branch {bid}: a center_tap unit's primary must be wye_g "
            "(phase to neutral)"
        )
    z_hx1 = complex(_num(rec, "r_pct"), _num(rec, "x_pct"))
    z_hx2 = complex(_num(rec, "r_pct"), _num(rec, "x_ht_pct"))
    z_x1x2 = complex(_num(rec, "r_lt_pct"), _num(rec, "x_lt_pct"))
    vals = (
        float(rec["kv_from"]),
        float(rec["kv_to"]),
        float(rec["s_rated_mva"]),
        z_hx1,
        z_hx2,
        z_x1x2,
        float(rec.get("tap_from", 1.0)),
        float(rec.get("tap_to", 1.0)),
        complex(_opt(rec, "noload_loss_pct"), -_opt(rec, "imag_pct")),
    )
    return prim, legs, vals


def center_tap_admittance(
    kv_from: float,
    kv_to: float,
    s_mva: float,
    z_hx1: complex,
    z_hx2: complex,
    z_x1x2: complex,
    tap_from: float = 1.0,
    tap_to: float = 1.0,
    y_mag_pct: complex = 0j,
) -> np.ndarray:
    """Nodal admittance (siemens, 4 x 4) of a center-tapped unit; terminals as in the module.

    Parameters
    ----------
    kv_from
        Rated primary winding voltage (kV, phase to neutral).
    kv_to
        Rated voltage of each secondary half (kV, leg to center tap).
    s_mva
        Unit rating (MVA), the base of the impedances.
    z_hx1, z_hx2, z_x1x2
        Pairwise short-circuit impedances (%, on ``s_mva``).
    tap_from, tap_to
        Taps of the primary and of both halves (pu of rated voltage).
    y_mag_pct
        Magnetising admittance ``noload_loss_pct - j imag_pct`` (% of the rating at rated
        voltage), across winding 2 (leg 1).
    """
    vals = (kv_from, kv_to, s_mva, z_hx1, z_hx2, z_x1x2, tap_from, tap_to, y_mag_pct)
    return center_tap_admittances(*(np.array([v]) for v in vals))[0]


#: Winding voltages from terminal voltages [p, p', leg1, leg2]: w1 = p, w2 = leg1, w3 = -leg2.
_C = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, -1.0]])


def center_tap_admittances(
    kv_from: np.ndarray,
    kv_to: np.ndarray,
    s_mva: np.ndarray,
    z_hx1: np.ndarray,
    z_hx2: np.ndarray,
    z_x1x2: np.ndarray,
    tap_from: np.ndarray,
    tap_to: np.ndarray,
    y_mag_pct: np.ndarray,
) -> np.ndarray:
    """(B, 4, 4) admittances (siemens) of B units, arguments as :func:`center_tap_admittance`."""
    zh = (z_hx1 + z_hx2 - z_x1x2) / 2.0
    z = np.stack([zh, z_hx1 - zh, z_hx2 - zh], axis=1) / 100.0
    if (z == 0).any():
        raise InputError(
            "a center_tap unit needs non-zero star impedances (check r_pct, x_pct, x_ht_pct, "
            "r_lt_pct, x_lt_pct)"
        )
    y = 1.0 / z
    y_pu = (
        np.einsum("bi,ij->bij", y, np.eye(3))
        - y[:, :, None] * y[:, None, :] / y.sum(axis=1)[:, None, None]
    )
    v = np.stack([kv_from * tap_from, kv_to * tap_to, kv_to * tap_to], axis=1)
    y_w = y_pu * (s_mva[:, None, None] / (v[:, :, None] * v[:, None, :]))
    y_t = np.einsum("ki,bkl,lj->bij", _C, y_w, _C)
    y_t[:, 2, 2] += y_mag_pct / 100.0 * s_mva / (kv_to * tap_to) ** 2
    # Share the primary terminal equally between its two copies (rows and columns halved):
    # the node matrix is unchanged and each conductor reports half the primary current.
    y_t[:, 0:2, :] = y_t[:, 0:1, :] / 2.0
    y_t[:, :, 0:2] = y_t[:, :, 0:1] / 2.0
    return y_t


def center_tap_chunk(
    sel: np.ndarray,
    recs: list[dict[str, Any]],
    f: np.ndarray,
    t: np.ndarray,
    pn_index: np.ndarray,
    vb: np.ndarray,
    s_phase: float,
    node_ids: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(branches, term (B, 4), y (B, 4, 4) pu)`` of the center-tapped branches ``sel``."""
    params = [center_tap_params(rec) for rec in recs]
    prim = np.array(["ABC".index(p[0]) for p in params], dtype=np.int64)
    legs = np.array([["ABC".index(c) for c in p[1]] for p in params], dtype=np.int64)
    p_pn = pn_index[f[sel], prim]
    s_pn = pn_index[t[sel, None], legs]
    bad = (p_pn < 0) | (s_pn < 0).any(axis=1)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"table dist_transformers, branch {recs[j]['branch_id']}: center_tap unit needs "
            f"phase {params[j][0]} at node {node_ids[f[sel[j]]]} and phases {params[j][1]} at "
            f"node {node_ids[t[sel[j]]]} (dist_nodes.phase)"
        )
    term = np.stack([p_pn, p_pn, s_pn[:, 0], s_pn[:, 1]], axis=1)
    cols = [np.array([p[2][k] for p in params]) for k in range(9)]
    y = center_tap_admittances(*cols)
    ends = np.stack([f[sel], f[sel], t[sel], t[sel]], axis=1)
    v = vb[ends]
    return sel, term, y * (v[:, :, None] * v[:, None, :]) / s_phase
