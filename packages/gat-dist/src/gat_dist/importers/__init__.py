"""Importers of third-party network formats into GAT networks."""

from .matpower import MatpowerCase, import_matpower, matpower_to_network, parse_matpower
from .opendss import OpenDssCircuit, import_opendss, opendss_to_network, parse_opendss

__all__ = ["MatpowerCase", "import_matpower", "matpower_to_network", "parse_matpower"]
__all__ += ["OpenDssCircuit", "import_opendss", "opendss_to_network", "parse_opendss"]
