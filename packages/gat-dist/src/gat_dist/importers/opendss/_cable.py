"""OpenDSS ``CNData`` concentric-neutral and ``TSData`` tape-shielded cables: line constants.

A cable line (``LineGeometry`` or a line's ``spacing=``/``cncables=[...]``) has ``n_phases``
cables at the spacing's first positions, then bare neutral wires (``WireData``) at the others.
Each cable is a phase core (the conductor data: ``rdc``/``rac``, ``gmrac``, ``radius``/``diam``)
inside ``k`` neutral strands (``DiaStrand``, ``GmrStrand``, ``Rstrand``) on a circle of
diameter ``DiaCable - DiaStrand``. OpenDSS's cable model, kept here (SI units, ohm/m):

* conductors ``cores, bare neutrals, concentric neutrals`` (the neutral of cable ``i`` at the
  position of its core); earth-return terms of :func:`._carson.earth_impedance` between
  positions, plus ``j w mu0 / (2 pi) ln(1 / D_ij)``;
* self terms: core ``R_int + ln(1 / GMR)``; concentric neutral of ``k`` strands on radius
  ``R = (DiaCable - DiaStrand) / 2``: ``Rstrand / k`` and
  ``GMR_cn = (GmrStrand k R^(k-1))^(1/k)``;
* mutual terms: neutral to its own core ``D = R``; neutral to any other conductor at
  distance ``d``: ``D = (d^k - R^k)^(1/k)``; all others the centre distance;
* a tape shield (``TSData``: ``DiaShield``, ``TapeLayer``, ``TapeLap`` in %) instead of
  strands: resistance ``0.3183 rho_cu / (DiaShield TapeLayer sqrt(50 / (100 - TapeLap)))``
  with OpenDSS's ``rho_cu = 2.3718e-8`` ohm-m (copper at 50 degC) and its 0.3183 for
  ``1 / pi``, GMR ``(DiaShield - TapeLayer) / 2`` (the distance to its own core
  too), the centre distance to every other conductor;
* the neutrals (concentric, shields and bare) are eliminated by Kron reduction (earthed);
* shunt capacitance per cable, between the core and its neutral screen (radial field in the
  insulation): ``C = 2 pi eps0 EpsR / ln(R_o / R_i)`` with ``R_o = DiaIns / 2`` and
  ``R_i = R_o - InsLayer``; no coupling between cables.

Units: ``Rstrand`` in ``runits``, ``GmrStrand`` in ``gmrunits``, diameters and ``InsLayer`` in
``radunits`` (the last of each written). ``GmrStrand`` defaults to ``0.7788 DiaStrand / 2``,
``EpsR`` to 2.3 (OpenDSS's defaults). Reference: OpenDSS's ``CNData`` and cable constants;
W. H. Kersting, *Distribution System Modeling and Analysis*, ch. 4.3 and 5.4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._carson import EPS0, MU0, LineConstants, _kron, earth_impedance, internal_resistance

__all__ = ["CNCable", "TSCable", "cable_constants"]

#: OpenDSS's default relative permittivity of cable insulation.
EPS_R_DEFAULT = 2.3


@dataclass(frozen=True)
class CNCable:
    """Concentric-neutral cable data beyond its core (SI units: m, ohm/m).

    Attributes
    ----------
    k
        Number of neutral strands.
    dia_strand_m, gmr_strand_m, r_strand_ohm_m
        Diameter, GMR and AC resistance of one strand.
    dia_cable_m
        Diameter over the neutral strands.
    dia_ins_m, ins_layer_m
        Diameter over the insulation and the insulation's thickness.
    eps_r
        Relative permittivity of the insulation.
    """

    k: int
    dia_strand_m: float
    gmr_strand_m: float
    r_strand_ohm_m: float
    dia_cable_m: float
    dia_ins_m: float
    ins_layer_m: float
    eps_r: float


@dataclass(frozen=True)
class TSCable:
    """Tape-shielded cable data beyond its core (SI units: m).

    Attributes
    ----------
    dia_shield_m, tape_layer_m
        Diameter over the tape shield and the tape's thickness.
    tape_lap_pct
        Overlap of the tape (%; OpenDSS's default 20).
    dia_cable_m, dia_ins_m, ins_layer_m, eps_r
        As :class:`CNCable`.
    """

    dia_shield_m: float
    tape_layer_m: float
    tape_lap_pct: float
    dia_cable_m: float
    dia_ins_m: float
    ins_layer_m: float
    eps_r: float


#: OpenDSS's resistivity of a tape shield (ohm-m, copper at 50 degC).
RHO_TAPE = 2.3718e-8


def _screen(c: CNCable | TSCable) -> tuple[float, float, float, float]:
    """Resistance (ohm/m), GMR (m), distance to its own core (m) and the strand count ``k``
    of a cable's screen (``k = 0`` for a tape: plain centre distance to other conductors)."""
    if isinstance(c, TSCable):
        gmr = (c.dia_shield_m - c.tape_layer_m) / 2.0
        r = (
            0.3183  # OpenDSS's 1 / pi, kept (exact 1 / pi moves the result by 1e-5)
            * RHO_TAPE
            / (c.dia_shield_m * c.tape_layer_m * np.sqrt(50.0 / (100.0 - c.tape_lap_pct)))
        )
        return r, gmr, gmr, 0.0
    rad = (c.dia_cable_m - c.dia_strand_m) / 2.0
    gmr = (c.gmr_strand_m * c.k * rad ** (c.k - 1.0)) ** (1.0 / c.k)
    return c.r_strand_ohm_m / c.k, gmr, rad, float(c.k)


def cable_constants(
    x: np.ndarray,
    h: np.ndarray,
    rdc: np.ndarray,
    rac: np.ndarray,
    gmr: np.ndarray,
    cables: list[CNCable | TSCable],
    *,
    frequency_hz: float,
    rho_ohm_m: float = 100.0,
    model: str = "deri",
) -> LineConstants:
    """Phase matrices of a cable line (Kron-reduced, per kilometre).

    Parameters
    ----------
    x, h
        Horizontal position and height (m; negative below ground) of every conductor: the
        ``len(cables)`` phase cables first, then bare neutral wires.
    rdc, rac, gmr
        DC and AC resistance (ohm/m) and GMR (m) of every conductor (the cores' for cables).
    cables
        The cable data of the phase conductors, in order.
    frequency_hz, rho_ohm_m, model
        System frequency (Hz), earth resistivity (ohm-m), earth model
        (:func:`._carson.earth_impedance`).

    Returns
    -------
    LineConstants
        ``r``, ``x`` (ohm/km) and ``c`` (nF/km, diagonal) of the ``len(cables)`` phases.
    """
    x, h = np.asarray(x, float), np.asarray(h, float)
    n, k = len(x), len(cables)
    w = 2.0 * np.pi * frequency_hz
    lf = 1j * w * MU0 / (2.0 * np.pi)
    xs, hs = np.concatenate([x, x[:k]]), np.concatenate([h, h[:k]])
    ze = earth_impedance(xs, hs, frequency_hz=frequency_hz, rho_ohm_m=rho_ohm_m, model=model)
    d = np.hypot(xs[:, None] - xs[None, :], hs[:, None] - hs[None, :])
    scr = np.array([_screen(c) for c in cables]).reshape(k, 4)
    r_scr, gmr_scr, rad, strands = scr.T
    cn = slice(n, n + k)
    # A concentric neutral to every other conductor: (d^k - R^k)^(1/k); a tape: d.
    with np.errstate(invalid="ignore", divide="ignore"):  # own position: replaced below
        ks, rs = np.where(strands > 0, strands, 1.0)[:, None], rad[:, None]
        shifted = (d[cn, :] ** ks - rs**ks) ** (1.0 / ks)
        d[cn, :] = np.where(strands[:, None] > 0, shifted, d[cn, :])
    d[:, cn] = d[cn, :].T
    idx = np.arange(k)
    d[n + idx, idx] = d[idx, n + idx] = rad
    d[n + idx, n + idx] = gmr_scr
    d[np.arange(n), np.arange(n)] = gmr
    # Screen to screen of two cables: the centre distance (as between the cores).
    for i in range(k):
        for j in range(k):
            if i != j:
                d[n + i, n + j] = np.hypot(x[i] - x[j], h[i] - h[j])
    z = lf * np.log(1.0 / d) + ze
    r_self = np.concatenate([internal_resistance(rdc, rac, frequency_hz, model), r_scr])
    z[np.diag_indices_from(z)] += r_self
    zr = _kron(z, k) * 1e3
    r_out = np.array([c.dia_ins_m / 2.0 for c in cables])
    r_in = r_out - np.array([c.ins_layer_m for c in cables])
    eps = np.array([c.eps_r for c in cables])
    c = np.diag(2.0 * np.pi * EPS0 * eps / np.log(r_out / r_in)) * 1e3 * 1e9
    return LineConstants(r=zr.real, x=zr.imag, c=c)
