"""The ``measurements`` table to arrays and back: element lookup, units, duplicates, pseudo rows.

Per unit inside: ``v_mag`` pu, ``v_ang`` radians, powers on the terminal power base
(:attr:`gat_pf.admittance.NetworkAdmittance.s_base_mva`), currents on the measured end's
base current. :func:`unit_factor` gives the factor from per unit back to the table's unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gat_schemas.errors import InputError

from ._model import I_MAG, KIND_CODES, V_ANG, V_MAG, MeasArrays

__all__ = ["Grid", "Snapshot", "parse_measurements", "pseudo_from_loads"]

_NODE_KINDS = ("v_mag", "v_ang", "p_inj", "q_inj")
_COLUMNS = ("measurement_id", "kind", "element_id", "side", "phase", "value", "sigma", "pseudo")


@dataclass(frozen=True, eq=False)
class Grid:
    """What the table layer needs of the network: the physics model and its admittance."""

    phys: Any
    adm: Any

    def term_index(self) -> dict[tuple[str, str], int]:
        """(node_id, phase) -> physics terminal."""
        p = self.phys
        node = p.node_ids[p.term_node].astype(str)
        return {(n, str(ph)): k for k, (n, ph) in enumerate(zip(node, p.term_phase, strict=True))}

    def cond_index(self) -> dict[tuple[str, str], int]:
        """(branch_id, phase) -> conductor."""
        p = self.phys
        return {
            (str(b), str(ph)): k
            for k, (b, ph) in enumerate(zip(p.cond_branch, p.cond_phase, strict=True))
        }


@dataclass(frozen=True, eq=False)
class Snapshot:
    """One snapshot's measurements after merging duplicates.

    ``rows`` (M rows of the table's columns plus ``merged``); ``arrays`` per unit;
    ``z`` (M,) values per unit; ``factor`` (M,) per unit -> table unit.
    """

    name: str
    rows: pd.DataFrame
    arrays: MeasArrays
    z: np.ndarray
    factor: np.ndarray

    def key(self) -> tuple[bytes, ...]:
        """Identity of the measurement set (what a batch must share: the sigmas may differ)."""
        a = self.arrays
        return (a.kind.tobytes(), a.elec.tobytes(), a.cond.tobytes(), a.to_side.tobytes())


def unit_factor(
    grid: Grid, kind: np.ndarray, elec: np.ndarray, cond: np.ndarray, to_side: np.ndarray
) -> np.ndarray:
    """(M,) table unit per pu of every measurement."""
    adm = grid.adm
    f = np.full(len(kind), adm.s_base_mva)
    f[kind == V_MAG] = 1.0
    f[kind == V_ANG] = 180.0 / np.pi
    cur = np.flatnonzero(kind == I_MAG)
    if len(cur):
        end = np.where(to_side[cur], adm.cond_t_elec[cond[cur]], adm.cond_f_elec[cond[cur]])
        f[cur] = adm.elec_i_base_a[end]
    return f


def _ids(values: Any, shown: int = 5) -> str:
    v = [str(x) for x in values]
    more = f" and {len(v) - shown} more" if len(v) > shown else ""
    return ", ".join(v[:shown]) + more


def locate(grid: Grid, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Kind codes, electrical terminal, conductor and to-side of every row (InputError on
    unknown elements, a phase the model does not have, or an ideal switch's flow)."""
    kinds = df["kind"].astype(str).to_numpy()
    code = np.array([KIND_CODES.index(k) for k in kinds], dtype=np.int64)
    elem = df["element_id"].astype(str).to_numpy()
    phase = df["phase"].astype(str).to_numpy()
    balanced = grid.phys.kind == "balanced"
    if balanced and (phase != "ABC").any():
        bad = df.loc[phase != "ABC", "measurement_id"]
        raise InputError(
            f"measurements: phase must be ABC on a balanced network (rows {_ids(bad)})"
        )
    if not balanced and (phase == "ABC").any():
        bad = df.loc[phase == "ABC", "measurement_id"]
        raise InputError(
            f"measurements: the network is three-phase; give each row's phase A, B or C "
            f"(rows {_ids(bad)})"
        )
    is_node = np.isin(kinds, _NODE_KINDS)
    terms, conds = grid.term_index(), grid.cond_index()
    elec = np.full(len(df), -1, dtype=np.int64)
    cond = np.full(len(df), -1, dtype=np.int64)
    missing = []
    for i in range(len(df)):
        key = (elem[i], phase[i])
        k = (terms if is_node[i] else conds).get(key)
        if k is None:
            missing.append(str(df["measurement_id"].iat[i]))
        elif is_node[i]:
            elec[i] = grid.adm.term_elec[k]
        else:
            cond[i] = k
    if missing:
        raise InputError(
            "measurements: element not in the network (a node for v_*/p_inj/q_inj, a closed "
            f"branch with impedance for flows and currents, with that phase): rows {_ids(missing)}"
        )
    ideal = (cond >= 0) & grid.adm.cond_ideal[np.maximum(cond, 0)]
    if ideal.any():
        raise InputError(
            "measurements: flows through closed ideal switches, or near-zero-impedance "
            "branches with loads or sources on both sides, are not functions of the voltages "
            "(measure the neighbouring branch): rows "
            f"{_ids(df.loc[ideal, 'measurement_id'])}"
        )
    side = df["side"].astype(str).to_numpy()
    to_side = ~is_node & (side == "to")
    return code, elec, cond, to_side


def parse_measurements(grid: Grid, table: pd.DataFrame) -> tuple[list[Snapshot], int]:
    """Snapshots of a validated ``measurements`` table (defaults applied), duplicates merged
    by inverse variance. Returns the snapshots (in first-appearance order) and the number of
    rows merged into another."""
    df = table.reset_index(drop=True)
    code, elec, cond, to_side = locate(grid, df)
    factor = unit_factor(grid, code, elec, cond, to_side)
    with np.errstate(invalid="ignore", divide="ignore"):
        zpu = df["value"].to_numpy(float) / factor
        spu = df["sigma"].to_numpy(float) / factor
    bad = ~(np.isfinite(zpu) & np.isfinite(spu) & (spu > 0))
    if bad.any():
        raise InputError(
            "measurements: current readings need dist_nodes.base_kv at the measured end "
            f"(rows {_ids(df.loc[bad, 'measurement_id'])})"
        )
    snaps = df["snapshot"].astype(str).to_numpy()
    out: list[Snapshot] = []
    merged_total = 0
    for name in pd.unique(snaps):
        rows = np.flatnonzero(snaps == name)
        key = pd.DataFrame({"k": code[rows], "e": elec[rows], "c": cond[rows], "t": to_side[rows]})
        group = key.groupby(["k", "e", "c", "t"], sort=True).ngroup().to_numpy()
        n_g = int(group.max()) + 1
        z, wsum = _combine(
            group, n_g, zpu[rows], spu[rows], df["element_id"].to_numpy()[rows], code[rows]
        )
        first = np.full(n_g, -1, dtype=np.int64)
        first[group[::-1]] = rows[::-1]
        count = np.bincount(group, minlength=n_g)
        merged_total += int((count - 1).sum())
        ids = df["measurement_id"].astype(str).to_numpy()
        joined = pd.Series(ids[rows]).groupby(group).agg("+".join).to_numpy()
        pseudo = (
            np.bincount(group, weights=df["pseudo"].to_numpy(bool)[rows], minlength=n_g) == count
        )
        sub = df.iloc[first][list(_COLUMNS)].reset_index(drop=True)
        sub["measurement_id"] = joined
        sub["merged"] = count.astype(np.int64)
        sub["pseudo"] = pseudo
        sub["side"] = np.where(np.isin(sub["kind"], _NODE_KINDS), "", sub["side"].astype(str))
        sig = 1.0 / np.sqrt(wsum)
        sub["value"] = z * factor[first]
        sub["sigma"] = sig * factor[first]
        arrays = MeasArrays(code[first], elec[first], cond[first], to_side[first], sig)
        out.append(Snapshot(str(name), sub, arrays, z, factor[first]))
    return out, merged_total


def _combine(
    group: np.ndarray,
    n_g: int,
    z: np.ndarray,
    sigma: np.ndarray,
    element: np.ndarray,
    code: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Per group: readings of one quantity merged by inverse variance; injections at
    different nodes of one bus (joined by ideal switches) added (variances add)."""
    elem = pd.Series(element).astype(str).to_numpy()
    sub = pd.DataFrame({"g": group, "e": elem}).groupby(["g", "e"], sort=True).ngroup().to_numpy()
    n_sub = int(sub.max()) + 1
    w = 1.0 / sigma**2
    wsub = np.bincount(sub, weights=w, minlength=n_sub)
    zsub = np.bincount(sub, weights=w * z, minlength=n_sub) / wsub
    sub_group = np.zeros(n_sub, dtype=np.int64)
    sub_group[sub] = group
    inj = np.zeros(n_sub, dtype=bool)
    inj[sub] = np.isin(code, (2, 3))
    # One node per group: the merged reading; several nodes (injections only): the sum.
    n_nodes = np.bincount(sub_group, minlength=n_g)
    several = n_nodes > 1
    if (several & ~np.bincount(sub_group, weights=inj, minlength=n_g).astype(bool)).any():
        several &= np.bincount(sub_group, weights=inj, minlength=n_g).astype(bool)
    var = np.bincount(sub_group, weights=1.0 / wsub, minlength=n_g)
    zsum = np.bincount(sub_group, weights=zsub, minlength=n_g)
    wbest = np.bincount(sub_group, weights=wsub, minlength=n_g)
    zbest = np.bincount(sub_group, weights=wsub * zsub, minlength=n_g) / wbest
    return np.where(several, zsum, zbest), np.where(several, 1.0 / var, wbest)


def pseudo_from_loads(grid: Grid, snap: Snapshot, pct: float) -> tuple[Snapshot, int]:
    """Add p_inj/q_inj pseudo-measurements of minus the nominal load (sigma ``pct`` % of the
    load's apparent power) where a loaded terminal has no such measurement."""
    adm, phys = grid.adm, grid.phys
    load = adm.elec_load
    loaded = np.flatnonzero(np.abs(load) > 0)
    first_term = np.full(adm.n_elec, -1, dtype=np.int64)
    first_term[adm.term_elec[::-1]] = np.arange(len(adm.term_elec))[::-1]
    new_rows = []
    codes, elecs = [], []
    a = snap.arrays
    for kind, code, part in (("p_inj", 2, np.real), ("q_inj", 3, np.imag)):
        have = set(a.elec[a.kind == code].tolist())
        for e in loaded:
            if int(e) in have:
                continue
            t = first_term[e]
            node = str(phys.node_ids[phys.term_node[t]])
            phase = str(phys.term_phase[t])
            label = node if phase == "ABC" else f"{node}.{phase}"
            new_rows.append(
                {
                    "measurement_id": f"pseudo:{label}:{kind[0]}",
                    "kind": kind,
                    "element_id": node,
                    "side": "",
                    "phase": phase,
                    "value": -float(part(load[e])),
                    "sigma": pct / 100.0 * float(abs(load[e])),
                    "pseudo": True,
                    "merged": 1,
                }
            )
            codes.append(code)
            elecs.append(int(e))
    if not new_rows:
        return snap, 0
    add = pd.DataFrame(new_rows)
    n = len(add)
    code = np.array(codes, dtype=np.int64)
    elec = np.array(elecs, dtype=np.int64)
    factor = np.full(n, adm.s_base_mva)
    arrays = MeasArrays(
        np.concatenate([a.kind, code]),
        np.concatenate([a.elec, elec]),
        np.concatenate([a.cond, np.full(n, -1, dtype=np.int64)]),
        np.concatenate([a.to_side, np.zeros(n, dtype=bool)]),
        np.concatenate([a.sigma, add["sigma"].to_numpy(float) / factor]),
    )
    rows = pd.concat([snap.rows, add], ignore_index=True)
    z = np.concatenate([snap.z, add["value"].to_numpy(float) / factor])
    return Snapshot(snap.name, rows, arrays, z, np.concatenate([snap.factor, factor])), n
