"""Timing and agreement helpers of the power-flow benchmark (all tools in one process)."""

from __future__ import annotations

import gc
import statistics
import subprocess
import sys
import time
from typing import Any

import numpy as np
from tools import BatchTool, PandapowerLoop, Tool

__all__ = [
    "agreement",
    "import_times",
    "stats",
    "time_batch",
    "time_pandapower_loop",
    "time_single",
]


def stats(samples: list[float]) -> dict[str, Any]:
    """Median, min, max and every sample (seconds)."""
    return {
        "median": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
        "samples": samples,
    }


def time_single(
    tools: list[Tool], net: Any, repeats: dict[str, int]
) -> dict[str, tuple[dict[str, Any], np.ndarray, np.ndarray]]:
    """Time (model build, one power flow) pairs of every tool, repeats interleaved.

    Each tool first builds and solves once untimed (warm-up; its voltages are returned). Then
    round ``r`` times every tool whose ``repeats[name] > r`` once, so load from other processes
    on the machine falls on all tools alike. Every repeat builds a fresh model, so the
    calculation includes any factorisation.

    Returns
    -------
    dict
        Tool name -> ``(timings, vm, va_deg)``: ``timings`` holds ``build_s``, ``calc_s``,
        ``total_s`` (see :func:`stats`), ``repeats`` and ``note``; ``vm`` (pu) and ``va_deg``
        from the warm-up run, in ``dist_nodes`` order.
    """
    prepared, volts = {}, {}
    for tool in tools:
        prepared[tool.name] = tool.prepare(net)
        model = tool.build(prepared[tool.name])
        result = tool.calc(model)
        vm, va = tool.voltages(net, model, result)
        volts[tool.name] = (np.asarray(vm, dtype=float), np.asarray(va, dtype=float))
        del model, result
    samples: dict[str, dict[str, list[float]]] = {
        t.name: {"build_s": [], "calc_s": [], "total_s": []} for t in tools
    }
    for r in range(max(repeats.values())):
        for tool in tools:
            if repeats[tool.name] <= r:
                continue
            gc.collect()
            t0 = time.perf_counter()
            model = tool.build(prepared[tool.name])
            t1 = time.perf_counter()
            result = tool.calc(model)
            t2 = time.perf_counter()
            got = samples[tool.name]
            got["build_s"].append(t1 - t0)
            got["calc_s"].append(t2 - t1)
            got["total_s"].append(t2 - t0)
            del model, result
    out = {}
    for tool in tools:
        timings = {k: stats(v) for k, v in samples[tool.name].items()}
        timings |= {"repeats": repeats[tool.name], "note": tool.note}
        out[tool.name] = (timings, *volts[tool.name])
    return out


def time_batch(
    tools: list[BatchTool], net: Any, p: np.ndarray, q: np.ndarray, repeats: int
) -> dict[str, tuple[dict[str, Any], np.ndarray, np.ndarray]]:
    """Time model build and the whole batch of every tool, ``repeats`` rounds interleaved.

    As :func:`time_single`: one untimed warm-up per tool (its voltages, (S, N), are returned),
    then each round runs every tool once on a freshly built model; ``total_s`` = build + run.
    """
    prepared, volts = {}, {}
    for tool in tools:
        prepared[tool.name] = tool.prepare(net)
        model = tool.build(prepared[tool.name])
        vm, va = tool.voltages(tool.run(model, p, q))
        volts[tool.name] = (np.asarray(vm, dtype=float), np.asarray(va, dtype=float))
        del model
    samples: dict[str, dict[str, list[float]]] = {
        t.name: {"build_s": [], "run_s": [], "total_s": []} for t in tools
    }
    for _ in range(repeats):
        for tool in tools:
            gc.collect()
            t0 = time.perf_counter()
            model = tool.build(prepared[tool.name])
            t1 = time.perf_counter()
            result = tool.run(model, p, q)
            t2 = time.perf_counter()
            got = samples[tool.name]
            got["build_s"].append(t1 - t0)
            got["run_s"].append(t2 - t1)
            got["total_s"].append(t2 - t0)
            del model, result
    out = {}
    for tool in tools:
        timings = {k: stats(v) for k, v in samples[tool.name].items()}
        timings |= {"repeats": repeats, "note": tool.note}
        out[tool.name] = (timings, *volts[tool.name])
    return out


def time_pandapower_loop(
    net: Any, p: np.ndarray, q: np.ndarray, n_timed: int
) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    """Time pandapower over the first ``n_timed`` scenarios and extrapolate to all of them.

    One untimed runpp first (warm-up). ``total_s`` is the extrapolation
    ``time(n_timed) * S / n_timed``, labelled as such.
    """
    loop = PandapowerLoop(net)
    loop.run(p[:1], q[:1])
    gc.collect()
    t0 = time.perf_counter()
    vm, va = loop.run(p[:n_timed], q[:n_timed])
    elapsed = time.perf_counter() - t0
    n_all = p.shape[0]
    timings = {
        "scenarios_timed": n_timed,
        "timed_s": elapsed,
        "per_scenario_s": elapsed / n_timed,
        "total_s": {"median": elapsed * n_all / n_timed, "extrapolated": True},
        "note": f"one runpp per scenario on {n_timed} of {n_all} scenarios, time scaled by "
        f"{n_all}/{n_timed} (extrapolated, not measured)",
    }
    return timings, vm, va


def agreement(
    vm: dict[str, np.ndarray], va: dict[str, np.ndarray], reference: str
) -> dict[str, Any]:
    """Largest differences of each tool against ``reference`` and across all tools.

    ``spread_vm_pu`` is the largest (max - min) over tools at any bus (and scenario).
    """
    ref_vm, ref_va = vm[reference], va[reference]
    stack = np.stack(list(vm.values()))
    return {
        "reference": reference,
        "max_abs_dvm_pu": {k: float(np.max(np.abs(v - ref_vm))) for k, v in vm.items()},
        "max_abs_dva_deg": {k: float(np.max(np.abs(a - ref_va))) for k, a in va.items()},
        "spread_vm_pu": float(np.max(stack.max(axis=0) - stack.min(axis=0))),
        "vm_min_pu": float(ref_vm.min()),
    }


def import_times(modules: list[str], repeats: int) -> dict[str, Any]:
    """Wall time of ``python -c "import MODULE"`` in fresh interpreters (median of repeats).

    ``(none)`` is ``python -c pass``: the interpreter start-up included in every other figure.
    One untimed run per module first warms the file cache.
    """
    out: dict[str, Any] = {}
    for module in ["(none)", *modules]:
        code = "pass" if module == "(none)" else f"import {module}"
        samples = []
        for k in range(repeats + 1):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
            if k:
                samples.append(time.perf_counter() - t0)
        out[module] = stats(samples)
    return out
