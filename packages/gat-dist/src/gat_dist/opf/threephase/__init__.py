"""Three-phase OPF: sequential LPs on the three-phase AC model's sensitivities.

Runs on networks :func:`gat_pf.physics_model` builds as three-phase; every round's answer
is re-solved with the three-phase AC power flow (see :mod:`.api`). Split by role:
:mod:`.data` (array model, DER terminals), :mod:`.ac` (AC evaluation and linearisation),
:mod:`.lp` (the Pyomo LP of one round), :mod:`.api` (the rounds and the result tables).
"""

from __future__ import annotations

from .api import FORMULATION_3PH, run_opf_3ph

__all__ = ["FORMULATION_3PH", "run_opf_3ph"]
