"""Model values to arrays and to the result tables ``opf_nodes``, ``opf_branches``,
``opf_der`` (``opf_summary`` is assembled in :mod:`.api`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from .options import Formulation
from .sets import OpfData
from .verify import AcCheck

__all__ = ["Solution", "branch_table", "der_table", "injections", "node_table", "solution"]


@dataclass(frozen=True, eq=False)
class Solution:
    """Values of one OPF solve (pu; ``v`` squared magnitude, ``va`` rad; per-bus host)."""

    v: np.ndarray
    va: np.ndarray
    p_br: np.ndarray
    q_br: np.ndarray
    l: np.ndarray  # noqa: E741 -- the literature's name for the squared current
    p_slack: np.ndarray
    q_slack: np.ndarray
    q_src: np.ndarray
    p_der: np.ndarray
    q_der: np.ndarray
    p_host: np.ndarray


def _vals(var: pyo.Var, index: object) -> np.ndarray:
    idx = list(index)  # type: ignore[call-overload]
    return np.array([var[i].value or 0.0 for i in idx], dtype=float)


def solution(m: pyo.ConcreteModel, data: OpfData, formulation: Formulation) -> Solution:
    """Read the loaded variable values into a :class:`Solution`."""
    dc = formulation is Formulation.DC
    n = data.n_bus
    slack = np.zeros(n)
    qslack = np.zeros(n)
    qsrc = np.zeros(n)
    host = np.zeros(n)
    slack[list(m.B_slack)] = _vals(m.p_slack, m.B_slack)
    qslack[list(m.B_slack)] = _vals(m.q_slack, m.B_slack)
    if len(m.B_src):
        qsrc[list(m.B_src)] = _vals(m.q_src, m.B_src)
    host[list(m.B_ns)] = _vals(m.p_host, m.B_ns)
    return Solution(
        v=np.ones(n) if dc else _vals(m.v, m.B),
        va=_vals(m.va, m.B) if dc else np.full(n, np.nan),
        p_br=_vals(m.p_br, m.E),
        q_br=np.full(data.n_branch, np.nan) if dc else _vals(m.q_br, m.E),
        l=_vals(m.l, m.E),
        p_slack=slack,
        q_slack=np.full(n, np.nan) if dc else qslack,
        q_src=qsrc,
        p_der=_vals(m.p_der, m.D),
        q_der=_vals(m.q_der, m.D),
        p_host=host,
    )


def _first_node(data: OpfData) -> np.ndarray:
    pf = data.pf
    first = np.zeros(pf.n_bus, dtype=np.int64)
    first[pf.node_bus[::-1]] = np.arange(pf.n_nodes)[::-1]
    return first


def injections(data: OpfData, sol: Solution, host_q_ratio: float = 0.0) -> tuple[np.ndarray, ...]:
    """Controllable injections per node (MW, Mvar): DER set points plus the hosting
    injection (placed at the first node of its bus); what the AC check adds."""
    pf, base = data.pf, data.base_mva
    p = np.bincount(data.der_node, weights=sol.p_der, minlength=pf.n_nodes) * base
    q = np.bincount(data.der_node, weights=sol.q_der, minlength=pf.n_nodes) * base
    first = _first_node(data)
    p[first] += sol.p_host * base
    q[first] -= host_q_ratio * sol.p_host * base
    return p, q


def node_table(
    data: OpfData, sol: Solution, ac: AcCheck | None, load_scale: float, host_q_ratio: float
) -> pd.DataFrame:
    """``opf_nodes``: OPF voltage and net injection per node, with the AC check's voltage."""
    pf, base = data.pf, data.base_mva
    b = pf.node_bus
    v = sol.v[b]
    p_inj, q_inj = injections(data, sol, host_q_ratio)
    z, i = pf.node_z_frac, pf.node_i_frac
    share = 1.0 - z - i + i * (1.0 + v) / 2.0 + z * v
    load = pf.node_load * base * load_scale * share
    shunt = pf.node_shunt * base * v
    first = _first_node(data)
    gen_p = pf.node_gen.real * base
    gen_q = np.where(pf.node_type == 1, 0.0, pf.node_gen.imag * base)
    head_p, head_q = np.zeros(pf.n_nodes), np.zeros(pf.n_nodes)
    head_p[first] = sol.p_slack * base
    head_q[first] = np.nan_to_num(sol.q_slack) * base + sol.q_src * base
    dc = np.isnan(sol.va).sum() == 0
    p = p_inj + np.where(pf.node_type == 2, 0.0, gen_p) + head_p - load.real - shunt.real
    q = q_inj + gen_q + head_q - load.imag + shunt.imag
    return pd.DataFrame(
        {
            "node_id": pf.node_ids.astype(str),
            "vm_pu": np.sqrt(v),
            "va_deg": np.rad2deg(sol.va[b]),
            "p_mw": p,
            "q_mvar": np.full(pf.n_nodes, np.nan) if dc else q,
            "v_min_pu": data.node_vmin,
            "v_max_pu": data.node_vmax,
            "vm_ac_pu": ac.vm[0] if ac is not None else np.nan,
            "va_ac_deg": ac.va_deg[0] if ac is not None else np.nan,
        }
    )


def branch_table(
    data: OpfData, sol: Solution, ac: AcCheck | None, formulation: Formulation
) -> pd.DataFrame:
    """``opf_branches``: end flows, losses, loading and (socp) cone gap per OPF branch."""
    base = data.base_mva
    pf = data.pf
    rows = data.br_row
    lossy = formulation is Formulation.SOCP
    vp, vc = sol.v[data.br_parent], sol.v[data.br_child]
    rl = data.br_r * sol.l if lossy else 0.0
    xl = data.br_x * sol.l if lossy else 0.0
    par_p, child_p = sol.p_br, -(sol.p_br - rl)
    par_q = sol.q_br - data.br_half_b * data.br_kp * vp
    child_q = -(sol.q_br - xl) - data.br_half_b * data.br_kc * vc
    fp = data.br_from_is_parent
    p_from, p_to = np.where(fp, par_p, child_p) * base, np.where(fp, child_p, par_p) * base
    q_from, q_to = np.where(fp, par_q, child_q) * base, np.where(fp, child_q, par_q) * base
    s = np.maximum(np.hypot(p_from, np.nan_to_num(q_from)), np.hypot(p_to, np.nan_to_num(q_to)))
    w = data.br_kp * vp
    gap = sol.l - (sol.p_br**2 + sol.q_br**2) / w if lossy else np.full(len(rows), np.nan)
    return pd.DataFrame(
        {
            "branch_id": pf.branch_ids[rows].astype(str),
            "from_node": pf.branch_from[rows].astype(str),
            "to_node": pf.branch_to[rows].astype(str),
            "p_from_mw": p_from,
            "q_from_mvar": q_from,
            "p_to_mw": p_to,
            "q_to_mvar": q_to,
            "p_loss_mw": p_from + p_to,
            "i_sq_pu": sol.l if lossy else np.full(len(rows), np.nan),
            "cone_gap_pu": gap,
            "loading_pct": s / (data.br_rating * base) * 100.0,
            "p_from_ac_mw": ac.p_from[0] if ac is not None else np.nan,
            "q_from_ac_mvar": ac.q_from[0] if ac is not None else np.nan,
            "loading_ac_pct": ac.loading_pct[0] if ac is not None else np.nan,
        }
    )


def der_table(data: OpfData, sol: Solution) -> pd.DataFrame:
    """``opf_der``: set point, curtailment and cost per DER asset."""
    base = data.base_mva
    p, q = sol.p_der * base, sol.q_der * base
    p_max = data.der_p_max * base
    return pd.DataFrame(
        {
            "asset_id": data.der_ids.astype(str),
            "bus_id": data.pf.node_ids[data.der_node].astype(str),
            "asset_type": data.der_type.astype(str),
            "p_mw": p,
            "q_mvar": q,
            "p_min_mw": data.der_p_min * base,
            "p_max_mw": p_max,
            "curtailment_mw": np.where(data.der_curtailable, np.maximum(p_max - p, 0.0), 0.0),
            "s_mva": np.hypot(p, q),
            "cost_per_h": data.der_c1 * p + data.der_c0,
        }
    )
