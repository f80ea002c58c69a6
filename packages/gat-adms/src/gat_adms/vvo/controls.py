"""The Volt/VAR controls of a network as arrays, and the network at chosen settings.

Three kinds of control:

- **taps** (R): every ``dist_regulators`` row (a single-phase regulator, or a ganged one
  whose row lists several phases) on a three-phase network; on a balanced network every
  ``dist_branches`` row with ``branch_type == "transformer"``, whose off-nominal ratio
  ``tap`` moves in steps of :data:`BALANCED_STEP_PU` (``ratio = 1 + k * step``, k in
  [-16, 16], starting from the nearest step). Integer positions (steps). Optionally the
  substation set point (``substation=True``): every slack node's ``dist_nodes.v_set``
  moves in steps of :data:`SOURCE_STEP_PU` within +-:data:`SOURCE_RANGE` steps of its data
  value (an on-load tap changer at the substation), taken as one more integer control.
- **capacitors** (C): ``dist_caps`` rows of ``kind == "capacitor"``, on (``status``
  ``closed``) or off.
- **DER reactive power** (D): ``der_assets`` rows with an inverter that can give or take
  reactive power (``q_max > q_min``), continuous within ``[q_min, q_max]`` and the rating
  ``s_max`` at their active power of the period (Mvar, generation positive).

A setting is applied by editing the tables (:func:`network_at`), so the AC check solves the
same network a user would get by writing those values into the folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gat_schemas.errors import InputError

if TYPE_CHECKING:
    from gat_schemas import Network

__all__ = [
    "BALANCED_STEP_PU",
    "SOURCE_RANGE",
    "SOURCE_STEP_PU",
    "Controls",
    "Settings",
    "controls_of",
    "network_at",
]

#: Tap step of a balanced network's transformer (pu of ratio per step; 5/8 %, 32 steps
#: over +-10 %, the common regulator range).
BALANCED_STEP_PU = 0.00625
_BALANCED_RANGE = 16
#: Step (pu of voltage) and range (steps each way) of a substation set point.
SOURCE_STEP_PU = 0.00625
SOURCE_RANGE = 8


@dataclass(frozen=True, eq=False)
class Settings:
    """One setting of every control.

    Attributes
    ----------
    taps
        (R,) int tap positions (steps).
    caps
        (C,) bool, capacitor closed.
    q_mvar
        (D,) DER reactive power (Mvar, generation positive).
    """

    taps: np.ndarray
    caps: np.ndarray
    q_mvar: np.ndarray

    def key(self) -> tuple[tuple[int, ...], tuple[bool, ...]]:
        """The discrete part (taps, capacitors): settings with one key share an AC model."""
        return tuple(int(t) for t in self.taps), tuple(bool(c) for c in self.caps)


@dataclass(frozen=True, eq=False)
class Controls:
    """Every control of a network (see the module doc).

    Attributes
    ----------
    tap_kind
        (R,) ``"regulator"`` (``dist_regulators``), ``"transformer"`` (``dist_branches.tap``)
        or ``"substation"`` (a slack node's ``v_set``).
    tap_ids, tap0, tap_min, tap_max, tap_step_pu
        (R,) ids, positions as found in the data, limits (steps) and step (pu of ratio).
    tap_base
        (R,) ratio (transformers: 1.0) or set point (substation, pu) at position 0;
        regulators: unused.
    cap_ids, cap_node, cap_phase, cap_q_mvar, cap0
        (C,) ids, node ids, phases, rated reactive power at 1 pu (Mvar) and initial state.
    der_ids, der_node, der_phase, der_type
        (D,) the DER with reactive capability.
    der_p_max, der_q_min, der_q_max, der_s_max
        (D,) MW, Mvar, Mvar, MVA (``s_max`` NaN = no rating).
    """

    tap_kind: np.ndarray
    tap_ids: np.ndarray
    tap0: np.ndarray
    tap_min: np.ndarray
    tap_max: np.ndarray
    tap_step_pu: np.ndarray
    tap_base: np.ndarray
    cap_ids: np.ndarray
    cap_node: np.ndarray
    cap_phase: np.ndarray
    cap_q_mvar: np.ndarray
    cap0: np.ndarray
    der_ids: np.ndarray
    der_node: np.ndarray
    der_phase: np.ndarray
    der_type: np.ndarray
    der_p_max: np.ndarray
    der_q_min: np.ndarray
    der_q_max: np.ndarray
    der_s_max: np.ndarray

    @property
    def n_taps(self) -> int:
        """Number of tap controls R."""
        return len(self.tap_ids)

    @property
    def n_caps(self) -> int:
        """Number of capacitor banks C."""
        return len(self.cap_ids)

    @property
    def n_der(self) -> int:
        """Number of DER D."""
        return len(self.der_ids)

    def initial(self) -> Settings:
        """The settings found in the data (DER at zero reactive power)."""
        return Settings(self.tap0.copy(), self.cap0.copy(), np.zeros(self.n_der))

    def q_bounds(self, p_mw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(..., D) reactive limits (Mvar) at active powers ``p_mw`` (..., D): ``q_min``/
        ``q_max`` intersected with the rating circle ``q^2 <= s_max^2 - p^2``."""
        s = np.where(np.isfinite(self.der_s_max), self.der_s_max, np.inf)
        room = np.sqrt(np.clip(s**2 - np.asarray(p_mw) ** 2, 0.0, None))
        return np.maximum(self.der_q_min, -room), np.minimum(self.der_q_max, room)


def _strings(df: pd.DataFrame, col: str) -> np.ndarray:
    return df[col].astype(str).to_numpy()


def controls_of(
    network: Network,
    *,
    assets: pd.DataFrame | None = None,
    three_phase: bool,
    substation: bool = False,
) -> Controls:
    """The controls of ``network`` (DER from ``assets``, else the network's ``der_assets``;
    ``substation``: the slack nodes' set points too).

    Raises
    ------
    gat_schemas.errors.InputError
        A control refers to an unknown node, or its limits are not finite.
    """
    nodes = set(network.nodes["node_id"].astype(str))
    if three_phase:
        regs = network.table("dist_regulators")
        regs = regs if regs is not None else pd.DataFrame(columns=["regulator_id", "tap"])
        tap_ids = _strings(regs, "regulator_id")
        tap0 = regs["tap"].to_numpy(dtype=float)
        tmin = (
            regs["tap_min"].to_numpy(dtype=float)
            if "tap_min" in regs
            else np.full(len(regs), -16.0)
        )
        tmax = (
            regs["tap_max"].to_numpy(dtype=float) if "tap_max" in regs else np.full(len(regs), 16.0)
        )
        step = (
            regs["step_pu"].to_numpy(dtype=float)
            if "step_pu" in regs
            else np.full(len(regs), 0.00625)
        )
        base = np.ones(len(regs))
        kind = "regulator"
    else:
        br = network.branches
        is_tr = (
            (br["branch_type"].astype(str) == "transformer").to_numpy()
            if "branch_type" in br
            else np.zeros(len(br), bool)
        )
        tr = br[is_tr & (br["status"].astype(str) == "closed").to_numpy()]
        tap_ids = _strings(tr, "branch_id")
        ratio = tr["tap"].to_numpy(dtype=float)
        tap0 = np.clip(np.rint((ratio - 1.0) / BALANCED_STEP_PU), -_BALANCED_RANGE, _BALANCED_RANGE)
        tmin = np.full(len(tr), -float(_BALANCED_RANGE))
        tmax = np.full(len(tr), float(_BALANCED_RANGE))
        step = np.full(len(tr), BALANCED_STEP_PU)
        base = np.ones(len(tr))
        kind = "transformer"
    kinds = np.full(len(tap_ids), kind, dtype=object)
    if substation:
        table = network.nodes
        slack = table[(table["type"].astype(str) == "slack").to_numpy()]
        v_set = slack["v_set"].to_numpy(dtype=float) if "v_set" in slack else np.ones(len(slack))
        v_set = np.where(np.isfinite(v_set), v_set, 1.0)
        n_s = len(slack)
        tap_ids = np.concatenate([tap_ids, _strings(slack, "node_id")])
        tap0 = np.concatenate([tap0, np.zeros(n_s)])
        tmin = np.concatenate([tmin, np.full(n_s, -float(SOURCE_RANGE))])
        tmax = np.concatenate([tmax, np.full(n_s, float(SOURCE_RANGE))])
        step = np.concatenate([step, np.full(n_s, SOURCE_STEP_PU)])
        base = np.concatenate([base, v_set])
        kinds = np.concatenate([kinds, np.full(n_s, "substation", dtype=object)])
    for name, arr in (("tap", tap0), ("tap_min", tmin), ("tap_max", tmax), ("step_pu", step)):
        if not np.isfinite(arr).all():
            raise InputError(f"VVO: tap controls need finite {name} ({', '.join(tap_ids[:5])})")
    caps = network.table("dist_caps")
    if caps is not None and len(caps) and "kind" in caps:
        caps = caps[(caps["kind"].astype(str) == "capacitor").to_numpy()]
    caps = (
        caps
        if caps is not None
        else pd.DataFrame(columns=["cap_id", "node_id", "phase", "q_mvar", "status"])
    )
    der = assets if assets is not None else network.table("der_assets")
    if der is not None and len(der):
        qmin = der["q_min"].to_numpy(dtype=float)
        qmax = der["q_max"].to_numpy(dtype=float)
        der = der[(np.nan_to_num(qmax) > np.nan_to_num(qmin))]
    der = (
        der
        if der is not None
        else pd.DataFrame(
            columns=["asset_id", "bus_id", "phase", "asset_type", "p_max", "q_min", "q_max"]
        )
    )
    bad = sorted(set(_strings(der, "bus_id")) - nodes) + sorted(
        set(_strings(caps, "node_id")) - nodes
    )
    if bad:
        raise InputError(f"VVO: control(s) on unknown node(s) {', '.join(bad[:5])}")
    s_max = der["s_max"].to_numpy(dtype=float) if "s_max" in der else np.full(len(der), np.nan)
    phase = _strings(der, "phase") if "phase" in der else np.full(len(der), "ABC", dtype=object)
    return Controls(
        tap_kind=kinds,
        tap_ids=tap_ids.astype(object),
        tap0=tap0.astype(np.int64),
        tap_min=tmin.astype(np.int64),
        tap_max=tmax.astype(np.int64),
        tap_step_pu=step,
        tap_base=base,
        cap_ids=_strings(caps, "cap_id").astype(object),
        cap_node=_strings(caps, "node_id").astype(object),
        cap_phase=_strings(caps, "phase").astype(object),
        cap_q_mvar=caps["q_mvar"].to_numpy(dtype=float),
        cap0=(_strings(caps, "status") == "closed"),
        der_ids=_strings(der, "asset_id").astype(object),
        der_node=_strings(der, "bus_id").astype(object),
        der_phase=np.asarray(phase, dtype=object),
        der_type=_strings(der, "asset_type").astype(object),
        der_p_max=np.nan_to_num(der["p_max"].to_numpy(dtype=float)),
        # A missing reactive limit gives no range on that side (0 Mvar).
        der_q_min=np.nan_to_num(der["q_min"].to_numpy(dtype=float)),
        der_q_max=np.nan_to_num(der["q_max"].to_numpy(dtype=float)),
        der_s_max=s_max,
    )


def network_at(network: Network, controls: Controls, taps: np.ndarray, caps: np.ndarray) -> Network:
    """``network`` with its taps at ``taps`` (R,) (held: regulator ``mode`` ``fixed``) and its
    capacitors at ``caps`` (C,) (``status`` closed/open). DER are not part of the network:
    their injections are given to the solve."""
    out = network
    taps = np.asarray(taps)
    kind = controls.tap_kind
    ids = controls.tap_ids.astype(str)
    value = controls.tap_base + taps * controls.tap_step_pu
    sel = kind == "regulator"
    if sel.any():
        regs = network.table("dist_regulators").copy()
        pos = pd.Index(regs["regulator_id"].astype(str)).get_indexer(ids[sel])
        tap = regs["tap"].to_numpy(dtype=np.int64).copy()
        tap[pos] = taps[sel].astype(np.int64)
        regs["tap"] = tap
        regs["mode"] = "fixed"
        out = out.with_table("dist_regulators", regs)
    sel = kind == "transformer"
    if sel.any():
        br = network.branches.copy()
        pos = pd.Index(br["branch_id"].astype(str)).get_indexer(ids[sel])
        ratio = br["tap"].to_numpy(dtype=float).copy()
        ratio[pos] = value[sel]
        br["tap"] = ratio
        out = out.with_table("dist_branches", br)
    sel = kind == "substation"
    if sel.any():
        nodes = network.nodes.copy()
        pos = pd.Index(nodes["node_id"].astype(str)).get_indexer(ids[sel])
        v_set = (
            nodes["v_set"].to_numpy(dtype=float).copy()
            if "v_set" in nodes
            else np.full(len(nodes), np.nan)
        )
        v_set[pos] = value[sel]
        nodes["v_set"] = v_set
        out = out.with_table("dist_nodes", nodes)
    if controls.n_caps:
        cp = network.table("dist_caps").copy()
        pos = pd.Index(cp["cap_id"].astype(str)).get_indexer(controls.cap_ids.astype(str))
        status = cp["status"].astype(str).to_numpy(dtype=object).copy()
        status[pos] = np.where(np.asarray(caps, dtype=bool), "closed", "open")
        cp["status"] = status
        out = out.with_table("dist_caps", cp)
    return out
