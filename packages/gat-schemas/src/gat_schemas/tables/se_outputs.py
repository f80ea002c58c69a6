"""State-estimation result tables: ``se_nodes``, ``se_branches``, ``se_measurements``, ``se_summary``.

Written by ``gat adms state-estimation``. Every row carries its ``snapshot`` (the
``measurements`` table's). Sign conventions as in the power-flow tables: injections are
generation positive, a branch flow enters the branch at the named end. Three-phase
networks give one row per node phase or conductor (``phase`` A, B, C); balanced ones one
row per node or branch (``phase`` ABC, powers three-phase totals). Standard deviations come
from the diagonal of the inverse gain matrix (the estimate's covariance).
"""

from __future__ import annotations

from ._base import Column, TableSchema, column, float_column, ge, make_schema

__all__ = ["SE_BRANCHES", "SE_MEASUREMENTS", "SE_NODES", "SE_SUMMARY"]


def _text(description: str, *, nullable: bool = False) -> Column:
    return column(str, unit="-", nullable=nullable, description=description)


def _count(description: str) -> Column:
    return column("int64", unit="-", checks=[ge(0)], description=description)


def _snapshot() -> Column:
    return _text("Snapshot (timestamp or scenario id) of the measurements.")


def _phase() -> Column:
    return _text("Phase A, B or C (three-phase network); ABC on a balanced network.")


SE_NODES = TableSchema(
    name="se_nodes",
    kind="output",
    description="Estimated voltage per node (per node phase on three-phase networks).",
    id_columns=("snapshot", "node_id", "phase"),
    schema=make_schema(
        "se_nodes",
        {
            "snapshot": _snapshot(),
            "node_id": _text("Node identifier."),
            "phase": _phase(),
            "vm_pu": float_column(
                "pu",
                "Estimated voltage magnitude (pu of the line-to-neutral base).",
                checks=[ge(0.0)],
            ),
            "va_deg": float_column(
                "deg", "Estimated voltage angle (deg), relative to the slack's angle set point."
            ),
            "vm_std_pu": float_column(
                "pu", "Standard deviation of vm_pu (pu).", nullable=True, checks=[ge(0.0)]
            ),
            "va_std_deg": float_column(
                "deg",
                "Standard deviation of va_deg (deg; 0 at slack terminals, whose angle is the "
                "reference).",
                nullable=True,
                checks=[ge(0.0)],
            ),
            "p_mw": float_column(
                "MW",
                "Estimated net active injection (generation positive, MW); NaN on a node "
                "joined by a closed ideal switch to an earlier node (the bus's injection is "
                "on that one).",
                nullable=True,
            ),
            "q_mvar": float_column(
                "Mvar",
                "Estimated net reactive injection (generation positive, Mvar); NaN as p_mw.",
                nullable=True,
            ),
        },
    ),
)

SE_BRANCHES = TableSchema(
    name="se_branches",
    kind="output",
    description="Flows of the estimated state per branch (per conductor on three-phase networks).",
    id_columns=("snapshot", "branch_id", "phase"),
    schema=make_schema(
        "se_branches",
        {
            "snapshot": _snapshot(),
            "branch_id": _text("Branch identifier."),
            "phase": _phase(),
            "p_from_mw": float_column(
                "MW",
                "Active power entering at the from end (MW); NaN for an ideal switch.",
                nullable=True,
            ),
            "q_from_mvar": float_column(
                "Mvar",
                "Reactive power entering at the from end (Mvar); NaN for an ideal switch.",
                nullable=True,
            ),
            "p_to_mw": float_column(
                "MW",
                "Active power entering at the to end (MW); NaN for an ideal switch.",
                nullable=True,
            ),
            "q_to_mvar": float_column(
                "Mvar",
                "Reactive power entering at the to end (Mvar); NaN for an ideal switch.",
                nullable=True,
            ),
            "i_from_a": float_column(
                "A",
                "Current magnitude at the from end (A); NaN without base_kv or for an "
                "ideal switch.",
                nullable=True,
                checks=[ge(0.0)],
            ),
        },
    ),
)

SE_MEASUREMENTS = TableSchema(
    name="se_measurements",
    kind="output",
    description="Every measurement used (after merging duplicates), its estimate and residual.",
    id_columns=("snapshot", "measurement_id"),
    schema=make_schema(
        "se_measurements",
        {
            "snapshot": _snapshot(),
            "measurement_id": _text(
                "Measurement identifier; duplicates merged into one row are joined with '+'."
            ),
            "kind": _text("v_mag, v_ang, p_inj, q_inj, p_flow, q_flow or i_mag."),
            "element_id": _text("Node or branch measured."),
            "side": _text("Branch end (from, to); empty for node kinds."),
            "phase": _phase(),
            "value": float_column(
                "pu | deg | MW | Mvar | A", "Reading (merged: inverse-variance mean).", bound=1e6
            ),
            "sigma": float_column(
                "pu | deg | MW | Mvar | A",
                "Standard deviation (merged: 1/sqrt(sum 1/sigma^2)).",
                bound=1e6,
                checks=[ge(0.0)],
            ),
            "pseudo": column("bool", unit="-", description="Pseudo-measurement."),
            "merged": _count("Readings merged into this row (1 = no duplicate)."),
            "estimate": float_column(
                "pu | deg | MW | Mvar | A",
                "The measured quantity at the final estimated state (same unit as value).",
                bound=1e6,
            ),
            "residual": float_column(
                "pu | deg | MW | Mvar | A", "value - estimate (same unit as value).", bound=1e6
            ),
            "normalised_residual": float_column(
                "-",
                "|residual| / sqrt(Omega_ii), Omega = R - H G^-1 H^T the residual covariance, "
                "at the estimate the row took part in (a removed row: the estimate it was "
                "removed from); NaN for a critical measurement (Omega_ii = 0).",
                nullable=True,
                bound=1e12,
            ),
            "critical": column(
                "bool",
                unit="-",
                description="Critical measurement: without it the network is unobservable "
                "(its residual is always 0, so bad data in it cannot be detected).",
            ),
            "removed": column(
                "bool", unit="-", description="Removed as bad data by the residual test."
            ),
            "removal_round": _count("Removal round (1, 2, ...) of a removed row; 0 if kept."),
        },
    ),
)

SE_SUMMARY = TableSchema(
    name="se_summary",
    kind="output",
    description="One row per snapshot: convergence, the chi-square test and the removals.",
    id_columns=("snapshot",),
    schema=make_schema(
        "se_summary",
        {
            "snapshot": _snapshot(),
            "model": _text("balanced or three_phase."),
            "converged": column("bool", unit="-", description="Gauss-Newton converged."),
            "iterations": _count("Gauss-Newton iterations of the final estimate."),
            "objective_j": float_column(
                "-",
                "Weighted sum of squared residuals J = sum (r / sigma)^2.",
                checks=[ge(0.0)],
                bound=1e15,
            ),
            "chi2_dof": _count(
                "Degrees of freedom m - n + c (m measurements, n states, c "
                "zero-injection constraints)."
            ),
            "chi2_threshold": float_column(
                "-",
                "chi-square quantile at 1 - alpha for chi2_dof; NaN when dof = 0.",
                nullable=True,
                bound=1e15,
            ),
            "chi2_passed": column(
                "bool", unit="-", description="J <= chi2_threshold for the final estimate."
            ),
            "n_measurements": _count("Measurements used in the final estimate."),
            "n_pseudo": _count("Of them, pseudo-measurements."),
            "n_states": _count("State variables (angles and magnitudes)."),
            "n_zero_injection": _count("Zero-injection terminals held as equality constraints."),
            "n_critical": _count("Critical measurements."),
            "n_duplicates_merged": _count("Readings merged into another of the same quantity."),
            "n_removed": _count("Measurements removed as bad data."),
            "removed_ids": _text("Removed measurement ids, in removal order, ';'-separated."),
            "max_normalised_residual": float_column(
                "-",
                "Largest normalised residual of the final estimate.",
                nullable=True,
                bound=1e12,
            ),
            "observable": column(
                "bool",
                unit="-",
                description="Every node observable (always true in a written "
                "result: an unobservable network is refused).",
            ),
        },
    ),
)
