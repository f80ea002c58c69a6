"""Options, inputs and results of a quasi-static time series (frozen dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gat_schemas.errors import InputError

__all__ = ["CONTROL_MODES", "Multipliers", "QstsOptions", "QstsResult", "QstsState"]

#: ``static``: controls iterate to rest at every step (delays ignored; OpenDSS STATIC);
#: ``time``: a control acts only once its condition has lasted its delay, delays accumulate
#: across steps, and each step allows one control round (OpenDSS TIME, sampled per step);
#: ``off``: every regulator and capacitor keeps its starting state.
CONTROL_MODES = ("static", "time", "off")


@dataclass(frozen=True, kw_only=True)
class QstsOptions:
    """Settings of :func:`gat_dist.qsts.simulate`.

    Parameters
    ----------
    control_mode
        ``static``, ``time`` or ``off`` (see :data:`CONTROL_MODES`).
    step_h
        Length of one step (h): energies are power x ``step_h``, delays count in steps of
        ``step_h * 3600`` s.
    start_h
        Hour of the day of the first step (h; time-of-day capacitor controls).
    max_tap_change
        Largest tap move of one regulator within one step (steps), as OpenDSS
        ``maxtapchange``; a regulator's own ``dist_regulators.max_tap_change`` applies when
        smaller.
    max_control_rounds
        Power flows allowed per step for the controls to come to rest (static mode); a step
        whose controls still move after them is reported with ``controls_settled`` False.
    batch_size
        Largest number of steps solved in one batched power flow.
    reg_delay_s
        Time a regulator's voltage must stay outside its band before the tap moves (s; time
        mode only), per regulator or one value; ``None`` = ``dist_regulators.delay_s``
        (OpenDSS's 15 s when the column is absent).
    tol, max_iter
        Three-phase fixed-point tolerance (pu of one phase's power base) and iteration limit.
        The default 1e-7 (``gat dist pf`` keeps 1e-9) leaves voltages within about 1e-6 pu
        of the exact solution (measured against tol 1e-13 at 0.2-1.0 load: 1.4e-8 pu on
        IEEE 123, 2.1e-7 pu on IEEE 8500), far below OpenDSS's own 1e-4 pu convergence test;
        it saves an eighth of the iterations of a time series. 1e-6 would save a third, but
        its 1e-5 pu errors let a control voltage sitting on a band edge fall on either side
        depending on the start point (predict-and-verify and sequential stepping then take
        different taps on IEEE 123 within a month).
    save_voltages
        Keep every terminal's voltage magnitude at every step (:attr:`QstsResult.vm_pu`).
    stepping
        ``auto``: static regulator control without capacitor controls runs predict-and-verify
        windows (:mod:`gat_dist.qsts._predict`: the same taps at every step as stepping
        sequentially, in far fewer solves); everything else steps sequentially.
        ``sequential``: always the sequential engine.
    """

    control_mode: str = "static"
    step_h: float = 1.0
    start_h: float = 0.0
    max_tap_change: int = 16
    max_control_rounds: int = 20
    batch_size: int = 168
    reg_delay_s: float | tuple[float, ...] | None = None
    tol: float = 1e-7
    max_iter: int = 200
    save_voltages: bool = False
    stepping: str = "auto"

    def __post_init__(self) -> None:
        if self.stepping not in ("auto", "sequential"):
            raise InputError(f"unknown stepping {self.stepping!r} (use auto, sequential)")
        if self.control_mode not in CONTROL_MODES:
            raise InputError(
                f"unknown control mode {self.control_mode!r} (use {', '.join(CONTROL_MODES)})"
            )
        if not (np.isfinite(self.step_h) and self.step_h > 0):
            raise InputError(f"QstsOptions.step_h must be > 0 h, got {self.step_h}")
        if self.max_tap_change < 1:
            raise InputError("QstsOptions.max_tap_change must be >= 1")
        if self.max_control_rounds < 1:
            raise InputError("QstsOptions.max_control_rounds must be >= 1")
        if self.batch_size < 1:
            raise InputError("QstsOptions.batch_size must be >= 1")
        delays = np.atleast_1d(
            np.asarray(15.0 if self.reg_delay_s is None else self.reg_delay_s, dtype=float)
        )
        if not (np.isfinite(delays).all() and (delays >= 0).all()):
            raise InputError("QstsOptions.reg_delay_s must be finite and >= 0 s")


@dataclass(frozen=True, eq=False)
class Multipliers:
    """Per-step multipliers of the loads and DERs of a network.

    Attributes
    ----------
    load
        (S,) one factor per step on every load (P and Q), or (S, N) per node (``dist_nodes``
        order); 1 = the load as the tables give it.
    der
        ``None`` (no DER output), (S,) one factor on every DER, or (S, K) per DER
        (``der_ids`` order): the DER's active output is ``factor * p_max`` (MW, generation
        positive).
    der_ids
        (K,) ``der_assets.asset_id`` of the DERs ``der`` applies to; ``None`` = every
        generating asset of the network's ``der_assets`` (pv, wind, genset).
    """

    load: np.ndarray
    der: np.ndarray | None = None
    der_ids: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        load = np.asarray(self.load, dtype=float)
        if load.ndim not in (1, 2) or not len(load):
            raise InputError(f"multipliers: load must be (S,) or (S, N), got {load.shape}")
        if not np.isfinite(load).all():
            raise InputError("multipliers: load factors must be finite")
        object.__setattr__(self, "load", load)
        if self.der is not None:
            der = np.asarray(self.der, dtype=float)
            if der.ndim not in (1, 2) or der.shape[0] != load.shape[0]:
                raise InputError(
                    f"multipliers: der must be ({load.shape[0]},) or ({load.shape[0]}, K), "
                    f"got {der.shape}"
                )
            if not np.isfinite(der).all():
                raise InputError("multipliers: der factors must be finite")
            object.__setattr__(self, "der", der)

    @property
    def n_steps(self) -> int:
        """Number of steps S."""
        return int(self.load.shape[0])


@dataclass(frozen=True, eq=False)
class QstsState:
    """Control state between steps (to continue a run where another stopped).

    Attributes
    ----------
    taps
        (R,) regulator taps (steps).
    cap_on
        (K,) switched capacitors in service.
    reg_timer_s, cap_timer_s
        (R,), (K,) time each control's condition has lasted (s; time mode).
    """

    taps: np.ndarray
    cap_on: np.ndarray
    reg_timer_s: np.ndarray
    cap_timer_s: np.ndarray


@dataclass(frozen=True, eq=False)
class QstsResult:
    """Per-step results of :func:`gat_dist.qsts.simulate` (S steps).

    Attributes
    ----------
    step_h
        Step length (h).
    converged
        (S,) the power flow of the step met the tolerance (a step that did not is reported
        here and in the tables, never replaced by another step's answer).
    controls_settled
        (S,) the controls came to rest within ``max_control_rounds`` (static mode).
    iterations, control_rounds
        (S,) fixed-point iterations (last solve) and power flows solved for the step.
    head_p_mw, head_q_mvar
        (S,) power from the feeder head(s) into the network (MW, Mvar; negative = reverse).
    losses_mw
        (S,) active power lost in branches (MW).
    load_p_mw, der_p_mw
        (S,) scheduled load at nominal voltage (MW) and DER output (MW, generation positive).
    v_min_pu, v_max_pu
        (S, 3) lowest and highest terminal voltage per phase A, B, C (pu of the
        line-to-neutral base; NaN where no terminal has that phase; a balanced model's
        positive-sequence voltage stands for all three phases). Judged magnitudes
        (:func:`gat_pf.judged_vm`): at terminals of ungrounded (delta) sections the
        line-to-line magnitude from the phase to the next (pu of the line-to-line base).
    n_under, n_over
        (S,) terminals (non-slack) below ``v_min`` / above ``v_max``.
    regulator_ids, taps
        (R,) ids and (S, R) tap positions at the end of each step (steps).
    tap_ops, tap_steps
        (R,) operations (steps at which the tap moved) and tap steps moved in total.
    cap_ids, cap_on, cap_ops
        (K,) switched capacitors (``dist_caps.cap_id`` of the ``dist_cap_controls``
        rows), (S, K) in service at the end of each step, (K,) switching operations.
    term_label, vm_pu
        (T,) terminal labels and (S, T) judged voltage magnitudes (pu, as ``v_min_pu``)
        when ``save_voltages``.
    model_kind
        ``balanced`` or ``three_phase``.
    notes
        What the run could not model as the data asked (e.g. a pf-type capacitor control).
    initial_state, final_state
        Control state before the first step and after the last (the start of a
        following run).
    """

    step_h: float
    converged: np.ndarray
    controls_settled: np.ndarray
    iterations: np.ndarray
    control_rounds: np.ndarray
    head_p_mw: np.ndarray
    head_q_mvar: np.ndarray
    losses_mw: np.ndarray
    load_p_mw: np.ndarray
    der_p_mw: np.ndarray
    v_min_pu: np.ndarray
    v_max_pu: np.ndarray
    n_under: np.ndarray
    n_over: np.ndarray
    regulator_ids: np.ndarray
    taps: np.ndarray
    tap_ops: np.ndarray
    tap_steps: np.ndarray
    cap_ids: np.ndarray
    cap_on: np.ndarray
    cap_ops: np.ndarray
    term_label: np.ndarray
    vm_pu: np.ndarray | None
    model_kind: str
    notes: tuple[str, ...] = ()
    final_state: QstsState | None = None
    initial_state: QstsState | None = None

    @property
    def n_steps(self) -> int:
        """Number of steps S."""
        return len(self.converged)

    @property
    def n_not_converged(self) -> int:
        """Steps whose power flow missed the tolerance."""
        return int((~self.converged).sum())
