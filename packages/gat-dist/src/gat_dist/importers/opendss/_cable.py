"""OpenDSS ``CNData`` concentric-neutral cables: the data and their line constants.

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
* the neutrals (concentric and bare) are eliminated by Kron reduction (earthed);
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

__all__ = ["CNCable", "cable_constants"]

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


def cable_constants(
    x: np.ndarray,
    h: np.ndarray,
    rdc: np.ndarray,
    rac: np.ndarray,
    gmr: np.ndarray,
    cables: list[CNCable],
    *,
    frequency_hz: float,
    rho_ohm_m: float = 100.0,
    model: str = "deri",
) -> LineConstants:
    """Phase matrices of a concentric-neutral cable line (Kron-reduced, per kilometre).

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
    strands = np.array([c.k for c in cables], float)
    rad = np.array([(c.dia_cable_m - c.dia_strand_m) / 2.0 for c in cables])
    gmr_cn = (np.array([c.gmr_strand_m for c in cables]) * strands * rad ** (strands - 1.0)) ** (
        1.0 / strands
    )
    cn = slice(n, n + k)
    # A concentric neutral to every other conductor: (d^k - R^k)^(1/k); to its own core: R.
    with np.errstate(invalid="ignore"):  # own position (d = 0): NaN, replaced below
        d[cn, :] = (d[cn, :] ** strands[:, None] - rad[:, None] ** strands[:, None]) ** (
            1.0 / strands[:, None]
        )
    d[:, cn] = d[cn, :].T
    idx = np.arange(k)
    d[n + idx, idx] = d[idx, n + idx] = rad
    d[n + idx, n + idx] = gmr_cn
    d[np.arange(n), np.arange(n)] = gmr
    # Neutral-to-neutral of two cables: the centre distance (as between the cores).
    for i in range(k):
        for j in range(k):
            if i != j:
                d[n + i, n + j] = np.hypot(x[i] - x[j], h[i] - h[j])
    z = lf * np.log(1.0 / d) + ze
    r_self = np.concatenate(
        [
            internal_resistance(rdc, rac, frequency_hz, model),
            [c.r_strand_ohm_m / c.k for c in cables],
        ]
    )
    z[np.diag_indices_from(z)] += r_self
    zr = _kron(z, k) * 1e3
    r_out = np.array([c.dia_ins_m / 2.0 for c in cables])
    r_in = r_out - np.array([c.ins_layer_m for c in cables])
    eps = np.array([c.eps_r for c in cables])
    c = np.diag(2.0 * np.pi * EPS0 * eps / np.log(r_out / r_in)) * 1e3 * 1e9
    return LineConstants(r=zr.real, x=zr.imag, c=c)
