"""AC evaluation of control settings over periods, and the linear model around them.

Everything goes through the physics interface: the network at a setting of capacitors (and,
balanced, transformer taps; :func:`~gat_adms.vvo.controls.network_at`) is one
:func:`gat_pf.physics_model` (kept per setting), whose :meth:`~gat_pf.PhysicsModel.solve`
takes the periods' load factors, the DER injections and the regulator taps
(``solve(taps=...)``, held per scenario) as scenarios of one batch.

The linear model of a period at a setting (:meth:`AcEngine.linearise`) holds, for every
quantity ``y`` (terminal voltages, losses, head demand, head power), its value and its
change per unit of each control:

- a DER's reactive power: central differences of +-:data:`DQ_MVAR`;
- a tap: half the difference between one step up and one step down (one-sided at a limit),
  the tap's voltage-ratio effect solved exactly by the AC power flow;
- a capacitor: the secant of switching it (the network with it toggled minus the point);

and the second differences of the losses and demand in each control alone (the MILP's
curvature). The perturbations start from their point's voltages (warm start).

Head demand (the ``cvr`` objective, MW) is the active power imported at the heads, in which
the loads' own voltage dependence (ZIP, constant current or impedance, as the data says)
is already present, plus ``cvr_factor * P * (|V| - 1)`` for every constant-power load
``P`` (MW at 1 pu; :class:`~gat_adms.vvo.options.VvoOptions`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from gat_schemas.errors import NotConvergedError

from .controls import Controls, Settings, network_at

if TYPE_CHECKING:
    from gat_schemas import Network

    from .options import VvoOptions

__all__ = ["DQ_MVAR", "AcEngine", "Evaluation", "Linear"]

#: Step of the DER reactive-power central differences (Mvar).
DQ_MVAR = 1e-3
_MAX_MODELS = 256


@dataclass(frozen=True, eq=False)
class Evaluation:
    """AC results of P periods at their settings (NaN where a period did not converge).

    Attributes
    ----------
    converged
        (P,) bool.
    vm
        (P, T) terminal voltage magnitudes (pu).
    head_p_mw, head_q_mvar
        (P,) power imported at the heads (MW, Mvar; Q NaN when the model gives none).
    loss_mw
        (P,) active losses (MW).
    demand_mw
        (P,) head demand with the CVR term for constant-power loads (MW).
    vdev_pu
        (P,) mean ``|vm - v_ref|`` over the terminals with limits (pu).
    violation_pu
        (P,) largest voltage excursion outside ``[v_min, v_max]`` (pu; 0 inside).
    v
        (P, T) complex terminal voltages (pu; a warm start for nearby solves).
    """

    converged: np.ndarray
    vm: np.ndarray
    head_p_mw: np.ndarray
    head_q_mvar: np.ndarray
    loss_mw: np.ndarray
    demand_mw: np.ndarray
    vdev_pu: np.ndarray
    violation_pu: np.ndarray
    v: np.ndarray


@dataclass(frozen=True, eq=False)
class Linear:
    """The linear model of P periods, each at its own setting.

    ``vm`` (P, T), ``loss``/``demand``/``head`` (P,) at the points; ``d_vm`` (P, T, N),
    ``d_loss``/``d_demand``/``d_head`` (P, N) per unit of each control, columns ``N = R + C
    + D`` (taps per step, capacitors per switching on, DER per Mvar); ``h_loss``,
    ``h_demand`` (P, N) their second derivatives in each control alone (second differences
    of the same scenarios, clipped at 0; 0 for capacitors and taps at a limit).
    """

    point: Evaluation
    vm: np.ndarray
    d_vm: np.ndarray
    loss: np.ndarray
    d_loss: np.ndarray
    demand: np.ndarray
    d_demand: np.ndarray
    head: np.ndarray
    d_head: np.ndarray
    h_loss: np.ndarray
    h_demand: np.ndarray


class AcEngine:
    """AC solves of a network at control settings (one physics model kept per setting).

    Parameters
    ----------
    network
        The network.
    controls
        Its controls (:func:`~gat_adms.vvo.controls.controls_of`).
    options
        Voltage band, CVR factor, reference voltage.
    three_phase
        Which physics model the network needs (the ``model`` given to
        :func:`gat_pf.physics_model`; every computation below is the same for both).
    """

    def __init__(
        self, network: Network, controls: Controls, options: VvoOptions, *, three_phase: bool
    ) -> None:
        import gat_pf

        self.network = network
        self.controls = controls
        self.options = options
        self.three_phase = three_phase
        self._models: dict[Any, Any] = {}
        # Tap controls the solve cannot hold per scenario (balanced transformers, substation
        # set points) are part of the model's key; regulators (the physics model's own tap
        # changers) are solve inputs.
        self._held_taps = np.asarray(controls.tap_kind == "regulator", dtype=bool)
        self._rebuild_taps = ~self._held_taps
        self.n_solves = 0
        phys = self.model(controls.initial())
        self.n_terms = len(phys.term_node)
        self.terms, self.w = _der_terminals(phys, controls)
        lo = np.asarray(phys.term_v_min, dtype=float).copy()
        hi = np.asarray(phys.term_v_max, dtype=float).copy()
        if options.v_min is not None:
            lo[:] = options.v_min
        if options.v_max is not None:
            hi[:] = options.v_max
        self.limited = ~np.asarray(phys.term_slack, dtype=bool)
        self.v_lo, self.v_hi = lo, hi
        self.cvr_p_mw = gat_pf.constant_power_load_mw(phys)
        self.term_label = np.asarray(phys.term_label).astype(str)
        self.term_phase = np.asarray(phys.term_phase).astype(str)

    # -- models ---------------------------------------------------------------------------
    def _key(self, taps: np.ndarray, caps: np.ndarray) -> Any:
        """Settings sharing one physics model: three-phase taps are a solve argument, so
        only the capacitors (and a balanced network's transformer ratios) need a model."""
        rebuild = self._rebuild_taps
        t = tuple(int(x) for x in np.asarray(taps)[rebuild])
        return t, tuple(bool(x) for x in caps)

    def model(self, settings: Settings) -> Any:
        """The physics model of the network at ``settings``' capacitors (and balanced taps)."""
        import gat_pf
        from gat_pf import ThreePhaseOptions

        key = self._key(settings.taps, settings.caps)
        phys = self._models.get(key)
        if phys is None:
            net = network_at(self.network, self.controls, settings.taps, settings.caps)
            phys = gat_pf.physics_model(
                net,
                model="three_phase" if self.three_phase else "balanced",
                options_3ph=ThreePhaseOptions(regulators="fixed"),
            )
            if len(self._models) >= _MAX_MODELS:
                self._models.clear()
            self._models[key] = phys
        return phys

    # -- evaluation -----------------------------------------------------------------------
    def run(
        self,
        taps: np.ndarray,
        caps: np.ndarray,
        q: np.ndarray,
        load_scale: np.ndarray,
        der_p: np.ndarray,
        start: np.ndarray | None = None,
    ) -> Evaluation:
        """AC results of S scenarios: taps (S, R), capacitors (S, C), DER reactive and active
        power (S, D) (Mvar, MW), load factors (S,); ``start`` (S, T) complex voltages to
        start from (a nearby solution)."""
        from gat_pf import Injection, judged_vm, power_totals

        n_s = len(load_scale)
        keys: dict[Any, list[int]] = {}
        for i in range(n_s):
            keys.setdefault(self._key(taps[i], caps[i]), []).append(i)
        parts: list[tuple[np.ndarray, Evaluation]] = []
        for rows_list in keys.values():
            rows = np.asarray(rows_list, dtype=np.int64)
            phys = self.model(Settings(taps[rows[0]], caps[rows[0]], q[rows[0]]))
            inj = None
            if len(self.terms):
                inj = Injection(self.terms, der_p[rows] @ self.w.T, q[rows] @ self.w.T)
            held = taps[rows][:, self._held_taps] if self._held_taps.any() else None
            sol = phys.solve(
                inj,
                load_scale=np.asarray(load_scale[rows], float),
                n_scenarios=len(rows),
                taps=held,
                start=None if start is None else start[rows],
            )
            self.n_solves += len(rows)
            tot = power_totals(phys, sol)
            ev = self._finish(
                np.asarray(sol.converged, dtype=bool),
                # Judged magnitudes: line to line in ungrounded (delta) sections.
                judged_vm(phys, sol.v),
                tot.head_p_mw.sum(axis=1),
                tot.head_q_mvar.sum(axis=1),
                tot.losses_mw,
                load_scale[rows],
                sol.v,
            )
            parts.append((rows, ev))
        return _merge(parts, n_s)

    def _finish(self, ok, vm, head_p, head_q, loss, load_scale, v) -> Evaluation:  # type: ignore[no-untyped-def]
        ls = np.asarray(load_scale, dtype=float)
        demand = head_p + ls * ((vm - 1.0) @ self.cvr_p_mw) * self.options.cvr_factor
        lim_vm = vm[:, self.limited]
        vdev = np.abs(lim_vm - self.options.v_ref).mean(axis=1) if lim_vm.shape[1] else 0 * ls
        over = np.maximum(lim_vm - self.v_hi[self.limited], self.v_lo[self.limited] - lim_vm)
        viol = np.clip(over.max(axis=1), 0.0, None) if lim_vm.shape[1] else 0 * ls
        bad = ~ok
        nan = np.where(bad, np.nan, 1.0)
        return Evaluation(
            converged=ok,
            vm=np.where(bad[:, None], np.nan, vm),
            head_p_mw=head_p * nan,
            head_q_mvar=head_q * nan,
            loss_mw=loss * nan,
            demand_mw=demand * nan,
            vdev_pu=vdev * nan,
            violation_pu=viol * nan,
            v=np.where(bad[:, None], np.nan, v),
        )

    def evaluate(
        self, settings: list[Settings], load_scale: np.ndarray, der_p: np.ndarray
    ) -> Evaluation:
        """AC results of P periods, period ``p`` at ``settings[p]`` with load factor
        ``load_scale[p]`` and DER active power ``der_p[p]`` (MW)."""
        taps, caps, q = _arrays(settings, self.controls)
        return self.run(taps, caps, q, np.asarray(load_scale, float), np.asarray(der_p, float))

    # -- linearisation --------------------------------------------------------------------
    def linearise(
        self, settings: list[Settings], load_scale: np.ndarray, der_p: np.ndarray
    ) -> Linear:
        """The linear model of every period at its setting (see the module doc): all the
        periods' points and perturbations in one batch per capacitor setting.

        Raises
        ------
        gat_schemas.errors.NotConvergedError
            When a point or a perturbation does not converge.
        """
        c = self.controls
        n_p, n_r, n_c, n_d = len(settings), c.n_taps, c.n_caps, c.n_der
        n = n_r + n_c + n_d
        taps, caps, q = _arrays(settings, c)
        ls = np.asarray(load_scale, float)
        p = np.asarray(der_p, float).reshape(n_p, n_d)
        # Scenario blocks (each P rows): point, +-DQ per DER, tap up/down per regulator,
        # capacitor toggles.
        n_b = 1 + 2 * n_d + 2 * n_r + n_c
        bt = np.repeat(taps[None], n_b, axis=0)
        bc = np.repeat(caps[None], n_b, axis=0)
        bq = np.repeat(q[None], n_b, axis=0)
        j = np.arange(n_d)
        bq[1 + j, :, j] += DQ_MVAR
        bq[1 + n_d + j, :, j] -= DQ_MVAR
        up = np.minimum(taps + 1, c.tap_max[None, :])  # (P, R)
        dn = np.maximum(taps - 1, c.tap_min[None, :])
        o = 1 + 2 * n_d
        for r in range(n_r):
            bt[o + r, :, r] = up[:, r]
            bt[o + n_r + r, :, r] = dn[:, r]
        o2 = o + 2 * n_r
        for ci in range(n_c):
            bc[o2 + ci, :, ci] = ~caps[:, ci]
        # The points first; the perturbations start from their point's voltages.
        ev0 = self.run(taps, caps, q, ls, p)
        _check(ev0)
        ev = self.run(
            bt[1:].reshape((n_b - 1) * n_p, n_r),
            bc[1:].reshape((n_b - 1) * n_p, n_c),
            bq[1:].reshape((n_b - 1) * n_p, n_d),
            np.tile(ls, n_b - 1),
            np.tile(p, (n_b - 1, 1)),
            start=np.tile(ev0.v, (n_b - 1, 1)),
        )
        _check(ev)
        y = np.concatenate([_stack(ev0), _stack(ev)]).reshape(n_b, n_p, -1)  # (B, P, T + 3)
        y0 = y[0]
        d = np.zeros((n_p, y0.shape[1], n))
        for r in range(n_r):
            span = np.maximum(up[:, r] - dn[:, r], 1)[:, None]
            d[:, :, r] = (y[o + r] - y[o + n_r + r]) / span
        for ci in range(n_c):
            sign = np.where(caps[:, ci], -1.0, 1.0)[:, None]  # toggled state minus current
            d[:, :, n_r + ci] = (y[o2 + ci] - y0) * sign
        h = np.zeros((n_p, y0.shape[1], n))
        for r in range(n_r):
            both = ((up[:, r] > taps[:, r]) & (dn[:, r] < taps[:, r]))[:, None]
            h[:, :, r] = np.where(both, y[o + r] + y[o + n_r + r] - 2 * y0, 0.0)
        for k in range(n_d):
            d[:, :, n_r + n_c + k] = (y[1 + k] - y[1 + n_d + k]) / (2 * DQ_MVAR)
            h[:, :, n_r + n_c + k] = (y[1 + k] + y[1 + n_d + k] - 2 * y0) / DQ_MVAR**2
        h = np.clip(h, 0.0, None)
        t = self.n_terms
        point = ev0
        return Linear(
            point=point,
            vm=y0[:, :t],
            d_vm=d[:, :t, :],
            loss=y0[:, t],
            d_loss=d[:, t, :],
            demand=y0[:, t + 1],
            d_demand=d[:, t + 1, :],
            head=y0[:, t + 2],
            d_head=d[:, t + 2, :],
            h_loss=h[:, t, :],
            h_demand=h[:, t + 1, :],
        )


def _arrays(settings: list[Settings], c: Controls) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n_p = len(settings)
    taps = np.array([s.taps for s in settings], dtype=np.int64).reshape(n_p, c.n_taps)
    caps = np.array([s.caps for s in settings], dtype=bool).reshape(n_p, c.n_caps)
    q = np.array([s.q_mvar for s in settings], dtype=float).reshape(n_p, c.n_der)
    return taps, caps, q


def _check(ev: Evaluation) -> None:
    if not ev.converged.all():
        raise NotConvergedError(
            "VVO: the AC power flow at a setting (or a step of one control from it) did not "
            "converge"
        )


def _stack(ev: Evaluation) -> np.ndarray:
    """(S, T + 3): voltages, losses, demand, head power."""
    return np.concatenate(
        [ev.vm, ev.loss_mw[:, None], ev.demand_mw[:, None], ev.head_p_mw[:, None]], axis=1
    )


def _slice(ev: Evaluation, sl: slice) -> Evaluation:
    return Evaluation(**{f: getattr(ev, f)[sl] for f in Evaluation.__dataclass_fields__})


def _merge(parts: list[tuple[np.ndarray, Evaluation]], n_p: int) -> Evaluation:
    order = np.concatenate([idx for idx, _ in parts])
    back = np.argsort(order)
    return Evaluation(
        **{
            f: np.concatenate([getattr(ev, f) for _, ev in parts], axis=0)[back]
            for f in Evaluation.__dataclass_fields__
        }
    )


def _der_terminals(phys: Any, controls: Controls) -> tuple[np.ndarray, np.ndarray]:
    """Terminals of the DER and the (K, D) share of each DER's injection on each.

    A DER injects in equal shares on the phases of its ``phase`` present at its node (all the
    node's phases when none of them is; the balanced model has one terminal per node).
    """
    term_node = np.asarray(phys.term_node)
    term_phase = np.asarray(phys.term_phase).astype(str)
    pos = {str(n): i for i, n in enumerate(np.asarray(phys.node_ids).astype(str))}
    per: list[np.ndarray] = []
    for node, ph in zip(controls.der_node, controls.der_phase, strict=True):
        at = np.flatnonzero(term_node == pos[str(node)])
        pick = at[np.array([p in str(ph) for p in term_phase[at]], dtype=bool)]
        per.append(pick if len(pick) else at)
    terms = np.unique(np.concatenate(per)) if per else np.zeros(0, np.int64)
    w = np.zeros((len(terms), len(per)))
    for d, t in enumerate(per):
        w[np.searchsorted(terms, t), d] = 1.0 / len(t)
    return terms.astype(np.int64), w
