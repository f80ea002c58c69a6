"""Importers of third-party network formats into GAT networks.

Each name is imported from its format's subpackage on first use, so importing one format
does not load the other.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .matpower import MatpowerCase, import_matpower, matpower_to_network, parse_matpower
    from .opendss import OpenDssCircuit, import_opendss, opendss_to_network, parse_opendss

__all__ = ["MatpowerCase", "import_matpower", "matpower_to_network", "parse_matpower"]
__all__ += ["OpenDssCircuit", "import_opendss", "opendss_to_network", "parse_opendss"]

_LAZY = dict.fromkeys(__all__[:4], ".matpower") | dict.fromkeys(__all__[4:], ".opendss")


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'gat_dist.importers' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
