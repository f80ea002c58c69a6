"""Helpers of the schedule LP: the shared sparse-matrix LP builder (``gat_dist.lp_matrix``)
and the polygon that approximates an apparent-power circle."""

from __future__ import annotations

import math

import numpy as np

from gat_dist.lp_matrix import INF, Cols, Rows, build_lp, new_highs

__all__ = ["INF", "Cols", "Rows", "build_lp", "new_highs", "polygon"]


def polygon(k: int) -> tuple[np.ndarray, np.ndarray, float]:
    angle = 2.0 * np.pi * np.arange(k) / k
    return np.cos(angle), np.sin(angle), math.cos(math.pi / k)
