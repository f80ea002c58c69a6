"""The schedule LP on a three-phase network: the assets' blocks of :mod:`._lp_assets` and a
linear network model from the physics interface instead of LinDistFlow.

Per period ``t`` the network is ``value_t(x) = base_t + G x_t``: ``base_t`` is the
three-phase AC power flow of the period with every DER at zero (its own load level), ``G``
the per-asset sensitivities of :func:`gat_dist.opf.threephase.ac.linearise` (central
differences of the batched AC solve, taps held) and ``x_t`` the assets' set points (MW,
Mvar). Three families:

- the head import ``ph_t = head_t + g_h x_t`` (MW, an equality row per period, in the cost);
- node-phase voltages (pu) within ``[lo, hi]`` of each limited terminal and period;
- conductor loadings (%, each end against its own rating) below ``cap`` per rated conductor.

``lo``, ``hi``, ``cap`` are the limits with the base case's violations held
(:mod:`gat_dist.held_limits`). Voltage and loading rows are elastic (slacks ``sv_lo``,
``sv_hi`` in pu, ``sth`` in percentage points, per period) and lazy: a row enters the LP only
when the LP's schedule comes within :data:`NEAR_PU` (voltage) or :data:`NEAR_PCT` (loading)
of its limit (:meth:`ScheduleLp3.thermal_cuts`, the balanced model's name for its lazy rows);
on a feeder most (period, node phase) pairs never come near one.

AC corrections follow the three-phase envelope (:mod:`gat_derms.envelope.threephase`): for
each (period, limit) the AC check finds broken, a secant cut is added, the limit's row with
its gradient corrected along that period's step ``s = x_t`` so that it gives the AC value
there (``g + (ac - lin) s / |s|^2``); the row stays exact at the zero-DER point, where the
linear model is. A uniform shift (the balanced schedule's correction) is not enough here:
near a stressed transformer the sensitivities at zero DER can have the wrong sign for a
large set point, and a shifted row then keeps pushing the schedule the wrong way. The head
import (the cost) is shifted by the AC - linear difference instead (:meth:`set_correction`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import highspy
import numpy as np

from ._assets import AssetArrays
from ._lp_assets import HighsLpMixin, add_asset_cols, add_asset_rows, assemble
from ._matrix import INF, Cols, Rows

__all__ = ["NEAR_PCT", "NEAR_PU", "ScheduleLp3", "build_lp3"]

#: A voltage row enters the LP when the schedule's linear voltage is within this of its limit (pu).
NEAR_PU = 0.002
#: A loading row enters the LP when the schedule's linear loading is within this of its limit (%).
NEAR_PCT = 0.5


@dataclass(eq=False)
class ScheduleLp3(HighsLpMixin):
    """A built three-phase scheduling LP (see the module doc).

    ``g_v`` (2, V, A) and ``g_l`` (2, L, A): sensitivities (per MW, per Mvar of each asset)
    of the V limited terminals' voltages (pu) and the L rated conductors' loadings (%).
    The per-period arrays (``vm0``, ``lo``, ``hi``, ``corr_v`` (T, V); ``ld0``, ``cap``,
    ``corr_l`` (T, L)) are set by :meth:`set_base` and :meth:`set_correction`.
    """

    highs: highspy.Highs
    cols: dict[str, np.ndarray]
    rows: dict[str, np.ndarray]
    sto: np.ndarray
    gen: np.ndarray
    need: np.ndarray
    g_v: np.ndarray
    g_l: np.ndarray
    dt: float
    n_col: int
    n_row: int
    vm0: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    ld0: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    lo: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    hi: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    cap: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    head0: np.ndarray = field(default_factory=lambda: np.zeros(0))
    lazy: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = field(
        default_factory=lambda: {"lo": [], "hi": [], "cap": []}
    )
    cuts: list[np.ndarray] = field(default_factory=list)
    done: dict[str, np.ndarray] = field(default_factory=dict)
    solves: int = 0
    solve_s: float = 0.0

    # -- parameter updates --------------------------------------------------------------
    def set_base(self, vm0, ld0, head0, lo, hi, cap) -> None:  # type: ignore[no-untyped-def]
        """The periods' zero-DER AC values and their (held) limits; the secant cuts of an
        earlier base are switched off and the head correction reset to 0."""
        self.vm0, self.ld0 = np.asarray(vm0, float), np.nan_to_num(np.asarray(ld0, float))
        self.lo, self.hi, self.cap = (np.asarray(z, dtype=float) for z in (lo, hi, cap))
        if not self.done:
            self.done = {
                "lo": np.zeros(self.vm0.shape, dtype=bool),
                "hi": np.zeros(self.vm0.shape, dtype=bool),
                "cap": np.zeros(self.ld0.shape, dtype=bool),
            }
        self.head0 = np.asarray(head0, dtype=float)
        self.set_correction(np.zeros(self.head0.shape))
        if self.cuts:
            rows = np.concatenate(self.cuts)
            self.set_row_bounds(rows, np.full(rows.size, -INF), np.full(rows.size, INF))
            self.cuts = []
        for kind in ("lo", "hi", "cap"):
            if self.lazy[kind]:
                t, k, rows = (np.concatenate(z) for z in zip(*self.lazy[kind], strict=True))
                lo, hi = self._bounds(kind, t, k)
                self.set_row_bounds(rows, lo, hi)

    def set_correction(self, corr_h: np.ndarray) -> None:
        """AC minus linear head import (T,) (MW) added to the head rows."""
        rhs = self.head0 + np.asarray(corr_h, dtype=float)
        self.set_row_bounds(self.rows["head"], rhs, rhs)

    def _bounds(self, kind: str, t: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if kind == "lo":
            return self.lo[t, k] - self.vm0[t, k], np.full(t.size, INF)
        if kind == "hi":
            return np.full(t.size, -INF), self.hi[t, k] - self.vm0[t, k]
        return np.full(t.size, -INF), self.cap[t, k] - self.ld0[t, k]

    # -- the linear model ---------------------------------------------------------------
    def asset_pq(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Asset set points (T, A) (MW, Mvar) of the LP solution ``x``."""
        c = self.cols
        p = np.zeros(c["qp"].shape)
        p[:, self.sto] = x[c["dis"]] - x[c["ch"]]
        p[:, self.gen] = x[c["pn"]]
        return p, x[c["qp"]] - x[c["qm"]]

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Linear voltages (T, V) (pu) and loadings (T, L) (%) at ``x`` (no cuts)."""
        p, q = self.asset_pq(x)
        vm = self.vm0 + p @ self.g_v[0].T + q @ self.g_v[1].T
        ld = self.ld0 + p @ self.g_l[0].T + q @ self.g_l[1].T
        return vm, ld

    def thermal_cuts(self, x: np.ndarray) -> int:
        """Add the voltage and loading rows the schedule ``x`` comes near (see the module
        doc); return how many rows were added."""
        vm, ld = self.predict(x)
        want = {
            "lo": (vm < self.lo + NEAR_PU) & ~self.done["lo"],
            "hi": (vm > self.hi - NEAR_PU) & ~self.done["hi"],
            "cap": (ld > self.cap - NEAR_PCT) & ~self.done["cap"],
        }
        added = 0
        for kind, mask in want.items():
            t, k = np.nonzero(mask)
            if t.size:
                self._add_rows(kind, t, k)
                self.done[kind][t, k] = True
                added += t.size
        return added

    def secant_cuts(
        self, x: np.ndarray, ac_v: np.ndarray, ac_l: np.ndarray, bad, local=None
    ) -> int:  # type: ignore[no-untyped-def]
        """Add a cut for every (period, limit) in ``bad`` (``lo``, ``hi`` (T, V) and ``cap``
        (T, L) masks) at the schedule ``x`` whose AC voltages are ``ac_v`` (T, V) (pu) and
        loadings ``ac_l`` (T, L) (%); return the count.

        ``local`` maps a period to its sensitivities at ``x`` (``g_v`` (2, V, A), ``g_l``
        (2, L, A)): that period's cuts are tangents there (``ac + g (y - x_t)``; a loading is
        convex in the injections, so its tangent holds everywhere, where a secant through
        the zero-DER point can let the next schedule overshoot again). Other periods get
        secant cuts (see the module doc)."""
        local = local or {}
        p, q = self.asset_pq(x)
        steps = np.concatenate([p, q], axis=1)  # (T, 2A)
        n_a = p.shape[1]
        added = 0
        for kind, mask in zip(("lo", "hi", "cap"), bad, strict=True):
            t, k = np.nonzero(mask)
            if not t.size:
                continue
            g = self.g_l if kind == "cap" else self.g_v
            base = self.ld0 if kind == "cap" else self.vm0
            ac = ac_l if kind == "cap" else ac_v
            grad = np.concatenate([g[0][k], g[1][k]], axis=1)  # (n, 2A)
            s = steps[t]
            norm = np.maximum((s * s).sum(axis=1), 1e-18)
            err = ac[t, k] - base[t, k] - (grad * s).sum(axis=1)
            grad = grad + (err / norm)[:, None] * s
            offset = np.zeros(t.size)
            for i in np.flatnonzero(np.isin(t, list(local))):
                gl = local[int(t[i])][1 if kind == "cap" else 0]
                g_i = np.concatenate([gl[0][k[i]], gl[1][k[i]]])
                grad[i] = g_i
                offset[i] = ac[t[i], k[i]] - base[t[i], k[i]] - g_i @ s[i]
            rows = self._add_rows(kind, t, k, (grad[:, :n_a], grad[:, n_a:]), offset)
            self.cuts.append(rows)
            added += t.size
        return added

    def _add_rows(
        self, kind: str, t: np.ndarray, k: np.ndarray, grads=None, offset=None
    ) -> np.ndarray:  # type: ignore[no-untyped-def]
        c = self.cols
        if grads is None:
            g = self.g_l if kind == "cap" else self.g_v
            gp, gq = g[0][k], g[1][k]  # (n, A)
        else:
            gp, gq = grads
        slack = {"lo": ("sv_lo", 1.0), "hi": ("sv_hi", -1.0), "cap": ("sth", -1.0)}[kind]
        n = t.size
        blocks = [
            (c["dis"][t], gp[:, self.sto]),
            (c["ch"][t], -gp[:, self.sto]),
            (c["pn"][t], gp[:, self.gen]),
            (c["qp"][t], gq),
            (c["qm"][t], -gq),
            (c[slack[0]][t][:, None], np.full((n, 1), slack[1])),
        ]
        cols = np.concatenate([b[0] for b in blocks], axis=1)
        vals = np.concatenate([b[1] for b in blocks], axis=1)
        keep = vals != 0
        counts = keep.sum(axis=1)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int32)
        lo, hi = self._bounds(kind, t, k)
        if offset is not None:  # the row models base + offset + g x
            lo, hi = lo - offset, hi - offset
        first = self.highs.getNumRow()
        self.highs.addRows(
            n, lo, hi, int(counts.sum()), starts, cols[keep].astype(np.int32), vals[keep]
        )
        rows = first + np.arange(n)
        if grads is None:
            self.lazy[kind].append((t, k, rows))
        self.n_row = first + n
        return rows


def build_lp3(
    assets: AssetArrays, n_periods: int, dt: float, g_v: np.ndarray, g_l: np.ndarray, g_h
) -> ScheduleLp3:  # type: ignore[no-untyped-def]
    """Build the three-phase LP for ``n_periods`` periods of ``dt`` hours.

    ``g_v`` (2, V, A), ``g_l`` (2, L, A), ``g_h`` (2, A): sensitivities of the limited
    voltages (pu), rated loadings (%) and head import (MW) per MW and per Mvar of each
    asset. Prices, PV availability and the periods' base values are set afterwards
    (``set_costs``, ``set_col_bounds``, :meth:`ScheduleLp3.set_base`).
    """
    T, a = n_periods, assets
    sto = np.flatnonzero(a.storage)
    gen = np.flatnonzero(~a.storage)
    cols, rows = Cols(), Rows()
    ch, dis, soc, pn, qp, qm = add_asset_cols(cols, a, T)
    ph = cols.add((T, 1), -INF, INF)
    sv_lo = cols.add((T,), 0.0, INF)
    sv_hi = cols.add((T,), 0.0, INF)
    sth = cols.add((T,), 0.0, INF)
    need = np.flatnonzero(~np.isnan(a.energy_need))
    u = cols.add((need.size,), 0.0, INF)

    # Head import: ph - g_h x = head_t (set per solve).
    hp, hq = np.asarray(g_h[0], float), np.asarray(g_h[1], float)
    head = rows.add((T,), 0.0, 0.0)
    rows.coef(head, ph[:, 0], 1.0)
    rows.coef(head[:, None], dis, -hp[sto])
    rows.coef(head[:, None], ch, hp[sto])
    rows.coef(head[:, None], pn, -hp[gen])
    rows.coef(head[:, None], qp, -hq)
    rows.coef(head[:, None], qm, hq)
    c = {"ch": ch, "dis": dis, "soc": soc, "pn": pn, "qp": qp, "qm": qm, "u": u}
    curt = add_asset_rows(rows, a, c, T, dt)
    highs = assemble(cols, rows)
    c.update({"ph": ph, "sv_lo": sv_lo, "sv_hi": sv_hi, "sth": sth})
    return ScheduleLp3(
        highs=highs,
        cols=c,
        rows={"head": head, "curt": curt},
        sto=sto,
        gen=gen,
        need=need,
        g_v=np.asarray(g_v, dtype=float),
        g_l=np.asarray(g_l, dtype=float),
        dt=float(dt),
        n_col=cols.n,
        n_row=rows.n,
    )
