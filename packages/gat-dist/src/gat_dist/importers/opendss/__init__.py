"""OpenDSS scripts (``.dss``) -> GAT networks in phase coordinates.

:func:`parse_opendss` runs the part of the OpenDSS language the IEEE test feeders use (our own
reader; the rule for every command and property is in :mod:`._script` and :mod:`._classes`);
:func:`opendss_to_network` maps the circuit onto ``dist_nodes``, ``dist_branches``,
``dist_linecodes``, ``dist_transformers``, ``dist_regulators``, ``dist_loads`` and
``dist_caps``; :func:`import_opendss` does both. An import that cannot be done raises one
:class:`OpenDssImportError` whose ``problems`` list every unsupported or invalid input found.
"""

from ._network import import_opendss, opendss_to_network
from ._parse import OpenDssCircuit, OpenDssImportError, parse_opendss

__all__ = [
    "OpenDssCircuit",
    "OpenDssImportError",
    "import_opendss",
    "opendss_to_network",
    "parse_opendss",
]
