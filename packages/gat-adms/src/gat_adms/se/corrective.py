"""The network at an estimated state: loads set to the estimated injections (for an OPF).

``gat adms state-estimation --then-opf`` runs the OPF (``gat_dist.opf.run_opf``) on the
network whose node loads are the estimate's: every non-slack node's ``load_p``/``load_q``
becomes minus its estimated net injection (a balanced network's ``dist_nodes``). The
estimate sees net injections, so a DER's present output is inside that load; the OPF's DER
set points are then changes on top of what the DER already does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gat_schemas.errors import InputError

__all__ = ["network_at_estimate"]


def network_at_estimate(network: Any, estimate: Any, snapshot: str | None = None) -> Any:
    """A copy of ``network`` whose loads are the estimated net consumption of ``snapshot``.

    Raises
    ------
    gat_schemas.errors.InputError
        A three-phase estimate (its per-phase loads are not mapped back yet) or an unknown
        snapshot.
    """
    if estimate.kind != "balanced":
        raise InputError(
            "--then-opf: the corrective OPF on an estimated state is for balanced networks "
            "(a three-phase estimate is not mapped back to dist_loads)"
        )
    nodes_est = estimate.nodes
    snaps = list(dict.fromkeys(nodes_est["snapshot"]))
    snap = snaps[0] if snapshot is None else snapshot
    if snap not in snaps:
        raise InputError(f"--then-opf: no snapshot {snap!r} in the estimate")
    est = nodes_est.loc[nodes_est["snapshot"] == snap].set_index("node_id")
    nodes = network.nodes.copy()
    ids = nodes["node_id"].astype(str)
    slack = nodes["type"].astype(str).to_numpy() == "slack"
    p = est["p_mw"].reindex(ids).to_numpy(float)
    q = est["q_mvar"].reindex(ids).to_numpy(float)
    gen_p = nodes["gen_p"].to_numpy(float) if "gen_p" in nodes else np.zeros(len(nodes))
    gen_q = nodes["gen_q"].to_numpy(float) if "gen_q" in nodes else np.zeros(len(nodes))
    # Net injection = generation - load: the load that reproduces it beside the node's gen.
    load_p = np.where(np.isnan(p), 0.0, gen_p - p)
    load_q = np.where(np.isnan(q), 0.0, gen_q - q)
    nodes["load_p"] = np.where(slack, nodes["load_p"].to_numpy(float), load_p)
    nodes["load_q"] = np.where(slack, nodes["load_q"].to_numpy(float), load_q)
    return network.with_table("dist_nodes", nodes)
