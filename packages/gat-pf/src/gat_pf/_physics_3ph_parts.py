"""Parts of the three-phase physics model (:mod:`gat_pf._physics_3ph`): the extra load
elements that carry injections, the loads' nominal admittance moved into ``Y``, and the
factorised tap vector (anchor) with the per-row regulator blocks solved as low-rank updates
on its factor.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import scipy.sparse as sp

from ._physics_controls import unique_rows
from ._threephase._branches import regulated_block_rows, regulated_groups
from ._threephase._loads import LoadElements
from ._threephase._model import ThreePhaseModel
from ._threephase._solve import BlockDelta

__all__ = ["_anchor", "_tap_deltas", "_with_injections", "_with_load_admittance"]


def _anchor(m: ThreePhaseModel, uniq: np.ndarray, counts: np.ndarray) -> np.ndarray | None:
    """The tap vector whose factor a batch at tap vectors ``uniq`` (with ``counts`` rows
    each) should use with low-rank updates, or ``None`` for one plain solve per vector (a
    single vector, or no regulators). The commonest already factorised vector of the batch,
    else the model's first factorised vector (a time series then factorises once), else the
    batch's commonest vector."""
    if m.regulators is None or uniq.shape[1] == 0:
        return None
    cache = m._cache
    have = [u for u in np.argsort(-counts, kind="stable") if _factor_key(uniq[u]) in cache]
    first = cache.get("anchor-taps")
    if len(uniq) == 1:
        if first is None:
            cache["anchor-taps"] = np.array(uniq[0])
        return None if (have or first is None) else first
    if have:
        return uniq[have[0]]
    if first is not None:
        return first
    ref = uniq[int(np.argmax(counts))]
    cache["anchor-taps"] = np.array(ref)
    return ref


def _factor_key(row: np.ndarray) -> str:
    return "f3:" + ",".join(map(str, np.asarray(row).tolist()))


def _tap_deltas(m: ThreePhaseModel, tap_rows: np.ndarray, ref: np.ndarray) -> tuple:
    """:class:`BlockDelta` of every regulated branch group: each row's blocks at its taps
    minus the blocks at ``ref`` (the factorised vector)."""
    base = regulated_groups(m, ref)
    uniq, inv = unique_rows(tap_rows)
    if len(uniq) <= len(m.branches.regulated):
        # Few distinct tap vectors (a sequential batch): each vector's blocks, gathered.
        per = [regulated_groups(m, row) for row in uniq]
        return tuple(
            BlockDelta(term=m.pn_bus[g.term], dy=np.stack([p[gi].y - g.y for p in per])[inv])
            for gi, g in enumerate(base)
        )
    # Many (predicted rows at their own taps): each branch's blocks per row. The groups
    # hold the regulated branches by block size, then slot (regulated_groups).
    by_size: dict[int, list[int]] = {}
    for slot, reg in enumerate(m.branches.regulated):
        by_size.setdefault(len(reg.term), []).append(slot)
    out = []
    for g, (_, slots) in zip(base, sorted(by_size.items()), strict=True):
        y = np.stack([regulated_block_rows(m, s, tap_rows) for s in slots], axis=1)
        out.append(BlockDelta(term=m.pn_bus[g.term], dy=y - g.y))  # (S, B, 2k, 2k)
    return tuple(out)


def _with_injections(
    m: ThreePhaseModel, terms: np.ndarray | None, *, combined: bool = False
) -> ThreePhaseModel:
    """``m`` with two constant-power elements (P, Q; 1 MW and 1 Mvar generated at factor 1)
    per terminal of ``terms`` (``combined``: one element, 1 MW at factor 1, whose complex
    factor ``P + jQ`` carries both), sharing ``m``'s cache (the admittance matrix does not
    change).
    """
    if terms is None or not len(terms):
        return m
    key = ("physc:" if combined else "phys:") + ",".join(map(str, np.asarray(terms).tolist()))
    cached = m._cache.get(key)
    if cached is not None:
        return cached
    ld = m.loads
    k = len(terms)
    s_phase = m.base_mva / 3.0
    if combined:
        terms2 = np.asarray(terms, dtype=np.int64)
        s_new = np.full(k, -1.0 / s_phase, dtype=complex)
    else:
        terms2 = np.concatenate([terms, terms]).astype(np.int64)
        s_new = np.concatenate([np.full(k, -1.0 / s_phase), np.full(k, -1j / s_phase)])
    e = len(terms2)
    b2 = _phase_to_phase(m, terms2)
    dl = np.flatnonzero(b2 >= 0)
    extra_inc = sp.csr_matrix(
        (
            np.concatenate([np.ones(e), -np.ones(len(dl))]),
            (np.concatenate([np.arange(e), dl]), m.pn_bus[np.concatenate([terms2, b2[dl]])]),
        ),
        shape=(e, m.n_bp),
    )
    inc = ld.incidence
    if inc.shape[1] != m.n_bp:  # no load elements: an empty matrix of the right width
        inc = sp.csr_matrix((inc.shape[0], m.n_bp))
    loads = LoadElements(
        pn_a=np.concatenate([ld.pn_a, terms2]),
        pn_b=np.concatenate([ld.pn_b, b2]),
        node=np.concatenate([ld.node, m.pn_node[terms2]]),
        s_p=np.concatenate([ld.s_p, s_new]),
        s_i=np.concatenate([ld.s_i, np.zeros(e, complex)]),
        s_z=np.concatenate([ld.s_z, np.zeros(e, complex)]),
        v_nom=np.concatenate([ld.v_nom, np.where(b2 >= 0, np.sqrt(3.0), 1.0)]),
        scalable=np.concatenate([ld.scalable, np.zeros(e, bool)]),
        incidence=sp.vstack([inc, extra_inc]).tocsr(),
        fixed=ld.fixed_padded(e),
        exps=ld.exps,
        band=ld.band,
    )
    out = replace(m, loads=loads, _cache=m._cache)
    if sum(x.startswith(("phys:", "physc:")) for x in m._cache) >= 16:
        for x in [x for x in m._cache if x.startswith(("phys:", "physc:"))]:
            del m._cache[x]
    m._cache[key] = out
    return out


def _phase_to_phase(m: ThreePhaseModel, terms: np.ndarray) -> np.ndarray:
    """Other end of each injection terminal's element: ``-1`` (to ground, wye) unless the
    terminal's node has three phases and no ground in its region (it is fed only through
    delta or ungrounded-wye windings); there an injection to ground would leave the node's
    common-mode voltage undetermined (only the transformers' anti-floating shunts hold it),
    so the DER connects phase to phase, as a three-wire inverter does: A to B, B to C, C to A.
    """
    node = m.pn_node[terms]
    floating = ~m.grounded_nodes()[node] & (m.pn_index[node] >= 0).all(axis=1)
    nxt = m.pn_index[node, (m.pn_phase[terms] + 1) % 3]
    return np.where(floating, nxt, -1).astype(np.int64)


def _with_load_admittance(model: ThreePhaseModel) -> tuple[ThreePhaseModel, int]:
    """The same physics with every load's admittance at nominal voltage moved into ``Y``.

    Each load element's admittance ``y = conj(s_nominal) / v_nom^2`` is added to the
    admittance matrix and cancelled by a constant-impedance element consuming ``-y`` (factor
    1 in every scenario), so the solution is unchanged; the fixed point, which factorises
    ``Y``, then iterates only on the loads' departure from constant impedance and converges
    in far fewer iterations on long, heavily loaded feeders (OpenDSS's solver keeps load
    admittances in its system matrix for the same reason). Returns the model (kept in
    ``model``'s cache, with a factor cache of its own) and the number of cancelling elements
    appended after the loads.
    """
    cached = model._cache.get("phys-y")
    if cached is not None:
        return cached
    ld = model.loads
    use = np.flatnonzero(ld.scalable & (np.abs(ld.s_p + ld.s_i + ld.s_z) > 0))
    y = np.conj(ld.s_p + ld.s_i + ld.s_z)[use] / ld.v_nom[use] ** 2
    a = ld.incidence[use]
    y_add = (a.T @ sp.diags(y) @ a).tocsr()
    if y_add.shape != model.y_static.shape:
        y_add = sp.csr_matrix(model.y_static.shape, dtype=complex)
    comp = LoadElements(
        pn_a=np.concatenate([ld.pn_a, ld.pn_a[use]]),
        pn_b=np.concatenate([ld.pn_b, ld.pn_b[use]]),
        node=np.concatenate([ld.node, ld.node[use]]),
        s_p=np.concatenate([ld.s_p, np.zeros(len(use), complex)]),
        s_i=np.concatenate([ld.s_i, np.zeros(len(use), complex)]),
        s_z=np.concatenate([ld.s_z, -np.conj(y) * ld.v_nom[use] ** 2]),
        v_nom=np.concatenate([ld.v_nom, ld.v_nom[use]]),
        scalable=np.concatenate([ld.scalable, np.zeros(len(use), bool)]),
        incidence=sp.vstack([ld.incidence, a]).tocsr() if len(use) else ld.incidence,
        fixed=ld.fixed_padded(len(use)),
        exps=ld.exps,
        band=ld.band,
    )
    fast = replace(model, loads=comp, y_static=(model.y_static + y_add).tocsr(), _cache={})
    cached = (fast, len(use))
    model._cache["phys-y"] = cached
    return cached
