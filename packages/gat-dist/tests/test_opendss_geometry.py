"""Line constants from OpenDSS ``LineGeometry``/``WireData``/``LineSpacing`` against OpenDSS's own.

``test_data/opendss/ieee8500/line_constants_opendss.csv`` holds the phase matrices OpenDSS
computes for every IEEE 8500 geometry (default earth model Deri, 60 Hz, 100 ohm-m; produced by
``make_line_constants.py`` beside it). GAT's Carson/Deri + Kron reduction must match them
within 1e-4 relative to the largest entry of each matrix.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pandas as pd
import pytest
from gat_dist_opendss_testlib import OPENDSS

from gat_dist import import_opendss
from gat_dist.importers.opendss._carson import line_constants
from gat_dist.importers.opendss._parse import parse_opendss
from gat_schemas.errors import InputError

HERE = OPENDSS / "ieee8500"
RTOL = 1e-4


def _script(tmp_path: Path, geometries: list[tuple[str, int]]) -> Path:
    lines = [
        "Clear",
        "New Circuit.g basekv=12.47 bus1=src phases=3",
        f"Redirect {HERE / 'WireData.dss'}",
        f"Redirect {HERE / 'LineGeometry.dss'}",
    ]
    for i, (name, n) in enumerate(geometries):
        nodes = ".".join(str(k) for k in range(1, n + 1))
        lines.append(
            f"New Line.l{i} bus1=src.{nodes} bus2=b{i}.{nodes} geometry={name} length=1 units=km"
        )
    path = tmp_path / "geom.dss"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_every_ieee8500_geometry_matches_opendss(tmp_path: Path) -> None:
    ref = pd.read_csv(HERE / "line_constants_opendss.csv")
    geoms = ref.groupby("geometry", sort=False)["n_phases"].first()
    circuit = parse_opendss(_script(tmp_path, list(geoms.items())))
    assert len(geoms) == 67
    for name, n in geoms.items():
        code = circuit.linecodes[f"geometry.{name}"]
        # Per metre: a unitless line on a geometry is in metres (OpenDSS's rule).
        assert code.n_phases == n and code.unit == "m"
        sub = ref[ref.geometry == name]
        for col, got in (
            ("r_ohm_per_km", code.r * 1e3),
            ("x_ohm_per_km", code.x * 1e3),
            ("c_nf_per_km", code.c * 1e3),
        ):
            want = np.zeros((n, n))
            want[sub.i - 1, sub.j - 1] = sub[col]
            scale = np.abs(want).max()
            assert np.abs(got - want).max() <= RTOL * scale, (name, col, got, want)


def test_spacing_and_wires_equal_the_geometry(tmp_path: Path) -> None:
    """``spacing=`` + ``wires=`` on a line gives the same code as the equivalent geometry."""
    path = _script(tmp_path, [("3PH_H-4_ACSR4_ACSR4_ACSR4_ACSR", 3)])
    text = path.read_text() + (
        "New LineSpacing.sp nconds=4 nphases=3 units=ft\n"
        f"~ x=[{-0.6096 / 0.3048} {0.1524 / 0.3048} {0.6096 / 0.3048} {0.1524 / 0.3048}]\n"
        f"~ h=[{9.7536 / 0.3048} {10.3632 / 0.3048} {9.7536 / 0.3048} {8.2296 / 0.3048}]\n"
        "New Line.s bus1=src bus2=s spacing=sp wires=[4_ACSR 4_ACSR 4_ACSR 4_ACSR] length=2 "
        "units=kft\n"
    )
    path.write_text(text)
    circuit = parse_opendss(path)
    a = circuit.linecodes["geometry.3ph_h-4_acsr4_acsr4_acsr4_acsr"]
    b = circuit.linecodes["spacing.sp.4_acsr.4_acsr.4_acsr.4_acsr"]
    np.testing.assert_allclose(b.r, a.r, rtol=1e-12)
    np.testing.assert_allclose(b.x, a.x, rtol=1e-12)
    np.testing.assert_allclose(b.c, a.c, rtol=1e-12)


def test_units_carry_to_the_next_conductor(tmp_path: Path) -> None:
    """A conductor without ``units=`` takes the last unit given (feet before any)."""
    base = [
        "Clear",
        "New Circuit.g basekv=12.47 bus1=src phases=3",
        "New WireData.w rac=0.3 runits=km gmrac=0.5 gmrunits=cm radius=0.7 radunits=cm",
    ]
    geo_m = "New LineGeometry.gm nconds=2 nphases=1 cond=1 wire=w x=0 h=10 units=m cond=2 wire=w x=0.5 h=8 units=m"
    geo_mix = "New LineGeometry.gx nconds=2 nphases=1 cond=1 wire=w x=0 h=1 units=km cond=2 wire=w x=500 h=8000 units=mm"
    geo_ft = "New LineGeometry.gf nconds=2 nphases=1 cond=1 wire=w x=0 h=32.808399 cond=2 wire=w x=1.6404199 h=26.246719"
    lines = [
        f"New Line.{g} bus1=src.1 bus2={g}.1 geometry={g} length=1 units=km"
        for g in ("gm", "gx", "gf")
    ]
    path = tmp_path / "u.dss"
    path.write_text(
        "\n".join([*base, geo_m, geo_mix.replace("h=1 ", "h=0.01 "), geo_ft, *lines]) + "\n"
    )
    c = parse_opendss(path).linecodes
    np.testing.assert_allclose(c["geometry.gx"].x, c["geometry.gm"].x, rtol=1e-9)
    np.testing.assert_allclose(c["geometry.gf"].x, c["geometry.gm"].x, rtol=1e-6)


def test_kron_reduction_by_hand() -> None:
    """One phase over one neutral: Z_red = Z_aa - Z_an^2 / Z_nn, from the unreduced pair."""
    x, h = np.array([0.0, 0.5]), np.array([10.0, 8.0])
    rdc, gmr, rad = np.full(2, 1e-3), np.full(2, 5e-3), np.full(2, 7e-3)
    full = line_constants(x, h, rdc, gmr, rad, n_phases=2, frequency_hz=60.0)
    red = line_constants(x, h, rdc, gmr, rad, n_phases=1, frequency_hz=60.0)
    z = full.r + 1j * full.x
    want = z[0, 0] - z[0, 1] ** 2 / z[1, 1]
    assert red.r[0, 0] == pytest.approx(want.real, rel=1e-12)
    assert red.x[0, 0] == pytest.approx(want.imag, rel=1e-12)
    # Capacitance: Kron reduction of the potential coefficients, not of C.
    p = np.linalg.inv(full.c)
    assert red.c[0, 0] == pytest.approx(1.0 / (p[0, 0] - p[0, 1] ** 2 / p[1, 1]), rel=1e-12)


def test_undefined_geometry_and_wire_are_input_errors(tmp_path: Path) -> None:
    path = tmp_path / "bad.dss"
    path.write_text(
        "Clear\nNew Circuit.g basekv=12.47 bus1=src phases=3\n"
        "New Line.l bus1=src.1 bus2=b.1 geometry=nope length=1 units=km\n"
    )
    with pytest.raises(InputError, match="geometry nope is not defined"):
        parse_opendss(path)
    path.write_text(
        "Clear\nNew Circuit.g basekv=12.47 bus1=src phases=3\n"
        "New LineGeometry.g nconds=1 nphases=1 cond=1 wire=missing x=0 h=10 units=m\n"
        "New Line.l bus1=src.1 bus2=b.1 geometry=g length=1 units=km\n"
    )
    with pytest.raises(InputError, match="wire missing is not defined"):
        parse_opendss(path)


def test_a_unitless_line_on_a_geometry_or_spacing_is_in_metres(tmp_path: Path) -> None:
    # Measured with opendssdirect: length=100 without units= on a geometry (or spacing +
    # wires) line gives the Yprim of units=m (EPRI M1's service drops); GAT read 100 km.
    head = (
        "New WireData.w rac=0.306 runits=mi gmrac=0.0244 gmrunits=ft diam=0.721 radunits=in\n"
        "New LineGeometry.g nconds=3 nphases=3 cond=1 wire=w x=-4 h=28 units=ft "
        "cond=2 wire=w x=-1.5 h=28 units=ft cond=3 wire=w x=3 h=28 units=ft\n"
        "New LineSpacing.sp nconds=3 nphases=3 x=[-4 -1.5 3] h=[28 28 28] units=ft\n"
    )
    totals = []
    for k, line in enumerate(
        [
            "geometry=g length=100",
            "spacing=sp wires=[w w w] length=100",
            "geometry=g length=0.1 units=km",
        ]
    ):
        text = (
            "Clear\nNew Circuit.t basekv=12.47 bus1=src\n" + head
            + f"New Line.a bus1=src bus2=b {line}\n"
            "New Load.l bus1=b kv=12.47 kw=100 pf=0.9\nSet voltagebases=[12.47]\nCalcv\n"
        )  # fmt: skip
        path = tmp_path / f"t{k}.dss"
        path.write_text(text)
        net = import_opendss(path)
        br = net.branches.set_index("branch_id").loc["a"]
        code = net.table("dist_linecodes").set_index("linecode_id").loc[br["linecode_id"]]
        assert br["length_km"] == pytest.approx(0.1)
        totals.append(code["r11"] * br["length_km"])
    assert totals[0] == pytest.approx(totals[2]) and totals[1] == pytest.approx(totals[2])
