"""GAT DER management: asset validation, flexibility envelopes, scheduling."""

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
