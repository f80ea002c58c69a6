"""Options of a hosting-capacity study: what is injected, what counts as a violation, how to search."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

from gat_pf import PowerFlowOptions
from gat_schemas.errors import InputError

__all__ = ["Check", "FirstTrial", "HostcapMethod", "HostcapOptions", "QMode", "Search"]


class HostcapMethod(enum.Enum):
    """How the capacity of a node is found."""

    #: Search on the injection, every trial checked with a full AC power flow.
    AC = "ac"
    #: The OPF's ``hostcap`` objective (DER assets controllable), every answer AC-checked.
    OPF = "opf"


class Check(enum.Enum):
    """Constraint families a trial injection must respect."""

    #: Every node's voltage within [v_min, v_max] (v_max may be overridden).
    VOLTAGE = "voltage"
    #: Every rated conductor at most 100 % loaded: balanced, larger-end apparent power over
    #: thermal_limit; three-phase, conductor current over its ampacity.
    THERMAL = "thermal"
    #: No active power flowing back into the slack node (feeder head) or, on three-phase
    #: networks, backwards through a regulator phase.
    REVERSE_FLOW = "reverse_flow"
    #: Voltage unbalance factor |V2| / |V1| of every three-phase node at most ``vuf_max_pct``
    #: (three-phase networks; nothing to check on a balanced one).
    UNBALANCE = "unbalance"


class QMode(enum.Enum):
    """Sign of the reactive power that goes with the injection when ``pf < 1``."""

    #: The DER absorbs reactive power (Q = -P tan(acos pf)): what smart inverters do to
    #: hold voltage down, and the default.
    ABSORB = "absorb"
    #: The DER injects reactive power (Q = +P tan(acos pf)).
    INJECT = "inject"


class Search(enum.Enum):
    """How the bracket [feasible, infeasible] on each node's injection is narrowed."""

    #: Midpoint of the bracket at every step.
    BISECTION = "bisection"
    #: Secant estimate of the zero of the constraint margin from the two latest trials,
    #: kept inside the bracket and replaced by the midpoint whenever the bracket has not
    #: halved in three steps: the bracket and stopping rule of bisection, in fewer steps,
    #: because voltage and loading margins are nearly linear in the injection.
    SECANT = "secant"


class FirstTrial(enum.Enum):
    """Where the secant search tries each candidate first (bisection always starts at the cap)."""

    #: A small injection, ``max_injection_mw / 64``: with the case without injection it
    #: gives every checked element's margin slope, so the next trial is where the first
    #: element's margin reaches zero on its line, and no step goes to injections far past
    #: voltage collapse (which have no power-flow solution and cost an iterating solver its
    #: whole iteration limit). The cap is tried only when the estimate reaches it. Where the
    #: feasible injections are not one interval, the first violation is found.
    PROBE = "probe"
    #: ``max_injection_mw`` (the search as it was before the probe; the balanced reference
    #: results of the tests were made with it).
    CAP = "cap"


def _enum(kind: type[enum.Enum], value: object, what: str) -> enum.Enum:
    if isinstance(value, kind):
        return value
    try:
        return kind(str(value).lower().replace("-", "_"))
    except ValueError:
        names = ", ".join(k.value for k in kind)  # type: ignore[attr-defined]
        raise InputError(f"unknown {what} {value!r} (use {names})") from None


@dataclass(frozen=True, kw_only=True)
class HostcapOptions:
    """Settings of :func:`gat_dist.hostcap.hosting_capacity`.

    Parameters
    ----------
    method
        :class:`HostcapMethod`. With ``opf``, ``tol_mw`` and ``search`` do not apply and
        voltage limits are always enforced.
    buses
        Candidate node ids; ``None`` = every node that is not a slack node.
    max_injection_mw
        Upper end of the search (MW); a node that takes it without violation reports it with
        limiting constraint ``search_cap``: its capacity is at least this much.
    tol_mw
        The search stops when the bracket is at most this wide (MW); the reported capacity
        is the bracket's feasible end, so it is within ``tol_mw`` below the exact one.
    pf
        Power factor of the injection, in (0, 1].
    q_mode
        :class:`QMode` (reactive power absorbed or injected when ``pf < 1``).
    v_max
        Upper voltage limit (pu) applied to every node; ``None`` = each node's ``v_max``.
        The lower limit is always each node's ``v_min``.
    checks
        Constraint families enforced (:class:`Check`).
    load_scales
        Load levels studied (every load's P and Q multiplied by each factor).
    steps
        When > 0, also the sweep curve: injections ``k * max_injection_mw / steps`` for
        ``k = 1..steps``, one batched power flow per step.
    search
        :class:`Search`.
    first_trial
        :class:`FirstTrial` (secant search only). Both give capacities within ``tol_mw`` of
        each other; ``probe`` needs fewer and cheaper power flows.
    block_size
        Candidates per shard (one batched power flow solves a whole block); ``None`` =
        as many as keep a block's voltage array near 4 million entries.
    pf_options
        Power-flow settings of every trial (balanced model).
    model
        ``auto`` (three-phase when the network holds three-phase tables), ``balanced`` or
        ``three_phase`` (see :func:`gat_pf.physics_model`).
    phase_mode
        Three-phase networks: ``all``, the DER connects to all the node's phases with equal
        shares (one result per node, ``phase`` = the node's phases); ``each``, a
        single-phase DER on each phase in turn (one result per node phase). Balanced
        networks always give one result per node (``phase`` ``ABC``).
    vuf_max_pct
        Largest voltage unbalance factor allowed (%), with :attr:`Check.UNBALANCE`.
    held_tol_pu
        A limit the case without injection already breaks (a node phase below ``v_min``, a
        conductor above its rating, a node above ``vuf_max``) is held at its base-case
        value and counts as violated only when the DER makes it worse by more than this
        (pu of voltage; ``100 x`` this percentage points of loading and unbalance); see
        :mod:`gat_dist.held_limits`. ``0`` holds them exactly at the base value.
    regulators
        Three-phase networks: ``fixed`` (every tap at ``dist_regulators.tap``: the voltage
        rise before the regulators act) or ``auto`` (``mode = auto`` regulators move, every
        trial settles its taps).
    """

    method: HostcapMethod = HostcapMethod.AC
    buses: tuple[str, ...] | None = None
    max_injection_mw: float = 10.0
    tol_mw: float = 0.001
    pf: float = 1.0
    q_mode: QMode = QMode.ABSORB
    v_max: float | None = None
    checks: frozenset[Check] = frozenset({Check.VOLTAGE, Check.THERMAL, Check.UNBALANCE})
    load_scales: tuple[float, ...] = (1.0,)
    steps: int = 0
    search: Search = Search.SECANT
    first_trial: FirstTrial = FirstTrial.PROBE
    block_size: int | None = None
    pf_options: PowerFlowOptions = field(default_factory=PowerFlowOptions)
    model: str = "auto"
    phase_mode: str = "all"
    vuf_max_pct: float = 3.0
    regulators: str = "fixed"
    held_tol_pu: float = 1e-3

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "method", _enum(HostcapMethod, self.method, "hostcap method"))
        put(self, "q_mode", _enum(QMode, self.q_mode, "reactive mode"))
        put(self, "search", _enum(Search, self.search, "search"))
        put(self, "first_trial", _enum(FirstTrial, self.first_trial, "first trial"))
        put(self, "checks", frozenset(_enum(Check, c, "check") for c in self.checks))
        if self.buses is not None:
            put(self, "buses", tuple(str(b) for b in self.buses))
            if not self.buses:
                raise InputError("hostcap: the list of candidate buses is empty")
        put(self, "load_scales", tuple(float(x) for x in self.load_scales))
        # Integers given from Python would make the search's bracket arrays integer.
        put(self, "max_injection_mw", float(self.max_injection_mw))
        put(self, "tol_mw", float(self.tol_mw))
        put(self, "vuf_max_pct", float(self.vuf_max_pct))
        if not self.load_scales or any(not (math.isfinite(x) and x >= 0) for x in self.load_scales):
            raise InputError(f"hostcap: load scales must be finite and >= 0: {self.load_scales}")
        if len(set(self.load_scales)) != len(self.load_scales):
            raise InputError(f"hostcap: load scales repeat: {self.load_scales}")
        if not (math.isfinite(self.max_injection_mw) and self.max_injection_mw > 0):
            raise InputError(f"hostcap: max injection must be > 0 MW, got {self.max_injection_mw}")
        if not (0 < self.tol_mw < self.max_injection_mw):
            raise InputError(
                f"hostcap: tolerance must be in (0, max injection) MW, got {self.tol_mw}"
            )
        if not (0 < self.pf <= 1):
            raise InputError(f"hostcap: power factor must be in (0, 1], got {self.pf}")
        if self.v_max is not None and not (0 < self.v_max < 2):
            raise InputError(f"hostcap: v_max must be in (0, 2) pu, got {self.v_max}")
        if self.steps < 0:
            raise InputError(f"hostcap: steps must be >= 0, got {self.steps}")
        if self.model not in ("auto", "balanced", "three_phase"):
            raise InputError(
                f"hostcap: unknown model {self.model!r} (use auto, balanced, three_phase)"
            )
        if self.phase_mode not in ("all", "each"):
            raise InputError(f"hostcap: unknown phase mode {self.phase_mode!r} (use all, each)")
        put(self, "held_tol_pu", float(self.held_tol_pu))
        if not (math.isfinite(self.held_tol_pu) and 0 <= self.held_tol_pu < 1):
            raise InputError(
                f"hostcap: held tolerance must be in [0, 1) pu, got {self.held_tol_pu}"
            )
        if not (math.isfinite(self.vuf_max_pct) and self.vuf_max_pct > 0):
            raise InputError(f"hostcap: vuf_max must be > 0 %, got {self.vuf_max_pct}")
        if self.regulators not in ("fixed", "auto"):
            raise InputError(
                f"hostcap: unknown regulator control {self.regulators!r} (use fixed, auto)"
            )
        if self.block_size is not None and self.block_size < 1:
            raise InputError(f"hostcap: block size must be >= 1, got {self.block_size}")

    @property
    def q_per_p(self) -> float:
        """Reactive power per MW injected (Mvar/MW, signed by :attr:`q_mode`)."""
        tan = math.sqrt(max(0.0, 1.0 / self.pf**2 - 1.0))
        return -tan if self.q_mode is QMode.ABSORB else tan
