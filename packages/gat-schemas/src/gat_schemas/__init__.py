"""GAT table schemas (pandera), network folder I/O, validation, run.json manifests and errors.

The public names are re-exported here; modules hold the implementation:
``tables`` (schemas and the ``TABLES`` registry), ``validation``, ``io`` (atomic writes,
tables), ``folder`` (network folders), ``manifest`` (``run.json``), ``docs``.
"""

from .conform import apply_defaults, conform_table, row_labels
from .errors import GatError, InputError, NotConvergedError, SolverError, ValidationError
from .folder import NETWORK_JSON, read_network, read_network_json, write_network
from .io import (
    atomic_write,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_parquet,
    read_parquet,
    read_table,
    sha256_bytes,
    sha256_file,
    write_table,
)
from .manifest import (
    RUN_JSON,
    RunManifest,
    check_output_dir,
    check_output_file,
    list_runs,
    package_versions,
    read_manifest,
)
from .network import SCHEMA_VERSION, Network
from .tables import (
    NETWORK_TABLES,
    OUTPUT_TABLES,
    REQUIRED_TABLES,
    TABLES,
    ColumnInfo,
    TableSchema,
    get_table,
)
from .validation import Violation, assert_valid, validate_network, validate_table

__all__ = [
    "NETWORK_JSON",
    "NETWORK_TABLES",
    "OUTPUT_TABLES",
    "REQUIRED_TABLES",
    "RUN_JSON",
    "SCHEMA_VERSION",
    "TABLES",
    "ColumnInfo",
    "GatError",
    "InputError",
    "Network",
    "NotConvergedError",
    "RunManifest",
    "SolverError",
    "TableSchema",
    "ValidationError",
    "Violation",
    "apply_defaults",
    "assert_valid",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_parquet",
    "check_output_dir",
    "check_output_file",
    "conform_table",
    "get_table",
    "list_runs",
    "package_versions",
    "read_manifest",
    "read_network",
    "read_network_json",
    "read_parquet",
    "read_table",
    "row_labels",
    "sha256_bytes",
    "sha256_file",
    "validate_network",
    "validate_table",
    "write_network",
    "write_table",
]
