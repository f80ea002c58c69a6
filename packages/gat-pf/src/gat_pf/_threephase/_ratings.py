"""Conductor ratings of the three-phase model: ``normamps`` of lines and line codes.

:func:`build_model_3ph` builds the model (:func:`._model.build_model_3ph`) and keeps every
branch's rated conductor current (A; NaN = none given) in its cache under
``"branch_normamps"``, where the ``pf3_branches`` loading and the physics interface find it.
A branch's ``normamps`` wins over its line code's; without either, ``thermal_limit`` (MVA)
sets the rated current, as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._model import ThreePhaseModel
from ._model import build_model_3ph as _build

if TYPE_CHECKING:
    from gat_schemas import Network

__all__ = ["branch_normamps", "build_model_3ph", "conductor_ampacity"]

_KEY = "branch_normamps"


def conductor_ampacity(network: Network, branch_ids: np.ndarray) -> np.ndarray:
    """Rated current of every branch's conductors (A): the branch's ``normamps``, else its
    line code's ``normamps``, else NaN (then ``thermal_limit`` applies)."""
    br = network.branches
    out = np.full(len(branch_ids), np.nan)
    codes = network.table("dist_linecodes")
    if codes is not None and "normamps" in codes.columns and "linecode_id" in br.columns:
        amps = dict(
            zip(
                codes["linecode_id"].astype(str),
                codes["normamps"].to_numpy(dtype=float),
                strict=True,
            )
        )
        out = np.array(
            [amps.get(c, np.nan) if isinstance(c, str) else np.nan for c in br["linecode_id"]],
            dtype=float,
        )
    if "normamps" in br.columns:
        own = br["normamps"].to_numpy(dtype=float)
        out = np.where(np.isfinite(own), own, out)
    return out


def build_model_3ph(network: Network) -> ThreePhaseModel:
    """:func:`._model.build_model_3ph` plus the conductor ratings (see the module doc)."""
    model = _build(network)
    model._cache[_KEY] = conductor_ampacity(network, model.branch_ids)
    return model


def branch_normamps(model: ThreePhaseModel) -> np.ndarray:
    """Per-branch rated conductor current (A; NaN = not given) kept by :func:`build_model_3ph`
    (all NaN for a model built otherwise)."""
    amps = model._cache.get(_KEY)
    return np.full(len(model.branch_ids), np.nan) if amps is None else amps
