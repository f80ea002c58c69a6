"""GAT distribution studies: importers, OPF, hosting capacity, fan-out.

The importers are re-exported here. The studies are public subpackages, each with its own
``__all__``, imported on demand because they load scipy and pyomo:

- :mod:`gat_dist.opf`: optimal power flow (``run_opf``, ``OpfProblem``, ``hostcap_opf``);
- :mod:`gat_dist.hostcap`: hosting capacity (``hosting_capacity``, ``HostcapOptions``);
- :mod:`gat_dist.fanout`: shards, executors (local, process pool, Dask) and resume.

The shipped reference feeders (:mod:`gat_dist.datasets`) are re-exported too:
``list_datasets``, ``describe_dataset``, ``export_dataset``.
"""

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
