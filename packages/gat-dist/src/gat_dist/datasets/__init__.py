"""Shipped reference feeders as network folders: ``gat dataset list|describe|export``.

Each dataset is a third-party source file shipped as package data (``data/``, with its
license), converted at export time by the real importer and completed by documented, seeded
generators: customers per node, a synthetic DER portfolio
(:mod:`gat_dist.datasets.der_generator`) and, for radial feeders, protection devices and
failure data (:mod:`gat_dist.datasets.reliability_generator`).
"""

from ._build import build_dataset, data_dir, describe_dataset, export_dataset, list_datasets
from ._registry import DatasetInfo, PublishedResult, published_results
from .der_generator import DerGeneratorOptions, der_cost_curves, generate_der_assets
from .reliability_generator import (
    ReliabilityOptions,
    customers_from_load,
    estimate_lengths,
    generate_reliability,
    generate_switching_devices,
)

__all__ = [
    "DatasetInfo",
    "DerGeneratorOptions",
    "PublishedResult",
    "ReliabilityOptions",
    "build_dataset",
    "customers_from_load",
    "data_dir",
    "der_cost_curves",
    "describe_dataset",
    "estimate_lengths",
    "export_dataset",
    "generate_der_assets",
    "generate_reliability",
    "generate_switching_devices",
    "list_datasets",
    "published_results",
]
