"""Per-unit admittance blocks of every branch, grouped for vectorised assembly and flows.

Lines with a line code use its phase matrices times ``length_km``; other lines and
transformers without a ``dist_transformers`` row are modelled on each conductor as the
balanced pi model (``r``, ``x``, ``b``, ``tap``, ``shift_deg``) without mutual coupling;
``dist_transformers`` rows give banks of cores (:mod:`._primitives`). Closed ideal switches
merge their conductors' phase nodes. Branches with a regulator are kept apart: their blocks
depend on the tap positions and are rebuilt by :func:`regulator_blocks`.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from gat_pf._kernels.ybus import branch_admittances
from gat_schemas.errors import InputError

from ._branch_data import (
    RegulatorData,
    bank_params,
    line_matrices,
    linecodes,
    regulated_branches,
    regulator_data,
    text_col,
    transformer_rows,
    unit_phases,
)
from ._centertap import center_tap_chunk, center_tap_legs, is_center_tap
from ._table_utils import column, few, ids, index_of, strings
from ._units import antifloat_siemens, bank_block, unit_terminals

if TYPE_CHECKING:
    from gat_schemas import Network

__all__ = [
    "BlockGroup",
    "BranchBlocks",
    "RegulatorData",
    "antifloat_siemens",
    "branch_blocks",
    "regulated_block",
    "regulated_groups",
    "regulator_blocks",
]

_LETTERS = "ABC"


@dataclass(frozen=True, eq=False)
class BlockGroup:
    """Branches with the same number of conductors: ``i_term = y @ v_term`` (pu).

    ``branch`` (B,) branch indices; ``term`` (B, 2k) phase nodes (from conductors, then
    to conductors); ``y`` (B, 2k, 2k) complex per-unit blocks.
    """

    branch: np.ndarray
    term: np.ndarray
    y: np.ndarray


@dataclass(frozen=True, eq=False)
class _Regulated:
    """A branch whose block depends on regulator taps: how to rebuild it."""

    branch: int
    term: np.ndarray
    kind: str  # "bank" or "uncoupled"
    params: tuple[Any, ...]
    scale: np.ndarray  # (2k, 2k) siemens -> pu factors (bank) or unused


@dataclass(frozen=True, eq=False)
class BranchBlocks:
    """Every branch's per-unit primitive, in phase-node indices.

    Attributes
    ----------
    phases
        Effective conductors of every branch (str, ``""`` for a branch with none).
    active
        Closed branches with impedance (in the admittance matrix).
    merged
        Closed ideal switches (their conductors' phase nodes are merged).
    f_node, t_node
        Node index of every branch's ends.
    transformer
        True for transformer branches (they separate galvanic regions).
    side_grounded
        (n, 2) whether each end's winding connects to ground (``wye_g``, or no winding data).
    groups
        Static blocks (branches without a regulator), by number of terminals.
    static_coo
        The static blocks as COO ``(rows, cols, values)`` in phase-node indices.
    merged_pairs
        ``(K, 2)`` phase-node pairs joined by ideal switches.
    merged_cond
        ``(K, 2)`` branch index and conductor index of each merged pair.
    regulated
        Branches with regulators (rebuilt for each tap vector).
    regulators
        :class:`RegulatorData`, or ``None`` without regulators.
    """

    phases: np.ndarray
    active: np.ndarray
    merged: np.ndarray
    f_node: np.ndarray
    t_node: np.ndarray
    transformer: np.ndarray
    side_grounded: np.ndarray
    groups: tuple[BlockGroup, ...]
    static_coo: tuple[np.ndarray, np.ndarray, np.ndarray]
    merged_pairs: np.ndarray
    merged_cond: np.ndarray
    regulated: tuple[_Regulated, ...]
    regulators: RegulatorData | None


def _effective_phases(
    given: np.ndarray, f: np.ndarray, t: np.ndarray, pn_index: np.ndarray
) -> np.ndarray:
    has = pn_index >= 0
    out = np.empty(len(given), dtype=object)
    for i, g in enumerate(given):
        if g is not None:
            out[i] = g
        else:
            common = has[f[i]] & has[t[i]]
            out[i] = "".join(_LETTERS[k] for k in range(3) if common[k])
    return out


def branch_blocks(
    network: Network, node_ids: np.ndarray, pn_index: np.ndarray, base_mva: float
) -> BranchBlocks:
    """Build every branch's per-unit block (see the module docstring)."""
    br = network.branches
    nbr = len(br)
    bids = ids(br, "branch_id")
    ends = index_of(node_ids, np.concatenate([ids(br, "from_node"), ids(br, "to_node")]))
    f, t = ends[:nbr], ends[nbr:]
    if (ends < 0).any():
        raise InputError(
            f"table dist_branches, column from/to_node: unknown node id(s) on branch(es) "
            f"{few(bids[(f < 0) | (t < 0)])}"
        )
    r, x, b = column(br, "r", 0.0), column(br, "x", 0.0), column(br, "b", 0.0)
    tap, shift = column(br, "tap", 1.0), np.deg2rad(column(br, "shift_deg", 0.0))
    closed = strings(br, "status") == "closed" if "status" in br.columns else np.ones(nbr, bool)
    kind = strings(br, "branch_type") if "branch_type" in br.columns else np.full(nbr, "line")
    merged = closed & (kind == "switch") & (r == 0) & (x == 0)
    active = closed & ~merged
    bad = active & (r == 0) & (x == 0)
    if bad.any():
        raise InputError(
            f"table dist_branches, column r/x: closed non-switch branch(es) with r = x = 0: "
            f"{few(bids[bad])}"
        )

    trows = transformer_rows(network, bids)
    given = text_col(br, "phases", nbr)
    for i, row in trows.items():
        given[i] = center_tap_legs(row) if is_center_tap(row) else unit_phases(row)[0]
    phases = _effective_phases(given, f, t, pn_index)
    empty = closed & np.array([not p for p in phases], dtype=bool)
    if empty.any():
        raise InputError(
            f"table dist_branches, column phases: branch(es) {few(bids[empty])} have no phase "
            "common to both end nodes"
        )
    vb = column(network.nodes, "base_kv", np.nan) / np.sqrt(3.0)
    s_phase = base_mva / 3.0
    reg_of = regulated_branches(network, bids)

    chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    regulated: list[_Regulated] = []
    slot_of: dict[int, int] = {}
    linecode = text_col(br, "linecode_id", nbr)
    length = column(br, "length_km", np.nan)
    yff, yft, ytf, ytt = branch_admittances(r, x, b, tap, shift, active)
    k_of = np.fromiter((len(p) for p in phases), dtype=np.int64, count=nbr)
    ph = _phase_index(phases)
    special = np.zeros(nbr, dtype=bool)
    special[list(trows)] = True
    special[list(reg_of)] = True
    ct = np.array(
        [i for i in np.flatnonzero(active & special) if i in trows and is_center_tap(trows[i])],
        dtype=np.int64,
    )
    if any(int(i) in reg_of for i in ct):
        raise InputError("dist_regulators: regulators on center_tap units are not modelled")
    if len(ct):
        recs = [trows[int(i)] for i in ct]
        chunks.append(center_tap_chunk(ct, recs, f, t, pn_index, vb, s_phase, node_ids))
    for i in np.flatnonzero(active & special):
        if i in trows and is_center_tap(trows[i]):
            continue
        k = int(k_of[i])
        sides = unit_phases(trows[i])[1] if i in trows else None
        if sides is None:
            term = _group_terminals(np.array([i]), ph, k, f, t, pn_index, bids, node_ids)[0]
        else:
            term = unit_terminals(i, ph[i, :k], sides, f, t, pn_index, bids, node_ids)
        ends = np.array([f[i]] * k + [t[i]] * k)
        scale = np.multiply.outer(vb[ends], vb[ends]) / s_phase
        if i in trows:
            spec = bank_params(trows[i], k)
            if i in reg_of:
                slot_of[i] = len(regulated)
                regulated.append(_Regulated(int(i), term, "bank", spec, scale))
            else:
                chunks.append((np.array([i]), term[None, :], bank_block(spec, None, scale)[None]))
        else:
            spec = (yff[i], yft[i], ytf[i], ytt[i], tap[i], shift[i], r[i], x[i], b[i], k)
            slot_of[i] = len(regulated)
            regulated.append(_Regulated(int(i), term, "uncoupled", spec, scale))
    has_code = np.array([c is not None for c in linecode], dtype=bool)
    plain = active & ~special
    codes = linecodes(network)
    for k in (1, 2, 3):
        sel = np.flatnonzero(plain & (k_of == k) & has_code)
        if len(sel):
            term = _group_terminals(sel, ph, k, f, t, pn_index, bids, node_ids)
            z, bsh = line_matrices(codes, linecode[sel], k, length[sel], bids[sel])
            y = _line_blocks(z, bsh)
            ends = np.concatenate([np.repeat(f[sel, None], k, 1), np.repeat(t[sel, None], k, 1)], 1)
            v = vb[ends]
            chunks.append((sel, term, y * (v[:, :, None] * v[:, None, :]) / s_phase))
        sel = np.flatnonzero(plain & (k_of == k) & ~has_code)
        if len(sel):
            term = _group_terminals(sel, ph, k, f, t, pn_index, bids, node_ids)
            chunks.append((sel, term, _uncoupled(yff[sel], yft[sel], ytf[sel], ytt[sel], k)))
    by_size: dict[int, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
    for c in chunks:
        by_size.setdefault(c[1].shape[1], []).append(c)
    groups = tuple(
        BlockGroup(
            np.concatenate([c[0] for c in items]),
            np.concatenate([c[1] for c in items]),
            np.concatenate([c[2] for c in items]),
        )
        for _, items in sorted(by_size.items())
    )
    pairs, cond = _merged_pairs(merged, ph, k_of, f, t, pn_index, bids, node_ids)
    regs = regulator_data(network, bids, phases, reg_of, slot_of, trows, t, pn_index, vb)
    side_grounded = np.ones((nbr, 2), dtype=bool)
    for i, rec in trows.items():
        side_grounded[i] = (rec["conn_from"] == "wye_g", rec["conn_to"] in ("wye_g", "center_tap"))
    return BranchBlocks(
        transformer=kind == "transformer",
        side_grounded=side_grounded,
        phases=phases,
        active=active,
        merged=merged,
        f_node=f,
        t_node=t,
        groups=groups,
        static_coo=_coo(groups),
        merged_pairs=pairs,
        merged_cond=cond,
        regulated=tuple(regulated),
        regulators=regs,
    )


def _coo(groups: tuple[BlockGroup, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows, cols, vals = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0, complex)]
    for g in groups:
        m = g.term.shape[1]
        rows.append(np.repeat(g.term, m, axis=1).ravel())
        cols.append(np.tile(g.term, (1, m)).ravel())
        vals.append(g.y.reshape(len(g.branch), -1).ravel())
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)


def _uncoupled(
    yff: np.ndarray, yft: np.ndarray, ytf: np.ndarray, ytt: np.ndarray, k: int
) -> np.ndarray:
    """(B, 2k, 2k) blocks of the per-conductor pi models (no coupling between conductors)."""
    y = np.zeros((len(yff), 2 * k, 2 * k), dtype=complex)
    c = np.arange(k)
    y[:, c, c] = yff[:, None]
    y[:, c, k + c] = yft[:, None]
    y[:, k + c, c] = ytf[:, None]
    y[:, k + c, k + c] = ytt[:, None]
    return y


def _line_blocks(z: np.ndarray, bsh: np.ndarray) -> np.ndarray:
    """(B, 2k, 2k) line two-ports from (B, k, k) impedances (ohm) and susceptances (S)."""
    ys = np.linalg.inv(z)
    ysh = 0.5j * bsh
    top = np.concatenate([ys + ysh, -ys], axis=2)
    bottom = np.concatenate([-ys, ys + ysh], axis=2)
    return np.concatenate([top, bottom], axis=1)


def _phase_index(phases: np.ndarray) -> np.ndarray:
    """(n, 3) phase numbers (0, 1, 2) of every branch's conductors, -1 padded."""
    out = np.full((len(phases), 3), -1, dtype=np.int64)
    lookup = {"A": 0, "B": 1, "C": 2}
    for i, p in enumerate(phases):
        for j, letter in enumerate(p):
            out[i, j] = lookup[letter]
    return out


def _group_terminals(
    sel: np.ndarray,
    ph: np.ndarray,
    k: int,
    f: np.ndarray,
    t: np.ndarray,
    pn_index: np.ndarray,
    bids: np.ndarray,
    node_ids: np.ndarray,
) -> np.ndarray:
    """(B, 2k) phase nodes of the from then to conductors; missing phases are an error."""
    p = ph[sel, :k]
    term = np.concatenate([pn_index[f[sel, None], p], pn_index[t[sel, None], p]], axis=1)
    bad = (term < 0).any(axis=1)
    if bad.any():
        i = sel[np.flatnonzero(bad)[0]]
        letters = "".join("ABC"[q] for q in ph[i, :k])
        raise InputError(
            f"table dist_branches, branch {bids[i]}: phases {letters} are not all present at "
            f"nodes {node_ids[f[i]]} and {node_ids[t[i]]} (dist_nodes.phase)"
            + (f" (and {int(bad.sum()) - 1} more branches)" if bad.sum() > 1 else "")
        )
    return term


def _merged_pairs(
    merged: np.ndarray,
    ph: np.ndarray,
    k_of: np.ndarray,
    f: np.ndarray,
    t: np.ndarray,
    pn_index: np.ndarray,
    bids: np.ndarray,
    node_ids: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Phase-node pairs joined by ideal switches, and (branch, conductor) of each pair."""
    pairs, cond = [np.zeros((0, 2), np.int64)], [np.zeros((0, 2), np.int64)]
    for k in (1, 2, 3):
        sel = np.flatnonzero(merged & (k_of == k))
        if not len(sel):
            continue
        term = _group_terminals(sel, ph, k, f, t, pn_index, bids, node_ids)
        for c in range(k):
            pairs.append(np.stack([term[:, c], term[:, k + c]], axis=1))
            cond.append(np.stack([sel, np.full(len(sel), c)], axis=1))
    return np.concatenate(pairs), np.concatenate(cond)


def _ratio(model_regs: RegulatorData, slot: int, k: int, taps: np.ndarray) -> np.ndarray:
    ratio = np.ones(k)
    for r in np.flatnonzero(model_regs.slot == slot):
        ratio[model_regs.gang[r, :k]] = 1.0 + taps[r] * model_regs.step[r]
    return ratio


def _regulated_block(reg: _Regulated, ratio: np.ndarray) -> np.ndarray:
    if reg.kind == "bank":
        return bank_block(reg.params, ratio, reg.scale)
    _, _, _, _, tap, shift, r, x, b, k = reg.params
    # The regulator scales the to side: the from-end ratio of the pi model is tap / ratio.
    eff = tap / ratio
    y = [
        branch_admittances(
            np.array([r]),
            np.array([x]),
            np.array([b]),
            np.array([e]),
            np.array([shift]),
            np.array([True]),
        )
        for e in eff
    ]
    out = np.zeros((2 * k, 2 * k), dtype=complex)
    for c in range(k):
        out[c, c], out[c, k + c], out[k + c, c], out[k + c, k + c] = (v[0] for v in y[c])
    return out


#: Tap vectors whose regulated blocks are kept per branch set (least recently used first out).
_GROUP_CACHE = 512
#: The kept blocks, per :class:`BranchBlocks` (shared by a model and its variants).
_GROUPS: weakref.WeakKeyDictionary[Any, dict[bytes, tuple[BlockGroup, ...]]] = (
    weakref.WeakKeyDictionary()
)
#: One regulated branch's block per taps of its own regulators (least recently used first
#: out): a block depends on those taps alone, so a time series that moves one regulator at a
#: time builds one block per new (branch, own taps), not every block per new tap vector.
_BLOCK_CACHE = 4096
_BLOCKS: weakref.WeakKeyDictionary[Any, dict[tuple[int, bytes], np.ndarray]] = (
    weakref.WeakKeyDictionary()
)


def regulated_groups(model: Any, taps: np.ndarray | None) -> tuple[BlockGroup, ...]:
    """Blocks of the regulated branches at the given taps (steps, regulator order).

    Kept per tap vector and branch set (the Y-bus, the control maps and the current maps of
    a time series all ask for the same few hundred vectors, for the model and its variants
    with the same branches); the arrays are read-only.
    """
    regs = model.branches.regulators
    if regs is None:
        return ()
    taps = regs.tap0 if taps is None else np.asarray(taps)
    cache = _GROUPS.setdefault(model.branches, {})
    key = np.asarray(taps, dtype=float).tobytes()
    got = cache.pop(key, None)
    if got is None:
        got = _regulated_groups(model, regs, taps)
        if len(cache) >= _GROUP_CACHE:
            del cache[next(iter(cache))]
    cache[key] = got  # most recently used last
    return got


def regulated_block(model: Any, slot: int, taps: np.ndarray) -> np.ndarray:
    """Block (2k, 2k) of regulated branch ``model.branches.regulated[slot]`` at the taps
    (steps, regulator order; only its own regulators' taps count). Kept per branch set and
    own taps; read-only."""
    regs = model.branches.regulators
    blocks = _BLOCKS.setdefault(model.branches, {})
    key = (slot, np.asarray(taps, dtype=float)[regs.slot == slot].tobytes())
    y = blocks.pop(key, None)
    if y is None:
        reg = model.branches.regulated[slot]
        y = _regulated_block(reg, _ratio(regs, slot, len(reg.term) // 2, taps))
        y.setflags(write=False)
        if len(blocks) >= _BLOCK_CACHE:
            del blocks[next(iter(blocks))]
    blocks[key] = y  # most recently used last
    return y


#: Per branch set: the blocks of a regulated branch with one regulator per tap position
#: (``tap_min`` first) and which positions are filled (filled as they are met).
_TABLES: weakref.WeakKeyDictionary[Any, dict[int, tuple[np.ndarray, np.ndarray]]] = (
    weakref.WeakKeyDictionary()
)


def regulated_block_rows(model: Any, slot: int, taps: np.ndarray) -> np.ndarray:
    """(S, 2k, 2k) blocks of regulated branch ``slot`` at every row of ``taps`` (S, R)
    (the values of :func:`regulated_block`). A branch with one regulator looks its tap up
    in a table per tap position; other branches build one block per distinct own-tap
    setting of the rows. For batches at many tap vectors (a time series' rows)."""
    regs = model.branches.regulators
    taps = np.asarray(taps)
    own = np.flatnonzero(regs.slot == slot)
    if len(own) == 1 and taps.dtype.kind in "iu" and len(taps):
        r = int(own[0])
        lo, hi = int(regs.tap_min[r]), int(regs.tap_max[r])
        pos = taps[:, r].astype(np.int64) - lo
        if pos.min() >= 0 and pos.max() <= hi - lo:
            tables = _TABLES.setdefault(model.branches, {})
            got = tables.get(slot)
            if got is None:
                n = len(model.branches.regulated[slot].term)
                got = (np.zeros((hi - lo + 1, n, n), dtype=complex), np.zeros(hi - lo + 1, bool))
                tables[slot] = got
            table, known = got
            new = ~known[pos]
            if new.any():  # positions met for the first time
                for i in np.unique(pos[new]).tolist():
                    table[i] = regulated_block(model, slot, taps[int(np.argmax(pos == i))])
                    known[i] = True
            return table[pos]
    _, first, inv = np.unique(taps[:, own], axis=0, return_index=True, return_inverse=True)
    return np.stack([regulated_block(model, slot, taps[i]) for i in first])[inv.ravel()]


def _regulated_groups(model: Any, regs: Any, taps: np.ndarray) -> tuple[BlockGroup, ...]:
    by_size: dict[int, list[tuple[int, np.ndarray, np.ndarray]]] = {}
    for slot, reg in enumerate(model.branches.regulated):
        y = regulated_block(model, slot, taps)
        by_size.setdefault(len(reg.term), []).append((reg.branch, reg.term, y))
    out = tuple(
        BlockGroup(
            np.array([e[0] for e in items]),
            np.array([e[1] for e in items]),
            np.array([e[2] for e in items]),
        )
        for _, items in sorted(by_size.items())
    )
    for g in out:
        for a in (g.branch, g.term, g.y):
            a.setflags(write=False)
    return out


def regulator_blocks(model: Any, taps: np.ndarray | None) -> Any:
    """Sparse bus-phase matrix of the regulated branches at the given taps (pu)."""
    import scipy.sparse as sp

    rows, cols, vals = _coo(regulated_groups(model, taps))
    y = sp.coo_matrix(
        (vals, (model.pn_bus[rows], model.pn_bus[cols])), shape=(model.n_bp, model.n_bp)
    ).tocsr()
    y.sum_duplicates()
    return y
