"""Node positions and branch segments of the feeder view, from the feeder layout."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Geometry", "feeder_geometry"]


@dataclass(frozen=True)
class Geometry:
    """A feeder drawn in the world plane.

    Attributes
    ----------
    node_ids
        Node ids (str), one per position.
    x, y
        World coordinates of the nodes (layout units; ``y`` upwards).
    distance_km
        Distance from the source along the path (km); NaN where unknown.
    seg_from, seg_to
        Indices into ``node_ids`` of each branch's ends.
    seg_open
        True where the branch is open (drawn dotted by the caller if it wishes).
    """

    node_ids: np.ndarray
    x: np.ndarray
    y: np.ndarray
    distance_km: np.ndarray
    seg_from: np.ndarray
    seg_to: np.ndarray
    seg_open: np.ndarray

    def index_of(self, ids: pd.Index | np.ndarray) -> np.ndarray:
        """Positions of ``ids`` in :attr:`node_ids` (-1 when absent)."""
        return pd.Index(self.node_ids).get_indexer(pd.Index(ids).astype(str))


def feeder_geometry(network: Any) -> Geometry:
    """The positions and segments of ``network`` (a ``gat_schemas.Network``).

    Positions come from :func:`gat_dist.layout.feeder_layout` (coordinates from the data
    where present, otherwise a tree layout); segments (:func:`gat_dist.layout.feeder_segments`)
    join the ends of every branch whose two nodes have a position.
    """
    from gat_dist.layout import feeder_layout, feeder_segments

    layout = feeder_layout(network)
    segments = feeder_segments(network, layout)
    ids = layout["node_id"].astype(str).to_numpy()
    dist = (
        layout["distance_km"].to_numpy(float)
        if "distance_km" in layout.columns
        else np.full(len(layout), np.nan)
    )
    index = pd.Index(ids)
    f = index.get_indexer(segments["from_node"].astype(str))
    t = index.get_indexer(segments["to_node"].astype(str))
    ok = (f >= 0) & (t >= 0)
    is_open = segments["status"].astype(str).to_numpy() == "open"
    return Geometry(
        node_ids=ids,
        x=layout["x"].to_numpy(float),
        y=layout["y"].to_numpy(float),
        distance_km=dist,
        seg_from=f[ok],
        seg_to=t[ok],
        seg_open=is_open[ok],
    )
