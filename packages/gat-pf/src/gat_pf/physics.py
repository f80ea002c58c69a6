"""One physics interface for every workflow, implemented by the balanced and the three-phase model.

A workflow (hosting capacity, OPF, FLISR, ...) is written once against :class:`PhysicsModel`:

- :meth:`PhysicsModel.injection_points` says where a DER connects (a node's phases, or one
  phase), :meth:`PhysicsModel.solve` solves S scenarios with extra injections per terminal
  (one (node, phase) of the model) in one batched AC power flow,
- :meth:`PhysicsModel.limits` turns the solution into the limit arrays (voltage per
  terminal, conductor loading, voltage unbalance, flows at the feeder heads and through
  regulators),
- :func:`sensitivities` gives the linear model at a solved operating point.

:func:`physics_model` picks the implementation from the tables: the three-phase model when the
network holds a three-phase table (:data:`gat_pf.THREE_PHASE_TABLES`), else the balanced one
(one terminal per node, phase ``"ABC"``, injections are three-phase totals). Sign
convention everywhere: injections generation positive (MW, Mvar). The design note is
``history/2026-12-04-physics-interface.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from gat_schemas.errors import InputError

if TYPE_CHECKING:
    from gat_schemas import Network

    from ._options import PowerFlowOptions
    from ._threephase import ThreePhaseOptions

__all__ = [
    "Injection",
    "InjectionPoints",
    "LimitArrays",
    "PhysicsModel",
    "Sensitivities",
    "Solution",
    "judged_labels",
    "judged_vm",
    "physics_model",
    "sensitivities",
    "vuf_pct",
]

PHASE_MODES = ("all", "each")
MODEL_KINDS = ("auto", "balanced", "three_phase")
_A = np.exp(2j * np.pi / 3.0)


@dataclass(frozen=True, eq=False)
class InjectionPoints:
    """Where J DERs connect (from :meth:`PhysicsModel.injection_points`).

    Attributes
    ----------
    label
        (J,) ``node`` for a point on all the node's phases, ``node.phase`` for one phase.
    node, phase
        (J,) node id and phases (``"ABC"``, ``"AC"``, ``"B"``, ...).
    terms
        (J, 3) terminal indices the point injects into, -1 padded.
    weight
        (J, 3) share of the point's injection on each terminal (sums to 1; 0 on padding).
    """

    label: np.ndarray
    node: np.ndarray
    phase: np.ndarray
    terms: np.ndarray
    weight: np.ndarray

    def __len__(self) -> int:
        return len(self.label)


@dataclass(frozen=True, eq=False)
class Injection:
    """Extra injections of S scenarios on K terminals (generation positive).

    Attributes
    ----------
    terms
        (K,) distinct terminal indices.
    p_mw, q_mvar
        (S, K) active (MW) and reactive (Mvar) injections, added to the network's own.
    """

    terms: np.ndarray
    p_mw: np.ndarray
    q_mvar: np.ndarray

    def __post_init__(self) -> None:
        terms = np.asarray(self.terms, dtype=np.int64).reshape(-1)
        p = np.asarray(self.p_mw, dtype=float)
        q = np.asarray(self.q_mvar, dtype=float)
        if p.ndim != 2 or p.shape[1] != len(terms) or q.shape != p.shape:
            raise InputError(
                f"Injection: p_mw and q_mvar must be (S, {len(terms)}), got {p.shape}, {q.shape}"
            )
        if len(np.unique(terms)) != len(terms):
            raise InputError("Injection: terminals repeat")
        if not (np.isfinite(p).all() and np.isfinite(q).all()):
            raise InputError("Injection: injections must be finite")
        object.__setattr__(self, "terms", terms)
        object.__setattr__(self, "p_mw", p)
        object.__setattr__(self, "q_mvar", q)

    @property
    def n_scenarios(self) -> int:
        """Number of scenarios S."""
        return int(self.p_mw.shape[0])

    @staticmethod
    def at_points(
        points: InjectionPoints, which: np.ndarray, p_mw: np.ndarray, q_mvar: np.ndarray
    ) -> Injection:
        """Scenario ``s`` injects ``p_mw[s]``, ``q_mvar[s]`` at point ``which[s]`` (spread by
        the point's weights over its terminals)."""
        which = np.asarray(which, dtype=np.int64)
        p = np.asarray(p_mw, dtype=float)
        q = np.asarray(q_mvar, dtype=float)
        n_s = len(which)
        t = points.terms[which]  # (S, 3)
        w = points.weight[which]
        used = t >= 0
        terms, inv = np.unique(t[used], return_inverse=True)
        rows = np.repeat(np.arange(n_s), used.sum(axis=1))
        pk = np.zeros((n_s, len(terms)))
        qk = np.zeros((n_s, len(terms)))
        pk[rows, inv] = (w * p[:, None])[used]
        qk[rows, inv] = (w * q[:, None])[used]
        return Injection(terms=terms.astype(np.int64), p_mw=pk, q_mvar=qk)


@dataclass(frozen=True, eq=False)
class Solution:
    """S solved scenarios (from :meth:`PhysicsModel.solve`).

    Attributes
    ----------
    v
        (S, T) complex terminal voltages, pu of each terminal's line-to-neutral base.
    converged
        (S,) bool; a scenario that did not converge does not raise.
    iterations
        (S,) iterations.
    max_mismatch_mva
        (S,) largest power mismatch (MVA; per phase for the three-phase model).
    taps
        (S, R) regulator taps used (steps; R = 0 for the balanced model).
    injection, load_scale
        What was solved (``None`` = no extra injection; load factor scalar or (S,)).
    state
        Model-specific arrays :meth:`PhysicsModel.limits` needs.
    """

    v: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    max_mismatch_mva: np.ndarray
    taps: np.ndarray
    injection: Injection | None
    load_scale: Any
    state: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, eq=False)
class LimitArrays:
    """Everything the workflows check, for S scenarios (from :meth:`PhysicsModel.limits`).

    Attributes
    ----------
    vm_pu
        (S, T) the voltage magnitudes the band is judged on (pu, :func:`judged_vm`): ``|V|``
        of the terminal, except at terminals of ungrounded sections
        (:attr:`PhysicsModel.term_ll_partner` >= 0), where it is the line-to-line magnitude
        ``|V - V_partner| / sqrt 3`` (pu of the line-to-line base). Differences of it (the
        :func:`sensitivities`) are therefore the judged measure's sensitivities.
    v_margin_pu
        (S, T) ``min(v_max - vm, vm - v_min)`` on ``vm_pu`` (pu), NaN at slack terminals.
    current_a
        (S, C) conductor current at its more loaded end (A).
    loading_pct
        (S, C) loading (%): three-phase, current over ampacity at the more loaded end;
        balanced, larger-end apparent power over ``thermal_limit`` (the ``pf_branches``
        convention). NaN where the conductor is unrated.
    vuf_pct
        (S, F) voltage unbalance factor ``|V2| / |V1| * 100`` at every three-phase node
        (F = 0 for the balanced model).
    head_p_mw
        (S, H) active power from each slack node into the feeder (MW; negative = reverse
        flow at the head).
    regulator_p_mw
        (S, R) active power through each regulator phase from its from side to its to side
        (MW; negative = reverse flow; R = 0 for the balanced model).
    vm_ln_pu
        (S, T) line-to-neutral magnitudes ``|V|`` of every terminal (pu), whatever the
        section; ``None`` when the model does not give them (then they equal ``vm_pu``).
    """

    vm_pu: np.ndarray
    v_margin_pu: np.ndarray
    current_a: np.ndarray
    loading_pct: np.ndarray
    vuf_pct: np.ndarray
    head_p_mw: np.ndarray
    regulator_p_mw: np.ndarray
    vm_ln_pu: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class Sensitivities:
    """The linear model at one operating point for K injection terminals.

    Attributes
    ----------
    terms
        (K,) terminals whose injections are the variables.
    vm_pu, current_a, head_p_mw
        The operating point: (T,) pu, (C,) A, (H,) MW.
    dvm_dp, dvm_dq
        (T, K) pu/MW and pu/Mvar.
    dcurrent_dp, dcurrent_dq
        (C, K) A/MW and A/Mvar.
    dhead_dp, dhead_dq
        (H, K) MW/MW and MW/Mvar.
    """

    terms: np.ndarray
    vm_pu: np.ndarray
    current_a: np.ndarray
    head_p_mw: np.ndarray
    dvm_dp: np.ndarray
    dvm_dq: np.ndarray
    dcurrent_dp: np.ndarray
    dcurrent_dq: np.ndarray
    dhead_dp: np.ndarray
    dhead_dq: np.ndarray


class PhysicsModel(Protocol):
    """What a workflow needs from a network model (balanced or three-phase).

    Attributes
    ----------
    kind
        ``"balanced"`` or ``"three_phase"``.
    base_mva
        System power base (MVA).
    node_ids
        (N,) node ids.
    term_node, term_phase, term_label
        (T,) node index, phase (``A``/``B``/``C``, ``ABC`` balanced) and ``node.phase`` label
        (the node id for the balanced model) of every terminal.
    term_v_min, term_v_max
        (T,) voltage band (pu; ``dist_nodes.v_min``/``v_max`` of the node).
    term_slack
        (T,) bool, voltage fixed by a slack set point.
    term_ll_partner
        (T,) int: -1 where the band is judged on the terminal's line-to-neutral magnitude;
        else the terminal of the same node whose difference gives the line-to-line
        magnitude it is judged on (the terminal's section is ungrounded: nothing but line
        capacitance and anti-floating shunts holds its common-mode voltage; see
        :mod:`gat_pf._threephase._grounding`). All -1 for the balanced model.
    cond_branch, cond_phase, cond_label
        (C,) branch id, phase and label (``branch.phase``; the branch id for the balanced
        model) of every conductor.
    cond_rated
        (C,) conductors with a rating (their ``loading_pct`` is finite).
    ampacity_a
        (C,) rated current of every conductor (A; NaN = unrated).
    vuf_node
        (F,) three-phase node ids (columns of :attr:`LimitArrays.vuf_pct`).
    regulator_ids
        (R,) regulator ids.
    head_node_ids
        (H,) slack node ids (columns of :attr:`LimitArrays.head_p_mw`).
    cap_ids, cap_on0
        (K,) capacitor banks (``dist_caps`` rows of kind ``capacitor``, table order) and
        their tables' states (closed = True): the columns of ``solve(cap_on=...)``.
    """

    kind: str
    base_mva: float
    node_ids: np.ndarray
    term_node: np.ndarray
    term_phase: np.ndarray
    term_label: np.ndarray
    term_v_min: np.ndarray
    term_v_max: np.ndarray
    term_slack: np.ndarray
    term_ll_partner: np.ndarray
    cond_branch: np.ndarray
    cond_phase: np.ndarray
    cond_label: np.ndarray
    cond_rated: np.ndarray
    ampacity_a: np.ndarray
    vuf_node: np.ndarray
    regulator_ids: np.ndarray
    head_node_ids: np.ndarray
    cap_ids: np.ndarray
    cap_on0: np.ndarray

    def injection_points(self, node_ids: Any, *, phase_mode: str = "all") -> InjectionPoints:
        """Connection points of DERs at ``node_ids`` (``all`` phases, or ``each`` phase)."""
        ...

    def solve(
        self,
        injection: Injection | None = None,
        *,
        load_scale: Any = 1.0,
        n_scenarios: int | None = None,
        start: np.ndarray | None = None,
        taps: np.ndarray | None = None,
        cap_on: np.ndarray | None = None,
    ) -> Solution:
        """Solve S scenarios in one batch (S from the injection, the scale or ``n_scenarios``).

        ``start`` (S, T) complex terminal voltages to start the iteration from (a nearby
        solution, e.g. the previous step of a search); models may ignore it. ``taps`` (R,)
        or (S, R) holds the regulators at these positions (steps; no regulator loop).
        ``cap_on`` (K,) or (S, K) bool puts the capacitor banks (``cap_ids`` order) in or out
        per scenario instead of ``dist_caps.status`` (the same answer as a model built with
        that status; ``None`` = the tables' states).
        """
        ...

    def limits(self, solution: Solution) -> LimitArrays:
        """The limit arrays of a solution."""
        ...


def physics_model(
    network: Network,
    *,
    model: str = "auto",
    pf_options: PowerFlowOptions | None = None,
    options_3ph: ThreePhaseOptions | None = None,
) -> PhysicsModel:
    """Build the physics model of a network.

    Parameters
    ----------
    network
        The network.
    model
        ``auto`` (three-phase when the network holds rows in a three-phase table,
        :data:`gat_pf.THREE_PHASE_TABLES`), ``balanced`` or ``three_phase``.
    pf_options
        Balanced power-flow settings (method, tolerance).
    options_3ph
        Three-phase settings (tolerance, regulators ``auto``/``fixed``).

    Raises
    ------
    gat_schemas.errors.InputError
        Unknown ``model``; ``balanced`` on a network with three-phase tables.
    """
    if model not in MODEL_KINDS:
        raise InputError(f"unknown physics model {model!r} (use {', '.join(MODEL_KINDS)})")
    if model == "auto":
        model = "three_phase" if is_three_phase(network) else "balanced"
    if model == "balanced":
        from ._options import PowerFlowOptions
        from ._physics_balanced import BalancedPhysics

        return BalancedPhysics.build(network, pf_options or PowerFlowOptions())
    from ._physics_3ph import ThreePhasePhysics
    from ._threephase import ThreePhaseOptions

    return ThreePhasePhysics.build(network, options_3ph or ThreePhaseOptions())


def is_three_phase(network: Network) -> bool:
    """True when the network holds rows in a table only the three-phase model represents."""
    from ._model import THREE_PHASE_TABLES

    return any((df := network.table(t)) is not None and len(df) for t in THREE_PHASE_TABLES)


def check_phase_mode(phase_mode: str) -> None:
    """Raise :class:`InputError` for an unknown phase mode."""
    if phase_mode not in PHASE_MODES:
        raise InputError(f"unknown phase mode {phase_mode!r} (use {', '.join(PHASE_MODES)})")


def judged_vm(model: Any, v: np.ndarray) -> np.ndarray:
    """(S, T) the voltage magnitudes a model's band ``[term_v_min, term_v_max]`` is judged on.

    ``|v|`` (pu of each terminal's line-to-neutral base), except at the terminals with a
    line-to-line partner (``model.term_ll_partner >= 0``, ungrounded sections), where it is
    ``|v - v_partner| / sqrt 3``: the line-to-line magnitude in pu of the line-to-line base.
    A model without ``term_ll_partner`` is judged line to neutral everywhere.

    Parameters
    ----------
    model
        A :class:`PhysicsModel`.
    v
        (S, T) complex terminal voltages (:attr:`Solution.v`).
    """
    vm = np.abs(v)
    partner = getattr(model, "term_ll_partner", None)
    if partner is None:
        return vm
    partner = np.asarray(partner, dtype=np.int64)
    cols = np.flatnonzero(partner >= 0)
    if len(cols):
        vm[..., cols] = np.abs(v[..., cols] - v[..., partner[cols]]) / np.sqrt(3.0)
    return vm


def judged_labels(model: Any) -> np.ndarray:
    """(T,) terminal labels naming what :func:`judged_vm` measures: ``term_label``
    (``"701.A"``), or ``"701.AB"`` (the phase pair) at terminals judged line to line."""
    labels = np.asarray(model.term_label).astype(str).astype(object)
    partner = getattr(model, "term_ll_partner", None)
    if partner is None:
        return labels
    partner = np.asarray(partner, dtype=np.int64)
    cols = np.flatnonzero(partner >= 0)
    if len(cols):
        phase = np.asarray(model.term_phase).astype(str).astype(object)
        labels[cols] = labels[cols] + phase[partner[cols]]
    return labels


def vuf_pct(v_abc: np.ndarray) -> np.ndarray:
    """Voltage unbalance factor ``|V2| / |V1| * 100`` of (..., 3) phase-to-neutral voltages.

    The ratio equals the one of the line-to-line voltages (zero sequence drops out of
    neither ratio), so phase-to-neutral voltages are enough.
    """
    va, vb, vc = v_abc[..., 0], v_abc[..., 1], v_abc[..., 2]
    v1 = va + _A * vb + _A * _A * vc
    v2 = va + _A * _A * vb + _A * vc
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.abs(v2) / np.abs(v1) * 100.0


# Defined after the classes it uses (it imports them from this module).
from ._physics_sens import sensitivities  # noqa: E402
