"""``matpower_to_network``: map a :class:`MatpowerCase` onto GAT's network tables.

Mapping (MATPOWER column -> GAT column; MATPOWER units are already MW, Mvar, pu, kV):

* ``node_id`` = prefix + bus number; ``phase`` = ``"ABC"`` (MATPOWER is balanced).
* ``type``: bus type 3 -> ``slack``; type 2 with an in-service generator -> ``source``; type 1,
  and type 2 without an in-service generator (MATPOWER's power flow also treats such a bus as
  PQ) -> ``load``; type 4 (isolated) -> :class:`InputError` unless ``root`` leaves it out.
* ``v_min``/``v_max`` = Vmin/Vmax (at a non-slack bus Vmin >= Vmax, no band, e.g. 1 and 1
  where a case gives no limits: 0.95 and 1.05, noted); ``load_p``/``load_q`` = Pd/Qd; ``base_kv`` = baseKV (must be
  > 0); ``gs_mw``/``bs_mvar`` = Gs/Bs.
* Generators: in-service ones (status 1) are summed per bus into ``gen_p``/``gen_q`` (Pg/Qg)
  and ``q_min``/``q_max`` (Qmin/Qmax; an infinite limit gives NaN, "unlimited"). ``v_set`` is
  their common Vg at slack and source buses (generators at one bus that disagree on Vg are an
  error), else the bus Vm. A generator at a PQ bus stays a fixed injection (gen_p, gen_q) at a
  ``load`` node, as in MATPOWER's power flow. Out-of-service generators are ignored. Every such
  decision is listed in ``source["import_notes"]``.
* ``branch_id`` = prefix + 1-based row of the branch matrix; ``r``, ``x``, ``b`` pu; ``tap`` =
  ratio (0 -> 1.0); ``shift_deg`` = angle; ``status`` 1 -> ``closed``, 0 -> ``open``;
  ``thermal_limit`` = rateA (0 -> NaN, unrated); ``branch_type`` = ``transformer`` when ratio
  != 0 or angle != 0, ``switch`` for a zero-impedance (r = x = b = 0) line, else ``line``.
* Several slack buses, each alone in its part of the network through closed branches
  (substations whose feeders meet at open ties): ``feeder_id`` = ``FEEDER-SLACK`` per part.
* ``root``: keep only buses connected to it through closed branches, and the branches with
  both ends kept (open ties among kept buses stay, as ``open``).
* ``per_phase``: the file holds per-phase data (single-phase MW and Mvar, line-to-neutral
  baseKV, a single-phase baseMVA, as case533mt states in its comments): every power (loads,
  generators, limits, shunts, ratings) and ``base_mva`` times 3, ``base_kv`` times sqrt(3).
  Per-unit impedances are unchanged (the impedance base V^2/S is the same), so are voltages.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from gat_schemas.errors import InputError
from gat_schemas.network import Network

from ._checks import WIDTHS
from ._parse import MatpowerCase, parse_matpower

__all__ = ["import_matpower", "matpower_to_network"]


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _root_mask(case: MatpowerCase, root: object, fname: str) -> tuple[np.ndarray, int]:
    """Buses connected to ``root`` through closed branches (mask over bus rows)."""
    from scipy.sparse import coo_matrix  # only for root=: scipy is slow to import
    from scipy.sparse.csgraph import connected_components

    bus_ids = case.bus[:, 0]
    labels = [_fmt(b) for b in bus_ids]
    text = str(root).strip()
    if text not in labels:
        raise InputError(f"{fname}: root bus {text!r} is not a bus of the case")
    r = labels.index(text)
    index = {b: i for i, b in enumerate(bus_ids)}
    closed = case.branch[:, 10] == 1
    f = np.array([index[b] for b in case.branch[closed, 0]], dtype=np.int64)
    t = np.array([index[b] for b in case.branch[closed, 1]], dtype=np.int64)
    n = len(bus_ids)
    adj = coo_matrix((np.ones(len(f)), (f, t)), shape=(n, n))
    _, comp = connected_components(adj, directed=False)
    return comp == comp[r], r


def _generators(case: MatpowerCase, kept_ids: set[float], notes: list[str]) -> dict[float, dict]:
    """Per-bus sums of in-service generators at kept buses."""
    per_bus: dict[float, dict[str, Any]] = {}
    for k, g in enumerate(case.gen):
        bus = float(g[0])
        if bus not in kept_ids:
            continue
        if g[7] != 1:
            notes.append(f"gen row {k + 1} at bus {_fmt(bus)} is out of service: ignored")
            continue
        acc = per_bus.setdefault(bus, {"p": 0.0, "q": 0.0, "qmin": 0.0, "qmax": 0.0, "vg": []})
        acc["p"] += g[1]
        acc["q"] += g[2]
        acc["qmax"] += g[3]
        acc["qmin"] += g[4]
        acc["vg"].append((k, float(g[5])))
    return per_bus


def _labels(ids: np.ndarray) -> np.ndarray:
    """``_fmt`` of every id, vectorised for the usual integer bus numbers."""
    ids = np.asarray(ids, dtype=float)
    whole = np.isfinite(ids) & (ids == np.trunc(ids)) & (np.abs(ids) < 2.0**53)
    out = np.empty(len(ids), dtype=object)
    out[whole] = ids[whole].astype(np.int64).astype(str).astype(object)
    out[~whole] = [_fmt(v) for v in ids[~whole].tolist()]
    return out


def _nodes(
    case: MatpowerCase, keep: np.ndarray, prefix: str, feeder_id: str, notes: list[str]
) -> pd.DataFrame:
    fname = os.path.basename(case.source_path)
    bus = case.bus[keep]
    lines = case.row_lines["bus"][keep]
    gens = _generators(case, {float(b) for b in bus[:, 0]}, notes)
    n = len(bus)
    labels = _labels(bus[:, 0])
    btype = bus[:, 1].astype(np.int64)
    has_gen = np.isin(bus[:, 0], list(gens)) if gens else np.zeros(n, dtype=bool)
    v_set = bus[:, 7].astype(float)
    vg_bad = np.zeros(n, dtype=bool)
    gen_p, gen_q = np.zeros(n), np.zeros(n)
    q_min, q_max = np.full(n, np.nan), np.full(n, np.nan)
    vgs_of: dict[int, set[float]] = {}
    for i in np.flatnonzero(has_gen).tolist():
        acc = gens[float(bus[i, 0])]
        gen_p[i], gen_q[i] = float(acc["p"]), float(acc["q"])
        q_min[i] = acc["qmin"] if np.isfinite(acc["qmin"]) else np.nan
        q_max[i] = acc["qmax"] if np.isfinite(acc["qmax"]) else np.nan
        if btype[i] in (2, 3):
            vgs_of[i] = {vg for _, vg in acc["vg"]}
            vg_bad[i] = len(vgs_of[i]) > 1
            if not vg_bad[i]:
                v_set[i] = next(iter(vgs_of[i]))
    # The first bad row, checked in the order a row is read: type 4, baseKV, then Vg.
    isolated, no_kv = btype == 4, ~(bus[:, 9] > 0)
    bad = isolated | no_kv | vg_bad
    if bad.any():
        i = int(np.argmax(bad))
        label, line = labels[i], lines[i]
        if isolated[i]:
            raise InputError(
                f"{fname}:{line}: bus {label} is isolated (type 4); pass root= to import only "
                "the part connected to a slack bus"
            )
        if no_kv[i]:
            raise InputError(f"{fname}:{line}: bus {label} has baseKV {bus[i, 9]:g}; GAT needs > 0")
        raise InputError(
            f"{fname}:{line}: generators at bus {label} disagree on the voltage set point"
            f" Vg ({', '.join(f'{v:g}' for v in sorted(vgs_of[i]))})"
        )
    source = (btype == 2) & has_gen
    kind = np.where(btype == 3, "slack", np.where(source, "source", "load")).astype(object)
    pv_alone = (btype == 2) & ~has_gen
    pq_gen = (btype != 2) & (btype != 3) & has_gen
    for i in np.flatnonzero(pv_alone | pq_gen).tolist():
        if pv_alone[i]:
            notes.append(
                f"bus {labels[i]} is PV (type 2) without an in-service generator: imported as load"
            )
        else:
            notes.append(
                f"bus {labels[i]} is PQ (type 1) with in-service generators: their Pg, Qg are "
                "fixed injections (gen_p, gen_q) at a load node"
            )
    return pd.DataFrame(
        {
            "node_id": (prefix + pd.Series(labels, dtype=object)).to_numpy(dtype=object),
            "phase": np.full(n, "ABC", dtype=object),
            "type": kind,
            "v_min": bus[:, 12].astype(float),
            "v_max": bus[:, 11].astype(float),
            "load_p": bus[:, 2].astype(float),
            "load_q": bus[:, 3].astype(float),
            "feeder_id": np.full(n, feeder_id, dtype=object),
            "base_kv": bus[:, 9].astype(float),
            "v_set": v_set,
            "gen_p": gen_p,
            "gen_q": gen_q,
            "q_min": q_min,
            "q_max": q_max,
            "gs_mw": bus[:, 4].astype(float),
            "bs_mvar": bus[:, 5].astype(float),
        }
    )


def _branches(
    case: MatpowerCase, keep_ids: set[float], prefix: str, notes: list[str]
) -> pd.DataFrame:
    fname = os.path.basename(case.source_path)
    br = case.branch
    ids = np.fromiter(keep_ids, dtype=float, count=len(keep_ids))
    rows = np.flatnonzero(np.isin(br[:, 0], ids) & np.isin(br[:, 1], ids))
    sub = br[rows]
    r, x, b = sub[:, 2].astype(float), sub[:, 3].astype(float), sub[:, 4].astype(float)
    ratio, shift = sub[:, 8].astype(float), sub[:, 9].astype(float)
    transformer = (ratio != 0) | (shift != 0)
    switch = ~transformer & (r == 0) & (x == 0) & (b == 0)
    for k in rows[switch].tolist():
        notes.append(f"branch {k + 1} has r = x = b = 0: imported as a switch")
    short = transformer & (r == 0) & (x == 0)
    if short.any():
        j = int(np.argmax(short))
        k, line = int(rows[j]), case.row_lines["branch"][rows[j]]
        raise InputError(f"{fname}:{line}: branch row {k + 1} is a transformer with r = x = 0")
    kind = np.where(transformer, "transformer", np.where(switch, "switch", "line")).astype(object)
    return pd.DataFrame(
        {
            "branch_id": (prefix + pd.Series(rows + 1).astype(str)).to_numpy(dtype=object),
            "from_node": (prefix + pd.Series(_labels(sub[:, 0]), dtype=object)).to_numpy(
                dtype=object
            ),
            "to_node": (prefix + pd.Series(_labels(sub[:, 1]), dtype=object)).to_numpy(
                dtype=object
            ),
            "r": r,
            "x": x,
            "b": b,
            "tap": np.where(ratio != 0, ratio, 1.0),
            "status": np.where(sub[:, 10] == 1, "closed", "open").astype(object),
            "thermal_limit": np.where(sub[:, 5] > 0, sub[:, 5], np.nan).astype(float),
            "shift_deg": shift,
            "branch_type": kind,
        }
    )


#: Voltage limits (pu) for buses whose Vmin/Vmax leave no band (MATPOWER distribution cases
#: often write Vmax = Vmin = 1 where no limit was given); the OpenDSS importer's defaults.
DEFAULT_V_MIN, DEFAULT_V_MAX = 0.95, 1.05


def _default_limits(nodes: pd.DataFrame, notes: list[str]) -> None:
    """Vmin >= Vmax (no band, e.g. 1 and 1: limits not given) -> the default limits, noted.
    Slack buses keep theirs (their voltage is set; cases write 1 and 1 there on purpose)."""
    bad = ~(nodes["v_min"] < nodes["v_max"]) & (nodes["type"] != "slack")
    if not bad.any():
        return
    nodes.loc[bad, "v_min"], nodes.loc[bad, "v_max"] = DEFAULT_V_MIN, DEFAULT_V_MAX
    ids = nodes.loc[bad, "node_id"].astype(str).tolist()
    shown = ", ".join(ids[:8]) + (f" and {len(ids) - 8} more" if len(ids) > 8 else "")
    notes.append(
        f"{len(ids)} bus(es) give Vmin >= Vmax (no band: limits not set), {shown}: "
        f"v_min {DEFAULT_V_MIN}, v_max {DEFAULT_V_MAX} pu used"
    )


def _width_notes(case: MatpowerCase, notes: list[str]) -> None:
    """Note matrices whose width is none of MATPOWER's layouts (columns past the input
    format are not read; MATPOWER itself reads by position and ignores the width)."""
    for field in ("bus", "gen", "branch"):
        mat = getattr(case, field)
        width, allowed = mat.shape[1], WIDTHS[field]
        if mat.shape[0] and width not in allowed:
            layouts = ", ".join(str(w) for w in allowed)
            notes.append(
                f"{field} matrix has {width} columns (MATPOWER's layouts: {layouts}); "
                f"GAT reads its first {allowed[0]}"
            )


#: Node and branch columns holding a power (MW, Mvar, MVA): x3 for per-phase data.
_POWER_COLUMNS = ("load_p", "load_q", "gen_p", "gen_q", "q_min", "q_max", "gs_mw", "bs_mvar")


def _to_three_phase(
    nodes: pd.DataFrame, branches: pd.DataFrame, base_mva: float, notes: list[str]
) -> float:
    """Per-phase data to three-phase (in place): powers x3, base kV x sqrt(3); returns the
    three-phase base (MVA). Per-unit values do not change: V^2/S is the same base."""
    for col in _POWER_COLUMNS:
        nodes[col] = nodes[col] * 3.0
    nodes["base_kv"] = nodes["base_kv"] * np.sqrt(3.0)
    branches["thermal_limit"] = branches["thermal_limit"] * 3.0
    notes.append(
        f"per-phase data: powers, ratings and baseMVA x 3 ({base_mva:g} -> {3 * base_mva:g} MVA), "
        "baseKV x sqrt(3) (line to neutral -> line to line); per-unit values unchanged"
    )
    return 3.0 * base_mva


def _split_feeders(
    nodes: pd.DataFrame, branches: pd.DataFrame, feeder: str, notes: list[str]
) -> None:
    """Several slack buses, each alone in its part of the network (closed branches): one
    feeder per part, ``feeder_id`` = ``FEEDER-SLACK`` (multi-substation cases such as
    case16ci, whose feeders meet only at open ties). Parts with no or several slacks keep the
    case's feeder id (the network checks then name them)."""
    slack = (nodes["type"] == "slack").to_numpy()
    if slack.sum() < 2:
        return
    from scipy.sparse import coo_matrix  # only for several slacks: scipy is slow to import
    from scipy.sparse.csgraph import connected_components

    ids = nodes["node_id"].astype(str)
    pos = pd.Index(ids)
    closed = (branches["status"] == "closed").to_numpy()
    a = pos.get_indexer(branches["from_node"].astype(str))[closed]
    b = pos.get_indexer(branches["to_node"].astype(str))[closed]
    n = len(nodes)
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    per_part = np.bincount(label[slack], minlength=label.max() + 1)
    names = []
    for i in np.flatnonzero(slack).tolist():
        if per_part[label[i]] == 1:
            name = f"{feeder}-{ids.iloc[i]}"
            nodes.loc[label == label[i], "feeder_id"] = name
            names.append(name)
    if names:
        notes.append(
            f"{int(slack.sum())} slack buses, {len(names)} in parts of their own (closed "
            f"branches): one feeder each, {', '.join(names)}"
        )


def matpower_to_network(
    case: MatpowerCase,
    *,
    name: str | None = None,
    feeder_id: str | None = None,
    prefix: str = "",
    root: str | int | None = None,
    per_phase: bool = False,
) -> Network:
    """Build a GAT :class:`~gat_schemas.network.Network` from a parsed MATPOWER case.

    Parameters
    ----------
    case
        Output of :func:`parse_matpower` (units already MW, Mvar, pu, kV).
    name
        Network name (default: the case name).
    feeder_id
        Value of ``feeder_id`` on every node (default: the case name).
    prefix
        Prepended to every node and branch id (``prefix + bus number``,
        ``prefix + branch row``).
    root
        A MATPOWER bus number (``1`` or ``"1"``; ids before ``prefix``). When given, only the
        buses connected to it through closed branches are kept, with the branches whose two
        ends are kept (open ties among them stay, as ``open``).
    per_phase
        The file's powers are per phase and its baseKV line to neutral (see the module
        doc): converted to three-phase MW and line-to-line kV, noted.

    Returns
    -------
    Network
        ``dist_nodes`` and ``dist_branches``; ``base_mva`` from the file; ``source`` holds
        ``file``, ``format`` (``"matpower"``), ``sha256``, ``conversions`` (the file's own unit
        conversions, in order) and ``import_notes`` (mapping decisions: ignored generators,
        PV buses without generators, the root filter).

    Raises
    ------
    InputError
        Unknown ``root``; isolated (type 4) buses that ``root`` does not exclude; baseKV <= 0;
        generators at one bus with different Vg; a transformer with r = x = 0.
    """
    fname = os.path.basename(case.source_path)
    label = name if name is not None else case.name
    feeder = feeder_id if feeder_id is not None else case.name
    notes: list[str] = []
    keep = np.ones(case.bus.shape[0], dtype=bool)
    if root is not None:
        keep, _ = _root_mask(case, root, fname)
        dropped = int((~keep).sum())
        notes.append(
            f"root {str(root).strip()}: kept {int(keep.sum())} of {len(keep)} buses "
            f"({dropped} not connected through closed branches dropped)"
        )
    _width_notes(case, notes)
    nodes = _nodes(case, keep, prefix, feeder, notes)
    keep_ids = {float(b) for b in case.bus[keep, 0]}
    branches = _branches(case, keep_ids, prefix, notes)
    _default_limits(nodes, notes)
    _split_feeders(nodes, branches, feeder, notes)
    base_mva = case.base_mva
    if per_phase:
        base_mva = _to_three_phase(nodes, branches, base_mva, notes)
    if root is not None:
        notes.append(
            f"root {str(root).strip()}: kept {len(branches)} of {len(case.branch)} branches"
        )
    source = {
        "file": case.source_path,
        "format": "matpower",
        "sha256": case.sha256,
        "conversions": list(case.conversions),
        "import_notes": notes,
    }
    return Network(
        name=label,
        base_mva=base_mva,
        tables={"dist_nodes": nodes, "dist_branches": branches},
        source=source,
    )


def import_matpower(
    path: str | os.PathLike[str],
    *,
    name: str | None = None,
    feeder_id: str | None = None,
    prefix: str = "",
    root: str | int | None = None,
    per_phase: bool = False,
) -> Network:
    """Parse a MATPOWER file and map it to a GAT network (see :func:`matpower_to_network`).

    Raises
    ------
    InputError
        Any problem with the file (see :func:`parse_matpower`) or the mapping.
    """
    case = parse_matpower(path)
    return matpower_to_network(
        case, name=name, feeder_id=feeder_id, prefix=prefix, root=root, per_phase=per_phase
    )
