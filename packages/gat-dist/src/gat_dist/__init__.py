"""GAT distribution studies: importers, OPF, hosting capacity, fan-out.

The importers are re-exported here. The studies are public subpackages, each with its own
``__all__``, imported on demand because they load scipy and pyomo:

- :mod:`gat_dist.opf`: optimal power flow (``run_opf``, ``OpfProblem``, ``hostcap_opf``);
- :mod:`gat_dist.hostcap`: hosting capacity (``hosting_capacity``, ``HostcapOptions``);
- :mod:`gat_dist.fanout`: shards, executors (local, process pool, Dask) and resume.

The shipped reference feeders (:mod:`gat_dist.datasets`) are re-exported too:
``list_datasets``, ``describe_dataset``, ``export_dataset``.

Importing this package loads nothing else: each name is imported from its module on first
use (PEP 562 module ``__getattr__``), so a command that only reads a table file
(``gat_dist.table_files``) does not load the importers or the dataset generators.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .datasets import describe_dataset, export_dataset, list_datasets
    from .importers import (
        MatpowerCase,
        OpenDssCircuit,
        import_matpower,
        import_opendss,
        matpower_to_network,
        opendss_to_network,
        parse_matpower,
        parse_opendss,
    )

__all__ = ["MatpowerCase", "import_matpower", "matpower_to_network", "parse_matpower"]
__all__ += ["describe_dataset", "export_dataset", "list_datasets"]
__all__ += ["OpenDssCircuit", "import_opendss", "opendss_to_network", "parse_opendss"]

_LAZY = {
    "MatpowerCase": ".importers.matpower",
    "import_matpower": ".importers.matpower",
    "matpower_to_network": ".importers.matpower",
    "parse_matpower": ".importers.matpower",
    "OpenDssCircuit": ".importers.opendss",
    "import_opendss": ".importers.opendss",
    "opendss_to_network": ".importers.opendss",
    "parse_opendss": ".importers.opendss",
    "describe_dataset": ".datasets",
    "export_dataset": ".datasets",
    "list_datasets": ".datasets",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'gat_dist' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
