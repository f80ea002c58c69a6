"""GAT distribution studies: importers, power flow, OPF, hosting capacity."""

from .importers import MatpowerCase, import_matpower, matpower_to_network, parse_matpower

__all__ = ["MatpowerCase", "import_matpower", "matpower_to_network", "parse_matpower"]
