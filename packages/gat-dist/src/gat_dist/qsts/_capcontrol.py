"""Switched capacitors (``dist_cap_controls``): measurements, conditions, timers, state.

Each control measures at one end (``terminal``) of a branch and switches its capacitor:

- ``voltage``: in when the PT-secondary voltage (V, line-to-neutral / ``pt_ratio``) falls
  below ``on_setting``, out when it rises above ``off_setting``;
- ``current``: in above ``on_setting``, out below ``off_setting`` (A on the CT secondary);
- ``kvar``: in above ``on_setting``, out below ``off_setting`` (kvar into the branch at the
  terminal, summed over all its conductors whatever ``ct_phase``);
- ``time``: in from hour ``on_setting`` to hour ``off_setting`` of the day;
- ``pf``: not modelled (the capacitor keeps its starting state; the run's notes say so);
- ``volt_override``: in below ``v_min_v``, out above ``v_max_v`` whatever the type.

``pt_phase``/``ct_phase``: one phase (A, B, C) or avg, max, min over the terminal's phases.
Static mode switches at once; time mode once the condition has lasted ``delay_s`` (in) or
``delay_off_s`` (out), sampled once per step like the regulators. A dead time shorter than
a step has no effect (one switching per step at most).

Capacitor states reach the solver as ``solve(cap_on=...)`` (per-scenario shunt changes on
one model, :meth:`model_state`); measurements use the same model, since a bank's state
changes no branch admittance. Only a model with ideal switches (whose currents come from the
nodal balance, shunts included) measures on a model of the network with ``dist_caps.status``
edited, built once per state and kept (:meth:`measure_model`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from gat_pf import (
    conductor_current_a,
    conductor_power,
    nodal_switch_currents,
    physics_like,
    term_base_kv,
)
from gat_schemas.errors import InputError

__all__ = ["CapControls"]


class CapControls:
    """The capacitor controls of one run (holds the run's timers; not shared between runs)."""

    def __init__(self, network: Any, rows: Any, phys: Any, start_h: float, step_h: float) -> None:
        self.network = network
        self.start_h, self.step_h = start_h, step_h
        self.n = 0 if rows is None else len(rows)
        self.notes: list[str] = []
        self._models: dict[bytes, Any] = {}
        if not self.n:
            self.cap_ids = np.zeros(0, dtype=object)
            self.state0 = np.zeros(0, dtype=bool)
            self.timer = np.zeros(0)
            return
        df = rows.reset_index(drop=True)
        caps = network.table("dist_caps").reset_index(drop=True)
        status = dict(zip(caps["cap_id"].astype(str), caps["status"].astype(str), strict=True))
        # OpenDSS names are case-insensitive: a control names its capacitor in any case.
        by_lower = {c.lower(): c for c in status}
        wanted = df["cap_id"].astype(str)
        missing = [c for c in wanted if c.lower() not in by_lower]
        if missing:
            raise InputError(
                f"table dist_cap_controls, column cap_id: unknown capacitor(s) {missing[:5]}"
            )
        self.cap_ids = np.array([by_lower[c.lower()] for c in wanted], dtype=object)
        model_pos = {str(c).lower(): k for k, c in enumerate(phys.cap_ids)}
        # Column of every control's bank in the model's cap_ids (-1: not a capacitor bank).
        self.cap_col = np.array([model_pos.get(c.lower(), -1) for c in self.cap_ids], np.int64)
        self.cap_on0 = np.asarray(phys.cap_on0, dtype=bool)
        self.switch_nodes = nodal_switch_currents(phys)
        self.state0 = np.array([status.get(c) == "closed" for c in self.cap_ids])
        self.timer = np.zeros(self.n)
        self.ctype = df["control_type"].astype(str).to_numpy()
        self.on = df["on_setting"].to_numpy(dtype=float)
        self.off = df["off_setting"].to_numpy(dtype=float)
        self.pt_ratio = df["pt_ratio"].to_numpy(dtype=float)
        self.ct_ratio = df["ct_ratio"].to_numpy(dtype=float)
        self.delay_on = df["delay_s"].to_numpy(dtype=float)
        self.delay_off = df["delay_off_s"].to_numpy(dtype=float)
        self.override = df["volt_override"].to_numpy(dtype=bool)
        self.v_lo = df["v_min_v"].to_numpy(dtype=float)
        self.v_hi = df["v_max_v"].to_numpy(dtype=float)
        for cid in df.loc[self.ctype == "pf", "control_id"].astype(str):
            self.notes.append(f"capacitor control {cid}: type pf is not modelled (state held)")
        br = network.branches.set_index(network.branches["branch_id"].astype(str))
        node_pos = {str(n): i for i, n in enumerate(phys.node_ids)}
        t_node = np.asarray(phys.term_node)
        t_phase = np.asarray(phys.term_phase).astype(str)
        c_branch = np.asarray(phys.cond_branch).astype(str)
        c_phase = np.asarray(phys.cond_phase).astype(str)
        self.terms: list[np.ndarray] = []
        self.conds: list[np.ndarray] = []
        self.pt_mode: list[str] = []
        self.ct_mode: list[str] = []
        for k in range(self.n):
            element, end = str(df.at[k, "element_id"]), int(df.at[k, "terminal"])
            node = str(br.at[element, "from_node" if end == 1 else "to_node"])
            at = np.flatnonzero(t_node == node_pos[node])
            pt = str(df.at[k, "pt_phase"]) if "pt_phase" in df else "avg"
            ct = str(df.at[k, "ct_phase"]) if "ct_phase" in df else "avg"
            if pt in ("A", "B", "C"):  # a balanced terminal is "ABC": no pick, all kept
                pick = at[t_phase[at] == pt]
                at = pick if len(pick) else at
            conds = np.flatnonzero(c_branch == element)
            # kvar: the terminal's total (every phase), as OpenDSS measures it.
            kvar = str(df.at[k, "control_type"]) == "kvar"
            if ct in ("A", "B", "C") and not kvar:
                pick = conds[c_phase[conds] == ct]
                conds = pick if len(pick) else conds
            self.terms.append(at)
            self.conds.append(conds)
            self.pt_mode.append(pt if pt in ("max", "min") else "avg")
            self.ct_mode.append(ct if ct in ("max", "min") else "avg")
        self.end = df["terminal"].to_numpy(dtype=np.int64)
        self.vbase_kv = term_base_kv(phys)
        # The conductors kvar and current controls measure, once, and each control's columns.
        flow = [k for k in range(self.n) if self.ctype[k] in ("kvar", "current")]
        self.flow_conds = np.unique(
            np.concatenate([self.conds[k] for k in flow] or [np.zeros(0, np.int64)])
        ).astype(np.int64)
        self.cond_cols = [np.searchsorted(self.flow_conds, c) for c in self.conds]
        # PT voltages of all controls at once: (K, W) terminals (padded), volts per pu, mask.
        width = max(1, max(len(a) for a in self.terms))
        self.pt_term = np.zeros((self.n, width), dtype=np.int64)
        self.pt_mask = np.zeros((self.n, width), dtype=bool)
        for k, at in enumerate(self.terms):
            self.pt_term[k, : len(at)] = at
            self.pt_mask[k, : len(at)] = True
        with np.errstate(invalid="ignore", divide="ignore"):
            self.pt_scale = (
                np.asarray(self.vbase_kv)[self.pt_term] * 1e3 / self.pt_ratio[:, None]
            ) * self.pt_mask
        self.pt_count = self.pt_mask.sum(axis=1)
        self.pt_how = np.array([{"max": 1, "min": 2}.get(m, 0) for m in self.pt_mode])
        # kvar controls: (C', K) sums of their conductors' reactive power at each end.
        self.kvar_f = np.zeros((len(self.flow_conds), self.n))
        self.kvar_t = np.zeros((len(self.flow_conds), self.n))
        for k in range(self.n):
            if self.ctype[k] == "kvar":
                (self.kvar_f if self.end[k] == 1 else self.kvar_t)[self.cond_cols[k], k] = 1e3
        # Control types as masks, once (conditions run at every control round).
        self.is_voltage = self.ctype == "voltage"
        self.is_time = self.ctype == "time"
        self.is_flow = ~self.is_voltage & ~self.is_time & (self.ctype != "pf")
        self.is_kvar = self.ctype == "kvar"
        self.current = np.flatnonzero(self.ctype == "current")
        self.any_override = bool(self.override.any())
        self._memo: tuple[Any, Any, Any] | None = None

    @staticmethod
    def build(network: Any, phys: Any, start_h: float = 0.0, step_h: float = 1.0) -> CapControls:
        """The controls of ``network.table("dist_cap_controls")`` (none when absent)."""
        rows = network.table("dist_cap_controls")
        return CapControls(
            network, rows if rows is not None and len(rows) else None, phys, start_h, step_h
        )

    # --- physics at a capacitor state ----------------------------------------------------
    def model_state(self, state: np.ndarray) -> np.ndarray | None:
        """(K,) ``cap_on`` of the model's banks at control state ``state`` (the tables'
        state for banks without a control), or ``None`` without controls."""
        if not self.n:
            return None
        out = self.cap_on0.copy()
        ok = self.cap_col >= 0
        out[self.cap_col[ok]] = np.asarray(state, dtype=bool)[ok]
        return out

    def measure_model(self, phys: Any, state: np.ndarray) -> Any:
        """The model whose flows measure a solution at ``state``: ``phys`` itself unless
        ideal switches carry nodal-balance currents (then :meth:`model_at`)."""
        if not self.n or not self.switch_nodes:
            return phys
        return self.model_at(phys, state)

    def model_at(self, phys: Any, state: np.ndarray) -> Any:
        """``phys`` when ``state`` is the tables' state, else the model with caps switched."""
        if not self.n or (state == self.state0).all():
            return phys
        key = state.tobytes()
        got = self._models.get(key)
        if got is None:
            caps = self.network.table("dist_caps").copy()
            cid = caps["cap_id"].astype(str)
            for c, on in zip(self.cap_ids, state, strict=True):
                caps.loc[cid == c, "status"] = "closed" if on else "open"
            net = dataclasses.replace(
                self.network, tables={**self.network.tables, "dist_caps": caps}
            )
            got = physics_like(phys, net)
            self._models[key] = got
        return got

    # --- measurements and conditions -----------------------------------------------------
    def _measure(self, phys: Any, sol: Any) -> tuple[np.ndarray, np.ndarray]:
        """(S, K) measured value by type and PT-secondary voltage (V)."""
        n_s = sol.v.shape[0]
        value = np.full((n_s, self.n), np.nan)
        with np.errstate(invalid="ignore"):
            pt = np.abs(sol.v[:, self.pt_term]) * self.pt_scale  # (S, K, W), 0 where padded
            volts = np.where(
                self.pt_how == 1,
                np.where(self.pt_mask, pt, -np.inf).max(axis=2),
                np.where(
                    self.pt_how == 2,
                    np.where(self.pt_mask, pt, np.inf).min(axis=2),
                    pt.sum(axis=2) / self.pt_count,
                ),
            )
        volts[:, self.pt_count == 0] = np.nan
        value[:, self.is_voltage] = volts[:, self.is_voltage]
        if not len(self.flow_conds):
            return value, volts
        s_f, s_t = conductor_power(phys, sol, conds=self.flow_conds)
        kvar = self.is_kvar
        value[:, kvar] = (s_f.imag @ self.kvar_f + s_t.imag @ self.kvar_t)[:, kvar]
        current = self.current
        if len(current):
            a_f, a_t = conductor_current_a(phys, sol, self.flow_conds, powers=(s_f, s_t))
            for k in current:
                amps = (a_f if self.end[k] == 1 else a_t)[:, self.cond_cols[k]]
                value[:, k] = _reduce(amps, self.ct_mode[k]) / self.ct_ratio[k]
        return value, volts

    def conditions(self, phys: Any, sol: Any, state: np.ndarray, steps: np.ndarray) -> np.ndarray:
        """(S, K) bool: the control asks to switch (in when out, out when in)."""
        if not self.n:
            return np.zeros((sol.v.shape[0], 0), dtype=bool)
        # A round's solution is measured again when its steps are kept: reuse the last one.
        memo = self._memo
        if memo is not None and memo[0] is sol and memo[1] is phys:
            value, volts = memo[2]
        else:
            value, volts = self._measure(phys, sol)
            self._memo = (sol, phys, (value, volts))
        with np.errstate(invalid="ignore"):
            # voltage: in below on, out above off; kvar/current: in above on, out below off;
            # time: in inside [on, off) of the day; pf: never.
            want_in = (self.is_voltage & (value < self.on)) | (self.is_flow & (value > self.on))
            want_out = (self.is_voltage & (value > self.off)) | (self.is_flow & (value < self.off))
            if self.is_time.any():
                hod = np.mod(self.start_h + np.asarray(steps, float)[:, None] * self.step_h, 24.0)
                inside = _in_window(hod, self.on, self.off)
                want_in |= self.is_time & inside
                want_out |= self.is_time & ~inside
            if self.any_override:
                want_in = (want_in | (self.override & (volts < self.v_lo))) & ~(
                    self.override & (volts > self.v_hi)
                )
                want_out = want_out | (self.override & (volts > self.v_hi))
        ok = sol.converged[:, None]
        return ok & np.where(state, want_out, want_in)

    def wants(
        self, phys: Any, sol: Any, state: np.ndarray, steps: np.ndarray, step_s: float, *, mode: str
    ) -> np.ndarray:
        """(S,) bool: some capacitor switches at this step of a block at state ``state``."""
        if not self.n:
            return np.zeros(sol.v.shape[0], dtype=bool)
        cond = self.conditions(phys, sol, state, steps)
        if mode == "static":
            return cond.any(axis=1)
        delay = np.where(state, self.delay_off, self.delay_on)
        before = np.zeros(cond.shape)
        t = self.timer.copy()
        for j in range(cond.shape[0]):
            before[j] = t
            t = np.where(cond[j], t + step_s, 0.0)
        return (cond & (before >= delay)).any(axis=1)

    def advance(
        self, phys: Any, sol: Any, state: np.ndarray, steps: np.ndarray, step_s: float
    ) -> None:
        """Run the timers through accepted steps."""
        if not self.n:
            return
        cond = self.conditions(phys, sol, state, steps)
        for j in range(cond.shape[0]):
            self.timer = np.where(cond[j], self.timer + step_s, 0.0)

    def next_state(
        self, phys: Any, sol: Any, state: np.ndarray, step: int, *, mode: str
    ) -> np.ndarray:
        """Capacitor states after one control round at one solved step."""
        if not self.n:
            return state
        cond = self.conditions(phys, sol, state, np.array([step]))[0]
        if mode == "time":
            cond &= self.timer >= np.where(state, self.delay_off, self.delay_on)
        return np.where(cond, ~state, state)


def _reduce(x: np.ndarray, how: str) -> np.ndarray:
    if x.shape[1] == 0:
        return np.full(x.shape[0], np.nan)
    if how == "max":
        return x.max(axis=1)
    if how == "min":
        return x.min(axis=1)
    return x.mean(axis=1)


def _in_window(hod: np.ndarray, on: np.ndarray, off: np.ndarray) -> np.ndarray:
    """Hour of day inside [on, off) (wrapping past midnight when off < on)."""
    return np.where(on <= off, (hod >= on) & (hod < off), (hod >= on) | (hod < off))
