"""The baseline: the feeder's own rule-based controls on the same periods.

Regulators whose ``dist_regulators.mode`` is ``auto`` move as their RegControl settings say
(band, set point, line-drop compensation: the three-phase power flow's regulator loop, see
:mod:`gat_pf._threephase._regulators`), solved for every period with its load factor and the
DER at their period's active power and zero reactive power; ``fixed`` regulators keep
``dist_regulators.tap``; capacitors keep ``dist_caps.status`` (capacitor controls are not
simulated: ``dist_cap_controls`` switching is the QSTS's job, and each period here is solved
on its own, without the time delays a QSTS carries). Balanced networks keep their data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .controls import Controls, Settings

if TYPE_CHECKING:
    from gat_schemas import Network

    from .evaluate import AcEngine

__all__ = ["baseline_settings"]


def baseline_settings(
    network: Network,
    controls: Controls,
    engine: AcEngine,
    *,
    load_scale: np.ndarray,
    der_p: np.ndarray,
) -> list[Settings]:
    """(P) settings the rule-based controls reach in every period (see the module doc)."""
    n_p = len(load_scale)
    start = controls.initial()
    if not engine.three_phase or not controls.n_taps:
        return [
            Settings(start.taps.copy(), start.caps.copy(), start.q_mvar.copy()) for _ in range(n_p)
        ]
    import gat_pf
    from gat_pf import Injection, ThreePhaseOptions

    phys = gat_pf.physics_model(
        network, model="three_phase", options_3ph=ThreePhaseOptions(regulators="auto")
    )
    inj = None
    if len(engine.terms):
        p = np.asarray(der_p, float) @ engine.w.T
        inj = Injection(engine.terms, p, np.zeros_like(p))
    sol = phys.solve(inj, load_scale=np.asarray(load_scale, float), n_scenarios=n_p)
    ids = list(np.asarray(phys.regulator_ids).astype(str))
    pos = np.array([ids.index(str(r)) for r in controls.tap_ids], dtype=np.int64)
    taps = np.asarray(sol.taps, dtype=np.int64)[:, pos]
    return [Settings(taps[k].copy(), start.caps.copy(), start.q_mvar.copy()) for k in range(n_p)]
