"""What ``gat tui`` opens: a network folder, an output folder, or a folder of runs.

Everything is read through gat_schemas (Parquet, run.json); nothing is written. The
network of an output folder is the input folder its ``run.json`` names (the first input
holding ``network.json``); without it the results are shown without a feeder view.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "FolderView",
    "Quantity",
    "detect_kind",
    "node_quantities",
    "node_rows",
    "open_folder",
]

#: Columns that hold a node id, in the order they are tried.
NODE_COLUMNS = ("node_id", "bus_id", "from_node", "to_node")
#: Columns that hold a branch (or reliability element) id.
BRANCH_COLUMNS = ("branch_id", "element_id", "fault_element")


@dataclass(frozen=True)
class FolderView:
    """An opened folder.

    Attributes
    ----------
    kind
        ``"network"``, ``"output"`` or ``"runs"``.
    path
        The folder opened.
    network
        The network (``gat_schemas.Network``) drawn in the feeder view, or ``None``.
    network_dir
        The folder the network was read from.
    tables
        Table name -> DataFrame: the results of an output folder first, then the network's.
    manifest
        The ``run.json`` of an output folder (``gat_schemas.RunManifest``).
    runs
        The runs under a folder of runs (oldest first).
    notes
        One-line remarks to show (no network found for an output folder, ...).
    """

    kind: str
    path: Path
    network: Any = None
    network_dir: Path | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    manifest: Any = None
    runs: list[Any] = field(default_factory=list)
    notes: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        """One line saying what is open."""
        if self.kind == "output" and self.manifest is not None:
            return f"{self.manifest.command} results ({self.manifest.status}) - {self.path.name}"
        if self.kind == "runs":
            return f"{len(self.runs)} runs under {self.path.name}"
        name = self.network.name if self.network is not None else self.path.name
        return f"network {name} - {self.path.name}"


def detect_kind(path: Path) -> str:
    """``"network"`` (has network.json), ``"output"`` (has run.json) or ``"runs"``.

    Raises
    ------
    InputError
        ``path`` is not a folder, or holds no network and no run.
    """
    from gat_schemas import NETWORK_JSON, RUN_JSON, InputError, list_runs

    if not path.is_dir():
        raise InputError(f"{path}: not a folder")
    if (path / NETWORK_JSON).is_file():
        return "network"
    if (path / RUN_JSON).is_file():
        return "output"
    if list_runs(path):
        return "runs"
    raise InputError(
        f"{path}: neither a network folder (network.json), an output folder (run.json) "
        "nor a folder of runs"
    )


def _network_of(manifest: Any) -> Path | None:
    from gat_schemas import NETWORK_JSON

    for item in manifest.inputs:
        p = Path(str(item.get("path", "")))
        if not p.is_absolute():
            p = manifest.out_dir / p
        if (p / NETWORK_JSON).is_file():
            return p
    return None


def _read_outputs(manifest: Any) -> dict[str, pd.DataFrame]:
    from gat_schemas import TABLES
    from gat_schemas.io import read_parquet

    tables: dict[str, pd.DataFrame] = {}
    for item in manifest.outputs:
        rel = Path(str(item.get("path", "")))
        if rel.suffix != ".parquet":
            continue
        # A table partitioned by scenario is a folder: pf_nodes/scenario_id=<id>/part-0.parquet.
        name = rel.parts[0] if len(rel.parts) > 1 else rel.name.removesuffix(".parquet")
        p = manifest.out_dir / (rel.parts[0] if len(rel.parts) > 1 else rel)
        if name in TABLES and name not in tables and p.exists():
            tables[name] = read_parquet(p)
    return tables


def open_folder(path: Path) -> FolderView:
    """Open ``path`` (see :func:`detect_kind`) and read its tables.

    The network folder is read without validation (it is only shown; every command run
    from the TUI validates it as usual), so a large feeder opens quickly.
    """
    from gat_schemas import list_runs, read_manifest, read_network

    path = Path(path)
    kind = detect_kind(path)
    if kind == "runs":
        return FolderView(kind, path, runs=list_runs(path))
    manifest = read_manifest(path) if kind == "output" else None
    notes: list[str] = []
    tables: dict[str, pd.DataFrame] = {}
    network_dir = path if kind == "network" else _network_of(manifest)
    if manifest is not None:
        tables.update(_read_outputs(manifest))
        if network_dir is None:
            notes.append("the network this run read is not found: no feeder view")
    network = None
    if network_dir is not None:
        network = read_network(network_dir, validate=False)
        for name, df in network.tables.items():
            tables.setdefault(name, df)
    return FolderView(kind, path, network, network_dir, tables, manifest, notes=tuple(notes))


@dataclass(frozen=True)
class Quantity:
    """A quantity the feeder view colours nodes by.

    Attributes
    ----------
    name
        Label with unit, e.g. ``"voltage (pu)"``.
    values
        Node id -> value (float Series).
    worst
        ``"low"`` when low values are the bad ones (voltage, hosting capacity), ``"high"``
        otherwise (loading, SAIDI contribution).
    """

    name: str
    values: pd.Series
    worst: str


def _min_by(df: pd.DataFrame, key: str, col: str) -> pd.Series:
    return df.groupby(key, sort=False)[col].min().astype(float)


def _max_by(df: pd.DataFrame, key: str, col: str) -> pd.Series:
    return df.groupby(key, sort=False)[col].max().astype(float)


def node_quantities(tables: dict[str, pd.DataFrame]) -> list[Quantity]:
    """The node quantities available in ``tables``, in menu order.

    - voltage (pu): lowest phase voltage of each node (``pf_nodes``/``pf3_nodes``);
    - loading (%): loading of the branch feeding each node, its highest phase
      (``pf_branches``/``pf3_branches`` joined to ``dist_branches.to_node``);
    - hosting capacity (MW): lowest over the rows of a bus (``hostcap_summary``, or
      ``hostcap_timeseries`` of ``dist hostcap --pv-shape``);
    - SAIDI contribution (h/yr): ``u_h_per_yr x customers / total customers`` of each
      load point (``load_point_indices``), so the contributions sum to SAIDI.
    """
    out: list[Quantity] = []
    for name in ("pf_nodes", "pf3_nodes"):
        df = tables.get(name)
        if df is not None and {"node_id", "vm_pu"} <= set(df.columns):
            out.append(Quantity("voltage (pu)", _min_by(df, "node_id", "vm_pu"), "low"))
            break
    branches = tables.get("dist_branches")
    for name in ("pf_branches", "pf3_branches"):
        df = tables.get(name)
        if df is None or branches is None or "loading_pct" not in df.columns:
            continue
        per_branch = _max_by(df, "branch_id", "loading_pct")
        to_node = branches.set_index("branch_id")["to_node"]
        joined = pd.DataFrame({"to": to_node.reindex(per_branch.index), "v": per_branch})
        joined = joined.dropna()
        if len(joined):
            out.append(Quantity("loading (%)", _max_by(joined, "to", "v"), "high"))
        break
    hc = tables.get("hostcap_summary")
    if hc is None:  # `dist hostcap --pv-shape`
        hc = tables.get("hostcap_timeseries")
    if hc is not None and len(hc):
        out.append(
            Quantity("hosting capacity (MW)", _min_by(hc, "bus_id", "hosting_capacity_mw"), "low")
        )
    lp = tables.get("load_point_indices")
    if lp is not None and len(lp) and lp["customers"].sum() > 0:
        share = lp["u_h_per_yr"] * lp["customers"] / lp["customers"].sum()
        s = pd.Series(share.to_numpy(float), index=lp["node_id"].astype(str))
        out.append(Quantity("SAIDI contribution (h/yr)", s.groupby(level=0).sum(), "high"))
    return out


def node_rows(
    tables: dict[str, pd.DataFrame], node_id: str, *, limit: int = 12
) -> list[tuple[str, pd.DataFrame]]:
    """The rows of every table that concern ``node_id``.

    A row concerns a node when one of its node columns (``node_id``, ``bus_id``,
    ``from_node``, ``to_node``) holds it, or when it names (``branch_id``, ``element_id``,
    ``fault_element``) a branch of ``dist_branches`` that ends at the node. At most
    ``limit`` rows per table.
    """
    branches = tables.get("dist_branches")
    touching: set[str] = set()
    if branches is not None:
        at = (branches["from_node"] == node_id) | (branches["to_node"] == node_id)
        touching = set(branches.loc[at, "branch_id"].astype(str))
    found = []
    for name, df in tables.items():
        hit = np.zeros(len(df), dtype=bool)
        for col in NODE_COLUMNS:
            if col in df.columns:
                hit |= (df[col].astype(str) == node_id).to_numpy()
        if touching and not hit.any():
            for col in BRANCH_COLUMNS:
                if col in df.columns:
                    hit |= df[col].astype(str).isin(touching).to_numpy()
        if hit.any():
            found.append((name, df.loc[hit].head(limit)))
    return found
