"""GAT DER management: asset validation, flexibility envelopes, scheduling."""

from .validation import RULES, validate_assets

__all__ = ["RULES", "validate_assets"]
