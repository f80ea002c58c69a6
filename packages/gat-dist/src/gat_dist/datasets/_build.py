"""Convert a shipped dataset into a network: the real importer, then the generators.

One mechanism for every dataset: import the source file with its importer
(:func:`gat_dist.import_matpower` or the OpenDSS importer), then add customers, line lengths
where the source has none, the synthetic DER portfolio and, for radial feeders, the
protection devices and failure data.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gat_schemas.network import Network

from ._registry import DATA_DIR, REGISTRY, DatasetInfo, get_info
from .der_generator import DerGeneratorOptions, der_cost_curves, generate_der_assets
from .reliability_generator import (
    ReliabilityOptions,
    customers_from_load,
    estimate_lengths,
    generate_reliability,
    generate_switching_devices,
)

__all__ = ["build_dataset", "describe_dataset", "export_dataset", "list_datasets"]


def list_datasets() -> list[DatasetInfo]:
    """Every shipped dataset, sorted by name."""
    return [REGISTRY[k] for k in sorted(REGISTRY)]


def describe_dataset(name: str) -> DatasetInfo:
    """The registry entry of dataset ``name``.

    Raises
    ------
    InputError
        Unknown name (the message lists the known ones).
    """
    return get_info(name)


def _portable(path: str | os.PathLike[str]) -> str:
    """A shipped file's path relative to the installed packages (no machine path)."""
    rel = Path(path).resolve().relative_to(DATA_DIR)
    return "gat_dist/datasets/data/" + rel.as_posix()


def _import(info: DatasetInfo) -> Network:
    if info.source_format == "matpower":
        from gat_dist.importers.matpower import import_matpower

        return import_matpower(info.source_path, name=info.name, feeder_id=info.name)
    from gat_dist.importers.opendss import import_opendss

    return import_opendss(info.source_path, name=info.name, feeder_id=info.name)


def _with_source_devices(net: Network, generated: pd.DataFrame) -> pd.DataFrame:
    """The source's own protective devices, completed by the generated ones.

    A source that defines devices (OpenDSS ``Fuse``/``Recloser``/``Relay``, read into
    ``switching_devices`` by the importer) keeps them; the generator adds its devices on the
    branches that have none, of the kinds the source has none of (a source with fuses says
    where its laterals are fused, one with a relay where its feeder breaker is). Without source devices the generated table is used as it is.
    """
    given = net.table("switching_devices")
    if given is None or not len(given):
        return generated
    extra = generated[
        ~generated["branch_id"].isin(given["branch_id"])
        & ~generated["device_type"].isin(given["device_type"])
    ]
    both = pd.concat([given[generated.columns], extra], ignore_index=True)
    order = {b: i for i, b in enumerate(net.branches["branch_id"])}
    rank = both["branch_id"].map(order).to_numpy()
    return both.iloc[np.lexsort((both["device_type"].to_numpy(), rank))].reset_index(drop=True)


def build_dataset(
    name: str,
    *,
    seed: int = 0,
    der_options: DerGeneratorOptions | None = None,
    reliability_options: ReliabilityOptions | None = None,
) -> Network:
    """Convert dataset ``name`` into a network with its generated tables.

    Parameters
    ----------
    name
        A registry name (:func:`list_datasets`).
    seed
        Seed of the DER generator (the other generators are deterministic).
    der_options, reliability_options
        Typical values of the generators (defaults: :class:`DerGeneratorOptions`,
        :class:`ReliabilityOptions`).

    Returns
    -------
    Network
        The imported feeder with ``dist_nodes.customers`` (the source's, else
        :func:`customers_from_load`), ``dist_branches.length_km`` (given
        or estimated), ``der_assets``, ``der_cost_curves`` and, for radial feeders,
        ``reliability`` and ``switching_devices`` (the source's own protective devices, when
        it has any, completed by the generated ones: :func:`_with_source_devices`).
        ``source`` records the package-relative source file, its sha256, the importer's
        notes and the generator settings.

    Raises
    ------
    InputError
        Unknown name.
    """
    info = get_info(name)
    der_opts = der_options if der_options is not None else DerGeneratorOptions()
    rel_opts = reliability_options if reliability_options is not None else ReliabilityOptions()
    net = _import(info)
    nodes = net.nodes.copy()
    given = "customers" in nodes.columns and bool((nodes["customers"] > 0).any())
    if not given:  # the source counts no customers: the documented rule from load
        counts = customers_from_load(net, kw_per_customer=rel_opts.kw_per_customer)
        nodes["customers"] = counts.to_numpy()
    branches = net.branches.copy()
    tables: dict[str, Any] = dict(net.tables)
    tables["dist_nodes"] = nodes
    with_reliability = "reliability" in info.tables
    if with_reliability:
        branches["length_km"] = estimate_lengths(net, r_ohm_per_km=rel_opts.r_ohm_per_km).to_numpy()
        tables["dist_branches"] = branches
    net = dataclasses.replace(net, tables=tables)
    tables["der_assets"] = generate_der_assets(net, seed=seed, options=der_opts)
    tables["der_cost_curves"] = der_cost_curves()
    if with_reliability:
        tables["switching_devices"] = _with_source_devices(
            net, generate_switching_devices(net, options=rel_opts)
        )
        tables["reliability"] = generate_reliability(net, options=rel_opts)
    source = dict(net.source)
    source["file"] = _portable(info.source_path)
    if "files" in source:
        source["files"] = [{**f, "path": _portable(f["path"])} for f in source["files"]]
    source["dataset"] = {
        "name": info.name,
        "seed": seed,
        "der_generator": dataclasses.asdict(der_opts),
        "reliability_generator": dataclasses.asdict(rel_opts) if with_reliability else None,
    }
    return dataclasses.replace(net, tables=tables, source=source)


def export_dataset(
    name: str,
    out_dir: str | os.PathLike[str],
    *,
    seed: int = 0,
    overwrite: bool = False,
    der_options: DerGeneratorOptions | None = None,
    reliability_options: ReliabilityOptions | None = None,
) -> Network:
    """Build dataset ``name`` (:func:`build_dataset`) and write it as a network folder.

    Parameters
    ----------
    out_dir
        Destination folder (written atomically by :func:`gat_schemas.write_network`).
    overwrite
        Replace an existing non-empty folder.

    Returns
    -------
    Network
        The network written.

    Raises
    ------
    InputError
        Unknown name, or ``out_dir`` exists and is not empty (without ``overwrite``).
    """
    from gat_schemas.folder import write_network

    net = build_dataset(
        name, seed=seed, der_options=der_options, reliability_options=reliability_options
    )
    write_network(net, Path(out_dir), overwrite=overwrite)
    return net


def data_dir() -> Path:
    """The package-data folder holding the source files (inside the installed package)."""
    return DATA_DIR
