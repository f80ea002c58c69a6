"""GAT DER management: asset validation, flexibility envelopes, scheduling."""

from .envelope import EnvelopeOptions, EnvelopeResult, compute_envelopes
from .validation import RULES, validate_assets

__all__ = [
    "RULES",
    "EnvelopeOptions",
    "EnvelopeResult",
    "compute_envelopes",
    "validate_assets",
]
