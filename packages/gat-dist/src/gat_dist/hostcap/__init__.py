"""Hosting capacity: the largest DER injection each node takes with no violation anywhere.

Method ``ac``: for every candidate (a node's phases, or each phase with
``phase_mode="each"``), a search on the injection (at power factor ``pf``) in which every
trial is a full AC power flow of the whole network and every step solves all candidates of
a block in one batched power flow of :func:`gat_pf.physics_model` (balanced, or three-phase
when the network holds three-phase tables: the same code); violations (voltage per node
phase, conductor loading, reverse flow at the feeder head and through regulators, voltage
unbalance) are checked vectorised over the batch. Work is split into shards (load level x
block of nodes) run by :mod:`gat_dist.fanout`.

Typical use::

    from gat_dist.hostcap import HostcapOptions, hosting_capacity
    result = hosting_capacity(network, options=HostcapOptions(v_max=1.05, load_scales=(0.5, 1.0)))
    result.summary      # bus_id, phase, load_scale, hosting_capacity_mw, limiting_constraint, ...
    result.warnings     # e.g. no branch has a thermal_limit, so thermal limits were not checked

``limiting_constraint`` is ``search_cap`` where nothing broke up to ``max_injection_mw``: the
search's cap, not the network, set that capacity.
"""

from __future__ import annotations

from ._api import (
    HostcapResult,
    candidate_buses,
    hostcap_shard,
    hostcap_shards,
    hosting_capacity,
    reduce_hostcap,
)
from ._checks import CONSTRAINTS
from ._options import Check, FirstTrial, HostcapMethod, HostcapOptions, QMode, Search

__all__ = [
    "CONSTRAINTS",
    "Check",
    "FirstTrial",
    "HostcapMethod",
    "HostcapOptions",
    "HostcapResult",
    "QMode",
    "Search",
    "candidate_buses",
    "hostcap_shard",
    "hostcap_shards",
    "hosting_capacity",
    "reduce_hostcap",
]
