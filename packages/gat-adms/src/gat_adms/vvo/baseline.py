"""The baseline: the feeder's own rule-based controls on the same periods.

The day is run by the quasi-static time series (:func:`gat_dist.qsts.simulate`, static
control mode: at every step the regulators' RegControl (band, set point, line-drop
compensation, tap limits) and the capacitors' CapControl act until they rest, keeping
their state from one step to the next), with the period's load factor and the DER at their
period's active power and zero reactive power. The taps and capacitor states it ends each
step with are the baseline settings, which the VVO's own AC solve then evaluates (the same
network state). Regulators whose ``mode`` is ``fixed`` and capacitors without a control keep
their data; a balanced network's transformer taps and the substation set point keep theirs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .controls import Controls, Settings

if TYPE_CHECKING:
    import pandas as pd

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
    hours: np.ndarray | None = None,
    assets: pd.DataFrame | None = None,
) -> list[Settings]:
    """(P) settings the rule-based controls reach in every period (see the module doc).

    ``der_p`` (P, D) is the active power of the controls' DER (MW); their share of
    ``p_max`` is what the QSTS is given.
    """
    from gat_dist.qsts import Multipliers, QstsOptions, simulate

    n_p = len(load_scale)
    start = controls.initial()
    step_h = float(np.asarray(hours)[0]) if hours is not None and len(hours) else 1.0
    gen = controls.der_p_max > 0
    der_ids = tuple(str(x) for x in controls.der_ids[gen])
    factor = np.asarray(der_p, float)[:, gen] / controls.der_p_max[gen]
    if assets is None:
        assets = network.table("der_assets")
    if len(der_ids):
        # A zero-rated asset list would leave the DER out; pass factors per DER.
        mult = Multipliers(load=np.asarray(load_scale, float), der=factor, der_ids=der_ids)
    else:
        mult = Multipliers(load=np.asarray(load_scale, float))
    res = simulate(
        network,
        mult,
        QstsOptions(control_mode="static", step_h=step_h),
        assets=assets if len(der_ids) else None,
    )
    taps = np.repeat(start.taps[None, :], n_p, axis=0)
    if len(res.regulator_ids):
        ids = [str(r) for r in res.regulator_ids]
        for r, rid in enumerate(controls.tap_ids.astype(str)):
            if controls.tap_kind[r] == "regulator" and rid in ids:
                taps[:, r] = np.asarray(res.taps, dtype=np.int64)[:, ids.index(rid)]
    caps = np.repeat(start.caps[None, :], n_p, axis=0)
    if controls.n_caps and len(res.cap_ids):
        ids = [str(c).lower() for c in res.cap_ids]
        for k, cid in enumerate(controls.cap_ids.astype(str)):
            if cid.lower() in ids:
                caps[:, k] = np.asarray(res.cap_on, dtype=bool)[:, ids.index(cid.lower())]
    return [Settings(taps[k].copy(), caps[k].copy(), start.q_mvar.copy()) for k in range(n_p)]
