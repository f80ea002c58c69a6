"""Optimal power flow on distribution networks (Pyomo models solved by HiGHS).

Formulations: ``socp`` (branch-flow cone relaxation, solved as LPs with tangent cuts),
``lindistflow`` and ``dc``. Every answer is re-checked with the gat-pf AC power flow.

Typical use::

    from gat_dist.opf import OpfOptions, run_opf, hostcap_opf
    result = run_opf(network, assets=assets, options=OpfOptions(objective="loss"))
    result.summary          # objective, times, relaxation gap, AC violations
    caps = hostcap_opf(network, ["18", "33"], max_injection_mw=5.0)

Model code is split by role: :mod:`.sets` (array model, index sets), :mod:`.variables`,
:mod:`.constraints`, :mod:`.cuts`, :mod:`.objective`, :mod:`.build`, :mod:`.solve`,
:mod:`.extract`, :mod:`.verify` (AC check), :mod:`.api` and :mod:`.hostcap`.
"""

from __future__ import annotations

from .api import OpfProblem, OpfResult, run_opf
from .hostcap import HostcapOpfResult, hostcap_opf
from .options import Formulation, Objective, OpfOptions
from .verify import AcCheck

__all__ = [
    "AcCheck",
    "Formulation",
    "HostcapOpfResult",
    "Objective",
    "OpfOptions",
    "OpfProblem",
    "OpfResult",
    "hostcap_opf",
    "run_opf",
]
