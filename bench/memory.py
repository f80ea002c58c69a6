"""Peak memory of one power flow, measured in a child process per tool.

What is measured: the child imports the tool, loads the tool's prepared input (the
``Network`` tables for GAT, the input arrays for power-grid-model) from a pickle, runs
``gc.collect()``, then resets the kernel's peak-RSS counter (``/proc/self/clear_refs`` = 5,
Linux) and records the resident set size (RSS). It then builds the model and runs one power
flow, keeping model and result alive, and reads the peak RSS (``VmHWM``). The reported
``peak_delta_mb`` = peak RSS - RSS before the build: memory the tool needed for model and
result, native (C++, SuperLU) allocations included. ``peak_total_mb`` is the child's whole peak
since it started (``VmHWM`` before the reset or after the run, whichever is larger):
interpreter, imports and input loading included. (``ru_maxrss`` is not used: Linux carries the
parent's peak into a child across fork and exec.)

Run as a script only by :func:`measure`: ``python memory.py TOOL INPUT.pkl``.
"""

from __future__ import annotations

import gc
import json
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["measure"]


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def _pack(prepared: Any) -> Any:
    """A picklable form of a tool input (a ``Network`` holds read-only mapping proxies)."""
    from gat_schemas import Network

    if isinstance(prepared, Network):
        fields = (prepared.name, prepared.base_mva, dict(prepared.tables))
        return ("Network", fields, prepared.frequency_hz, dict(prepared.source))
    return prepared


def _unpack(packed: Any) -> Any:
    if isinstance(packed, tuple) and packed and packed[0] == "Network":
        from gat_schemas import Network

        (name, base_mva, tables), frequency_hz, source = packed[1:]
        return Network(name, base_mva, tables, frequency_hz=frequency_hz, source=source)
    return packed


def _child(tool_name: str, input_path: str) -> dict[str, float]:
    import tools

    tool = next(t for t in tools.single_tools([tool_name]))
    with open(input_path, "rb") as fh:
        prepared = _unpack(pickle.load(fh))
    gc.collect()
    peak_loading = _status_kb("VmHWM")
    reset = True
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        reset = False
    before = _status_kb("VmRSS")
    model = tool.build(prepared)
    result = tool.calc(model)
    peak = _status_kb("VmHWM")
    del model, result
    return {
        "rss_before_mb": before / 1024,
        "peak_rss_mb": peak / 1024,
        "peak_delta_mb": (peak - before) / 1024,
        "peak_total_mb": max(peak, peak_loading) / 1024,
        "peak_counter_reset": reset,
    }


def measure(net, tool_names: list[str]) -> dict[str, dict[str, float]]:
    """Peak memory of build + one power flow of each tool on ``net``, one child each.

    Returns
    -------
    dict
        Tool name -> ``rss_before_mb``, ``peak_rss_mb``, ``peak_delta_mb``, ``peak_total_mb``
        (MiB) and ``peak_counter_reset`` (False means the delta is a lower bound).
    """
    import tools

    out: dict[str, dict[str, float]] = {}
    here = Path(__file__).resolve().parent
    with tempfile.TemporaryDirectory() as tmp:
        for tool in tools.single_tools(tool_names):
            path = Path(tmp) / f"{tool.name}.pkl"
            with open(path, "wb") as fh:
                pickle.dump(_pack(tool.prepare(net)), fh, protocol=pickle.HIGHEST_PROTOCOL)
            proc = subprocess.run(
                [sys.executable, str(here / "memory.py"), tool.name, str(path)],
                capture_output=True,
                text=True,
                check=False,
                cwd=here,
            )
            if proc.returncode != 0:
                raise RuntimeError(f"memory child for {tool.name} failed:\n{proc.stderr}")
            out[tool.name] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


if __name__ == "__main__":
    print(json.dumps(_child(sys.argv[1], sys.argv[2])))
