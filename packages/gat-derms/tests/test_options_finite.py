"""Schedule options and the stress-test seed refuse values a CLI user could mistype."""

from __future__ import annotations

import pandas as pd
import pytest

from gat_derms.schedule import ScheduleOptions
from gat_derms.stress import run_stress
from gat_schemas.errors import InputError


@pytest.mark.parametrize("field", ["dt_hours", "v_min", "v_max", "v_tol_pu", "thermal_tol_pct"])
@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_schedule_options_refuse_non_finite_numbers(field: str, value: float) -> None:
    with pytest.raises(InputError, match=f"ScheduleOptions.{field} must be a finite number"):
        ScheduleOptions(**{field: value})


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5])
def test_stress_seed_out_of_range_is_an_input_error(seed: object) -> None:
    prices = pd.DataFrame(
        {
            "timestamp": pd.date_range("2026-07-01", periods=2, freq="h", tz="UTC"),
            "price": [1.0, 2.0],
        }
    )
    with pytest.raises(InputError, match="seed must be an integer from 0 to 2\\*\\*32 - 1"):
        run_stress(None, pd.DataFrame(), prices, scenarios=2, seed=seed)  # type: ignore[arg-type]
