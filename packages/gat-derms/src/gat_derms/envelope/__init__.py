"""Network-aware P-Q flexibility envelopes of DER groups.

Typical use::

    from gat_derms.envelope import EnvelopeOptions, compute_envelopes
    result = compute_envelopes(network, assets, EnvelopeOptions(group_by="feeder"))
    result.summary      # ranges, area (MVA^2), AC verdict per group
    result.envelopes    # hull vertices, counter-clockwise, each AC-checked

Modules: :mod:`.options`, :mod:`.groups` (who is in each envelope), :mod:`.model` (the
support-function LP on the gat-dist OPF model, built once), :mod:`.hull` (convex hull,
degenerate cases), :mod:`.verify` (batched AC check of the vertices), :mod:`.api`.
"""

from __future__ import annotations

from .api import EnvelopeResult, compute_envelopes
from .groups import Group, select_groups
from .hull import Hull, convex_hull
from .options import DIRECTION_OFFSET_RAD, EnvelopeModel, EnvelopeOptions, GroupBy

__all__ = [
    "DIRECTION_OFFSET_RAD",
    "EnvelopeModel",
    "EnvelopeOptions",
    "EnvelopeResult",
    "Group",
    "GroupBy",
    "Hull",
    "compute_envelopes",
    "convex_hull",
    "select_groups",
]
