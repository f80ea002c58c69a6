"""OpfOptions refuses nan and infinities (a nan import price made the cut loop run forever)."""

from __future__ import annotations

import pytest

from gat_dist.opf import OpfOptions
from gat_schemas.errors import InputError


@pytest.mark.parametrize(
    "field",
    ["import_price", "loss_weight", "load_scale", "v_min", "v_max", "reverse_flow_limit_mw"],
)
@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_numbers_are_refused(field: str, value: float) -> None:
    with pytest.raises(InputError, match=f"OpfOptions.{field} must be a finite number"):
        OpfOptions(**{field: value})


def test_finite_values_are_kept() -> None:
    options = OpfOptions(import_price=-20.0, v_min=0.9, v_max=1.1, reverse_flow_limit_mw=0.0)
    assert options.import_price == -20.0 and options.reverse_flow_limit_mw == 0.0
