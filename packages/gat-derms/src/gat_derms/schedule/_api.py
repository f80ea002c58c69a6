"""Public entry points: :class:`ScheduleProblem` (built once, solved many times) and
:func:`run_schedule` (one day from tables)."""

from __future__ import annotations

import time
from collections.abc import Mapping

import numpy as np
import pandas as pd

from gat_schemas.errors import InputError

from ._ac import ac_day
from ._assets import AssetArrays, asset_arrays
from ._lp import TH_PENALTY, V_PENALTY, ScheduleLp, build_lp
from ._options import ScheduleOptions
from ._result import ScheduleResult, result_tables
from ._series import Periods, load_arrays, periods_from_prices, pv_arrays

__all__ = ["ScheduleProblem", "ScheduleResult", "run_schedule"]

#: Objective weight of |q| (currency per Mvar and hour, or per Mvarh with the curtailment
#: objective): small enough never to trade against energy, it only picks, among equally
#: cheap schedules, the one with the least reactive power.
Q_WEIGHT = 1e-3
#: Largest number of thermal cut rounds per LP solve.
_MAX_CUT_ROUNDS = 50


def _local_hours(stamps: pd.DatetimeIndex) -> np.ndarray:
    return (stamps.hour + stamps.minute / 60.0 + stamps.second / 3600.0).to_numpy(dtype=float)


class ScheduleProblem:
    """One network, portfolio and set of periods, with its LP built once.

    Parameters
    ----------
    network
        :class:`gat_schemas.Network` (radial; its ``der_cost_curves`` table is used when
        ``cost_curves`` is not given).
    assets
        ``der_assets`` table, optionally with the scheduling columns of
        :mod:`gat_derms.schedule._assets` (``soc_init``, ``energy_need``, ``window_*``).
    periods
        From :func:`periods_from_prices`; window hours are read in its timezone.
    cost_curves
        ``der_cost_curves`` table (currency/MWh, currency/h).
    options
        Objective, voltage overrides, AC correction and tolerances.
    source
        Name of the asset file, used in messages.
    """

    def __init__(
        self,
        network,  # type: ignore[no-untyped-def]
        assets: pd.DataFrame,
        periods: Periods,
        *,
        cost_curves: pd.DataFrame | None = None,
        options: ScheduleOptions = ScheduleOptions(),  # noqa: B008 -- frozen
        source: str = "der_assets",
    ) -> None:
        import gat_pf
        from gat_dist.opf.options import OpfOptions
        from gat_dist.opf.sets import opf_data
        from gat_pf.physics import is_three_phase

        t0 = time.perf_counter()
        self.options = options
        self.periods = periods
        self.net3 = None
        self.held = pd.DataFrame()
        curves = cost_curves if cost_curves is not None else network.table("der_cost_curves")
        hours = _local_hours(periods.timestamps)
        if is_three_phase(network):
            self._init_3ph(network, assets, curves, hours, source)
            self.build_s = time.perf_counter() - t0
            return
        self.pf = gat_pf.build_model(network)
        opf = OpfOptions(formulation="lindistflow", v_min=options.v_min, v_max=options.v_max)
        try:
            self.data = opf_data(network, self.pf, opf)
        except InputError as exc:
            if "radial" not in str(exc):
                raise
            raise InputError(
                f"network {network.name}: the schedule's LinDistFlow model needs a radial "
                "network (closed branches form a loop); open a tie switch"
            ) from None
        self.assets: AssetArrays = asset_arrays(
            assets, self.pf.node_ids, hours, curves, source=source, dt_hours=periods.dt_hours
        )
        self.lp: ScheduleLp = build_lp(self.data, self.assets, periods.n, periods.dt_hours)
        base_load = self.pf.node_load * self.pf.base_mva
        self.base_load_p = base_load.real.astype(float)
        self.base_load_q = base_load.imag.astype(float)
        self.build_s = time.perf_counter() - t0

    def _init_3ph(self, network, assets, curves, hours, source) -> None:  # type: ignore[no-untyped-def]
        from ._lp3 import build_lp3
        from ._threephase import net3

        periods = self.periods
        self.net3 = net3(network, assets, self.options)
        node_ids = np.asarray(self.net3.data.phys.node_ids)
        self.assets = asset_arrays(
            assets, node_ids, hours, curves, source=source, dt_hours=periods.dt_hours
        )
        n3 = self.net3
        self.lp = build_lp3(self.assets, periods.n, periods.dt_hours, n3.g_v, n3.g_l, n3.g_h)

    @property
    def model(self) -> str:
        """``balanced`` or ``three_phase``."""
        return "balanced" if self.net3 is None else "three_phase"

    # -- inputs ----------------------------------------------------------------------------
    def loads(self, table: pd.DataFrame | None, source: str = "load_series") -> tuple:  # type: ignore[type-arg]
        """Node loads (T, N) (MW, Mvar) from a ``load_series`` table (``None``: the network's).

        Three-phase networks: one load factor per period, as (T, 1) arrays (both the same):
        the series must be the ``scale`` form (no ``node_id``).
        """
        if self.net3 is not None:
            if table is not None and "node_id" in table.columns:
                raise InputError(
                    f"{source}: table load_series, column node_id: on a three-phase network "
                    "the load series gives one scale per period (columns timestamp, scale)"
                )
            one = np.ones(1)
            p, _ = load_arrays(table, self.periods, np.array(["*"]), one, one, source=source)
            return p, p.copy()
        return load_arrays(
            table, self.periods, self.pf.node_ids, self.base_load_p, self.base_load_q, source=source
        )

    def pv(self, table: pd.DataFrame | None, source: str = "pv_series") -> np.ndarray:
        """Available power (T, A) (MW) from a ``pv_series`` table (``None``: ``p_max``)."""
        a = self.assets
        return pv_arrays(table, self.periods, a.ids, a.curtailable, a.p_max, source=source)

    # -- solving ---------------------------------------------------------------------------
    def _costs(self, price: np.ndarray, curtailment: bool) -> np.ndarray:
        lp, a, dt = self.lp, self.assets, self.lp.dt
        c = lp.cols
        cost = np.zeros(lp.n_col)
        cost[c["sv_lo"]] = V_PENALTY
        cost[c["sv_hi"]] = V_PENALTY
        cost[c["sth"]] = TH_PENALTY
        cost[c["u"]] = self.options.undelivered_penalty
        cost[c["qp"]] = Q_WEIGHT * dt
        cost[c["qm"]] = Q_WEIGHT * dt
        if curtailment:
            cost[c["pn"][:, a.curtailable[lp.gen]]] = -dt
            return cost
        cost[c["ph"]] = (price * dt)[:, None]
        # Storage pays c1 per MWh discharged (wear); charging neither earns nor costs it, so
        # that losing energy in a cycle is never rewarded (c1 x p would credit the losses).
        cost[c["dis"]] += a.c1[lp.sto] * dt
        cost[c["pn"]] += a.c1[lp.gen] * dt
        return cost

    def _set_pv(self, avail: np.ndarray) -> None:
        lp, a = self.lp, self.assets
        curt = a.curtailable[lp.gen]
        idx = lp.gen[curt]
        ub = np.where(a.active[:, idx], avail[:, idx], 0.0)
        lb = np.where(a.active[:, idx], np.minimum(a.p_min[idx], ub), 0.0)
        self.lp.set_col_bounds(lp.cols["pn"][:, curt], lb, ub)

    def _solve_lp(self, price: np.ndarray) -> np.ndarray:
        lp = self.lp
        curt_row = lp.rows["curt"]
        lp.set_row_bounds(curt_row, np.array([-np.inf]), np.array([np.inf]))
        if self.options.objective == "cost":
            lp.set_costs(self._costs(price, False))
            return self._solve_with_cuts()
        # The cost optimum first: a warm start that makes the curtailment solve much faster
        # than starting it cold (the curtailment objective leaves most columns free).
        lp.set_costs(self._costs(price, False))
        self._solve_with_cuts()
        lp.set_costs(self._costs(price, True))
        x = self._solve_with_cuts()
        produced = float(x[lp.cols["pn"][:, self.assets.curtailable[lp.gen]]].sum() * lp.dt)
        tol = self.options.curtailment_tol * max(1.0, abs(produced))
        lp.set_row_bounds(curt_row, np.array([produced - tol]), np.array([np.inf]))
        lp.set_costs(self._costs(price, False))
        return self._solve_with_cuts()

    def _solve_with_cuts(self) -> np.ndarray:
        """Solve, adding thermal polygons where the LP flows break a rating, until none do."""
        x = self.lp.solve()
        for _ in range(_MAX_CUT_ROUNDS):
            if not self.lp.thermal_cuts(x):
                break
            x = self.lp.solve()
        return x

    def solve(
        self, price: np.ndarray, load_p: np.ndarray, load_q: np.ndarray, avail: np.ndarray
    ) -> ScheduleResult:
        """Schedule one day and AC-check it.

        Parameters
        ----------
        price
            (T,) currency/MWh.
        load_p, load_q
            Node loads (T, N) (MW, Mvar; consumption positive).
        avail
            Available power (T, A) (MW); only pv and wind columns are used.
        """
        if self.net3 is not None:
            return self._solve3(price, load_p[:, 0], avail)
        lp = self.lp
        solve0 = lp.solve_s
        lp.set_loads(load_p, load_q)
        self._set_pv(avail)
        o = self.options
        corr = np.zeros((self.periods.n, lp.vbus.size))
        factor = np.ones((self.periods.n, lp.rated.size))
        lp.set_voltage_correction(corr)
        lp.set_thermal_factor(factor)
        ac_s, rounds = 0.0, 0
        while True:
            x = self._solve_lp(price)
            p, q = self._asset_pq(x)
            ta = time.perf_counter()
            ac = ac_day(self.data, load_p, load_q, self._per_node(p), self._per_node(q))
            ac_s += time.perf_counter() - ta
            loading = ac.branch_loading_pct[:, lp.rated]
            hot = np.nan_to_num(loading, nan=0.0) > 100.0 + o.thermal_tol_pct
            v_bad = (ac.v_excess_pu > o.v_tol_pu).any()
            if not (v_bad or hot.any()) or rounds >= _rounds(o, 2):
                break
            # Voltages: the AC - LinDistFlow difference at this schedule shifts the limits.
            new = ac.v_bus_sq[:, lp.vbus] - x[lp.cols["v"]]
            corr = np.where(ac.converged[:, None], new, corr)
            lp.set_voltage_correction(corr)
            # Branches the AC flow overloads (losses): their limit shrinks by the excess.
            shrink = np.where(hot, 100.0 / np.where(hot, loading, 100.0), 1.0)
            factor = factor * shrink
            lp.set_thermal_factor(factor)
            rounds += 1
        return result_tables(self, x, p, q, price, avail, ac, rounds, lp.solve_s - solve0, ac_s)

    def _solve3(self, price: np.ndarray, scale: np.ndarray, avail: np.ndarray) -> ScheduleResult:
        """:meth:`solve` on a three-phase network (loads: one factor per period)."""
        from ._threephase import ac_day3, base_day, held_table, local_sensitivities

        lp, n3, o = self.lp, self.net3, self.options
        solve0 = lp.solve_s
        ta = time.perf_counter()
        base, lo, hi, cap = base_day(n3, scale)
        ac_s = time.perf_counter() - ta
        lp.set_base(base.vm[:, n3.vt], base.loading_pct[:, n3.rc], base.head_p_mw, lo, hi, cap)
        self.held = held_table(n3, lo, hi, cap)
        self._set_pv(avail)
        rounds, corr_h = 0, np.zeros(len(scale))
        while True:
            x = self._solve_lp(price)
            p, q = lp.asset_pq(x)
            ta = time.perf_counter()
            ac = ac_day3(n3, p, q, scale, (lo, hi, cap))
            ac_s += time.perf_counter() - ta
            vm = ac.vm[:, n3.vt]
            ld = np.nan_to_num(ac.branch_loading_pct[:, n3.rc], nan=0.0)
            ok = ac.converged[:, None]
            # Cut where the AC check finds a limit broken beyond half its tolerance (so that
            # the next schedule lands inside the tolerance).
            bad = (
                ok & (vm < lo - o.v_tol_pu / 2),
                ok & (vm > hi + o.v_tol_pu / 2),
                ok & (ld > cap + o.thermal_tol_pct / 2),
            )
            over = np.nan_to_num(ac.loading_over_pct, nan=-np.inf)
            broken = (ac.v_excess_pu > o.v_tol_pu).any() or (over > o.thermal_tol_pct).any()
            if not broken or rounds >= _rounds(o, 8):
                break
            lp.secant_cuts(x, vm, ld, bad, local_sensitivities(n3, p, q, scale, bad))
            head_lin = x[lp.cols["ph"]][:, 0] - (lp.head0 + corr_h)
            corr_h = np.where(ac.converged, ac.head_p_mw - lp.head0 - head_lin, corr_h)
            lp.set_correction(corr_h)
            rounds += 1
        return result_tables(self, x, p, q, price, avail, ac, rounds, lp.solve_s - solve0, ac_s)

    def _asset_pq(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lp = self.lp
        c = lp.cols
        p = np.zeros((self.periods.n, self.assets.n))
        p[:, lp.sto] = x[c["dis"]] - x[c["ch"]]
        p[:, lp.gen] = x[c["pn"]]
        return p, x[c["qp"]] - x[c["qm"]]

    def _per_node(self, values: np.ndarray) -> np.ndarray:
        out = np.zeros((values.shape[0], self.pf.n_nodes))
        np.add.at(out.T, self.assets.node, values.T)
        return out


def _rounds(options: ScheduleOptions, default: int) -> int:
    return default if options.ac_corrections is None else options.ac_corrections


def run_schedule(
    network,  # type: ignore[no-untyped-def]
    assets: pd.DataFrame,
    prices: pd.DataFrame,
    *,
    loads: pd.DataFrame | None = None,
    pv: pd.DataFrame | None = None,
    cost_curves: pd.DataFrame | None = None,
    options: ScheduleOptions = ScheduleOptions(),  # noqa: B008 -- frozen
    sources: Mapping[str, str] | None = None,
) -> ScheduleResult:
    """Schedule a DER portfolio over the periods of a price series, AC-checked.

    Parameters
    ----------
    network
        Radial network (:class:`gat_schemas.Network`).
    assets
        ``der_assets`` table (+ scheduling columns, see :mod:`gat_derms.schedule`).
    prices, loads, pv
        ``price_series``, ``load_series``, ``pv_series`` tables (loads and PV optional).
    cost_curves
        ``der_cost_curves``; default the network's table.
    options
        See :class:`ScheduleOptions`.
    sources
        Names (file paths) of the inputs for messages: keys ``assets``, ``prices``,
        ``loads``, ``pv``.

    Raises
    ------
    gat_schemas.errors.InputError
        Bad series (missing or naive timestamps, unknown node or asset) or assets.
    gat_schemas.errors.SolverError
        The asset limits cannot be met.
    """
    if len(assets) == 0:
        raise InputError("der_assets: no assets to schedule")
    names = dict(sources or {})
    periods = periods_from_prices(
        prices, dt_hours=options.dt_hours, source=names.get("prices", "price_series")
    )
    problem = ScheduleProblem(
        network,
        assets,
        periods,
        cost_curves=cost_curves,
        options=options,
        source=names.get("assets", "der_assets"),
    )
    load_p, load_q = problem.loads(loads, names.get("loads", "load_series"))
    avail = problem.pv(pv, names.get("pv", "pv_series"))
    return problem.solve(periods.price, load_p, load_q, avail)
