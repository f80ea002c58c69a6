"""Measurement sets from a power-flow solution: chosen sensors, seeded Gaussian noise, gross errors.

Used by ``gat adms make-measurements`` and the tests: the true state is the network's power
flow (its loads, times a per-snapshot factor), each sensor reads the true value plus
``N(0, sigma)``, and ``gross_errors`` randomly chosen sensor readings (never pseudo ones) are
moved by ``gross_size`` sigmas (sign random). The table carries ``true_value`` and
``gross`` columns beside the schema's so a user (or a test) can see what was planted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gat_schemas.errors import InputError

from ._model import evaluate
from ._tables import Grid, locate, unit_factor

__all__ = ["Placement", "make_measurements"]


@dataclass(frozen=True)
class Placement:
    """Where the sensors are and how good they are.

    Attributes
    ----------
    voltages
        ``"slack"`` (the slack nodes), ``"all"``, ``"none"`` or a tuple of node ids:
        ``v_mag`` sensors, sigma ``sigma_v_pu``.
    flows
        ``"head"`` (branches leaving the slack nodes), ``"all"``, ``"none"`` or branch ids:
        ``p_flow`` and ``q_flow`` sensors at the from end, sigma ``sigma_power_pct`` % of
        the reading (at least ``sigma_floor_mw``).
    injections
        ``"none"``, ``"all"`` or node ids: ``p_inj``/``q_inj`` sensors like the flows.
    pseudo_pct
        When set: pseudo ``p_inj``/``q_inj`` at every loaded node not in ``injections``,
        sigma this % of the load's apparent power (``pseudo`` = true).
    """

    voltages: Any = "slack"
    flows: Any = "head"
    injections: Any = "none"
    pseudo_pct: float | None = 20.0
    sigma_v_pu: float = 0.005
    sigma_power_pct: float = 1.0
    sigma_floor_mw: float = 1e-4

    def __post_init__(self) -> None:
        for name in ("sigma_v_pu", "sigma_power_pct", "sigma_floor_mw"):
            if not getattr(self, name) > 0:
                raise InputError(f"{name} must be > 0, got {getattr(self, name)}")
        if self.pseudo_pct is not None and not self.pseudo_pct > 0:
            raise InputError(f"pseudo_pct must be > 0, got {self.pseudo_pct}")


def _pick(spec: Any, every: np.ndarray, default: np.ndarray, what: str) -> np.ndarray:
    if isinstance(spec, str):
        if spec == "all":
            return every
        if spec == "none":
            return every[:0]
        if spec in ("slack", "head"):
            return default
        spec = [s for s in spec.split(",") if s]
    ids = np.asarray([str(s) for s in spec], dtype=object)
    unknown = ids[~np.isin(ids, every)]
    if len(unknown):
        raise InputError(f"make-measurements: unknown {what}: {', '.join(map(str, unknown[:5]))}")
    return ids


def _rows(grid: Grid, placement: Placement) -> pd.DataFrame:
    phys, adm = grid.phys, grid.adm
    t_node = phys.node_ids[phys.term_node].astype(str)
    t_phase = phys.term_phase.astype(str)
    nodes = np.asarray(phys.node_ids, dtype=object).astype(str)
    slack_nodes = np.unique(t_node[phys.term_slack])
    live = ~adm.cond_ideal
    br_all = np.unique(phys.cond_branch[live].astype(str))
    head = np.unique(phys.cond_branch[live & adm.elec_slack[adm.cond_f_elec]].astype(str))
    out = []

    def add(kind: str, elem: str, phase: str, side: str, pseudo: bool) -> None:
        out.append((kind, elem, phase, side, pseudo))

    for n in _pick(placement.voltages, nodes, slack_nodes, "node"):
        for t in np.flatnonzero(t_node == n):
            add("v_mag", n, t_phase[t], "from", False)
    c_branch = phys.cond_branch.astype(str)
    c_phase = phys.cond_phase.astype(str)
    for b in _pick(placement.flows, br_all, head, "branch"):
        for c in np.flatnonzero((c_branch == b) & live):
            add("p_flow", b, c_phase[c], "from", False)
            add("q_flow", b, c_phase[c], "from", False)
    inj = set(_pick(placement.injections, nodes, nodes[:0], "node").tolist())
    loaded = np.abs(adm.elec_load[adm.term_elec]) > 0
    # One injection reading per electrical terminal: nodes joined by a closed ideal switch
    # share one, read (as the bus's total) at the first of them.
    first = np.zeros(len(t_node), dtype=bool)
    first[np.unique(adm.term_elec, return_index=True)[1]] = True
    for t in np.flatnonzero(first):
        if t_node[t] in inj:
            add("p_inj", t_node[t], t_phase[t], "from", False)
            add("q_inj", t_node[t], t_phase[t], "from", False)
        elif placement.pseudo_pct is not None and loaded[t]:
            add("p_inj", t_node[t], t_phase[t], "from", True)
            add("q_inj", t_node[t], t_phase[t], "from", True)
    df = pd.DataFrame(out, columns=["kind", "element_id", "phase", "side", "pseudo"])
    label = np.where(df["phase"] == "ABC", df["element_id"], df["element_id"] + "." + df["phase"])
    df.insert(0, "measurement_id", [f"{k}:{lab}" for k, lab in zip(df["kind"], label, strict=True)])
    return df


def make_measurements(
    network: Any,
    placement: Placement = Placement(),
    *,
    load_scale: Any = 1.0,
    gross_errors: int = 0,
    gross_size: float = 20.0,
    seed: int = 0,
    model: str = "auto",
) -> pd.DataFrame:
    """A ``measurements`` table (plus ``true_value``, ``gross``) for the network's power flow.

    ``load_scale`` scalar or (S,): one snapshot per factor (named ``0``, ``1``, ...), all
    loads scaled. Noise and gross errors are drawn from ``numpy.random.default_rng(seed)``.
    """
    from gat_pf import physics_model
    from gat_pf.admittance import network_admittance

    phys = physics_model(network, model=model)
    scales = np.atleast_1d(np.asarray(load_scale, dtype=float))
    sol = phys.solve(load_scale=scales if len(scales) > 1 else float(scales[0]))
    if not bool(np.all(sol.converged)):
        raise InputError("make-measurements: the power flow did not converge")
    rng = np.random.default_rng(seed)
    frames = []
    for k in range(len(scales)):
        taps = None if sol.taps.shape[1] == 0 else sol.taps[k]
        adm = network_admittance(phys, taps)
        grid = Grid(phys, adm)
        if k == 0:
            base = _rows(grid, placement)
            if base.empty:
                raise InputError("make-measurements: the placement gives no measurement")
        df = base.copy()
        code, elec, cond, to_side = locate(grid, df)
        from ._model import MeasArrays, SeModel

        se = SeModel.from_admittance(adm)
        v = np.ones(adm.n_elec, dtype=complex)
        v[adm.term_elec] = sol.v[k]
        arrays = MeasArrays(code, elec, cond, to_side, np.ones(len(df)))
        factor = unit_factor(grid, code, elec, cond, to_side)
        true = evaluate(se, arrays, v[None, :])[0] * factor
        sigma = np.where(
            df["kind"] == "v_mag",
            placement.sigma_v_pu,
            np.maximum(placement.sigma_power_pct / 100.0 * np.abs(true), placement.sigma_floor_mw),
        )
        if placement.pseudo_pct is not None:
            load = adm.elec_load[np.maximum(elec, 0)]
            sigma = np.where(df["pseudo"], placement.pseudo_pct / 100.0 * np.abs(load), sigma)
        value = true + rng.normal(0.0, 1.0, len(df)) * sigma
        gross = np.zeros(len(df), dtype=bool)
        if gross_errors:
            cand = np.flatnonzero(~df["pseudo"].to_numpy(bool))
            if gross_errors > len(cand):
                raise InputError(
                    f"make-measurements: {gross_errors} gross errors asked, {len(cand)} sensors"
                )
            pick = rng.choice(cand, size=gross_errors, replace=False)
            gross[pick] = True
            value[pick] += rng.choice([-1.0, 1.0], size=gross_errors) * gross_size * sigma[pick]
        df["value"] = value
        df["sigma"] = sigma
        df["snapshot"] = str(k)
        df["true_value"] = true
        df["gross"] = gross
        frames.append(df)
    out = pd.concat(frames, ignore_index=True)
    return out[
        [
            "measurement_id",
            "kind",
            "element_id",
            "side",
            "phase",
            "value",
            "sigma",
            "pseudo",
            "snapshot",
            "true_value",
            "gross",
        ]
    ]
