"""Line constants of overhead conductors from their positions (Carson/Deri, Kron reduction).

Pure array functions, in SI units (metres, ohm per metre, hertz, ohm-metre). The model is
OpenDSS's default earth model, ``EarthModel=Deri`` (Deri's complex depth of return, a closed
approximation of Carson's integral), with the conductor's internal impedance from the
Bessel-function solution for a round solid conductor (skin effect) of DC resistance ``rdc``
(only its real part is kept; the internal inductance is in the GMR, as OpenDSS does at power
frequency):

* self impedance ``Z_ii = Re(Z_int,i) + j w mu0 / (2 pi) ln(2 (h_i + p) / GMR_i)``,
* mutual impedance ``Z_ij = j w mu0 / (2 pi) ln(sqrt((h_i + h_j + 2 p)^2 + dx^2) / D_ij)``,
* complex depth ``p = sqrt(rho / (j w mu0))``,
* potential coefficients ``P_ii = ln(2 h_i / r_i) / (2 pi eps0)``,
  ``P_ij = ln(S_ij / D_ij) / (2 pi eps0)`` with ``S_ij`` the distance to the image of ``j``.

Conductors beyond the first ``n_phases`` (neutrals, assumed at earth potential along the
line) are eliminated by Kron reduction of ``Z`` and of ``P``; the shunt capacitance is the
inverse of the reduced ``P``. ``eps0 = 8.854e-12 F/m`` (the value OpenDSS uses).
References: A. Deri et al., "The complex ground return plane", IEEE Trans. PAS-100 (1981);
W. H. Kersting, *Distribution System Modeling and Analysis*, ch. 4 and 5.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import iv

__all__ = [
    "EARTH_MODELS",
    "EPS0",
    "MU0",
    "LineConstants",
    "earth_impedance",
    "internal_resistance",
    "line_constants",
]

#: Permeability of free space (H/m).
MU0 = 4e-7 * np.pi
#: Permittivity of free space as OpenDSS uses it (F/m).
EPS0 = 8.854e-12


@dataclass(frozen=True)
class LineConstants:
    """Kron-reduced phase matrices per kilometre.

    Attributes
    ----------
    r, x
        Series resistance and reactance (n x n, ohm/km).
    c
        Shunt capacitance (n x n, nF/km; off-diagonal entries negative).
    """

    r: np.ndarray
    x: np.ndarray
    c: np.ndarray


def _internal_resistance(rdc: np.ndarray, f: float) -> np.ndarray:
    """Real part of the internal impedance of round solid conductors (ohm/m) at ``f`` Hz."""
    alpha = (1 + 1j) * np.sqrt(f * MU0 / rdc)
    ratio = np.where(np.abs(alpha) > 35.0, 1.0 + 0j, iv(0, alpha) / iv(1, alpha))
    return ((1 + 1j) * ratio * np.sqrt(rdc * f * MU0) / 2.0).real


def _kron(m: np.ndarray, k: int) -> np.ndarray:
    """Eliminate rows/columns ``k:`` of ``m`` (conductors held at zero potential)."""
    if m.shape[0] == k:
        return m
    a, b = slice(0, k), slice(k, None)
    return m[a, a] - m[a, b] @ np.linalg.solve(m[b, b], m[b, a])


#: Earth models GAT computes, by OpenDSS's name (``Set EarthModel=``, a line's ``earthmodel=``).
EARTH_MODELS = ("deri", "carson", "fullcarson")


def earth_impedance(
    x: np.ndarray, h: np.ndarray, *, frequency_hz: float, rho_ohm_m: float, model: str = "deri"
) -> np.ndarray:
    """Earth-return part of the series impedance between conductors at ``(x, h)`` (ohm/m).

    With ``r_ij`` the earth term of conductors ``i`` and ``j`` (heights taken as their
    magnitude, so cables below ground, ``h < 0``, use their depth):

    * ``deri``: ``j w mu0 / (2 pi) ln(sqrt((|h_i| + |h_j| + 2 p)^2 + (x_i - x_j)^2))``, complex
      depth ``p = sqrt(rho / (j w mu0))``; on the diagonal ``ln(2 (|h_i| + p))``, the same
      expression at ``x_i = x_j``, ``h_i = h_j``;
    * ``carson`` (OpenDSS's ``Carson``, the first terms of Carson's series):
      ``w mu0 / 8 + j w mu0 / (2 pi) ln(658.5 sqrt(rho / f))`` for every pair;
    * ``fullcarson`` (OpenDSS's ``FullCarson``: Carson's series to the fourth power of
      ``m = 2.8099e-3 D sqrt(f / rho)``, ``D`` the distance to the image,
      ``theta = acos((|h_i| + |h_j|) / D)``, in the notation of N. Tleis, *Power Systems
      Modelling and Fault Analysis*, 2008, ch. 3): ``j w mu0 / (2 pi) ln D + w mu0 / pi
      (P + j Q)``.

    The geometric part ``j w mu0 / (2 pi) ln(1 / D_ij)`` is not included.
    """
    w = 2.0 * np.pi * frequency_hz
    h = np.abs(np.asarray(h, float))
    x = np.asarray(x, float)
    if model == "carson":
        ze = w * MU0 / 8.0 + 1j * w * MU0 / (2.0 * np.pi) * np.log(
            658.5 * np.sqrt(rho_ohm_m / frequency_hz)
        )
        return np.full((len(x), len(x)), ze, dtype=complex)
    if model == "fullcarson":
        return _full_carson(x, h, w, frequency_hz, rho_ohm_m)
    if model != "deri":
        raise ValueError(f"earth model {model!r} is not one of {EARTH_MODELS}")
    p = np.sqrt(rho_ohm_m / (1j * w * MU0))
    dx = x[:, None] - x[None, :]
    arg = np.sqrt((h[:, None] + h[None, :] + 2.0 * p) ** 2 + dx**2)
    return 1j * w * MU0 / (2.0 * np.pi) * np.log(arg)


def _full_carson(
    x: np.ndarray, h: np.ndarray, w: float, frequency_hz: float, rho_ohm_m: float
) -> np.ndarray:
    """Carson's series terms P and Q (see :func:`earth_impedance`), ohm/m."""
    hs = h[:, None] + h[None, :]
    d = np.hypot(hs, x[:, None] - x[None, :])
    th = np.arccos(np.clip(hs / d, -1.0, 1.0))
    m = 2.8099e-3 * d * np.sqrt(frequency_hz / rho_ohm_m)
    c1, c2, c3, c4 = (np.cos(k * th) for k in (1, 2, 3, 4))
    r2 = 3.0 * np.sqrt(2.0)
    r45 = 45.0 * np.sqrt(2.0)
    lg = np.log(2.0 / m)
    p = (
        np.pi / 8.0 - m / r2 * c1 + m**2 / 16.0 * c2 * (0.6728 + lg)
        + m**2 / 16.0 * th * np.sin(2.0 * th) + m**3 / r45 * c3 - np.pi * m**4 * c4 / 1536.0
    )  # fmt: skip
    q = (
        0.5 * np.log(1.85138 / m) + m / r2 * c1 - m**2 / 64.0 * np.pi * c2 + m**3 / r45 * c3
        - m**4 / 384.0 * th * np.sin(4.0 * th) - m**4 / 384.0 * c4 * (lg + 1.0895)
    )  # fmt: skip
    return (p + 1j * q) * w * MU0 / np.pi + 1j * w * MU0 / (2.0 * np.pi) * np.log(d)


def internal_resistance(
    rdc: np.ndarray, rac: np.ndarray, frequency_hz: float, model: str = "deri"
) -> np.ndarray:
    """Resistance of each conductor itself (ohm/m): with ``deri`` the real part of the round
    solid conductor's skin-effect impedance from ``rdc``; with the Carson models ``rac``."""
    if model in ("carson", "fullcarson"):
        return np.asarray(rac, float)
    return _internal_resistance(np.asarray(rdc, float), frequency_hz)


def line_constants(
    x: np.ndarray,
    h: np.ndarray,
    rdc: np.ndarray,
    gmr: np.ndarray,
    radius: np.ndarray,
    *,
    n_phases: int,
    frequency_hz: float,
    rho_ohm_m: float = 100.0,
    model: str = "deri",
    rac: np.ndarray | None = None,
) -> LineConstants:
    """Phase impedance and capacitance matrices of an overhead line.

    Parameters
    ----------
    x, h
        Horizontal position and height above earth of every conductor (m); phase conductors
        first, then the conductors eliminated by Kron reduction (neutrals).
    rdc
        DC resistance of every conductor (ohm/m).
    gmr
        Geometric mean radius (m).
    radius
        Outside radius (m), for the capacitance.
    n_phases
        Number of phase conductors kept (the first ``n_phases``).
    frequency_hz
        System frequency (Hz).
    rho_ohm_m
        Earth resistivity (ohm-m; OpenDSS's default is 100).
    model
        Earth model, one of :data:`EARTH_MODELS` (see :func:`earth_impedance`).
    rac
        AC resistance (ohm/m), the conductor's resistance under ``carson``; default
        ``1.02 rdc`` (OpenDSS's ratio).

    Returns
    -------
    LineConstants
        Kron-reduced matrices per kilometre (ohm/km, nF/km).
    """
    x, h = np.asarray(x, float), np.asarray(h, float)
    rdc, gmr, radius = (np.asarray(v, float) for v in (rdc, gmr, radius))
    rac = 1.02 * rdc if rac is None else np.asarray(rac, float)
    w = 2.0 * np.pi * frequency_hz
    lf = 1j * w * MU0 / (2.0 * np.pi)
    dx = x[:, None] - x[None, :]
    d = np.hypot(dx, h[:, None] - h[None, :])
    np.fill_diagonal(d, gmr)
    z = lf * np.log(1.0 / d) + earth_impedance(
        x, h, frequency_hz=frequency_hz, rho_ohm_m=rho_ohm_m, model=model
    )
    z[np.diag_indices_from(z)] += internal_resistance(rdc, rac, frequency_hz, model)
    np.fill_diagonal(d, 1.0)
    pm = np.log(np.hypot(dx, h[:, None] + h[None, :]) / d)
    np.fill_diagonal(pm, np.log(2.0 * h / radius))
    pm = pm / (2.0 * np.pi * EPS0)
    zr = _kron(z, n_phases) * 1e3
    c = np.linalg.inv(_kron(pm, n_phases)) * 1e3 * 1e9
    return LineConstants(r=zr.real, x=zr.imag, c=c)
