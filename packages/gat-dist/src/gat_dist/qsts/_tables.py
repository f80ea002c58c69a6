"""Result tables of a QSTS run: ``qsts_steps``, ``qsts_meters``, ``qsts_controls``,
``qsts_voltages`` (schemas in :mod:`gat_schemas.tables.qsts_outputs`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._types import QstsResult

__all__ = ["controls_table", "meters_table", "states_table", "steps_table", "voltages_table"]


def steps_table(res: QstsResult, *, first_step: int = 0) -> pd.DataFrame:
    """``qsts_steps`` rows of a result whose step 0 is study step ``first_step``."""
    n = res.n_steps
    step = np.arange(first_step, first_step + n, dtype=np.int64)
    out = {
        "step": step,
        "time_h": (step + 1.0) * res.step_h,
        "converged": res.converged,
        "controls_settled": res.controls_settled,
        "control_rounds": res.control_rounds.astype(np.int64),
        "head_p_mw": res.head_p_mw,
        "head_q_mvar": res.head_q_mvar,
        "losses_mw": res.losses_mw,
        "load_p_mw": res.load_p_mw,
        "der_p_mw": res.der_p_mw,
    }
    for j, end in enumerate(("min", "max")):
        arr = res.v_min_pu if j == 0 else res.v_max_pu
        for k, ph in enumerate("abc"):
            out[f"v_{end}_{ph}_pu"] = arr[:, k]
    out["n_under"] = res.n_under.astype(np.int64)
    out["n_over"] = res.n_over.astype(np.int64)
    return pd.DataFrame(out)


def states_table(res: QstsResult, *, first_step: int = 0) -> pd.DataFrame:
    """Per-step device states, wide: ``step``, then one column per regulator (tap) and per
    capacitor (0/1), named ``regulator:<id>`` / ``capacitor:<id>``."""
    n = res.n_steps
    out: dict[str, np.ndarray] = {"step": np.arange(first_step, first_step + n, dtype=np.int64)}
    for j, rid in enumerate(res.regulator_ids):
        out[f"regulator:{rid}"] = res.taps[:, j].astype(np.int64)
    for j, cid in enumerate(res.cap_ids):
        out[f"capacitor:{cid}"] = res.cap_on[:, j].astype(np.int64)
    return pd.DataFrame(out)


def controls_table(states: pd.DataFrame, start: dict[str, int]) -> pd.DataFrame:
    """``qsts_controls`` from per-step states and each device's state before step 0."""
    rows = []
    for col in states.columns:
        if col == "step":
            continue
        kind, dev = col.split(":", 1)
        s = states[col].to_numpy(dtype=np.int64)
        prev = np.concatenate([[start.get(col, s[0] if len(s) else 0)], s[:-1]])
        changed = s != prev
        if not changed.any():
            continue
        rows.append(
            pd.DataFrame(
                {
                    "device_id": dev,
                    "device_kind": kind,
                    "step": states["step"].to_numpy(dtype=np.int64),
                    "state": s,
                    "changed": changed,
                    "operations": np.cumsum(changed).astype(np.int64),
                }
            )
        )
    if not rows:
        return pd.DataFrame(
            {
                "device_id": pd.Series([], dtype=object),
                "device_kind": pd.Series([], dtype=object),
                "step": pd.Series([], dtype=np.int64),
                "state": pd.Series([], dtype=np.int64),
                "changed": pd.Series([], dtype=bool),
                "operations": pd.Series([], dtype=np.int64),
            }
        )
    return pd.concat(rows, ignore_index=True)


def operations(states: pd.DataFrame, start: dict[str, int]) -> dict[str, tuple[int, int]]:
    """Per device column: (operations, steps moved)."""
    out = {}
    for col in states.columns:
        if col == "step":
            continue
        s = states[col].to_numpy(dtype=np.int64)
        prev = np.concatenate([[start.get(col, s[0] if len(s) else 0)], s[:-1]])
        out[col] = (int((s != prev).sum()), int(np.abs(s - prev).sum()))
    return out


def meters_table(
    steps: pd.DataFrame, step_h: float, ops: dict[str, tuple[int, int]]
) -> pd.DataFrame:
    """The one-row ``qsts_meters`` table of a run (energy in MWh, time in h)."""
    ok = steps["converged"].to_numpy(dtype=bool)
    s = steps[ok]
    head = s["head_p_mw"].to_numpy(dtype=float)
    energy = float(head.sum() * step_h)
    der = float(s["der_p_mw"].sum() * step_h)
    losses = float(s["losses_mw"].sum() * step_h)
    peak_at = int(s["step"].to_numpy()[head.argmax()]) if len(s) else -1
    vmin = s[[f"v_min_{p}_pu" for p in "abc"]].to_numpy(dtype=float)
    vmax = s[[f"v_max_{p}_pu" for p in "abc"]].to_numpy(dtype=float)
    supplied = energy + der
    regs = [v for k, v in ops.items() if k.startswith("regulator:")]
    caps = [v for k, v in ops.items() if k.startswith("capacitor:")]
    return pd.DataFrame(
        {
            "meter": ["feeder"],
            "steps": [len(steps)],
            "step_h": [float(step_h)],
            "steps_not_converged": [int((~ok).sum())],
            "energy_mwh": [energy],
            "reverse_energy_mwh": [float(np.clip(-head, 0.0, None).sum() * step_h)],
            "losses_mwh": [losses],
            "losses_pct": [losses / supplied * 100.0 if supplied > 0 else np.nan],
            "load_mwh": [float(s["load_p_mw"].sum() * step_h)],
            "der_mwh": [der],
            "peak_demand_mw": [float(head.max()) if len(s) else np.nan],
            "peak_step": [peak_at],
            "hours_under": [float((s["n_under"] > 0).sum() * step_h)],
            "hours_over": [float((s["n_over"] > 0).sum() * step_h)],
            "node_hours_under": [float(s["n_under"].sum() * step_h)],
            "node_hours_over": [float(s["n_over"].sum() * step_h)],
            "v_min_pu": [float(np.nanmin(vmin)) if np.isfinite(vmin).any() else np.nan],
            "v_max_pu": [float(np.nanmax(vmax)) if np.isfinite(vmax).any() else np.nan],
            "tap_operations": [int(sum(o for o, _ in regs))],
            "tap_steps": [int(sum(m for _, m in regs))],
            "cap_operations": [int(sum(o for o, _ in caps))],
        }
    )


def voltages_table(res: QstsResult, *, first_step: int = 0) -> pd.DataFrame:
    """``qsts_voltages`` rows (long format) of a result run with ``save_voltages``."""
    if res.vm_pu is None:
        raise ValueError("the run kept no voltages (QstsOptions.save_voltages)")
    n, t = res.vm_pu.shape
    label = np.asarray(res.term_label).astype(str)
    node, _, phase = _split(label, res.model_kind)
    return pd.DataFrame(
        {
            "step": np.repeat(np.arange(first_step, first_step + n, dtype=np.int64), t),
            "node_id": np.tile(node, n).astype(object),
            "phase": np.tile(phase, n).astype(object),
            "vm_pu": res.vm_pu.ravel(),
        }
    )


def _split(label: np.ndarray, kind: str) -> tuple[np.ndarray, None, np.ndarray]:
    if kind != "three_phase":
        return label, None, np.full(len(label), "ABC")
    parts = np.char.rpartition(label, ".")
    return parts[:, 0], None, parts[:, 2]
