"""Load elements in phase coordinates: wye (phase to neutral) and delta (phase to phase).

Every element sits between terminal ``a`` and terminal ``b`` (``-1`` = neutral/ground) and
consumes ``S = s_p + s_i |V|/V_nom + s_z (|V|/V_nom)^2`` (per unit of one phase's power),
where ``V = V_a - V_b`` and ``V_nom`` is 1 (wye, line to neutral) or sqrt 3 (delta, line to
line). Constant power, constant current magnitude (power-factor angle kept) and constant
impedance are the three parts; a ZIP node load uses all three.

Two optional laws act on top (:class:`Exponents`, :class:`Band`), both OpenDSS's load
behaviour (measured with opendssdirect, see ``history/2026-12-04-feeder-sweep.md``):

* ``Exponents``: ``S = P m^a + j Q m^b`` with any exponents (``m = |V|/V_nom``); those
  elements hold their nominal power in ``s_p`` (so ``s_p + s_i + s_z`` is the nominal power
  of every element) and the law replaces it.
* ``Band``: outside ``v_min < m <= v_max`` the element is an impedance: above ``v_max``
  ``S = S_max (m / v_max)^2``; at or below ``v_low`` ``S = S_r (m / v_r)^2`` (the impedance
  drawing the power ``S_r`` the load has at its rated voltage ``v_r``, 1 unless the load's
  rated voltage differs from the node's); between ``v_low`` and ``v_min`` the current
  ``S / m`` runs linearly in ``m`` from that impedance's to ``S_min / v_min``. ``S_min``,
  ``S_max`` are the powers at the band edges: the model's own (power continuous) for
  constant power and constant current, ``S_r`` for exponent loads (as OpenDSS's model 4
  does: its power jumps at the edges).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from gat_schemas.errors import InputError

from ._table_utils import column, few, ids, index_of, strings

if TYPE_CHECKING:
    from gat_schemas import Network

__all__ = ["Band", "Exponents", "LoadElements", "adjust_power", "element_currents", "load_elements"]

_SQRT3 = float(np.sqrt(3.0))
_LEGS = {"a": (0, 1), "b": (1, 2), "c": (2, 0)}


@dataclass(frozen=True, eq=False)
class Exponents:
    """Elements ``idx`` with ``S = p m^a + j q m^b`` (``p``, ``q`` pu of ``base_mva / 3`` at
    nominal voltage, ``m = |V| / V_nom``; exponents dimensionless, any real value)."""

    idx: np.ndarray
    p: np.ndarray
    q: np.ndarray
    a: np.ndarray
    b: np.ndarray


@dataclass(frozen=True, eq=False)
class Band:
    """Elements ``idx`` that become impedances outside ``v_min < m <= v_max`` (pu of the
    element's nominal voltage; see the module doc): ``y_rated`` the impedance's power at
    ``m = 1`` (``S = y_rated m^2``: the load's power at its rated voltage), ``s_min``,
    ``s_max`` the powers at the two band edges (complex pu of ``base_mva / 3``)."""

    idx: np.ndarray
    v_min: np.ndarray
    v_max: np.ndarray
    v_low: np.ndarray
    y_rated: np.ndarray
    s_min: np.ndarray
    s_max: np.ndarray
    cols: Any = field(init=False, repr=False)
    inner: tuple[float, float] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # The quick test: every element inside (max v_min, min v_max] is inside its band;
        # a contiguous idx is read as a slice (a view, no gather).
        idx = self.idx
        whole = len(idx) and idx[-1] - idx[0] + 1 == len(idx)
        object.__setattr__(self, "cols", slice(idx[0], idx[-1] + 1) if whole else idx)
        object.__setattr__(self, "inner", (float(self.v_min.max()), float(self.v_max.min())))


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
    exps, band
        Optional laws on some elements (module doc); ``None`` = none. Elements appended
        after construction (index beyond ``idx``) are not affected.
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
    exps: Exponents | None = None
    band: Band | None = None

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
    keys = ("a", "b", "node", "s_p", "s_i", "s_z", "v_nom", "scalable", "fixed", *_LAW_KEYS)
    for part in parts:
        part.setdefault("fixed", np.zeros(len(part["a"]), bool))
        for key in _LAW_KEYS:
            part.setdefault(key, np.full(len(part["a"]), np.nan))
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
        exps=_exponent_law(cat),
        band=_band_law(cat),
    )


#: Per-element columns of the optional laws (NaN: the element has no such law).
_LAW_KEYS = ("x_a", "x_b", "v_min", "v_max", "v_low", "v_rated", "edge_nominal")


def _exponent_law(cat: dict[str, np.ndarray]) -> Exponents | None:
    idx = np.flatnonzero(np.isfinite(cat["x_a"]))
    if not len(idx):
        return None
    s = cat["s_p"][idx].astype(complex)
    return Exponents(idx, s.real, s.imag, cat["x_a"][idx], cat["x_b"][idx])


def _band_law(cat: dict[str, np.ndarray]) -> Band | None:
    idx = np.flatnonzero(np.isfinite(cat["v_min"]))
    if not len(idx):
        return None
    s_p, s_i, s_z = (cat[k][idx].astype(complex) for k in ("s_p", "s_i", "s_z"))
    x_a, x_b = cat["x_a"][idx], cat["x_b"][idx]
    general = np.isfinite(x_a)

    def power(m: np.ndarray) -> np.ndarray:
        """The element's own power law at ``m`` (pu of nominal voltage)."""
        poly = s_p + s_i * m + s_z * m * m
        with np.errstate(invalid="ignore"):
            gen = s_p.real * m**x_a + 1j * (s_p.imag * m**x_b)
        return np.where(general, gen, poly)

    v_min, v_max = cat["v_min"][idx], cat["v_max"][idx]
    v_rated = np.where(np.isfinite(cat["v_rated"][idx]), cat["v_rated"][idx], 1.0)
    s_rated = power(v_rated)
    nominal = cat["edge_nominal"][idx] > 0
    s_min = np.where(nominal, s_rated, power(v_min))
    s_max = np.where(nominal, s_rated, power(v_max))
    return Band(idx, v_min, v_max, cat["v_low"][idx], s_rated / v_rated**2, s_min, s_max)


def adjust_power(
    loads: LoadElements, vm: np.ndarray, s: np.ndarray, ds: np.ndarray | None = None
) -> None:
    """Apply the elements' optional laws in place (module doc).

    Parameters
    ----------
    loads
        The elements.
    vm
        ``|V| / V_nom`` of every element (S, E).
    s
        Power of every element (S, E), complex pu, before scenario scaling: the polynomial
        ``s_p + s_i m + s_z m^2``, replaced where a law applies.
    ds
        ``dS/dm`` (S, E) for Newton-Raphson, replaced likewise; ``None``: not wanted.
    """
    ex = loads.exps
    if ex is not None:
        m = vm[:, ex.idx]
        pa, qb = m**ex.a, m**ex.b
        s[:, ex.idx] = ex.p * pa + 1j * (ex.q * qb)
        if ds is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                d = (ex.p * ex.a * pa + 1j * (ex.q * ex.b * qb)) / m
            d[~np.isfinite(d)] = 0.0
            ds[:, ex.idx] = d
    bd = loads.band
    if bd is None:
        return
    m = vm[:, bd.cols]
    lo, hi = bd.inner
    if m.min() > lo and m.max() <= hi:  # two reductions, no temporaries
        return
    out = (m <= bd.v_min) | (m > bd.v_max)
    if not out.any():
        return
    r, c = np.nonzero(out)
    mo = m[r, c]
    v_min, v_low, s_nom = bd.v_min[c], bd.v_low[c], bd.y_rated[c]
    high = mo > bd.v_max[c]
    low = ~high & (mo <= v_low)
    mid = ~high & ~low
    new = np.empty(len(mo), complex)
    dnew = np.empty(len(mo), complex)
    # above the band: the impedance of the power at v_max
    y_hi = bd.s_max[c[high]] / bd.v_max[c[high]] ** 2
    new[high] = y_hi * mo[high] ** 2
    dnew[high] = 2.0 * y_hi * mo[high]
    # at or below v_low: the impedance at rated voltage
    new[low] = s_nom[low] * mo[low] ** 2
    dnew[low] = 2.0 * s_nom[low] * mo[low]
    # between: S / m linear in m from s_nom v_low (at v_low) to s_min / v_min (at v_min)
    c_lo = s_nom[mid] * v_low[mid]
    slope = (bd.s_min[c[mid]] / v_min[mid] - c_lo) / (v_min[mid] - v_low[mid])
    cur = c_lo + slope * (mo[mid] - v_low[mid])
    new[mid] = cur * mo[mid]
    dnew[mid] = cur + slope * mo[mid]
    s[r, bd.idx[c]] = new
    if ds is not None:
        ds[r, bd.idx[c]] = dnew


def _table_loads(
    table: Any, node_ids: np.ndarray, pn_index: np.ndarray, s_phase: float
) -> dict[str, np.ndarray]:
    lid = ids(table, "load_id")
    at = index_of(node_ids, ids(table, "node_id"))
    if (at < 0).any():
        raise InputError(f"table dist_loads, column node_id: unknown node(s) on {few(lid[at < 0])}")
    conn = strings(table, "connection")
    model = strings(table, "model")
    keys = ("a", "b", "node", "s_p", "s_i", "s_z", "v_nom", "scalable", "fixed", *_LAW_KEYS)
    out: dict[str, list[Any]] = {k: [] for k in keys}
    exps = _exponents(table, lid, model)
    # exponents other than 0, 1, 2: the general law, nominal power in s_p
    general = (model == "exp") & ~(np.isin(exps[0], _INTEGER) & np.isin(exps[1], _INTEGER))
    band = _band_columns(table, lid, model)
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
        g = general[use]
        for key, name, k in (("s_p", "pq", 0), ("s_i", "i", 1), ("s_z", "z", 2)):
            part = np.where(m == name, s[use], 0)
            # model exp: P and Q each go to the part of their exponent (0, 1 or 2).
            part = part + np.where((m == "exp") & ~g & (p_exp == k), p, 0)
            part = part + np.where((m == "exp") & ~g & (q_exp == k), q, 0)
            out[key].append(part + np.where(g & (key == "s_p"), s[use], 0))
        out["x_a"].append(np.where(g, p_exp, np.nan))
        out["x_b"].append(np.where(g, q_exp, np.nan))
        for key in ("v_min", "v_max", "v_low", "v_rated"):
            out[key].append(band[key][use])
        out["edge_nominal"].append((m == "exp").astype(float))
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


_INTEGER = (0.0, 1.0, 2.0)


def _exponents(table: Any, lid: np.ndarray, model: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``p_exp``, ``q_exp`` of every row; a model ``exp`` row must give both."""
    out = []
    for name in ("p_exp", "q_exp"):
        e = column(table, name, np.nan)
        bad = (model == "exp") & ~np.isfinite(e)
        if bad.any():
            raise InputError(
                f"table dist_loads, column {name}: load(s) {few(lid[bad])} with model exp "
                "need an exponent"
            )
        out.append(e)
    return out[0], out[1]


def _band_columns(table: Any, lid: np.ndarray, model: np.ndarray) -> dict[str, np.ndarray]:
    """``v_min``, ``v_max``, ``v_low``, ``v_rated`` per row (pu of the nominal element
    voltage) from ``v_min_pu``, ``v_max_pu``, ``v_low_pu``, ``v_rated_pu``: NaN where the row has no band (``v_min_pu``
    missing or NaN, or model z, which is an impedance at every voltage)."""
    v_min = column(table, "v_min_pu", np.nan)
    v_max = column(table, "v_max_pu", np.nan)
    v_low = column(table, "v_low_pu", np.nan)
    v_rated = column(table, "v_rated_pu", 1.0)
    has = np.isfinite(v_min) & (model != "z")
    bad = has & ~(np.isfinite(v_max) & (v_max > v_min) & np.isfinite(v_low) & (v_low >= 0))
    if bad.any():
        raise InputError(
            f"table dist_loads, columns v_min_pu/v_max_pu/v_low_pu: load(s) {few(lid[bad])} "
            "need v_max_pu > v_min_pu and v_low_pu >= 0 with v_min_pu"
        )
    return {
        "v_min": np.where(has, v_min, np.nan),
        "v_max": np.where(has, v_max, np.nan),
        "v_low": np.where(has, v_low, np.nan),
        "v_rated": np.where(has & np.isfinite(v_rated) & (v_rated > 0), v_rated, 1.0),
    }


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
    if loads.exps is not None or loads.band is not None:
        adjust_power(loads, vm, s)
    if scale is not None:
        s = s * scale
    with np.errstate(divide="ignore", invalid="ignore"):
        cur = np.conj(s / ve)
    cur[~np.isfinite(cur)] = 0.0
    return cur, ve


def injections(loads: LoadElements, current: np.ndarray) -> np.ndarray:
    """Bus-phase current injections (S, n_bp) into the network: ``-A^T I``."""
    return -(loads.incidence.T @ current.T).T
