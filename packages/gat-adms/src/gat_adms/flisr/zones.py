"""Protection and isolation zones of one fault, on the normal radial tree.

A fault on node ``v``, or on a closed branch whose downstream node is ``v``, lies in the
*isolation zone* of ``v``: the nodes connected to it through closed branches that carry no
device. Opening the devices around that zone isolates the fault; its nodes wait for the
repair. A failed device can neither clear nor isolate its own failure: the zones on both
sides of its branch form one isolation zone. The nearest protective device at or above the zone trips (a slack node with no
protective device above the zone stands for an implicit source breaker).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .grid import FlisrGrid

__all__ = ["FaultZones", "device_zones", "fault_zones"]


@dataclass(frozen=True, eq=False)
class FaultZones:
    """Where one fault acts (masks over nodes, branch indices; -1 = none).

    Attributes
    ----------
    trip_branch
        Branch of the protective device that trips (-1: the implicit source breaker,
        or nothing trips when ``interrupted`` is empty).
    upstream_branch
        Branch of the device opened to isolate the fault from the source side
        (-1: the zone holds the slack node).
    interrupted
        Nodes that lose supply when the protective device trips.
    dead
        The isolation zone: out until the repair.
    upstream
        Interrupted nodes restored by re-closing the tripped device once the upstream
        device is open.
    candidates
        Interrupted nodes below the isolation zone: restorable only through ties.
    """

    trip_branch: int
    upstream_branch: int
    interrupted: np.ndarray
    dead: np.ndarray
    upstream: np.ndarray
    candidates: np.ndarray


def device_zones(grid: FlisrGrid) -> np.ndarray:
    """Isolation-zone label of every node (closed device-free branches join nodes)."""
    keep = grid.closed & ~grid.has_device
    n = grid.n_node
    g = sp.coo_matrix((np.ones(int(keep.sum())), (grid.f[keep], grid.t[keep])), shape=(n, n))
    return connected_components(g, directed=False)[1]


def fault_zones(
    grid: FlisrGrid, zone: np.ndarray, *, node: int, branch: int, device: bool = False
) -> FaultZones:
    """Zones of a fault on ``node`` (``branch = -1``) or on ``branch`` (``node = -1``).

    ``device``: the fault is the failure of the device(s) on ``branch``, which then join
    the zones at both ends of the branch (a failed device does not operate). A fault on a
    normally-open branch interrupts nobody (the returned masks are empty).
    """
    n = grid.n_node
    empty = np.zeros(n, bool)
    if branch >= 0:
        if not grid.closed[branch]:
            return FaultZones(
                trip_branch=-1,
                upstream_branch=-1,
                interrupted=empty,
                dead=empty,
                upstream=empty,
                candidates=empty,
            )
        node = grid.child(branch)
    dead = zone == zone[node]
    if device and branch >= 0:
        dead |= zone == zone[grid.f[branch] if node == grid.t[branch] else grid.t[branch]]
    members = np.flatnonzero(dead)
    top = int(members[np.argmin(grid.tin[members])])
    up = int(grid.parent_branch[top])
    trip, m = -1, top
    while grid.parent_branch[m] >= 0:
        b = int(grid.parent_branch[m])
        if grid.protective[b]:
            trip = b
            break
        m = int(grid.parent[m])
    feeder = grid.root == grid.root[top]
    interrupted = grid.below(grid.child(trip)) if trip >= 0 else feeder
    below_up = grid.below(top) if up >= 0 else feeder
    return FaultZones(
        trip_branch=trip,
        upstream_branch=up,
        interrupted=interrupted,
        dead=dead,
        upstream=interrupted & ~below_up,
        candidates=below_up & ~dead,
    )
