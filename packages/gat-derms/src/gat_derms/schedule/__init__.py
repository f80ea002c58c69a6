"""Multi-period DER scheduling under network limits, AC-checked.

One LP over all periods (LinDistFlow network per period, storage with separate charge and
discharge, PV curtailment, EV and flexible-load energy within windows), solved by HiGHS;
then every period is re-solved in one batched AC power flow and the violations reported.

Typical use::

    from gat_derms.schedule import ScheduleOptions, run_schedule
    result = run_schedule(net, assets, prices, loads=loads, pv=pv,
                          options=ScheduleOptions(objective="cost"))
    result.schedule        # per period and asset: p_mw, q_mvar, soc_mwh, curtailed_mw
    result.network         # per period: head import, voltage range, loading (AC and LP)
    result.summary         # cost, curtailed and undelivered energy, AC violations

For repeated solves (stress tests) build a :class:`ScheduleProblem` once and call
:meth:`ScheduleProblem.solve` with new prices, loads and PV availability: only costs and
bounds change on the built model.

Conventions (see ``docs/guide/derms.md``, "Scheduling"): MW, Mvar, MWh, currency/MWh;
generation positive. Storage: ``soc_t = soc_(t-1) + eff dt charge - dt discharge / eff``
(``efficiency`` one-way on each); a battery ends the day at its initial energy
(``soc_init``); an EV ends it with ``soc_init`` plus its ``energy_need``.
"""

from __future__ import annotations

from ._api import ScheduleProblem, ScheduleResult, run_schedule
from ._assets import SCHEDULE_COLUMNS
from ._options import OBJECTIVES, ScheduleOptions
from ._series import Periods, periods_from_prices, read_series

__all__ = [
    "OBJECTIVES",
    "SCHEDULE_COLUMNS",
    "Periods",
    "ScheduleOptions",
    "ScheduleProblem",
    "ScheduleResult",
    "periods_from_prices",
    "read_series",
    "run_schedule",
]
