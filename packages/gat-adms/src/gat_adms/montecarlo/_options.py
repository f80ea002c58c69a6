"""Options of an outage Monte Carlo: how many years, which seed, how repair times are drawn."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from gat_schemas.errors import InputError

__all__ = ["HOURS_PER_YEAR", "MonteCarloOptions", "RepairDistribution"]

#: Length of a simulated year (h); failure start times are uniform in [0, HOURS_PER_YEAR).
HOURS_PER_YEAR = 8760.0


class RepairDistribution(enum.Enum):
    """Distribution of a sampled repair time; its mean is always the element's ``repair_time_h``."""

    #: Exponential with the element's mean (coefficient of variation 1): the distribution
    #: the analytical indices assume (they only use the mean), so the Monte Carlo mean
    #: converges to them.
    EXPONENTIAL = "exponential"
    #: Lognormal with the element's mean and coefficient of variation ``repair_cv``:
    #: ``sigma^2 = ln(1 + cv^2)``, ``mu = ln(mean) - sigma^2 / 2``. Repair times observed
    #: in the field are skewed this way (few very long repairs, no near-zero ones).
    LOGNORMAL = "lognormal"


@dataclass(frozen=True, kw_only=True)
class MonteCarloOptions:
    """Settings of :func:`gat_adms.montecarlo.outage_monte_carlo`.

    Parameters
    ----------
    years
        Simulated years (>= 1).
    seed
        Seed of :class:`numpy.random.SeedSequence`; block ``b`` draws from the child
        sequence ``SeedSequence(seed, spawn_key=(b,))`` (what ``SeedSequence(seed).spawn``
        gives), so results depend on ``seed`` and ``block_years`` only, not on the
        executor, the number of workers or a resume.
    repair_dist
        :class:`RepairDistribution` (or its value).
    repair_cv
        Coefficient of variation (std / mean) of the lognormal repair time (> 0); unused
        with the exponential distribution (whose cv is 1).
    block_years
        Years per fan-out shard (>= 1); the last block may be shorter.
    """

    years: int
    seed: int = 0
    repair_dist: RepairDistribution = RepairDistribution.EXPONENTIAL
    repair_cv: float = 0.5
    block_years: int = 1000

    def __post_init__(self) -> None:
        if not isinstance(self.repair_dist, RepairDistribution):
            try:
                kind = RepairDistribution(str(self.repair_dist).lower())
            except ValueError:
                names = ", ".join(k.value for k in RepairDistribution)
                raise InputError(
                    f"unknown repair distribution {self.repair_dist!r} (use {names})"
                ) from None
            object.__setattr__(self, "repair_dist", kind)
        if int(self.years) != self.years or self.years < 1:
            raise InputError(f"outage-mc: years must be an integer >= 1, got {self.years}")
        if int(self.block_years) != self.block_years or self.block_years < 1:
            raise InputError(
                f"outage-mc: block_years must be an integer >= 1, got {self.block_years}"
            )
        if int(self.seed) != self.seed or self.seed < 0:
            raise InputError(f"outage-mc: seed must be an integer >= 0, got {self.seed}")
        if not (math.isfinite(self.repair_cv) and self.repair_cv > 0):
            raise InputError(f"outage-mc: repair_cv must be > 0 and finite, got {self.repair_cv}")

    @property
    def blocks(self) -> list[tuple[int, int]]:
        """``(first_year, years)`` of each block; years are numbered from 1."""
        size = self.block_years
        return [(y + 1, min(size, self.years - y)) for y in range(0, self.years, size)]
