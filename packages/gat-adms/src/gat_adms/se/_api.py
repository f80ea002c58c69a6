"""``estimate_state``: WLS state estimation of a network from a ``measurements`` table."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gat_schemas.errors import InputError

from ._baddata import chi2_threshold, covariance
from ._batch import solve_batch
from ._model import SeModel, evaluate, residual
from ._observe import unobservable_nodes
from ._stiff import merge_stiff
from ._tables import Grid, Snapshot, parse_measurements, pseudo_from_loads
from ._wls import SingularGainError, WlsOptions, solve_one

__all__ = ["SeOptions", "StateEstimate", "UnobservableError", "estimate_state", "prepare_grid"]


class UnobservableError(InputError):
    """The measurements do not determine the state of some nodes (``nodes``: their ids)."""

    def __init__(self, message: str, nodes: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.nodes = nodes


@dataclass(frozen=True)
class SeOptions:
    """State-estimation settings.

    Attributes
    ----------
    alpha
        Significance of the chi-square test on J (degrees of freedom m - n + c).
    lnr_threshold
        A largest normalised residual above it identifies bad data.
    max_removals
        Measurements removed (one per round, re-estimating after each) at most.
    pseudo_from_loads_pct
        When set: p_inj/q_inj pseudo-measurements of minus every node's nominal load where
        none is measured, sigma this percentage of the load's apparent power.
    tol, max_iter
        Gauss-Newton convergence (largest update, rad and pu; see
        :class:`gat_adms.se._wls.WlsOptions`) and iteration limit.
    model
        Physics model: ``auto``, ``balanced`` or ``three_phase`` (:func:`gat_pf.physics_model`).
    """

    alpha: float = 0.05
    lnr_threshold: float = 3.0
    max_removals: int = 5
    pseudo_from_loads_pct: float | None = None
    tol: float = 1e-8
    max_iter: int = 30
    model: str = "auto"

    def __post_init__(self) -> None:
        if not 0.0 < self.alpha < 1.0:
            raise InputError(f"alpha must be in (0, 1), got {self.alpha}")
        if not self.lnr_threshold > 0.0:
            raise InputError(f"lnr_threshold must be > 0, got {self.lnr_threshold}")
        if self.max_removals < 0:
            raise InputError(f"max_removals must be >= 0, got {self.max_removals}")
        pct = self.pseudo_from_loads_pct
        if pct is not None and not (0.0 < pct <= 1000.0):
            raise InputError(f"pseudo_from_loads_pct must be in (0, 1000], got {pct}")


@dataclass(frozen=True, eq=False)
class StateEstimate:
    """Result tables (``se_nodes``, ``se_branches``, ``se_measurements``, ``se_summary``),
    the estimated terminal voltages ``v`` (snapshot -> (T,) complex pu) and the
    near-zero-impedance branches the estimator treated as zero-impedance connections
    (``merged_branches``: their two ends share one estimated voltage)."""

    nodes: pd.DataFrame
    branches: pd.DataFrame
    measurements: pd.DataFrame
    summary: pd.DataFrame
    kind: str
    v: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    merged_branches: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class PreparedGrid:
    """The network ready for estimation: physics model, admittance, estimator arrays, the
    zero-injection terminals and a start state (the power flow at nominal loads)."""

    grid: Grid
    model: SeModel
    zero: np.ndarray
    x0: np.ndarray
    merged_branches: tuple[str, ...] = ()
    undetermined: tuple[str, ...] = ()


def prepare_grid(network: Any, *, model: str = "auto", keep: tuple[str, ...] = ()) -> PreparedGrid:
    """Physics model, admittance and start state of ``network`` (one power flow).

    Near-zero-impedance branches (unit ratio, series admittance above
    :data:`gat_adms.se._stiff.STIFF_RATIO` times every branch around them) are
    zero-impedance connections for the estimator: their ends share one electrical terminal
    (``merged_branches`` lists them, ``undetermined`` those whose flow is then no function
    of the state; :mod:`gat_adms.se._stiff`). ``keep``: branch ids never joined.
    """
    from gat_pf import physics_model
    from gat_pf.admittance import network_admittance

    phys = physics_model(network, model=model)
    sol = phys.solve()
    taps = None if sol.taps.shape[1] == 0 else sol.taps[0]
    adm = network_admittance(phys, taps)
    fixed = adm.elec_fixed.copy()
    der = network.table("der_assets")
    if der is not None and len(der):
        # Every terminal of a DER's node (nodes joined by ideal switches share one).
        term_node = phys.node_ids[phys.term_node].astype(str)
        at_der = np.isin(term_node, der["bus_id"].astype(str))
        fixed[adm.term_elec[at_der]] = True
    merge = merge_stiff(adm, phys.cond_branch, fixed, keep)
    adm, fixed = merge.adm, merge.fixed
    se_model = SeModel.from_admittance(adm)
    v0 = np.ones(adm.n_elec, dtype=complex)
    if bool(sol.converged.all()):
        v0[adm.term_elec] = sol.v[0]
    else:
        v0 = adm.elec_v_slack.copy()
    return PreparedGrid(
        Grid(phys, adm),
        se_model,
        np.flatnonzero(~fixed),
        se_model.flat_start(v0),
        merge.branches,
        merge.undetermined,
    )


def estimate_state(
    network: Any,
    measurements: pd.DataFrame,
    *,
    options: SeOptions = SeOptions(),
    prepared: PreparedGrid | None = None,
) -> StateEstimate:
    """Estimate the state of every snapshot of ``measurements``.

    Steps per snapshot: pseudo-measurements from loads (when asked), topological
    observability (:class:`UnobservableError` naming the nodes), WLS with zero-injection
    constraints (snapshots sharing one measurement set in one batch with one
    factorisation), then bad data: while the largest normalised residual exceeds
    ``lnr_threshold`` and fewer than ``max_removals`` are removed, remove it (never a
    critical one) and re-estimate. The chi-square test on the final J is reported.

    Raises
    ------
    UnobservableError
        Some nodes are unobservable (topologically or numerically).
    gat_schemas.errors.InputError
        Unknown elements or phases in the table.
    """
    from gat_schemas.conform import apply_defaults

    table, _ = apply_defaults("measurements", measurements)
    prep = prepared or prepare_grid(network, model=options.model)
    if prepared is None and prep.undetermined:
        # A flow measured on a joined branch whose current no voltage fixes (loads on both
        # sides): that branch stays a branch (the estimate before joining existed, if the
        # gain's conditioning allows).
        kinds = table["kind"].astype(str)
        on = table.loc[kinds.isin(["p_flow", "q_flow", "i_mag"]), "element_id"].astype(str)
        keep = tuple(sorted(set(on) & set(prep.undetermined)))
        if keep:
            prep = prepare_grid(network, model=options.model, keep=keep)
    grid = prep.grid
    snaps, n_merged = parse_measurements(grid, table)
    if not snaps:
        raise InputError("measurements: the table is empty")
    added = {}
    if options.pseudo_from_loads_pct is not None:
        for i, s in enumerate(snaps):
            snaps[i], added[s.name] = pseudo_from_loads(grid, s, options.pseudo_from_loads_pct)
    wls = WlsOptions(tol=options.tol, max_iter=options.max_iter)
    parts: dict[str, dict[str, Any]] = {}
    groups: dict[tuple[bytes, ...], list[Snapshot]] = {}
    for s in snaps:
        groups.setdefault(s.key(), []).append(s)
    for members in groups.values():
        first = members[0]
        _check_observable(prep, first)
        z = np.stack([s.z for s in members])
        sigma = np.stack([s.arrays.sigma for s in members])
        try:
            sol = solve_batch(prep.model, first.arrays, z, prep.zero, prep.x0, wls, sigma=sigma)
        except SingularGainError as exc:
            raise UnobservableError(
                f"measurements: the network is numerically unobservable ({exc}); add "
                "measurements or use --pseudo-from-loads PCT"
            ) from None
        for k, s in enumerate(members):
            parts[s.name] = _bad_data(
                prep, s, sol.x[k], int(sol.iterations[k]), bool(sol.converged[k]), options, wls
            )
    return _tables(prep, snaps, parts, n_merged, added, options)


def _check_observable(prep: PreparedGrid, snap: Snapshot, keep: np.ndarray | None = None) -> None:
    arrays = snap.arrays if keep is None else snap.arrays.subset(keep)
    adm = prep.grid.adm
    phys = prep.grid.phys
    bad = unobservable_nodes(prep.model, arrays, prep.zero, adm.elec_node, len(phys.node_ids))
    if len(bad):
        ids = [str(x) for x in phys.node_ids[bad]]
        shown = ", ".join(ids[:6]) + (f" and {len(ids) - 6} more" if len(ids) > 6 else "")
        raise UnobservableError(
            f"measurements (snapshot {snap.name}): {len(ids)} node(s) unobservable: {shown}; "
            "add measurements there or use --pseudo-from-loads PCT",
            tuple(ids),
        )


def _bad_data(
    prep: PreparedGrid,
    snap: Snapshot,
    x: np.ndarray,
    iterations: int,
    converged: bool,
    options: SeOptions,
    wls: WlsOptions,
) -> dict[str, Any]:
    m = len(snap.z)
    keep = np.ones(m, dtype=bool)
    removal_round = np.zeros(m, dtype=np.int64)
    rn_at_removal = np.full(m, np.nan)
    n_round = 0
    while True:
        arrays = snap.arrays.subset(keep)
        v = prep.model.voltages(x)[0]
        cov = covariance(prep.model, arrays, prep.zero, v, states=False)
        r = residual(arrays, snap.z[keep], evaluate(prep.model, arrays, v[None, :])[0])
        rn = cov.normalised(r)
        if n_round >= options.max_removals or not np.any(rn > options.lnr_threshold):
            break
        worst = int(np.nanargmax(rn))
        idx = np.flatnonzero(keep)[worst]
        trial = keep.copy()
        trial[idx] = False
        try:
            _check_observable(prep, snap, trial)
            sol = solve_one(prep.model, snap.arrays.subset(trial), snap.z[trial], prep.zero, x, wls)
        except (UnobservableError, SingularGainError):
            break
        n_round += 1
        keep = trial
        removal_round[idx] = n_round
        rn_at_removal[idx] = rn[worst]
        x, iterations, converged = sol.x[0], int(sol.iterations[0]), bool(sol.converged[0])
    arrays = snap.arrays.subset(keep)
    v = prep.model.voltages(x)[0]
    # The loop ended right after the residual covariance at this state and measurement set
    # (or after a trial that changed neither): only the states' part is left to compute.
    cov = covariance(prep.model, arrays, prep.zero, v, states=True, known=cov)
    h_all = evaluate(prep.model, snap.arrays, v[None, :])[0]
    r_all = residual(snap.arrays, snap.z, h_all)
    rn_all = rn_at_removal.copy()
    rn_all[keep] = cov.normalised(r_all[keep])
    crit = np.zeros(m, dtype=bool)
    crit[keep] = cov.critical
    weight = 1.0 / arrays.sigma**2
    j = float(np.sum(weight * r_all[keep] ** 2))
    dof = int(keep.sum()) - prep.model.n_state + 2 * len(prep.zero)
    return {
        "x": x,
        "v": v,
        "state_var": cov.state_var,
        "estimate": h_all,
        "residual": r_all,
        "rn": rn_all,
        "critical": crit,
        "keep": keep,
        "round": removal_round,
        "iterations": iterations,
        "converged": converged,
        "j": j,
        "dof": dof,
    }


def _tables(
    prep: PreparedGrid,
    snaps: list[Snapshot],
    parts: dict[str, dict[str, Any]],
    n_merged: int,
    added: dict[str, int],
    options: SeOptions,
) -> StateEstimate:
    grid, model = prep.grid, prep.model
    phys, adm = grid.phys, grid.adm
    n_ns = len(model.ns)
    ns_pos = np.full(model.n_elec, -1, dtype=np.int64)
    ns_pos[model.ns] = np.arange(n_ns)
    te = adm.term_elec
    first_term = np.full(adm.n_elec, -1, dtype=np.int64)
    first_term[te[::-1]] = np.arange(len(te))[::-1]
    owns = first_term[te] == np.arange(len(te))
    nodes, branches, meas, summary = [], [], [], []
    v_out = {}
    for s in snaps:
        p = parts[s.name]
        v = p["v"]
        var = p["state_var"]
        s_inj = v * np.conj(adm.y @ v) * adm.s_base_mva
        va_var = np.where(ns_pos[te] >= 0, var[np.maximum(ns_pos[te], 0)], 0.0)
        nodes.append(
            pd.DataFrame(
                {
                    "snapshot": s.name,
                    "node_id": phys.node_ids[phys.term_node].astype(str),
                    "phase": phys.term_phase.astype(str),
                    "vm_pu": np.abs(v[te]),
                    "va_deg": np.degrees(np.angle(v[te])),
                    "vm_std_pu": np.sqrt(var[n_ns + te]),
                    "va_std_deg": np.degrees(np.sqrt(va_var)),
                    "p_mw": np.where(owns, s_inj.real[te], np.nan),
                    "q_mvar": np.where(owns, s_inj.imag[te], np.nan),
                }
            )
        )
        v_out[s.name] = v[te]
        i_f, i_t = adm.cond_from @ v, adm.cond_to @ v
        s_f = v[adm.cond_f_elec] * np.conj(i_f) * adm.s_base_mva
        s_t = v[adm.cond_t_elec] * np.conj(i_t) * adm.s_base_mva
        ideal = adm.cond_ideal
        branches.append(
            pd.DataFrame(
                {
                    "snapshot": s.name,
                    "branch_id": phys.cond_branch.astype(str),
                    "phase": phys.cond_phase.astype(str),
                    "p_from_mw": np.where(ideal, np.nan, s_f.real),
                    "q_from_mvar": np.where(ideal, np.nan, s_f.imag),
                    "p_to_mw": np.where(ideal, np.nan, s_t.real),
                    "q_to_mvar": np.where(ideal, np.nan, s_t.imag),
                    "i_from_a": np.where(
                        ideal, np.nan, np.abs(i_f) * adm.elec_i_base_a[adm.cond_f_elec]
                    ),
                }
            )
        )
        rows = s.rows.copy()
        rows.insert(0, "snapshot", s.name)
        rows["estimate"] = p["estimate"] * s.factor
        rows["residual"] = p["residual"] * s.factor
        rows["normalised_residual"] = p["rn"]
        rows["critical"] = p["critical"]
        rows["removed"] = ~p["keep"]
        rows["removal_round"] = p["round"]
        rows["merged"] = rows["merged"].astype(np.int64)
        rows["pseudo"] = rows["pseudo"].astype(bool)
        meas.append(rows)
        removed = rows.loc[rows["removed"]].sort_values("removal_round")
        kept_rn = rows.loc[~rows["removed"], "normalised_residual"]
        thr = chi2_threshold(p["dof"], options.alpha)
        summary.append(
            {
                "snapshot": s.name,
                "model": phys.kind,
                "converged": p["converged"],
                "iterations": p["iterations"],
                "objective_j": p["j"],
                "chi2_dof": max(p["dof"], 0),
                "chi2_threshold": thr,
                "chi2_passed": bool(not np.isfinite(thr) or p["j"] <= thr),
                "n_measurements": int(p["keep"].sum()),
                "n_pseudo": int(rows.loc[~rows["removed"], "pseudo"].sum()),
                "n_states": model.n_state,
                "n_zero_injection": len(prep.zero),
                "n_critical": int(p["critical"].sum()),
                "n_duplicates_merged": n_merged,
                "n_removed": len(removed),
                "removed_ids": ";".join(removed["measurement_id"].astype(str)),
                "max_normalised_residual": float(kept_rn.max())
                if kept_rn.notna().any()
                else np.nan,
                "observable": True,
            }
        )
    sm = pd.DataFrame(summary)
    for c in (
        "iterations",
        "chi2_dof",
        "n_measurements",
        "n_pseudo",
        "n_states",
        "n_zero_injection",
        "n_critical",
        "n_duplicates_merged",
        "n_removed",
    ):
        sm[c] = sm[c].astype(np.int64)
    del added
    return StateEstimate(
        nodes=pd.concat(nodes, ignore_index=True),
        branches=pd.concat(branches, ignore_index=True),
        measurements=pd.concat(meas, ignore_index=True),
        summary=sm,
        kind=phys.kind,
        v=v_out,
        merged_branches=prep.merged_branches,
    )
