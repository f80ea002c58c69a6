"""MATPOWER case files (``.m``, format versions 1 and 2) -> GAT networks.

:func:`parse_matpower` reads a file (our own parser of the MATLAB subset case files use, plus
the unit-conversion statements of MATPOWER's distribution cases); :func:`matpower_to_network`
maps the result onto ``dist_nodes`` / ``dist_branches``; :func:`import_matpower` does both.
"""

from ._network import import_matpower, matpower_to_network
from ._parse import MatpowerCase, parse_matpower

__all__ = ["MatpowerCase", "import_matpower", "matpower_to_network", "parse_matpower"]
