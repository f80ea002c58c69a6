"""A whole QSTS study as shards of consecutive steps, resumable, reduced to the result tables.

A shard is a block of ``block_steps`` consecutive steps. Blocks depend on each other (the
controls' state at the end of one is the start of the next), so they run in time order in
this process; what sharding buys is resumption: each finished block is saved (its steps,
device states, end state and voltages) through a :class:`gat_dist.fanout.ShardStore`, and a
resumed run starts after the last block saved, from its end state.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._engine import simulate
from ._tables import controls_table, meters_table, operations, states_table, steps_table
from ._tables import voltages_table as _voltages
from ._types import Multipliers, QstsOptions, QstsState

__all__ = ["QstsTables", "run_qsts"]


@dataclass(frozen=True, eq=False)
class QstsTables:
    """Result tables of :func:`run_qsts`.

    Attributes
    ----------
    steps, meters, controls
        ``qsts_steps``, ``qsts_meters``, ``qsts_controls``.
    voltages
        ``(block, qsts_voltages rows)`` per block when voltages were kept, else empty.
    operations
        ``{"regulator:<id>" | "capacitor:<id>": (operations, steps moved)}`` of every device.
    model_kind, notes
        The physics model used and what the run could not model.
    blocks_resumed
        Blocks read back from an earlier run instead of being solved.
    """

    steps: pd.DataFrame
    meters: pd.DataFrame
    controls: pd.DataFrame
    voltages: tuple[tuple[int, pd.DataFrame], ...]
    operations: dict[str, tuple[int, int]]
    model_kind: str
    notes: tuple[str, ...]
    blocks_resumed: int


def run_qsts(
    network: Any,
    multipliers: Multipliers,
    options: QstsOptions,
    *,
    initial_taps: np.ndarray | None = None,
    block_steps: int = 744,
    store: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> QstsTables:
    """Run a QSTS study block by block (see the module doc) and build its tables.

    ``store``: a :class:`gat_dist.fanout.ShardStore` (or ``None``: nothing saved).
    """
    n = multipliers.n_steps
    edges = [*list(range(0, n, max(1, block_steps))), n]
    state: QstsState | None = None
    start_cols: dict[str, int] | None = None
    parts_steps, parts_states, volts = [], [], []
    kind, notes, resumed = "", (), 0
    for b, (a, e) in enumerate(itertools.pairwise(edges)):
        sid = f"steps-{a:07d}-{e:07d}"
        if store is not None and store.is_done(sid):
            got = store.load(sid)
            resumed += 1
        else:
            sub = Multipliers(
                load=multipliers.load[a:e],
                der=None if multipliers.der is None else multipliers.der[a:e],
                der_ids=multipliers.der_ids,
            )
            opts = dataclasses.replace(options, start_h=options.start_h + a * options.step_h)
            res = simulate(
                network,
                sub,
                opts,
                initial_taps=initial_taps if state is None else None,
                initial_state=state,
                progress=None if progress is None else (lambda d, t, a=a: progress(a + d, n)),  # type: ignore[misc]
            )
            got = {
                "steps": steps_table(res, first_step=a),
                "states": states_table(res, first_step=a),
                "start": _state_frame(res, first=True),
                "end": _state_frame(res, first=False),
                "info": pd.DataFrame(
                    {"model_kind": [res.model_kind], "notes": ["\n".join(res.notes)]}
                ),
            }
            if options.save_voltages:
                got["voltages"] = _voltages(res, first_step=a)
            if store is not None:
                store.save(sid, got)
        end = got["end"]
        state = QstsState(
            taps=end.loc[end["kind"] == "regulator", "state"].to_numpy(dtype=np.int64),
            cap_on=end.loc[end["kind"] == "capacitor", "state"].to_numpy(dtype=bool),
            reg_timer_s=end.loc[end["kind"] == "regulator", "timer_s"].to_numpy(dtype=float),
            cap_timer_s=end.loc[end["kind"] == "capacitor", "timer_s"].to_numpy(dtype=float),
        )
        if start_cols is None:
            st = got["start"]
            start_cols = {
                f"{k}:{d}": int(v)
                for k, d, v in zip(st["kind"], st["device_id"], st["state"], strict=True)
            }
        parts_steps.append(got["steps"])
        parts_states.append(got["states"])
        if "voltages" in got:
            volts.append((b, got["voltages"]))
        info = got["info"]
        kind = str(info["model_kind"].iloc[0])
        notes = tuple(x for x in str(info["notes"].iloc[0]).split("\n") if x)
        if progress is not None:
            progress(e, n)
    steps = pd.concat(parts_steps, ignore_index=True)
    states = pd.concat(parts_states, ignore_index=True)
    ops = operations(states, start_cols or {})
    return QstsTables(
        steps=steps,
        meters=meters_table(steps, options.step_h, ops),
        controls=controls_table(states, start_cols or {}),
        voltages=tuple(volts),
        operations=ops,
        model_kind=kind,
        notes=notes,
        blocks_resumed=resumed,
    )


def _state_frame(res: Any, *, first: bool) -> pd.DataFrame:
    """Device states (and timers) at the start or the end of a block."""
    regs = np.asarray(res.regulator_ids, dtype=object)
    caps = np.asarray(res.cap_ids, dtype=object)
    st = res.initial_state if first else res.final_state
    return pd.DataFrame(
        {
            "kind": ["regulator"] * len(regs) + ["capacitor"] * len(caps),
            "device_id": [str(x) for x in regs] + [str(x) for x in caps],
            "state": np.concatenate([st.taps.astype(np.int64), st.cap_on.astype(np.int64)]),
            "timer_s": np.concatenate([st.reg_timer_s, st.cap_timer_s]).astype(float),
        }
    )
