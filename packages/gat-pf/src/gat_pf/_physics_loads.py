"""The loads behind a :class:`~gat_pf.physics.PhysicsModel`, per terminal and by voltage law.

A workflow that weighs a load by how it responds to voltage (conservation voltage reduction:
only constant-power loads keep drawing their power when the voltage drops) needs the split
of each terminal's load into its laws. Both models keep it in their own arrays (the balanced
model per node as ZIP fractions, the three-phase model per load element); this module reads
it once for both, so the workflow has one code path.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["constant_power_load_mw"]


def constant_power_load_mw(model: Any) -> np.ndarray:
    """(T,) active power of the constant-power loads at every terminal (MW).

    At 1 pu voltage and load factor 1 (``solve(load_scale=1)``), consumption positive, of the
    loads that ``load_scale`` scales. Balanced model: the node's ``load_p`` times
    ``1 - load_z_frac - load_i_frac`` on its one terminal (the three-phase total).
    Three-phase model: the constant-power part of every load element on its phase's
    terminal; a phase-to-phase (delta) element's power is shared equally by its two phases;
    node generation and loads marked ``fixed`` (which ignore ``load_scale``) are left out.

    Parameters
    ----------
    model
        A :class:`~gat_pf.physics.PhysicsModel` from :func:`gat_pf.physics_model`.
    """
    m = model.model
    if model.kind == "balanced":
        frac = 1.0 - m.node_z_frac - m.node_i_frac
        return np.asarray(m.node_load.real * m.base_mva * frac, dtype=float)
    out = np.zeros(len(model.term_node))
    ld = m.loads
    p = ld.s_p.real * (m.base_mva / 3.0) * ld.scaled
    # Terminals are the phase nodes (pn index) of the three-phase model.
    two = ld.pn_b >= 0
    np.add.at(out, ld.pn_a, np.where(two, 0.5 * p, p))
    np.add.at(out, ld.pn_b[two], 0.5 * p[two])
    return out
