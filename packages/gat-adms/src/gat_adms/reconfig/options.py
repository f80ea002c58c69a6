"""Settings of the network reconfiguration."""

from __future__ import annotations

from dataclasses import dataclass

from gat_schemas.errors import InputError

__all__ = ["METHODS", "OBJECTIVES", "ReconfigOptions"]

#: What the reconfiguration minimises: total active losses, the lowest voltage (maximised),
#: or the highest branch loading (load balancing).
OBJECTIVES = ("loss", "max-min-voltage", "balance")
#: How configurations are searched: the MILP with an AC polish, or every radial one.
METHODS = ("milp", "exhaustive")


@dataclass(frozen=True, kw_only=True)
class ReconfigOptions:
    """How the open/closed state of the switchable branches is chosen.

    Parameters
    ----------
    objective
        ``loss`` (total active losses, MW, summed over scenarios with their weights),
        ``max-min-voltage`` (the lowest node voltage, maximised) or ``balance`` (the highest
        branch loading over ``thermal_limit``, minimised).
    method
        ``milp``: the relaxed model (LinDistFlow with outer-approximated loss terms) picks
        a pool of configurations, each one's branch exchanges are added, and the AC power
        flow of all of them in one batch decides; ``exhaustive``: every radial configuration
        that energises every node is solved by the batched AC power flow.
    max_switch_ops
        Most switch operations (a switchable branch whose state changes) allowed from the
        present state; ``None`` = no limit.
    pool_size
        Configurations the MILP gives for the AC polish (the optimum, then re-solves with
        each earlier configuration cut off).
    exchange_rounds
        Most rounds of branch exchange around the AC-best configuration after the first
        batch (each round is one batch of AC power flows over every branch exchange of the
        AC-best; the search ends when a round improves nothing).
    kicks
        Iterated local search after the exchange rounds (any network: the time budget
        below bounds its cost where each configuration needs a model of its own, as on
        three-phase networks): this many times, 2-4 random branch exchanges of the
        AC-best configuration followed by the same (screened) exchange rounds; the result
        replaces the AC-best when it is better. The kicks stop early once they have taken
        half the time the search took before them (at least 1 s), and configurations are
        solved once. Single exchanges stop at local optima
        (case118zh: 875.16 kW against 869.73 kW three exchanges away); 0 = none. The
        random choices are seeded, so a run is repeatable.
    screen_top
        In the exchange rounds after the first batch, with the ``loss`` objective, only
        this many exchanges (the lowest relaxed losses) are solved in AC.
    loss_breakpoints
        Tangent points per direction of the outer approximation of each branch's
        ``P^2 + Q^2`` (geometric, from the total load down).
    thermal_sides
        Sides of the inscribed polygon that replaces each thermal circle in the MILP.
    mip_gap
        Relative MIP gap at which HiGHS stops.
    time_limit_s
        Time limit of each MILP solve (s); ``None`` = none.
    max_configurations
        Most radial configurations ``exhaustive`` may enumerate (more raises InputError).
    """

    objective: str = "loss"
    method: str = "milp"
    max_switch_ops: int | None = None
    pool_size: int = 1
    exchange_rounds: int = 20
    kicks: int = 20
    screen_top: int = 64
    loss_breakpoints: int = 6
    thermal_sides: int = 16
    mip_gap: float = 1e-4
    time_limit_s: float | None = 30.0
    max_configurations: int = 2_000_000

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise InputError(
                f"ReconfigOptions.objective must be one of {', '.join(OBJECTIVES)}, "
                f"got {self.objective!r}"
            )
        if self.method not in METHODS:
            raise InputError(
                f"ReconfigOptions.method must be one of {', '.join(METHODS)}, got {self.method!r}"
            )
        if self.max_switch_ops is not None and self.max_switch_ops < 0:
            raise InputError(
                f"ReconfigOptions.max_switch_ops must be >= 0, got {self.max_switch_ops}"
            )
        for name in ("pool_size", "loss_breakpoints", "max_configurations", "screen_top"):
            if getattr(self, name) < 1:
                raise InputError(f"ReconfigOptions.{name} must be >= 1, got {getattr(self, name)}")
        if self.kicks < 0:
            raise InputError(f"ReconfigOptions.kicks must be >= 0, got {self.kicks}")
        if self.exchange_rounds < 0:
            raise InputError(
                f"ReconfigOptions.exchange_rounds must be >= 0, got {self.exchange_rounds}"
            )
        if self.thermal_sides < 4:
            raise InputError(
                f"ReconfigOptions.thermal_sides must be >= 4, got {self.thermal_sides}"
            )
        if not self.mip_gap >= 0:
            raise InputError(f"ReconfigOptions.mip_gap must be >= 0, got {self.mip_gap}")
        if self.time_limit_s is not None and not self.time_limit_s > 0:
            raise InputError(f"ReconfigOptions.time_limit_s must be > 0, got {self.time_limit_s}")
