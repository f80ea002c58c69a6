"""Convex hull of support points in the P-Q plane, degenerate cases included."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Hull", "convex_hull"]

#: Points closer than this (MW, Mvar) count as one; a set thinner than this is a segment.
HULL_TOL = 1e-7


@dataclass(frozen=True, eq=False)
class Hull:
    """A convex polygon of the P-Q plane.

    Attributes
    ----------
    index
        Rows of the input points that are the vertices, counter-clockwise, starting at the
        vertex of largest P (ties: largest Q). A single point has one vertex, a segment two
        (largest P end first; for a vertical segment the upper end).
    area
        Area (MW x Mvar = MVA^2); 0 for a point or a segment.
    """

    index: np.ndarray
    area: float


def _start_at_max_p(index: np.ndarray, pts: np.ndarray, tol: float = HULL_TOL) -> np.ndarray:
    """``index`` turned to start at the vertex of largest P; P within ``tol`` of the
    largest counts as a tie, won by the larger Q."""
    p, q = pts[index, 0], pts[index, 1]
    top = p >= p.max() - tol
    first = int(np.flatnonzero(top)[np.argmax(q[top])])
    return np.roll(index, -first)


def convex_hull(points: np.ndarray, tol: float = HULL_TOL) -> Hull:
    """Vertices (counter-clockwise) and area of the convex hull of ``points`` (S, 2).

    Qhull needs a full-dimensional set; a set of identical points (a group whose P and Q are
    both pinned) is returned as one vertex, a set along a line (a group with no reactive
    range, say) as its two end points, both with area 0.
    """
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    if len(pts) == 0:
        return Hull(index=np.zeros(0, dtype=np.int64), area=0.0)
    centre = pts.mean(axis=0)
    centred = pts - centre
    # Principal axes: the spread across the main direction decides whether the set is 2-D.
    _, sing, vt = np.linalg.svd(centred, full_matrices=False)
    along = centred @ vt[0]
    if sing[0] <= tol or np.ptp(along) <= tol:
        return Hull(index=np.array([0], dtype=np.int64), area=0.0)
    across = centred @ vt[1] if len(vt) > 1 else np.zeros(len(pts))
    if np.ptp(across) <= tol:
        return _segment(pts, along)
    from scipy.spatial import ConvexHull, QhullError

    keep = _distinct(pts, tol)
    try:
        hull = ConvexHull(pts[keep])
    except QhullError:
        return _segment(pts, along)
    # scipy gives 2-D hull vertices counter-clockwise.
    index = _drop_flat(keep[np.asarray(hull.vertices, dtype=np.int64)], pts, tol)
    if len(index) < 3:
        return _segment(pts, along)
    ring = pts[index]
    p, q = ring[:, 0], ring[:, 1]
    area = 0.5 * float(np.sum(p * np.roll(q, -1) - np.roll(p, -1) * q))
    return Hull(index=_start_at_max_p(index, pts), area=area)


def _distinct(pts: np.ndarray, tol: float) -> np.ndarray:
    """Rows of ``pts`` that are not within ``tol`` of an earlier kept row (in row order)."""
    kept: list[int] = []
    for i in range(len(pts)):
        if not kept or np.min(np.hypot(*(pts[kept] - pts[i]).T)) > tol:
            kept.append(i)
    return np.asarray(kept, dtype=np.int64)


def _drop_flat(index: np.ndarray, pts: np.ndarray, tol: float) -> np.ndarray:
    """Drop vertices within ``tol`` of the segment joining their two neighbours (a support
    point on a flat side, off it only by solver round-off)."""
    ring = list(index.tolist())
    changed = True
    while changed and len(ring) > 3:
        changed = False
        for k in range(len(ring)):
            a, b, c = pts[ring[k - 1]], pts[ring[k]], pts[ring[(k + 1) % len(ring)]]
            ac = c - a
            length = float(np.hypot(*ac))
            if length <= tol:
                continue
            if abs(ac[0] * (b - a)[1] - ac[1] * (b - a)[0]) / length <= tol:
                del ring[k]
                changed = True
                break
    return np.asarray(ring, dtype=np.int64)


def _segment(pts: np.ndarray, along: np.ndarray) -> Hull:
    ends = np.array([int(np.argmin(along)), int(np.argmax(along))], dtype=np.int64)
    a, b = pts[ends[0]], pts[ends[1]]
    if (b[0], b[1]) > (a[0], a[1]):
        ends = ends[::-1]
    return Hull(index=ends, area=0.0)
