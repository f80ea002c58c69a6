"""Helpers of the schedule LP: column and row blocks as sparse triplets, HiGHS, polygons."""

from __future__ import annotations

import math

import highspy
import numpy as np

__all__ = ["INF", "Cols", "Rows", "new_highs", "polygon"]

INF = highspy.kHighsInf


class Cols:
    """Column blocks: ``add`` returns the indices of a new block shaped ``shape``."""

    def __init__(self) -> None:
        self.n = 0
        self.lb: list[np.ndarray] = []
        self.ub: list[np.ndarray] = []

    def add(self, shape: tuple[int, ...], lb: object, ub: object) -> np.ndarray:
        size = int(np.prod(shape))
        idx = np.arange(self.n, self.n + size, dtype=np.int64).reshape(shape)
        self.n += size
        self.lb.append(np.broadcast_to(np.asarray(lb, dtype=float), shape).ravel())
        self.ub.append(np.broadcast_to(np.asarray(ub, dtype=float), shape).ravel())
        return idx


class Rows:
    """Row blocks and the matrix triplets."""

    def __init__(self) -> None:
        self.n = 0
        self.lo: list[np.ndarray] = []
        self.hi: list[np.ndarray] = []
        self.r: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.v: list[np.ndarray] = []

    def add(self, shape: tuple[int, ...], lo: object, hi: object) -> np.ndarray:
        size = int(np.prod(shape))
        idx = np.arange(self.n, self.n + size, dtype=np.int64).reshape(shape)
        self.n += size
        self.lo.append(np.broadcast_to(np.asarray(lo, dtype=float), shape).ravel())
        self.hi.append(np.broadcast_to(np.asarray(hi, dtype=float), shape).ravel())
        return idx

    def coef(self, rows: np.ndarray, cols: np.ndarray, vals: object) -> None:
        rows, cols, vals = np.broadcast_arrays(rows, cols, np.asarray(vals, dtype=float))
        keep = vals != 0
        self.r.append(rows[keep].ravel())
        self.c.append(cols[keep].ravel())
        self.v.append(vals[keep].ravel())


def new_highs() -> highspy.Highs:
    """A HiGHS instance; its one-time banner (written by the C library to file descriptor
    1 before any option can silence it) is discarded, since libraries never print."""
    import os
    import sys

    sys.stdout.flush()
    saved = os.dup(1)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)


def polygon(k: int) -> tuple[np.ndarray, np.ndarray, float]:
    angle = 2.0 * np.pi * np.arange(k) / k
    return np.cos(angle), np.sin(angle), math.cos(math.pi / k)
