"""The power-flow tools under test, behind one small interface.

Each :class:`Tool` turns a :class:`gat_schemas.Network` into its own input once (untimed), then
``build`` (timed: the tool's model construction) and ``calc`` (timed: one power flow on the
freshly built model, so any factorisation is included), and reads bus voltages back in the row
order of ``dist_nodes``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from feeders import to_pandapower, to_pgm_input

from gat_schemas import Network

__all__ = ["BatchTool", "Tool", "batch_tools", "single_tools"]

HAS_NUMBA = importlib.util.find_spec("numba") is not None


@dataclass(frozen=True)
class Tool:
    """One power-flow tool and method.

    ``prepare(net)`` -> tool input (untimed); ``build(input)`` -> model (timed);
    ``calc(model)`` -> result (timed); ``voltages(net, model, result)`` -> (vm pu, va deg) in
    ``dist_nodes`` row order.
    """

    name: str
    label: str
    prepare: Callable[[Network], Any]
    build: Callable[[Any], Any]
    calc: Callable[[Any], Any]
    voltages: Callable[[Network, Any, Any], tuple[np.ndarray, np.ndarray]]
    note: str = ""


@dataclass(frozen=True)
class BatchTool:
    """One batched power-flow tool: ``run(model, p_mw, q_mvar)`` -> (S x N) vm, va in deg."""

    name: str
    label: str
    prepare: Callable[[Network], Any]
    build: Callable[[Any], Any]
    run: Callable[[Any, np.ndarray, np.ndarray], Any]
    voltages: Callable[[Any], tuple[np.ndarray, np.ndarray]]
    note: str = ""


# ---- GAT -------------------------------------------------------------------------------------


def _gat_single(method: str) -> Tool:
    import gat_pf

    options = gat_pf.PowerFlowOptions(method=getattr(gat_pf.Method, method))

    def calc(model: Any) -> Any:
        return gat_pf.run_power_flow(model, options=options)

    def voltages(net: Network, model: Any, result: Any) -> tuple[np.ndarray, np.ndarray]:
        nodes = result.nodes.set_index("node_id").reindex(net.nodes["node_id"])
        return nodes["vm_pu"].to_numpy(), nodes["va_deg"].to_numpy()

    label = {"NR": "gat Newton-Raphson", "BFS": "gat sweep"}[method]
    return Tool(
        f"gat_{method.lower()}",
        label,
        lambda net: net,
        gat_pf.build_model,
        calc,
        voltages,
        "build_model(network) from the tables; calc = run_power_flow incl. "
        "factorisation and result tables",
    )


def _gat_batch(method: str) -> BatchTool:
    import gat_pf

    options = gat_pf.PowerFlowOptions(method=getattr(gat_pf.Method, method))

    def run(model: Any, p: np.ndarray, q: np.ndarray) -> Any:
        return gat_pf.solve_batch(model, load_p_mw=p, load_q_mvar=q, options=options)

    def voltages(result: Any) -> tuple[np.ndarray, np.ndarray]:
        v = np.asarray(result.voltages)
        return np.abs(v), np.degrees(np.angle(v))

    label = {"NR": "gat solve_batch NR", "BFS": "gat solve_batch sweep"}[method]
    return BatchTool(
        f"gat_batch_{method.lower()}", label, lambda net: net, gat_pf.build_model, run, voltages
    )


# ---- pandapower ------------------------------------------------------------------------------


def _pp_calc(pnet: Any) -> Any:
    import pandapower as pp

    pp.runpp(pnet, algorithm="nr", lightsim2grid=False, numba=HAS_NUMBA)
    return pnet


def _pp_voltages(net: Network, model: Any, result: Any) -> tuple[np.ndarray, np.ndarray]:
    res = result.res_bus.sort_index()
    return res["vm_pu"].to_numpy(), res["va_degree"].to_numpy()


def _pandapower() -> Tool:
    return Tool(
        "pandapower_nr",
        "pandapower NR",
        to_pandapower,
        lambda pnet: pnet,
        _pp_calc,
        _pp_voltages,
        "runpp(algorithm='nr', lightsim2grid=False, numba="
        f"{HAS_NUMBA}); runpp rebuilds its internal model on every call, so build = 0",
    )


class PandapowerLoop:
    """pandapower over load scenarios, one runpp per scenario (what a user would write)."""

    name, label = "pandapower_loop", "pandapower NR loop"

    def __init__(self, net: Network) -> None:
        self.pnet = to_pandapower(net)
        self.bus_of_load = self.pnet.load["bus"].to_numpy()

    def run(self, p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        vm, va = np.empty(p.shape), np.empty(p.shape)
        for s in range(p.shape[0]):
            self.pnet.load["p_mw"] = p[s, self.bus_of_load]
            self.pnet.load["q_mvar"] = q[s, self.bus_of_load]
            _pp_calc(self.pnet)
            res = self.pnet.res_bus.sort_index()
            vm[s], va[s] = res["vm_pu"].to_numpy(), res["va_degree"].to_numpy()
        return vm, va


# ---- power-grid-model ------------------------------------------------------------------------


def _pgm_prepare(net: Network) -> tuple[dict[Any, np.ndarray], float]:
    return to_pgm_input(net), float(net.frequency_hz)


def _pgm_build(prepared: tuple[dict[Any, np.ndarray], float]) -> Any:
    from power_grid_model import PowerGridModel

    data, frequency = prepared
    return PowerGridModel(data, system_frequency=frequency)


def _pgm_method(method: str) -> Any:
    from power_grid_model import CalculationMethod

    return getattr(CalculationMethod, method)


def _pgm_voltages(net: Network, model: Any, result: Any) -> tuple[np.ndarray, np.ndarray]:
    from power_grid_model import ComponentType

    node = result[ComponentType.node]
    order = np.argsort(node["id"])
    return node["u_pu"][order], np.degrees(node["u_angle"][order])


def _pgm_single(method: str) -> Tool:
    cm = _pgm_method(method)

    def calc(model: Any) -> Any:
        return model.calculate_power_flow(symmetric=True, calculation_method=cm)

    label = {"newton_raphson": "pgm newton_raphson", "iterative_current": "pgm iterative_current"}
    return Tool(
        f"pgm_{'nr' if method == 'newton_raphson' else 'ic'}",
        label[method],
        _pgm_prepare,
        _pgm_build,
        calc,
        _pgm_voltages,
        "PowerGridModel(input) construction; calc = calculate_power_flow (all outputs)",
    )


def _pgm_batch(method: str, threading: int) -> BatchTool:
    from power_grid_model import ComponentType, DatasetType, initialize_array

    cm = _pgm_method(method)

    def run(model: Any, p: np.ndarray, q: np.ndarray) -> Any:
        load_node = model.load_node
        update = initialize_array(DatasetType.update, ComponentType.sym_load, p[:, load_node].shape)
        update["id"] = model.load_ids
        update["p_specified"] = p[:, load_node] * 1e6
        update["q_specified"] = q[:, load_node] * 1e6
        return model.pgm.calculate_power_flow(
            update_data={ComponentType.sym_load: update},
            symmetric=True,
            calculation_method=cm,
            threading=threading,
            output_component_types=[ComponentType.node],
        )

    def voltages(result: Any) -> tuple[np.ndarray, np.ndarray]:
        node = result[ComponentType.node]
        order = np.argsort(node["id"][0])
        return node["u_pu"][:, order], np.degrees(node["u_angle"][:, order])

    short = "nr" if method == "newton_raphson" else "ic"
    threads = "sequential" if threading == -1 else "all cores"
    return BatchTool(
        f"pgm_batch_{short}" + ("" if threading == -1 else "_threads"),
        f"pgm batch {method} ({threads})",
        _pgm_prepare,
        _PgmBatchModel,
        run,
        voltages,
        f"update_data on sym_load, threading={threading}, node output only",
    )


class _PgmBatchModel:
    """A PowerGridModel plus the load ids and nodes needed to write batch updates."""

    def __init__(self, prepared: tuple[dict[Any, np.ndarray], float]) -> None:
        from power_grid_model import ComponentType

        self.pgm = _pgm_build(prepared)
        load = prepared[0][ComponentType.sym_load]
        self.load_ids, self.load_node = load["id"].copy(), load["node"].copy()


# ---- registries ------------------------------------------------------------------------------


def single_tools(names: list[str] | None = None) -> list[Tool]:
    """The single power-flow tools, in report order (optionally only ``names``)."""
    makers = {
        "gat_nr": lambda: _gat_single("NR"),
        "gat_bfs": lambda: _gat_single("BFS"),
        "pandapower_nr": _pandapower,
        "pgm_nr": lambda: _pgm_single("newton_raphson"),
        "pgm_ic": lambda: _pgm_single("iterative_current"),
    }
    return [make() for name, make in makers.items() if names is None or name in names]


def batch_tools(names: list[str] | None = None) -> list[BatchTool]:
    """The batched tools, in report order (optionally only ``names``)."""
    makers = {
        "gat_batch_bfs": lambda: _gat_batch("BFS"),
        "gat_batch_nr": lambda: _gat_batch("NR"),
        "pgm_batch_ic": lambda: _pgm_batch("iterative_current", -1),
        "pgm_batch_nr": lambda: _pgm_batch("newton_raphson", -1),
        "pgm_batch_ic_threads": lambda: _pgm_batch("iterative_current", 0),
    }
    return [make() for name, make in makers.items() if names is None or name in names]
