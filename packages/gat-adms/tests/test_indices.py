"""Index tables from FaultImpacts: IEEE 1366 definitions on a two-fault example."""

from __future__ import annotations

import numpy as np
import pytest

from gat_adms import FaultImpacts, index_tables
from gat_schemas import validate_table


def _impacts() -> FaultImpacts:
    # Fault e1 (0.5/yr, 4 h repair): L1 back by switching after 1 h, L2 waits for the repair.
    # Fault e2 (0.2/yr, 2 h repair): only L2, waiting. L3 is never interrupted.
    return FaultImpacts(
        elements=("e1", "e2"),
        element_types=("branch", "branch"),
        failure_rate_per_yr=np.array([0.5, 0.2]),
        repair_time_h=np.array([4.0, 2.0]),
        load_points=("L1", "L2", "L3"),
        customers=np.array([100, 300, 50]),
        load_mw=np.array([0.5, 1.5, 0.2]),
        interrupted=np.array([[True, True, False], [False, True, False]]),
        restore_time_h=np.array([[1.0, np.inf, 0.0], [0.0, np.inf, 0.0]]),
    )


def test_load_point_and_system_tables() -> None:
    ix, points, system = index_tables(_impacts())
    assert validate_table("load_point_indices", points) == []
    assert validate_table("reliability_indices", system) == []
    p = points.set_index("node_id")
    # L1: 0.5/yr x 1 h; L2: 0.5 x 4 + 0.2 x 2 = 2.4 h over 0.7 interruptions.
    np.testing.assert_allclose(p["lambda_per_yr"], [0.5, 0.7, 0.0])
    np.testing.assert_allclose(p["u_h_per_yr"], [0.5, 2.4, 0.0])
    assert p.loc["L2", "r_h"] == pytest.approx(2.4 / 0.7) and np.isnan(p.loc["L3", "r_h"])
    np.testing.assert_allclose(p["ens_mwh_per_yr"], [0.25, 3.6, 0.0])
    row = system.iloc[0]
    assert row["customers"] == 450 and row["method"] == "analytical"
    assert row["SAIFI"] == pytest.approx((0.5 * 100 + 0.7 * 300) / 450)
    assert row["SAIDI"] == pytest.approx((0.5 * 100 + 2.4 * 300) / 450)
    assert row["CAIDI"] == pytest.approx(row["SAIDI"] / row["SAIFI"])
    assert row["ASAI"] == pytest.approx(1 - row["SAIDI"] / 8760)
    assert row["ENS"] == pytest.approx(3.85) and row["AENS"] == pytest.approx(3.85 / 450)
    assert ix.saidi == row["SAIDI"]
