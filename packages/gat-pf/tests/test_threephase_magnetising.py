"""The magnetising branch and tap base of transformer banks (:func:`core_bank`).

Expected values are the rules measured on OpenDSS's ``Yprim`` (history/2026-12-04-feeder-sweep.md):
the shunt ``y_mag_pct / 100 * s_core / (v2 * tap_2)^2`` across winding 2 of each core, and
the series impedance in % on the tapped winding-2 voltage, and the high-voltage side leading
in delta/wye banks.
"""

from __future__ import annotations

import numpy as np
import pytest

from gat_pf._threephase._primitives import core_bank

Y_MAG = 0.5 - 1.5j  # noload_loss_pct - j imag_pct


def _shunt(conn_to: str, tap_to: float = 1.0) -> np.ndarray:
    with_mag = core_bank(3, "delta", conn_to, 12.47, 0.48, 0.5, 1 + 5j, 1.0, tap_to, Y_MAG)
    without = core_bank(3, "delta", conn_to, 12.47, 0.48, 0.5, 1 + 5j, 1.0, tap_to)
    return with_mag - without


def test_wye_winding_2_gets_a_phase_to_ground_shunt() -> None:
    # One core: 500/3 kVA at 0.48/sqrt 3 kV, so g = 0.5 % * 0.5 MVA / 0.48^2 kV^2.
    y = 0.01 * Y_MAG * 0.5 / 0.48**2
    d = _shunt("wye_g")
    assert np.allclose(d[3:, 3:], y * np.eye(3), rtol=1e-12, atol=0)
    assert np.allclose(d[:3, :], 0) and np.allclose(d[:, :3], 0)


def test_delta_winding_2_gets_phase_to_phase_shunts() -> None:
    g = 0.01 * Y_MAG * (0.5 / 3) / 0.48**2  # one core across 0.48 kV
    want = g * np.array([[2, -1, -1], [-1, 2, -1], [-1, -1, 2]])
    assert np.allclose(_shunt("delta")[3:, 3:], want, rtol=1e-12, atol=0)


def test_shunt_scales_with_the_winding_2_tap_only() -> None:
    assert np.allclose(_shunt("wye_g", 1.05), _shunt("wye_g") / 1.05**2, rtol=1e-12, atol=0)


def test_impedance_is_on_the_tapped_winding_2_voltage() -> None:
    # A wye-wye bank seen from winding 2 (winding 1 shorted): y = s_core / (z * (v2 t2)^2).
    y = core_bank(3, "wye_g", "wye_g", 12.47, 0.48, 0.5, 1 + 5j, 1.0, 1.05)
    want = (0.5 / 3) / ((1 + 5j) / 100 * (0.48 / np.sqrt(3) * 1.05) ** 2)
    assert y[3, 3] == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize(("kv_to", "lead"), [(0.48, -30.0), (24.9, 30.0)])
def test_high_voltage_side_leads(kv_to: float, lead: float) -> None:
    # Unloaded wye-delta bank fed with a positive-sequence set: the to side's open-circuit
    # voltages are -Y_tt^-1 Y_tf v_f; step-down lags 30 degrees, step-up leads.
    y = core_bank(3, "wye_g", "delta", 12.47, kv_to, 0.5, 1 + 5j, 1.0, 1.0)
    y = y + 1e-9 * np.eye(6)  # a tiny shunt references the delta to ground
    v_f = np.exp(-2j * np.pi / 3 * np.arange(3))
    v_t = -np.linalg.solve(y[3:, 3:], y[3:, :3] @ v_f)
    assert np.degrees(np.angle(v_t / v_f)) == pytest.approx([lead] * 3, abs=1e-3)


def test_ungrounded_wye_both_sides_reduces() -> None:
    # Both neutrals floating: their block is singular; the reduced bank still passes
    # positive sequence at the turns ratio.
    y = core_bank(3, "wye", "wye", 12.47, 4.16, 0.5, 1 + 5j, 1.0, 1.0, Y_MAG)
    assert np.isfinite(y).all()
    v_f = np.exp(-2j * np.pi / 3 * np.arange(3))
    v_t = -np.linalg.solve(y[3:, 3:], y[3:, :3] @ v_f)
    assert np.abs(v_t / v_f).mean() == pytest.approx(4.16 / 12.47, rel=1e-2)
