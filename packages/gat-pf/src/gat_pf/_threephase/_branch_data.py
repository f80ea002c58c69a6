"""Reading the branch-related tables: line codes, transformer rows, regulated branches."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from gat_schemas.errors import InputError

from ._primitives import GROUND, NEUTRAL, bank_wiring
from ._table_utils import column, few, ids, index_of, strings

if TYPE_CHECKING:
    from gat_schemas import Network

__all__ = [
    "RegulatorData",
    "bank_params",
    "line_matrices",
    "linecodes",
    "pt_reference",
    "rated_to_kv",
    "regulated_branches",
    "regulator_data",
    "text_col",
    "transformer_rows",
    "unit_phases",
]


def text_col(df: Any, name: str, n: int) -> np.ndarray:
    if name not in df.columns:
        return np.full(n, None, dtype=object)
    col = df[name].to_numpy(dtype=object)
    return np.array([v if isinstance(v, str) and v else None for v in col], dtype=object)


def linecodes(network: Network) -> tuple[dict[str, int], np.ndarray, np.ndarray, np.ndarray]:
    """Line codes as arrays: id -> row, n_phases (C,), Z (C, 3, 3) ohm/km, B (C, 3, 3) uS/km."""
    codes = network.table("dist_linecodes")
    if codes is None or len(codes) == 0:
        return {}, np.zeros(0, np.int64), np.zeros((0, 3, 3), complex), np.zeros((0, 3, 3))
    n = len(codes)
    z = np.zeros((n, 3, 3), dtype=complex)
    bm = np.zeros((n, 3, 3))
    for i, j in ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)):
        key = f"{i + 1}{j + 1}"
        zij = column(codes, f"r{key}", 0.0) + 1j * column(codes, f"x{key}", 0.0)
        z[:, i, j] = z[:, j, i] = zij
        bm[:, i, j] = bm[:, j, i] = column(codes, f"b{key}", 0.0)
    row = {str(c): k for k, c in enumerate(ids(codes, "linecode_id"))}
    return row, column(codes, "n_phases", 0.0).astype(np.int64), z, bm


def line_matrices(
    codes: tuple[dict[str, int], np.ndarray, np.ndarray, np.ndarray],
    code: np.ndarray,
    k: int,
    length: np.ndarray,
    bids: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(B, k, k) series impedance (ohm) and shunt susceptance (S) of B lines with line codes."""
    row, n_ph, z, bm = codes
    at = np.array([row.get(str(c), -1) for c in code], dtype=np.int64)
    where = "table dist_branches, column linecode_id"
    if (at < 0).any():
        raise InputError(
            f"{where}: line code(s) {few(np.unique(code[at < 0]))} not in dist_linecodes "
            f"(branches {few(bids[at < 0])})"
        )
    if (n_ph[at] != k).any():
        raise InputError(
            f"{where}: branch(es) {few(bids[n_ph[at] != k])} have {k} phase(s) but their line "
            "code another number"
        )
    if not (np.isfinite(length) & (length > 0)).all():
        raise InputError(
            f"table dist_branches, column length_km: branch(es) "
            f"{few(bids[~(np.isfinite(length) & (length > 0))])} with a line code need length_km > 0"
        )
    scale = length[:, None, None]
    return z[at][:, :k, :k] * scale, bm[at][:, :k, :k] * 1e-6 * scale


def transformer_rows(network: Network, bids: np.ndarray) -> dict[int, dict[str, Any]]:
    tr = network.table("dist_transformers")
    if tr is None or len(tr) == 0:
        return {}
    at = index_of(bids, ids(tr, "branch_id"))
    if (at < 0).any():
        raise InputError(
            "table dist_transformers, column branch_id: unknown branch(es) "
            f"{few(ids(tr, 'branch_id')[at < 0])}"
        )
    out = {}
    # Rows as dicts of Python scalars (what ``to_dict("records")`` gives, built from whole
    # columns: pandas' per-row boxing was a tenth of a large feeder's model build).
    cols = list(tr.columns)
    values = zip(*(tr[c].tolist() for c in cols), strict=True)
    records = (dict(zip(cols, row, strict=True)) for row in values)
    for i, rec in zip(at.tolist(), records, strict=True):
        rec.setdefault("tap_from", 1.0)
        rec.setdefault("tap_to", 1.0)
        out[i] = rec
    return out


def unit_phases(rec: dict[str, Any]) -> tuple[str, tuple[tuple[int, ...], tuple[int, ...]] | None]:
    """The branch conductors of a transformer row and the conductors each winding uses.

    ``phases`` are the from winding's letters, ``phases_to`` (when given and different) the
    to winding's: the branch has the from letters then the to letters not among them (an
    open-wye/open-delta unit ``A`` / ``AB`` has conductors ``AB``), and ``sides`` gives each
    winding's letters as conductor indices (``None``: both windings on every conductor).
    """
    p = str(rec["phases"])
    q = rec.get("phases_to")
    if not isinstance(q, str) or not q or q == p:
        return p, None
    union = p + "".join(c for c in q if c not in p)
    return union, (tuple(union.index(c) for c in p), tuple(union.index(c) for c in q))


def bank_params(rec: dict[str, Any], k: int) -> tuple[Any, ...]:
    z = complex(float(rec["r_pct"]), float(rec["x_pct"]))
    if z == 0:
        raise InputError(f"table dist_transformers, branch {rec['branch_id']}: r_pct = x_pct = 0")
    sides = unit_phases(rec)[1]
    try:
        bank_wiring(k, str(rec["conn_from"]), str(rec["conn_to"]), 1.0, 1.0, sides)
    except ValueError as exc:
        raise InputError(
            f"table dist_transformers, branch {rec['branch_id']}: phases {rec['phases']}, "
            f"phases_to {rec.get('phases_to')}: {exc}"
        ) from None
    return (
        k,
        str(rec["conn_from"]),
        str(rec["conn_to"]),
        float(rec["kv_from"]),
        float(rec["kv_to"]),
        float(rec["s_rated_mva"]),
        z,
        float(rec["tap_from"]),
        float(rec["tap_to"]),
        _ppm(rec),
        complex(_pct(rec, "noload_loss_pct"), -_pct(rec, "imag_pct")),
        sides,
    )


def _pct(rec: dict[str, Any], key: str) -> float:
    """A magnetising-branch percentage of a transformer row (0 when absent or null)."""
    v = rec.get(key)
    x = 0.0 if v is None else float(v)
    return x if np.isfinite(x) else 0.0


def _ppm(rec: dict[str, Any]) -> float:
    """``ppm_antifloat`` of a transformer row (1 ppm, OpenDSS's default, when absent)."""
    ppm = rec.get("ppm_antifloat")
    return 1.0 if ppm is None or not np.isfinite(float(ppm)) else float(ppm)


def regulated_branches(network: Network, bids: np.ndarray) -> set[int]:
    reg = network.table("dist_regulators")
    if reg is None or len(reg) == 0:
        return set()
    at = index_of(bids, ids(reg, "branch_id"))
    if (at < 0).any():
        raise InputError(
            "table dist_regulators, column branch_id: unknown branch(es) "
            f"{few(ids(reg, 'branch_id')[at < 0])}"
        )
    return set(at.tolist())


def rated_to_kv(rec: dict[str, Any] | None, k: int, vb_to: float) -> float:
    """Rated to-winding voltage of one core, phase to neutral for a wye winding (kV)."""
    if rec is None:
        return float(vb_to)
    kv = float(rec["kv_to"])
    if _cores(rec, k) == 3 and rec["conn_to"] != "delta":
        return kv / np.sqrt(3.0)
    return kv


def _cores(rec: dict[str, Any], k: int) -> int:
    return bank_wiring(
        k, str(rec["conn_from"]), str(rec["conn_to"]), 1.0, 1.0, unit_phases(rec)[1]
    )[0]


def pt_reference(rec: dict[str, Any] | None, k: int, cond: int) -> int:
    """The to-side conductor at the other end of the winding a PT on conductor ``cond``
    measures (a delta winding: the phase it is wound to), or :data:`GROUND` (a grounded or
    floating wye winding, or a branch without winding data: phase to ground)."""
    if rec is None:
        return GROUND
    wiring = bank_wiring(
        k,
        str(rec["conn_from"]),
        str(rec["conn_to"]),
        float(rec["kv_from"]),
        float(rec["kv_to"]),
        unit_phases(rec)[1],
    )[1][1]
    for a, b in wiring:
        if a == cond:
            return GROUND if b == NEUTRAL else b
    return GROUND


@dataclass(frozen=True, eq=False)
class RegulatorData:
    """Regulator rows as arrays (``dist_regulators`` order).

    ``branch`` branch index; ``phase`` (0, 1, 2 for A, B, C) and ``core`` (conductor index
    within the branch's phases) of the measured phase (``pt_phase``); ``gang`` (R, 3) marks
    the cores whose tap the regulator moves (one for a single-phase regulator, every listed
    phase for a ganged one); ``slot`` index of the regulated branch in
    ``BranchBlocks.regulated``; ``to_pn`` phase node of the measured phase at the to end;
    ``v_rated_kv`` rated to-winding voltage of the core (kV, phase to neutral for a wye side);
    ``ref_pn`` phase node at the other end of the measured winding (to end; -1 = ground): the
    PT measures ``v[to_pn] - v[ref_pn]``, the winding voltage, as OpenDSS's RegControl does
    (phase to phase on a delta unit); the control settings are NaN when absent.
    """

    ids: np.ndarray
    branch: np.ndarray
    phase: np.ndarray
    core: np.ndarray
    gang: np.ndarray
    slot: np.ndarray
    to_pn: np.ndarray
    tap0: np.ndarray
    tap_min: np.ndarray
    tap_max: np.ndarray
    step: np.ndarray
    auto: np.ndarray
    v_set_v: np.ndarray
    band_v: np.ndarray
    pt_ratio: np.ndarray
    ct_primary_a: np.ndarray
    r_comp_v: np.ndarray
    x_comp_v: np.ndarray
    v_rated_kv: np.ndarray
    ref_pn: np.ndarray


def regulator_data(
    network: Network,
    bids: np.ndarray,
    phases: np.ndarray,
    reg_of: set[int],
    slot_of: dict[int, int],
    trows: dict[int, dict[str, Any]],
    t: np.ndarray,
    pn_index: np.ndarray,
    vb: np.ndarray,
) -> RegulatorData | None:
    reg = network.table("dist_regulators")
    if reg is None or len(reg) == 0:
        return None
    rid = ids(reg, "regulator_id")
    branch = index_of(bids, ids(reg, "branch_id"))
    phase_text = strings(reg, "phase")
    pt_text = (
        reg["pt_phase"].where(reg["pt_phase"].notna(), None).tolist()
        if "pt_phase" in reg.columns
        else [None] * len(reg)
    )
    core = np.empty(len(reg), dtype=np.int64)
    phase = np.empty(len(reg), dtype=np.int64)
    gang = np.zeros((len(reg), 3), dtype=bool)
    to_pn = np.empty(len(reg), dtype=np.int64)
    v_rated = np.empty(len(reg))
    ref_pn = np.full(len(reg), -1, dtype=np.int64)
    rows = zip(branch.tolist(), phase_text.tolist(), pt_text, strict=True)
    for j, (bi, p, pt) in enumerate(rows):
        if bi not in slot_of:
            raise InputError(f"table dist_regulators, regulator {rid[j]}: its branch is not closed")
        if not p or any(c not in phases[bi] for c in p):
            raise InputError(
                f"table dist_regulators, regulator {rid[j]}: phase {p} is not within the "
                f"branch's phases {phases[bi]}"
            )
        pt = p[0] if pt is None else str(pt)
        if pt not in p:
            raise InputError(
                f"table dist_regulators, regulator {rid[j]}: pt_phase {pt} is not one of its "
                f"phases {p}"
            )
        core[j] = phases[bi].index(pt)
        gang[j, [phases[bi].index(c) for c in p]] = True
        phase[j] = "ABC".index(pt)
        to_pn[j] = pn_index[t[bi], phase[j]]
        v_rated[j] = rated_to_kv(trows.get(bi), len(phases[bi]), vb[t[bi]])
        other = pt_reference(trows.get(bi), len(phases[bi]), int(core[j]))
        if other != GROUND:
            ref_pn[j] = pn_index[t[bi], "ABC".index(phases[bi][other])]
    step = column(reg, "step_pu", 0.00625)
    mode = strings(reg, "mode") if "mode" in reg.columns else np.full(len(reg), "fixed")
    return RegulatorData(
        ids=rid,
        branch=branch,
        phase=phase,
        core=core,
        gang=gang,
        slot=np.array([slot_of[b] for b in branch.tolist()], dtype=np.int64),
        to_pn=to_pn,
        tap0=reg["tap"].to_numpy(dtype=np.int64),
        tap_min=column(reg, "tap_min", -16.0).astype(np.int64),
        tap_max=column(reg, "tap_max", 16.0).astype(np.int64),
        step=step,
        auto=mode == "auto",
        v_set_v=column(reg, "v_set_v", np.nan),
        band_v=column(reg, "band_v", np.nan),
        pt_ratio=column(reg, "pt_ratio", np.nan),
        ct_primary_a=column(reg, "ct_primary_a", np.nan),
        r_comp_v=column(reg, "r_comp_v", 0.0),
        x_comp_v=column(reg, "x_comp_v", 0.0),
        v_rated_kv=v_rated,
        ref_pn=ref_pn,
    )
