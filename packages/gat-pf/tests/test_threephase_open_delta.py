"""Transformer units whose windings use different conductors (``core_bank(sides=...)``).

Hand physics of one single-phase unit wound phase to ground on the from side (conductor 0)
and phase to phase on the to side (conductors 0 and 1): the open-wye/open-delta unit.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from gat_pf._threephase._primitives import bank_wiring, core_bank

KV1, KV2, S, Z = 7.2, 4.16, 2.0, complex(1.0, 6.0)  # kV, kV, MVA, % on S
OYOD = ((0,), (0, 1))


def _unit(tap_to: float = 1.0) -> np.ndarray:
    return core_bank(2, "wye_g", "delta", KV1, KV2, S, Z, 1.0, np.array([tap_to]), sides=OYOD)


def test_no_load_ratio_and_floating_common_mode() -> None:
    """No current when V_A - V_B (to) = V_A (from) * kv2 / kv1, whatever the to side's common
    mode and the unused from conductor's voltage; the to winding carries the tap."""
    y = _unit(1.05)
    for common, unused in ((0.0, 0.0), (0.7 - 0.2j, 3.0j)):
        v_from_a = 7.0 * np.exp(0.1j)
        v_to_ab = v_from_a * KV2 * 1.05 / KV1
        v = np.array([v_from_a, unused, common + v_to_ab, common])
        assert np.abs(y @ v).max() < 1e-12


def test_short_circuit_current_from_the_impedance() -> None:
    """To terminals shorted: the from current is V / Z (Z in ohm on the from side) and the
    winding current on the to side runs A -> B, scaled by the turns ratio."""
    v = np.array([1.0, 0.0, 0.0, 0.0])  # kV
    i = _unit() @ v  # kA into the unit
    z_from = Z / 100.0 * KV1**2 / S
    assert i[0] == pytest.approx(1.0 / z_from, rel=1e-12)
    assert i[1] == 0.0  # the from side does not use conductor 1
    n = KV1 / KV2
    assert i[2] == pytest.approx(-i[0] * n, rel=1e-12)
    assert i[3] == pytest.approx(i[0] * n, rel=1e-12)


def test_all_conductors_on_both_sides_is_the_plain_bank() -> None:
    for conn_f, conn_t in itertools.product(("wye_g", "wye", "delta"), repeat=2):
        for kv_f, kv_t in ((12.47, 4.16), (4.16, 12.47)):
            taps = np.array([1.0, 1.0125, 0.9875])
            plain = core_bank(3, conn_f, conn_t, kv_f, kv_t, 1.5, Z, 0.975, taps, 0.1 - 0.3j)
            given = core_bank(
                3, conn_f, conn_t, kv_f, kv_t, 1.5, Z, 0.975, taps, 0.1 - 0.3j,
                sides=((0, 1, 2), (0, 1, 2)),
            )  # fmt: skip
            assert np.array_equal(plain, given)


def test_rotated_to_side_moves_the_windings() -> None:
    """A wye-wye bank wound A, B, C -> B, C, A: core j joins from conductor j to to
    conductor j + 1; the same bank with the to terminals permuted back."""
    taps = np.ones(3)
    rot = core_bank(
        3, "wye_g", "wye_g", 12.47, 4.16, 1.5, Z, 1.0, taps, sides=((0, 1, 2), (1, 2, 0))
    )
    plain = core_bank(3, "wye_g", "wye_g", 12.47, 4.16, 1.5, Z, 1.0, taps)
    perm = np.array([0, 1, 2, 4, 5, 3])  # plain's to conductor j is rot's j + 1
    back = np.empty_like(rot)
    back[np.ix_(perm, perm)] = plain
    assert np.allclose(rot, back, rtol=0, atol=1e-15)


def test_windings_must_wind_the_same_number_of_cores() -> None:
    with pytest.raises(ValueError, match="cores"):
        bank_wiring(3, "wye_g", "delta", 7.2, 4.16, ((0,), (0, 1, 2)))
    with pytest.raises(ValueError, match="2 or 3"):
        bank_wiring(2, "wye_g", "delta", 7.2, 4.16, ((0,), (1,)))
    cores, (w_from, w_to) = bank_wiring(2, "wye_g", "delta", KV1, KV2, OYOD)
    assert cores == 1 and w_from == ((0, -1),) and w_to == ((0, 1),)
