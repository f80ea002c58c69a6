"""GAT DER management: asset validation, flexibility envelopes, scheduling, stress tests.

Importing this package is cheap: the envelope (Pyomo, HiGHS), scheduling and stress-test
modules load when one of their names is first used (PEP 562 module ``__getattr__``), so
``gat derms validate-assets`` and scenario workers import only what they run.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .envelope import EnvelopeOptions, EnvelopeResult, compute_envelopes
    from .schedule import ScheduleOptions, ScheduleProblem, ScheduleResult, run_schedule
    from .stress import StressResult, run_stress
    from .validation import RULES, validate_assets

__all__ = [
    "RULES",
    "EnvelopeOptions",
    "EnvelopeResult",
    "ScheduleOptions",
    "ScheduleProblem",
    "ScheduleResult",
    "StressResult",
    "compute_envelopes",
    "run_schedule",
    "run_stress",
    "validate_assets",
]

_LAZY = {
    "EnvelopeOptions": ".envelope",
    "EnvelopeResult": ".envelope",
    "compute_envelopes": ".envelope",
    "ScheduleOptions": ".schedule",
    "ScheduleProblem": ".schedule",
    "ScheduleResult": ".schedule",
    "run_schedule": ".schedule",
    "StressResult": ".stress",
    "run_stress": ".stress",
    "RULES": ".validation",
    "validate_assets": ".validation",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'gat_derms' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
