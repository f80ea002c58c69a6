"""GAT table schemas (pandera), network folder I/O, validation, run.json manifests and errors.

The public names are re-exported here; modules hold the implementation:
``tables`` (schemas and the ``TABLES`` registry), ``validation``, ``io`` (atomic writes,
tables), ``folder`` (network folders), ``manifest`` (``run.json``), ``docs``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import GatError, InputError, NotConvergedError, SolverError, ValidationError

if TYPE_CHECKING:
    from .conform import (
        apply_defaults,
        conform_table,
        row_labels,
    )
    from .folder import (
        NETWORK_JSON,
        read_network,
        read_network_json,
        write_network,
    )
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
    from .network import (
        SCHEMA_VERSION,
        Network,
    )
    from .tables import (
        NETWORK_TABLES,
        OUTPUT_TABLES,
        REQUIRED_TABLES,
        TABLES,
        ColumnInfo,
        TableSchema,
        get_table,
    )
    from .validation import (
        Violation,
        assert_valid,
        validate_network,
        validate_table,
    )

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

# Public names and the module that defines them, imported on first use (PEP 562) so that
# `import gat_schemas.errors` (used by every package) does not load pandas and pandera.
_LAZY = {
    "ColumnInfo": ".tables",
    "NETWORK_JSON": ".folder",
    "NETWORK_TABLES": ".tables",
    "Network": ".network",
    "OUTPUT_TABLES": ".tables",
    "REQUIRED_TABLES": ".tables",
    "RUN_JSON": ".manifest",
    "RunManifest": ".manifest",
    "SCHEMA_VERSION": ".network",
    "TABLES": ".tables",
    "TableSchema": ".tables",
    "Violation": ".validation",
    "apply_defaults": ".conform",
    "assert_valid": ".validation",
    "atomic_write": ".io",
    "atomic_write_bytes": ".io",
    "atomic_write_json": ".io",
    "atomic_write_parquet": ".io",
    "check_output_dir": ".manifest",
    "check_output_file": ".manifest",
    "conform_table": ".conform",
    "get_table": ".tables",
    "list_runs": ".manifest",
    "package_versions": ".manifest",
    "read_manifest": ".manifest",
    "read_network": ".folder",
    "read_network_json": ".folder",
    "read_parquet": ".io",
    "read_table": ".io",
    "row_labels": ".conform",
    "sha256_bytes": ".io",
    "sha256_file": ".io",
    "validate_network": ".validation",
    "validate_table": ".validation",
    "write_network": ".folder",
    "write_table": ".io",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'gat_schemas' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
