"""Primitive admittances of three-phase branches, in physical units (siemens).

Each function returns ``(y, terminals)``: a dense complex matrix ``y`` such that the
currents entering the element at its terminals are ``i = y v`` (A and kV -> kA, so the
matrix is in siemens with kV/kA units), and a description of the terminals as
``(side, conductor)`` pairs (``side`` 0 = from end, 1 = to end; ``conductor`` = index into
the branch's phases). Conversion to per unit on each node's base happens in the model.

Transformers are built from single-phase *cores*: a two-winding unit with turns ratio
``n = (kv1 * t1) / (kv2 * t2)`` and series impedance ``z`` referred to winding 2 at its
tapped voltage ``kv2 * t2`` (OpenDSS's per-unit base: its ``Yprim`` equals this one at any
taps, checked with opendssdirect; before 2026-12-04 GAT used the rated ``kv2``); each
winding is connected between two terminals (a phase and ground for a grounded wye, a phase
and the bank's floating neutral for an ungrounded wye, two phases for a delta). The nodal
matrix is ``C^T Y_core C`` with ``C`` mapping terminal voltages to winding voltages;
a floating neutral is eliminated (Kron reduction).

The magnetising branch (core loss and magnetising current) is a shunt across winding 2 of
every core, where OpenDSS puts it whatever the voltages or connections (measured on its
``Yprim``: a pure shunt on the winding-2 terminals, phase to neutral for a wye, phase to phase
for a delta, scaled by ``1 / tap_2^2`` and not by the winding-1 tap).

Delta legs follow OpenDSS (``LeadLag=Lag``, the ANSI convention): in a delta/wye or wye/delta
bank the low-voltage side lags the high-voltage side by 30 degrees; core ``k`` of a delta
winding spans phases ``(k, k-1)`` on the from side of a step-down delta/wye bank or the to
side of a step-up wye/delta bank, and ``(k, k+1)`` otherwise (checked with opendssdirect on
both connections, stepping down and up).

A unit's two windings may use different conductors (``sides``): each side lists the
conductors (indices into the branch's phases) its winding letters occupy, in order. One
letter on a wye side is a winding from that phase to ground (or to the floating neutral), two
letters on a delta side a winding between those phases; so an open-wye/open-delta unit is
``A``-to-ground on one side and ``A-B`` on the other, and a regulator of an open-delta bank
``C-B`` on both. Conductors a side does not use have no admittance on that side. Every side
must wind the same number of cores.
"""

from __future__ import annotations

import numpy as np

__all__ = ["GROUND", "NEUTRAL", "bank_wiring", "core_bank", "line_primitive"]

#: Second terminal of a wye winding: ground (``wye_g``) or the bank's floating neutral (``wye``).
GROUND = -1
NEUTRAL = -2


def line_primitive(z: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Two-port of a line section in phase coordinates.

    Parameters
    ----------
    z
        Series impedance matrix (k x k, ohm), already multiplied by the length.
    b
        Total shunt susceptance matrix (k x k, siemens), half at each end.

    Returns
    -------
    numpy.ndarray
        ``(2k x 2k)`` admittance (siemens); terminals ``[from_0..from_k-1, to_0..to_k-1]``.
    """
    ys = np.linalg.inv(z)
    ysh = 0.5j * b
    return np.block([[ys + ysh, -ys], [-ys, ys + ysh]])


def _core(y: complex, n: float) -> np.ndarray:
    """2x2 winding-voltage admittance of one core: ``[i1, i2] = Y [v1, v2]``."""
    return np.array([[y / (n * n), -y / n], [-y / n, y]], dtype=complex)


def _side_cores(conn: str, n: int) -> int:
    """Cores a side of ``n`` letters winds: one per letter on wye, one or three on delta."""
    if conn != "delta":
        return n
    if n not in (2, 3):
        raise ValueError(f"a delta winding needs 2 or 3 conductors, not {n}")
    return 1 if n == 2 else 3


def bank_wiring(
    k: int,
    conn_from: str,
    conn_to: str,
    kv_from: float,
    kv_to: float,
    sides: tuple[tuple[int, ...], tuple[int, ...]] | None = None,
) -> tuple[int, tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]]:
    """Number of cores and the terminals of every core's winding on each side.

    Parameters
    ----------
    k, conn_from, conn_to, kv_from, kv_to
        As in :func:`core_bank`.
    sides
        Conductors (indices ``0 .. k-1``) each side's winding letters occupy, in the
        winding's order; ``None``: every conductor on both sides.

    Returns
    -------
    tuple
        ``(cores, (from_windings, to_windings))``; winding ``j`` of a side is ``(a, b)``: it
        is connected from conductor ``a`` to conductor ``b`` of that side, or to
        :data:`GROUND` / :data:`NEUTRAL`. Raises ``ValueError`` when the sides wind different
        numbers of cores or a delta side has one conductor.
    """
    if sides is None:
        cond = (tuple(range(k)), tuple(range(k)))
        cores = 3 if k == 3 else (1 if (k == 2 and conn_from == "delta") else k)
        if k == 1 and "delta" in (conn_from, conn_to):
            raise ValueError("a delta winding needs 2 or 3 conductors, not 1")
    else:
        cond = (tuple(sides[0]), tuple(sides[1]))
        counts = [
            _side_cores(conn, len(c)) for conn, c in zip((conn_from, conn_to), cond, strict=True)
        ]
        if counts[0] != counts[1]:
            raise ValueError(
                f"the from winding ({conn_from} on {len(cond[0])} conductor(s)) and the to "
                f"winding ({conn_to} on {len(cond[1])}) wind {counts[0]} and {counts[1]} cores"
            )
        cores = counts[0]
    mixed = (conn_from == "delta") != (conn_to == "delta")
    # The high-voltage side leads (OpenDSS's default LeadLag=Lag, ANSI): a step-up bank
    # (winding 2 of higher voltage) has its delta legs the other way round.
    up = cores == 3 and kv_to > kv_from
    out = []
    for side, conn in ((0, conn_from), (1, conn_to)):
        c = cond[side]
        wdg = []
        for j in range(cores):
            if conn == "delta":
                if len(c) == 2:
                    pair = (c[0], c[1])
                elif mixed and (side == 0) != up:
                    pair = (c[j], c[(j - 1) % 3])
                else:
                    pair = (c[j], c[(j + 1) % 3])
            else:
                pair = (c[j], GROUND if conn == "wye_g" else NEUTRAL)
            wdg.append(pair)
        out.append(tuple(wdg))
    return cores, (out[0], out[1])


def core_bank(
    k: int,
    conn_from: str,
    conn_to: str,
    kv_from: float,
    kv_to: float,
    s_mva: float,
    z_pct: complex,
    tap_from: float,
    tap_to: np.ndarray,
    y_mag_pct: complex = 0j,
    sides: tuple[tuple[int, ...], tuple[int, ...]] | None = None,
) -> np.ndarray:
    """Nodal admittance of a transformer (bank of single-phase cores).

    Parameters
    ----------
    k
        Number of conductors per side: 1 (one phase-to-neutral unit), 2 (one
        phase-to-phase unit when both sides are delta, else two phase-to-neutral units),
        or 3 (a three-phase bank); with ``sides``, the conductors both sides use together.
    conn_from, conn_to
        ``wye_g``, ``wye`` or ``delta``.
    kv_from, kv_to
        Rated kV: line-to-line of a three-phase bank, winding kV of a one- or two-phase unit.
    s_mva
        Rating of the whole unit or bank (MVA).
    z_pct
        Series impedance of both windings together (``r_pct + j x_pct``, % on ``s_mva``).
    tap_from
        From-winding tap (pu).
    tap_to
        To-winding tap of every core (pu, length = number of cores).
    y_mag_pct
        Magnetising admittance ``noload_loss_pct - j imag_pct`` (% of the core's rating at
        its rated winding-2 voltage times tap): each core gets the shunt
        ``y_mag_pct / 100 * s_core / (v2 * tap_2)^2`` siemens across its winding 2.
    sides
        Conductors each side's winding uses (:func:`bank_wiring`); ``None``: all ``k`` on
        both sides. With three cores the bank rule holds (line-to-line ``kv`` of a wye side
        divided by sqrt 3); otherwise each core has the winding's ``kv`` and
        ``s_mva / cores``.

    Returns
    -------
    numpy.ndarray
        ``(2k x 2k)`` nodal admittance (siemens); terminals as in :func:`line_primitive`.
    """
    cores, wiring = bank_wiring(k, conn_from, conn_to, kv_from, kv_to, sides)
    if cores == 3:
        s_core = s_mva / 3.0
        v1 = kv_from if conn_from == "delta" else kv_from / np.sqrt(3.0)
        v2 = kv_to if conn_to == "delta" else kv_to / np.sqrt(3.0)
    else:
        s_core, v1, v2 = s_mva / cores, kv_from, kv_to
    z_ohm = z_pct / 100.0 * v2 * v2 / s_core
    n_term = 2 * k + 2  # two sides' conductors + one floating neutral per side
    neutral = (2 * k, 2 * k + 1)
    c = np.zeros((2 * cores, n_term))
    for side in (0, 1):
        base = side * k
        for j, (a, b) in enumerate(wiring[side]):
            row = 2 * j + side
            c[row, base + a] = 1.0
            if b == NEUTRAL:
                c[row, neutral[side]] = -1.0
            elif b != GROUND:
                c[row, base + b] = -1.0
    prim = np.zeros((2 * cores, 2 * cores), dtype=complex)
    taps = np.broadcast_to(np.asarray(tap_to, dtype=float), (cores,))
    for j in range(cores):
        # The impedance is in % on the tapped winding-2 voltage, as OpenDSS takes it.
        y = 1.0 / (z_ohm * taps[j] ** 2)
        n = (v1 * tap_from) / (v2 * taps[j])
        prim[2 * j : 2 * j + 2, 2 * j : 2 * j + 2] = _core(y, n)
        prim[2 * j + 1, 2 * j + 1] += y_mag_pct / 100.0 * s_core / (v2 * taps[j]) ** 2
    full = c.T @ prim @ c
    keep = np.arange(2 * k)
    floating = [neutral[s] for s, conn in ((0, conn_from), (1, conn_to)) if conn == "wye"]
    if not floating:
        return full[np.ix_(keep, keep)]
    f = np.asarray(floating)
    # Kron reduction of the floating neutrals: y_kk - y_kn y_nn^-1 y_nk. With both sides
    # ungrounded wye, y_nn is singular (both neutrals moving together in the turns ratio
    # drive no winding current, nor any terminal current): the pseudo-inverse drops that mode.
    y_nn = full[np.ix_(f, f)]
    y_nk = full[np.ix_(f, keep)]
    x = np.linalg.pinv(y_nn, rcond=1e-12) @ y_nk if len(f) == 2 else np.linalg.solve(y_nn, y_nk)
    return full[np.ix_(keep, keep)] - full[np.ix_(keep, f)] @ x
