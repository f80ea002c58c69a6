"""Stress-test scenarios: random perturbations (documented distributions) or a spec table.

Random scenario ``s`` of a run with seed ``S`` draws from its own generator,
``numpy.random.default_rng(numpy.random.SeedSequence(S).spawn(N)[s])``, in this order
(T periods; every factor multiplies the base series of the day):

1. price level ``F ~ LogNormal(0, price_sigma)`` (median 1);
2. price noise ``eps_t ~ N(0, price_noise)``, i.i.d. per period:
   ``price'_t = price_t F (1 + eps_t)`` (may turn negative);
3. load level ``G ~ N(1, load_sigma)``;
4. load noise ``d_t ~ N(0, load_noise)``: every load times ``max(0, G (1 + d_t))``;
5. PV level ``H ~ U(pv_low, pv_high)``;
6. PV noise ``e_t ~ N(0, pv_noise)``: availability times ``max(0, H (1 + e_t))``, capped at
   ``p_max``.

A scenario therefore depends only on the seed and its own index, never on how scenarios
are grouped into shards or on which worker runs them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gat_schemas.errors import InputError

__all__ = ["Perturbation", "StressDistributions", "random_scenarios", "spec_scenarios"]


@dataclass(frozen=True, kw_only=True)
class StressDistributions:
    """Parameters of the random perturbations (see the module doc); all dimensionless."""

    price_sigma: float = 0.25
    price_noise: float = 0.1
    load_sigma: float = 0.1
    load_noise: float = 0.03
    pv_low: float = 0.3
    pv_high: float = 1.1
    pv_noise: float = 0.15

    def __post_init__(self) -> None:
        for name in ("price_sigma", "price_noise", "load_sigma", "load_noise", "pv_noise"):
            if not getattr(self, name) >= 0:
                raise InputError(f"StressDistributions.{name} must be >= 0")
        if not 0 <= self.pv_low <= self.pv_high:
            raise InputError("StressDistributions: need 0 <= pv_low <= pv_high")


@dataclass(frozen=True)
class Perturbation:
    """Multipliers of one scenario, each (T,): price, load and PV availability."""

    scenario_id: str
    price: np.ndarray
    load: np.ndarray
    pv: np.ndarray


def random_scenarios(
    seed: int,
    n: int,
    n_periods: int,
    dist: StressDistributions,
    first: int = 0,
    count: int | None = None,
) -> list[Perturbation]:
    """Scenarios ``first .. first + count - 1`` of ``n`` random scenarios of ``seed``."""
    children = np.random.SeedSequence(seed).spawn(n)
    stop = n if count is None else min(n, first + count)
    width = len(str(max(n - 1, 0)))
    out = []
    for s in range(first, stop):
        g = np.random.default_rng(children[s])
        f = g.lognormal(0.0, dist.price_sigma)
        eps = g.normal(0.0, dist.price_noise, n_periods)
        lev = g.normal(1.0, dist.load_sigma)
        d = g.normal(0.0, dist.load_noise, n_periods)
        h = g.uniform(dist.pv_low, dist.pv_high)
        e = g.normal(0.0, dist.pv_noise, n_periods)
        out.append(
            Perturbation(
                scenario_id=f"s{s:0{width}d}",
                price=f * (1.0 + eps),
                load=np.maximum(0.0, lev * (1.0 + d)),
                pv=np.maximum(0.0, h * (1.0 + e)),
            )
        )
    return out


def spec_scenarios(
    spec: pd.DataFrame, n_periods: int, *, source: str = "spec"
) -> list[Perturbation]:
    """Scenarios of a ``derms_stress_spec`` table (constant factors; absent columns = 1)."""
    if "scenario_id" not in spec.columns:
        raise InputError(f"{source}: table derms_stress_spec: missing column scenario_id")
    if len(spec) == 0:
        raise InputError(f"{source}: table derms_stress_spec: no scenarios")
    ids = spec["scenario_id"].astype(str).to_numpy()
    dup = pd.Series(ids).duplicated().to_numpy()
    if dup.any():
        raise InputError(
            f"{source}: table derms_stress_spec, column scenario_id: duplicate "
            f"{ids[dup][0]} (row {int(np.argmax(dup))})"
        )
    ok = pd.Series(ids).str.fullmatch(r"[A-Za-z0-9._+=-]+").to_numpy()
    if not ok.all():
        raise InputError(
            f"{source}: table derms_stress_spec, column scenario_id: {ids[~ok][0]!r} may only "
            f"hold letters, digits and ._+-= (row {int(np.argmax(~ok))})"
        )
    ones = np.ones(len(spec))
    cols = {c: spec[c].to_numpy(dtype=float) if c in spec.columns else ones for c in
            ("price_factor", "load_factor", "pv_factor")}  # fmt: skip
    return [
        Perturbation(
            scenario_id=str(ids[i]),
            price=np.full(n_periods, cols["price_factor"][i]),
            load=np.full(n_periods, cols["load_factor"][i]),
            pv=np.full(n_periods, cols["pv_factor"][i]),
        )
        for i in range(len(spec))
    ]
