"""Branch ids of OpenDSS transformers.

OpenDSS names elements per class, so ``Line.1`` and ``Transformer.1`` may both exist
(IEEE's LVTestCaseNorthAmerican numbers its lines and its transformers from 1). GAT's
``branch_id`` is one namespace: a transformer keeps its name unless a line has the same
name (case-insensitively), then it is ``Transformer.NAME``. Every table that names a
transformer's branch (``dist_branches``, ``dist_transformers``, ``dist_regulators``,
capacitor controls, switching devices) goes through :func:`transformer_branch_ids`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["transformer_branch_ids"]


def transformer_branch_ids(circuit: Any) -> dict[str, str]:
    """Lower-case transformer name -> ``branch_id``."""
    lines = {x.name.lower() for x in circuit.lines}
    return {
        t.name.lower(): (f"Transformer.{t.name}" if t.name.lower() in lines else t.name)
        for t in circuit.transformers
    }
