"""The multi-period scheduling LP in matrix form, solved by a persistent HiGHS instance.

Why matrix form and not Pyomo (DESIGN.md §4 says Pyomo + HiGHS): the 96-period, 50-asset
case33bw model has 28 000 columns and 19 000 rows (55 000 with every thermal polygon).
Built as Pyomo components and loaded into HiGHS through Pyomo's persistent interface, the
same final LP took 2.3-2.5 s on the 2-core development machine (``bench/derms_schedule.py``,
``pyomo``), half of the 5 s budget for build + solve + AC check before HiGHS even starts;
assembled here as sparse triplets in vectorised numpy it takes 0.02-0.05 s, and the whole
schedule about 0.7 s. The model is built once:
prices (column costs), loads (balance row bounds), PV availability (column bounds) and the
AC voltage corrections (row bounds) are changed on the same HiGHS instance, which keeps its
basis, so re-solves are warm-started.

Units: MW, Mvar, MWh; voltages are squared magnitudes ``v`` (pu). Generation positive.
Network model: LinDistFlow per period (the ``lindistflow`` formulation of
:mod:`gat_dist.opf`: lossless branch flows at the parent end, ``kc v_c = kp v_p - 2 (r P +
x Q)``), loads at constant power. Rated branches: an inscribed polygon of
:data:`THERMAL_SIDES` sides replaces ``P^2 + Q^2 <= S_max^2``. Voltage and thermal limits are
elastic (a per-period slack priced at :data:`V_PENALTY`, :data:`TH_PENALTY`) so that a
stressed day still gets a schedule whose violations are then reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import highspy
import numpy as np

from ._assets import AssetArrays
from ._lp_assets import HighsLpMixin, add_asset_cols, add_asset_rows, assemble
from ._matrix import INF, Cols, Rows, polygon

__all__ = ["THERMAL_SIDES", "TH_PENALTY", "V_PENALTY", "ScheduleLp", "build_lp"]

#: Sides of the polygon replacing each branch's thermal circle (inscribed: loses <= 3.4 %).
THERMAL_SIDES = 12
#: Objective weight of the voltage slack (per pu of v^2 and period).
V_PENALTY = 1e6
#: Objective weight of the thermal slack (per MVA and period).
TH_PENALTY = 1e5


@dataclass(eq=False)
class ScheduleLp(HighsLpMixin):
    """A built scheduling LP and its HiGHS instance (see the module doc).

    Column blocks (arrays of column indices): ``ch``, ``dis``, ``soc`` (T, S) for storage
    assets ``sto``; ``pn`` (T, G) for the other assets ``gen``; ``P``, ``Q``
    (T, E); ``v`` (T, Bv) for the buses ``vbus`` with free voltage; ``ph``, ``qh`` (T, H)
    at slack buses; ``sv_lo``, ``sv_hi``, ``sth`` (T,); ``u`` (K,) undelivered energy of the
    assets ``need``; ``qp``, ``qm`` (T, A) with ``q = qp - qm``. Row blocks: ``bal_p``,
    ``bal_q`` (T, B), ``v_lo``, ``v_hi`` (T, Bv), ``curt`` (1,) the lexicographic curtailment row.
    Thermal polygons of the rated branches ``rated`` are added lazily (``thermal_cuts``).
    """

    highs: highspy.Highs
    cols: dict[str, np.ndarray]
    rows: dict[str, np.ndarray]
    sto: np.ndarray
    gen: np.ndarray
    need: np.ndarray
    vbus: np.ndarray
    rated: np.ndarray
    th_rhs: np.ndarray
    v_lo: np.ndarray
    v_hi: np.ndarray
    bal_const_p: np.ndarray
    bal_const_q: np.ndarray
    node_bus: np.ndarray
    n_bus: int
    dt: float
    n_col: int
    n_row: int
    th_factor: np.ndarray = field(default_factory=lambda: np.ones((0, 0)))
    th_done: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))
    th_index: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    solves: int = 0
    solve_s: float = 0.0
    extra: dict[str, object] = field(default_factory=dict)

    # -- parameter updates (no rebuild) -------------------------------------------------
    def set_loads(self, load_p: np.ndarray, load_q: np.ndarray) -> None:
        """Node loads per period (T, N) (MW, Mvar; consumption positive)."""
        bp = self._per_bus(load_p) + self.bal_const_p
        bq = self._per_bus(load_q) + self.bal_const_q
        self.set_row_bounds(self.rows["bal_p"], bp, bp)
        self.set_row_bounds(self.rows["bal_q"], bq, bq)

    def set_voltage_correction(self, corr: np.ndarray) -> None:
        """Shift the voltage limits by ``-corr`` (T, Bv) (pu of v^2): the LinDistFlow
        voltage plus ``corr`` must lie within the limits."""
        self.set_row_bounds(self.rows["v_lo"], self.v_lo[None, :] - corr, np.full(corr.shape, INF))
        self.set_row_bounds(self.rows["v_hi"], np.full(corr.shape, -INF), self.v_hi[None, :] - corr)

    def set_thermal_factor(self, factor: np.ndarray) -> None:
        """Scale the rated branches' limits by ``factor`` (T, R) (<= 1 tightens them)."""
        self.th_factor = np.asarray(factor, dtype=float).copy()
        if self.th_index:
            t, j, rows = (np.concatenate(x) for x in zip(*self.th_index, strict=True))
            hi = self.th_rhs[j] * self.th_factor[t, j]
            self.set_row_bounds(rows, np.full(rows.size, -INF), hi)

    def thermal_cuts(self, x: np.ndarray) -> int:
        """Add the polygon rows of every (period, rated branch) whose LP flow ``x`` breaks
        its limit and has no rows yet; return how many branch-periods were added.

        Thermal limits are lazy constraints: in a distribution feeder few branch-periods
        come near their rating, and leaving the other polygons out keeps the LP small
        (adding all of them made the 96-period solve several times slower).
        """
        if not self.rated.size:
            return 0
        cos, sin, _ = polygon(THERMAL_SIDES)
        p = x[self.cols["P"][:, self.rated]]
        q = x[self.cols["Q"][:, self.rated]]
        side = p[:, :, None] * cos + q[:, :, None] * sin
        limit = self.th_rhs[None, :] * self.th_factor + x[self.cols["sth"]][:, None]
        over = side.max(axis=2) > limit * (1 + 1e-7) + 1e-7
        over &= ~self.th_done
        t, j = np.nonzero(over)
        if not t.size:
            return 0
        k = THERMAL_SIDES
        n = t.size * k
        cols = np.stack(
            [
                np.repeat(self.cols["P"][t, self.rated[j]], k),
                np.repeat(self.cols["Q"][t, self.rated[j]], k),
                np.repeat(self.cols["sth"][t], k),
            ],
            axis=1,
        )
        vals = np.stack([np.tile(cos, t.size), np.tile(sin, t.size), -np.ones(n)], axis=1)
        keep = vals != 0
        counts = keep.sum(axis=1)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int32)
        hi = np.repeat(self.th_rhs[j] * self.th_factor[t, j], k)
        first = self.highs.getNumRow()
        self.highs.addRows(
            n,
            np.full(n, -INF),
            hi,
            int(counts.sum()),
            starts,
            cols[keep].astype(np.int32),
            vals[keep],
        )
        rows = first + np.arange(n)
        self.th_index.append((np.repeat(t, k), np.repeat(j, k), rows))
        self.th_done[t, j] = True
        self.n_row = first + n
        return int(t.size)

    def _per_bus(self, node_values: np.ndarray) -> np.ndarray:
        out = np.zeros((node_values.shape[0], self.n_bus))
        np.add.at(out.T, self.node_bus, node_values.T)
        return out


def build_lp(net, assets: AssetArrays, n_periods: int, dt: float) -> ScheduleLp:  # type: ignore[no-untyped-def]
    """Build the LP for ``n_periods`` periods of ``dt`` hours.

    Parameters
    ----------
    net
        :class:`~gat_dist.opf.sets.OpfData` of the network (``lindistflow``, no assets).
    assets
        Asset arrays (bounds, windows, energy needs).
    n_periods, dt
        Number and length (h) of the periods.

    The loads (balance rows), prices (costs) and PV availability (bounds) are set to
    placeholders (no load, zero cost, ``p_max``); set them with the ``set_*`` methods.
    """
    T, a = n_periods, assets
    base = float(net.base_mva)
    n_bus, n_e = int(net.n_bus), int(net.n_branch)
    fixed = net.bus_slack | net.bus_source
    vbus = np.flatnonzero(~fixed)
    vpos = np.full(n_bus, -1)
    vpos[vbus] = np.arange(vbus.size)
    slack = np.flatnonzero(net.bus_slack)
    source = np.flatnonzero(net.bus_source)
    sto = np.flatnonzero(a.storage)
    gen = np.flatnonzero(~a.storage)
    bus_of = net.pf.node_bus[a.node]

    cols, rows = Cols(), Rows()
    ch, dis, soc, pn, qp, qm = add_asset_cols(cols, a, T)
    P = cols.add((T, n_e), -INF, INF)
    Q = cols.add((T, n_e), -INF, INF)
    v = cols.add((T, vbus.size), 0.0, INF)
    ph = cols.add((T, slack.size), -INF, INF)
    qh = cols.add((T, slack.size), -INF, INF)
    qsrc = cols.add(
        (T, source.size),
        np.nan_to_num(net.bus_q_min[source] * base, nan=-INF),
        np.nan_to_num(net.bus_q_max[source] * base, nan=INF),
    )
    sv_lo = cols.add((T,), 0.0, INF)
    sv_hi = cols.add((T,), 0.0, INF)
    sth = cols.add((T,), 0.0, INF)
    need = np.flatnonzero(~np.isnan(a.energy_need))
    u = cols.add((need.size,), 0.0, INF)

    # Asset p as (column, coefficient) pairs: storage dis - ch, others pn.
    p_terms = [(dis, 1.0, sto), (ch, -1.0, sto), (pn, 1.0, gen)]

    # Power balances (MW): injections - flows out of the bus + flows in = load - fixed gen.
    bal_p = rows.add((T, n_bus), 0.0, 0.0)
    bal_q = rows.add((T, n_bus), 0.0, 0.0)
    for block, sign, which in p_terms:
        rows.coef(bal_p[:, bus_of[which]], block, sign)
    rows.coef(bal_q[:, bus_of], qp, 1.0)
    rows.coef(bal_q[:, bus_of], qm, -1.0)
    par, chi = net.br_parent, net.br_child
    rows.coef(bal_p[:, par], P, -1.0)
    rows.coef(bal_p[:, chi], P, 1.0)
    rows.coef(bal_q[:, par], Q, -1.0)
    rows.coef(bal_q[:, chi], Q, 1.0)
    rows.coef(bal_p[:, slack], ph, 1.0)
    rows.coef(bal_q[:, slack], qh, 1.0)
    rows.coef(bal_q[:, source], qsrc, 1.0)
    g, b = net.bus_g * base, net.bus_b * base
    rows.coef(bal_p[:, vbus], v, -g[vbus])
    rows.coef(bal_q[:, vbus], v, b[vbus])
    vset2 = net.bus_v_set**2
    pf = net.pf
    gen_fixed = np.zeros(n_bus, dtype=complex)
    np.add.at(gen_fixed, pf.node_bus, np.where(pf.node_type == 2, 0.0, pf.node_gen) * base)
    const_p = -gen_fixed.real + np.where(fixed, g * vset2, 0.0)
    const_q = -np.where(net.bus_source, 0.0, gen_fixed.imag) - np.where(fixed, b * vset2, 0.0)

    # Voltage drop: kc v_c - kp v_p + 2 (r P + x Q) / base = 0 (fixed voltages on the rhs).
    drop = rows.add((T, n_e), 0.0, 0.0)
    rows.coef(drop, P, 2.0 * net.br_r / base)
    rows.coef(drop, Q, 2.0 * net.br_x / base)
    rhs = np.zeros(n_e)
    for end, k, sign in ((chi, net.br_kc, 1.0), (par, net.br_kp, -1.0)):
        free = vpos[end] >= 0
        rows.coef(drop[:, free], v[:, vpos[end[free]]], sign * k[free])
        rhs[~free] -= sign * k[~free] * vset2[end[~free]]
    rows.lo[-1] = np.tile(rhs, T)
    rows.hi[-1] = np.tile(rhs, T)

    # Elastic voltage limits (pu of v^2).
    v_lo_lim = net.bus_vmin[vbus] ** 2
    v_hi_lim = net.bus_vmax[vbus] ** 2
    v_lo = rows.add((T, vbus.size), v_lo_lim, INF)
    rows.coef(v_lo, v, 1.0)
    rows.coef(v_lo, sv_lo[:, None], 1.0)
    v_hi = rows.add((T, vbus.size), -INF, v_hi_lim)
    rows.coef(v_hi, v, 1.0)
    rows.coef(v_hi, sv_hi[:, None], -1.0)

    # Thermal polygons on rated branches (MVA), elastic: added lazily by ``thermal_cuts``.
    rated = np.flatnonzero(np.isfinite(net.br_rating))
    rating = net.br_rating[rated] * base * polygon(THERMAL_SIDES)[2]

    c = {"ch": ch, "dis": dis, "soc": soc, "pn": pn, "qp": qp, "qm": qm, "u": u}
    curt = add_asset_rows(rows, a, c, T, dt)
    highs = assemble(cols, rows)
    return ScheduleLp(
        highs=highs,
        cols={
            "ch": ch,
            "dis": dis,
            "soc": soc,
            "pn": pn,
            "qp": qp,
            "qm": qm,
            "P": P,
            "Q": Q,
            "v": v,
            "ph": ph,
            "qh": qh,
            "qsrc": qsrc,
            "sv_lo": sv_lo,
            "sv_hi": sv_hi,
            "sth": sth,
            "u": u,
        },
        rows={"bal_p": bal_p, "bal_q": bal_q, "v_lo": v_lo, "v_hi": v_hi, "curt": curt},
        rated=rated,
        th_rhs=rating,
        th_factor=np.ones((T, rated.size)),
        th_done=np.zeros((T, rated.size), dtype=bool),
        sto=sto,
        gen=gen,
        need=need,
        vbus=vbus,
        v_lo=v_lo_lim,
        v_hi=v_hi_lim,
        bal_const_p=const_p,
        bal_const_q=const_q,
        node_bus=pf.node_bus,
        n_bus=n_bus,
        dt=float(dt),
        n_col=cols.n,
        n_row=rows.n,
    )
