"""Load elements in phase coordinates: wye (phase to neutral) and delta (phase to phase).

Every element sits between terminal ``a`` and terminal ``b`` (``-1`` = neutral/ground) and
consumes ``S = s_p + s_i |V|/V_nom + s_z (|V|/V_nom)^2`` (per unit of one phase's power),
where ``V = V_a - V_b`` and ``V_nom`` is 1 (wye, line to neutral) or sqrt 3 (delta, line to
line). Constant power, constant current magnitude (power-factor angle kept) and constant
impedance are the three parts; a ZIP node load uses all three.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from gat_schemas.errors import InputError

from ._table_utils import column, few, ids, index_of, strings

if TYPE_CHECKING:
    from gat_schemas import Network

__all__ = ["LoadElements", "element_currents", "load_elements"]

_SQRT3 = float(np.sqrt(3.0))
_LEGS = {"a": (0, 1), "b": (1, 2), "c": (2, 0)}


@dataclass(frozen=True, eq=False)
class LoadElements:
    """Load and fixed-generation elements (E of them), consumption positive.

    Attributes
    ----------
    pn_a, pn_b
        Phase node of each terminal (``pn_b = -1``: neutral).
    node
        Node index of each element (for per-node scenario factors).
    s_p, s_i, s_z
        Constant-power, constant-current and constant-impedance parts at nominal voltage
        (complex pu of ``base_mva / 3``).
    v_nom
        Nominal element voltage (pu): 1 phase to neutral, sqrt 3 phase to phase.
    scalable
        True for loads, False for node generation (which scenarios never scale).
    incidence
        Sparse (E x n_bp) matrix: +1 at terminal a, -1 at terminal b (bus phases).
    fixed
        True for loads that keep their nominal power in every scenario
        (``dist_loads.fixed``, OpenDSS ``status=fixed``: load multipliers and shapes do not
        apply); ``None`` = no such load.
    """

    pn_a: np.ndarray
    pn_b: np.ndarray
    node: np.ndarray
    s_p: np.ndarray
    s_i: np.ndarray
    s_z: np.ndarray
    v_nom: np.ndarray
    scalable: np.ndarray
    incidence: Any
    fixed: np.ndarray | None = None

    @property
    def scaled(self) -> np.ndarray:
        """(E,) elements a scenario's ``load_scale`` multiplies (loads that are not fixed)."""
        if self.fixed is None:
            return self.scalable
        return self.scalable & ~self.fixed

    def fixed_padded(self, extra: int) -> np.ndarray | None:
        """``fixed`` with ``extra`` elements (not fixed) appended; ``None`` stays ``None``."""
        if self.fixed is None:
            return None
        return np.concatenate([self.fixed, np.zeros(extra, bool)])


def load_elements(
    network: Network,
    node_ids: np.ndarray,
    pn_index: np.ndarray,
    pn_bus: np.ndarray,
    base_mva: float,
) -> LoadElements:
    """Collect node loads (spread over the node's phases), node generation and ``dist_loads``."""
    s_phase = base_mva / 3.0
    nodes = network.nodes
    n = len(node_ids)
    parts: list[dict[str, np.ndarray]] = []
    nph = (pn_index >= 0).sum(axis=1)
    s_load = column(nodes, "load_p", 0.0) + 1j * column(nodes, "load_q", 0.0)
    z_frac, i_frac = column(nodes, "load_z_frac", 0.0), column(nodes, "load_i_frac", 0.0)
    slack = strings(nodes, "type") == "slack"
    s_gen = column(nodes, "gen_p", 0.0) + 1j * column(nodes, "gen_q", 0.0)
    s_gen[slack] = 0.0  # a slack's generation is an output
    for k in range(3):
        at = np.flatnonzero((pn_index[:, k] >= 0) & ((s_load != 0) | (s_gen != 0)))
        if not len(at):
            continue
        s = s_load[at] / nph[at] / s_phase
        g = s_gen[at] / nph[at] / s_phase
        one = np.ones(len(at))
        parts.append(
            {
                "a": pn_index[at, k],
                "b": -one.astype(np.int64),
                "node": at,
                "s_p": s * (1.0 - z_frac[at] - i_frac[at]),
                "s_i": s * i_frac[at],
                "s_z": s * z_frac[at],
                "v_nom": one,
                "scalable": np.ones(len(at), bool),
            }
        )
        gen = g != 0
        if gen.any():
            parts.append(
                {
                    "a": pn_index[at[gen], k],
                    "b": -np.ones(int(gen.sum()), np.int64),
                    "node": at[gen],
                    "s_p": -g[gen],
                    "s_i": np.zeros(int(gen.sum()), complex),
                    "s_z": np.zeros(int(gen.sum()), complex),
                    "v_nom": np.ones(int(gen.sum())),
                    "scalable": np.zeros(int(gen.sum()), bool),
                }
            )
    table = network.table("dist_loads")
    if table is not None and len(table):
        parts.append(_table_loads(table, node_ids, pn_index, s_phase))
    keys = ("a", "b", "node", "s_p", "s_i", "s_z", "v_nom", "scalable", "fixed")
    for part in parts:
        part.setdefault("fixed", np.zeros(len(part["a"]), bool))
    if parts:
        cat = {key: np.concatenate([p[key] for p in parts]) for key in keys}
    else:
        cat = {key: np.zeros(0) for key in keys}
        cat["a"] = cat["b"] = cat["node"] = np.zeros(0, np.int64)
    import scipy.sparse as sp

    a = cat["a"].astype(np.int64)
    b = cat["b"].astype(np.int64)
    e = len(a)
    grounded = b < 0
    rows = np.concatenate([np.arange(e), np.flatnonzero(~grounded)])
    cols = np.concatenate([pn_bus[a], pn_bus[b[~grounded]]])
    vals = np.concatenate([np.ones(e), -np.ones(int((~grounded).sum()))])
    inc = sp.csr_matrix((vals, (rows, cols)), shape=(e, int(pn_bus.max()) + 1 if n else 0))
    return LoadElements(
        pn_a=a,
        pn_b=b,
        node=cat["node"].astype(np.int64),
        s_p=cat["s_p"].astype(complex),
        s_i=cat["s_i"].astype(complex),
        s_z=cat["s_z"].astype(complex),
        v_nom=cat["v_nom"].astype(float),
        scalable=cat["scalable"].astype(bool),
        incidence=inc,
        fixed=cat["fixed"].astype(bool) if cat["fixed"].any() else None,
    )


def _table_loads(
    table: Any, node_ids: np.ndarray, pn_index: np.ndarray, s_phase: float
) -> dict[str, np.ndarray]:
    lid = ids(table, "load_id")
    at = index_of(node_ids, ids(table, "node_id"))
    if (at < 0).any():
        raise InputError(f"table dist_loads, column node_id: unknown node(s) on {few(lid[at < 0])}")
    conn = strings(table, "connection")
    model = strings(table, "model")
    out: dict[str, list[Any]] = {
        k: [] for k in ("a", "b", "node", "s_p", "s_i", "s_z", "v_nom", "scalable", "fixed")
    }
    exps = _exponents(table, lid, model)
    fixed = (
        table["fixed"].fillna(False).to_numpy(dtype=bool)
        if "fixed" in table.columns
        else np.zeros(len(table), dtype=bool)
    )
    for leg, (p1, p2) in _LEGS.items():
        s = (column(table, f"p_{leg}_mw", 0.0) + 1j * column(table, f"q_{leg}_mvar", 0.0)) / s_phase
        use = np.flatnonzero(s != 0)
        if not len(use):
            continue
        delta = conn[use] == "delta"
        a = pn_index[at[use], p1]
        b = np.where(delta, pn_index[at[use], p2], -1)
        missing = (a < 0) | (delta & (b < 0))
        if missing.any():
            raise InputError(
                f"table dist_loads, column p_{leg}_mw/q_{leg}_mvar: load(s) "
                f"{few(lid[use[missing]])} use a phase their node does not have"
            )
        m = model[use]
        p_exp, q_exp = exps[0][use], exps[1][use]
        p, q = s[use].real, 1j * s[use].imag
        out["a"].append(a)
        out["b"].append(b)
        out["node"].append(at[use])
        for key, name, k in (("s_p", "pq", 0), ("s_i", "i", 1), ("s_z", "z", 2)):
            part = np.where(m == name, s[use], 0)
            # model exp: P and Q each go to the part of their exponent (0, 1 or 2).
            part = part + np.where((m == "exp") & (p_exp == k), p, 0)
            out[key].append(part + np.where((m == "exp") & (q_exp == k), q, 0))
        out["v_nom"].append(np.where(delta, _SQRT3, 1.0))
        out["scalable"].append(np.ones(len(use), bool))
        out["fixed"].append(fixed[use])
    if not out["a"]:
        return {k: np.zeros(0) for k in out} | {
            "a": np.zeros(0, np.int64),
            "b": np.zeros(0, np.int64),
            "node": np.zeros(0, np.int64),
        }
    return {k: np.concatenate(v) for k, v in out.items()}


def _exponents(table: Any, lid: np.ndarray, model: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``p_exp``, ``q_exp`` of every row; a model ``exp`` row must give each as 0, 1 or 2
    (the constant power, current and impedance parts the elements hold)."""
    out = []
    for name in ("p_exp", "q_exp"):
        e = column(table, name, np.nan)
        bad = (model == "exp") & ~np.isin(e, (0.0, 1.0, 2.0))
        if bad.any():
            raise InputError(
                f"table dist_loads, column {name}: load(s) {few(lid[bad])} with model exp need "
                f"an exponent of 0, 1 or 2 (got {few(e[bad])}); the three-phase power flow "
                "holds constant power, current and impedance parts"
            )
        out.append(e)
    return out[0], out[1]


def element_currents(
    loads: LoadElements, v_bp: np.ndarray, scale: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Currents through the elements and their voltages, for S scenarios.

    Parameters
    ----------
    loads
        The elements.
    v_bp
        Bus-phase voltages (S, n_bp), complex pu.
    scale
        Per-element factors (S, E) or ``None`` (non-scalable elements must hold 1).

    Returns
    -------
    (current, voltage)
        ``I`` (S, E) flowing from terminal a through the element to terminal b (pu), and the
        element voltage ``V_a - V_b`` (S, E).
    """
    ve = (loads.incidence @ v_bp.T).T
    vm = np.abs(ve) / loads.v_nom
    s = loads.s_p + loads.s_i * vm + loads.s_z * (vm * vm)
    if scale is not None:
        s = s * scale
    with np.errstate(divide="ignore", invalid="ignore"):
        cur = np.conj(s / ve)
    cur[~np.isfinite(cur)] = 0.0
    return cur, ve


def injections(loads: LoadElements, current: np.ndarray) -> np.ndarray:
    """Bus-phase current injections (S, n_bp) into the network: ``-A^T I``."""
    return -(loads.incidence.T @ current.T).T
