"""Network-independent blocks of the schedule LP: the assets' columns and rows, and the
assembly into a HiGHS instance, shared by the LinDistFlow (balanced) and the three-phase
network models (:mod:`._lp`, :mod:`._lp3`). Units: MW, Mvar, MWh; generation positive.
"""

from __future__ import annotations

import time

import highspy
import numpy as np

from gat_schemas.errors import SolverError

from ._assets import AssetArrays
from ._matrix import INF, Cols, Rows, build_lp, new_highs, polygon

__all__ = ["S_MAX_SIDES", "HighsLpMixin", "add_asset_cols", "add_asset_rows", "assemble"]

#: Sides of the polygon replacing an inverter circle where the P-Q box exceeds it.
S_MAX_SIDES = 16


def add_asset_cols(cols: Cols, a: AssetArrays, T: int) -> tuple[np.ndarray, ...]:
    """Columns ``ch``, ``dis``, ``soc`` (T, S) of the storage assets, ``pn`` (T, G) of the
    others, ``qp``, ``qm`` (T, A) (``q = qp - qm``), in this order."""
    sto = np.flatnonzero(a.storage)
    gen = np.flatnonzero(~a.storage)
    act = a.active  # (T, A)
    # Storage: charge, discharge (MW >= 0, 0 outside an EV's window), stored energy (MWh).
    ch_ub = np.where(act[:, sto], np.maximum(-a.p_min[sto], 0.0), 0.0)
    dis_ub = np.where(act[:, sto], np.maximum(a.p_max[sto], 0.0), 0.0)
    ch = cols.add((T, sto.size), 0.0, ch_ub)
    dis = cols.add((T, sto.size), 0.0, dis_ub)
    cap = a.energy_cap[sto]
    soc_lb = np.tile(a.soc_min[sto] * cap, (T, 1))
    soc_ub = np.tile(a.soc_max[sto] * cap, (T, 1))
    battery = a.kind[sto] == "battery"
    if T:
        init = a.soc_init[sto] * cap
        soc_lb[-1, battery] = init[battery]
        soc_ub[-1, battery] = init[battery]
    soc = cols.add((T, sto.size), soc_lb, soc_ub)
    # Other assets: one p per period (availability set later for pv / wind).
    pn_lb = np.where(act[:, gen], a.p_min[gen], 0.0)
    pn_ub = np.where(act[:, gen], a.p_max[gen], 0.0)
    pn = cols.add((T, gen.size), pn_lb, pn_ub)
    # Reactive power q = qp - qm, both >= 0, so that a small weight can keep |q| low.
    qp = cols.add(
        (T, a.n),
        np.where(act, np.maximum(a.q_min, 0.0), 0.0),
        np.where(act, np.maximum(a.q_max, 0.0), 0.0),
    )
    qm = cols.add(
        (T, a.n),
        np.where(act, np.maximum(-a.q_max, 0.0), 0.0),
        np.where(act, np.maximum(-a.q_min, 0.0), 0.0),
    )
    return ch, dis, soc, pn, qp, qm


def add_asset_rows(rows: Rows, a: AssetArrays, c: dict[str, np.ndarray], T: int, dt: float):  # type: ignore[no-untyped-def]
    """Rows of the assets (stored energy, energy needs, ramps, inverter circles) and the
    lexicographic curtailment row (returned); ``c`` holds the asset column blocks and
    ``u`` (K,), the undelivered energy of the assets with a need."""
    sto = np.flatnonzero(a.storage)
    gen = np.flatnonzero(~a.storage)
    act = a.active
    cap = a.energy_cap[sto]
    need = np.flatnonzero(~np.isnan(a.energy_need))
    ch, dis, soc, pn, qp, qm, u = (c[k] for k in ("ch", "dis", "soc", "pn", "qp", "qm", "u"))
    # Stored energy: soc_t - soc_(t-1) - eff dt ch + dt / eff dis = 0 (soc_(-1) = soc_init).
    if sto.size and T:
        eff = a.efficiency[sto]
        soc_row = rows.add((T, sto.size), 0.0, 0.0)
        rows.coef(soc_row, soc, 1.0)
        rows.coef(soc_row[1:], soc[:-1], -1.0)
        rows.coef(soc_row, ch, -eff * dt)
        rows.coef(soc_row, dis, dt / eff)
        init = a.soc_init[sto] * cap
        rows.lo[-1] = np.concatenate([init, np.zeros((T - 1) * sto.size)])
        rows.hi[-1] = rows.lo[-1]

    # Energy needs: EV final energy + u = initial + need; flex consumption in window + u = need.
    pos_sto = {int(s): i for i, s in enumerate(sto)}
    pos_gen = {int(x): i for i, x in enumerate(gen)}
    for k, d in enumerate(need.tolist()):
        req = float(a.energy_need[d])
        if a.storage[d]:
            i = pos_sto[d]
            init = float(a.soc_init[d] * a.energy_cap[d])
            r = rows.add((1,), init + req, init + req)
            rows.coef(r, np.array([soc[-1, i]]), 1.0)
        else:
            i = pos_gen[d]
            r = rows.add((1,), req, req)
            window = np.flatnonzero(act[:, d])
            rows.coef(np.repeat(r, window.size), pn[window, i], -dt)
        rows.coef(r, np.array([u[k]]), 1.0)

    # Ramp limits: -ramp_down dt <= p_t - p_(t-1) <= ramp_up dt.
    ramped = np.flatnonzero(np.isfinite(a.ramp_up) | np.isfinite(a.ramp_down))
    if ramped.size and T > 1:
        up = np.nan_to_num(a.ramp_up[ramped] * dt, nan=INF)
        dn = np.nan_to_num(a.ramp_down[ramped] * dt, nan=INF)
        ramp = rows.add((T - 1, ramped.size), -dn, up)
        for j, d in enumerate(ramped.tolist()):
            if a.storage[d]:
                i = pos_sto[d]
                for block, sign in ((dis, 1.0), (ch, -1.0)):
                    rows.coef(ramp[:, j], block[1:, i], sign)
                    rows.coef(ramp[:, j], block[:-1, i], -sign)
            else:
                i = pos_gen[d]
                rows.coef(ramp[:, j], pn[1:, i], 1.0)
                rows.coef(ramp[:, j], pn[:-1, i], -1.0)

    # Inverter circles where the P-Q box reaches beyond s_max.
    corner = np.hypot(
        np.maximum(np.abs(a.p_min), np.abs(a.p_max)), np.maximum(np.abs(a.q_min), np.abs(a.q_max))
    )
    circled = np.flatnonzero(np.isfinite(a.s_max) & (corner > a.s_max * (1 + 1e-9)))
    if circled.size:
        cos, sin, inner = polygon(S_MAX_SIDES)
        circ = rows.add(
            (T, circled.size, S_MAX_SIDES), -INF, (a.s_max[circled] * inner)[None, :, None]
        )
        for j, d in enumerate(circled.tolist()):
            if a.storage[d]:
                i = pos_sto[d]
                rows.coef(circ[:, j, :], dis[:, i, None], cos[None, :])
                rows.coef(circ[:, j, :], ch[:, i, None], -cos[None, :])
            else:
                rows.coef(circ[:, j, :], pn[:, pos_gen[d], None], cos[None, :])
            rows.coef(circ[:, j, :], qp[:, d, None], sin[None, :])
            rows.coef(circ[:, j, :], qm[:, d, None], -sin[None, :])

    # Lexicographic curtailment row: produced curtailable energy >= bound (off until used).
    curt = rows.add((1,), -INF, INF)
    cg = np.flatnonzero(a.curtailable[gen])
    rows.coef(np.repeat(curt, T * cg.size), pn[:, cg].ravel(), dt)

    return curt


def assemble(cols: Cols, rows: Rows) -> highspy.Highs:
    """A one-thread, silent HiGHS instance holding the LP of ``cols`` and ``rows`` (zero costs)."""
    highs = new_highs()
    highs.passModel(build_lp(cols, rows))
    return highs


class HighsLpMixin:
    """Parameter updates and the solve of a schedule LP on its persistent HiGHS instance
    (the classes using it have ``highs``, ``n_col``, ``solves`` and ``solve_s``)."""

    highs: highspy.Highs
    n_col: int
    solves: int
    solve_s: float

    def set_costs(self, cost: np.ndarray) -> None:
        """Replace every column cost (``cost`` has one entry per column)."""
        idx = np.arange(self.n_col, dtype=np.int32)
        self.highs.changeColsCost(self.n_col, idx, np.asarray(cost, dtype=float))

    def set_col_bounds(self, idx: np.ndarray, lb: np.ndarray, ub: np.ndarray) -> None:
        """Change the bounds of columns ``idx``."""
        idx = np.asarray(idx, dtype=np.int32).ravel()
        lo = np.asarray(lb, dtype=float).ravel()
        hi = np.asarray(ub, dtype=float).ravel()
        self.highs.changeColsBounds(idx.size, idx, lo, hi)

    def set_row_bounds(self, idx: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
        """Change the bounds of rows ``idx``."""
        idx = np.asarray(idx, dtype=np.int32).ravel()
        lo_ = np.asarray(lo, dtype=float).ravel()
        hi_ = np.asarray(hi, dtype=float).ravel()
        self.highs.changeRowsBounds(idx.size, idx, lo_, hi_)

    def solve(self) -> np.ndarray:
        """Run HiGHS (warm-started after the first solve); return the column values.

        Raises
        ------
        gat_schemas.errors.SolverError
            The LP is infeasible (only asset limits can make it so: network limits are
            elastic) or HiGHS stops without an optimum.
        """
        t0 = time.perf_counter()
        self.highs.run()
        self.solve_s += time.perf_counter() - t0
        self.solves += 1
        status = self.highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            text = self.highs.modelStatusToString(status)
            raise SolverError(
                f"schedule LP: HiGHS status {text}; the asset limits cannot all be met (check "
                "p_min/p_max, soc bounds, ramps and energy needs against the windows)"
            )
        return np.asarray(self.highs.getSolution().col_value)

    @property
    def status(self) -> str:
        """HiGHS model status of the last solve."""
        return str(self.highs.modelStatusToString(self.highs.getModelStatus()))
