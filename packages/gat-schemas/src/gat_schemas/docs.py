"""Generate the table reference page from the schemas (``docs/reference/tables.md``).

Usage: ``python -m gat_schemas.docs OUT.md``. The schemas are the single source of truth:
column types, requirement, unit, meaning and default all come from ``TABLES``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .io import atomic_write_bytes
from .tables import TABLES, ColumnInfo, TableSchema

__all__ = ["main", "render_tables_markdown"]

_HEADER = """\
# Table reference

Generated from the `gat-schemas` table schemas by `python -m gat_schemas.docs
docs/reference/tables.md`; do not edit by hand (a test fails when this page is stale).

Every table is a Parquet file named `<table>.parquet`. Extra columns are allowed and kept.
A missing required column is an error. An optional column that is absent takes the default
shown (recorded in `run.json` under `defaults`); "-" means it stays absent. Ids are strings.
Per-unit quantities are on the network `base_mva` and the node `base_kv` (line-to-line).
Every float column must be finite (NaN only where the column is nullable) and within a
plausible magnitude, shown with each column ("magnitude must be <= ..."; by unit: 1e5 for
MW, Mvar and MVA, 1e6 for pu, ...), so a value like 1e300 is refused before any solver sees it.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _default(info: ColumnInfo) -> str:
    if info.required or not info.has_default:
        return "-"
    if info.default is None:
        return "NaN/None"
    return f"`{info.default}`"


def _type(info: ColumnInfo) -> str:
    kind = {"str": "string", "float64": "float", "int64": "integer", "bool": "boolean"}
    text = kind.get(info.dtype, info.dtype)
    return f"{text}, nullable" if info.nullable else text


def _section(ts: TableSchema) -> str:
    lines = [f"## `{ts.name}`", "", ts.description, ""]
    facts = [f"id: `{'` + `'.join(ts.id_columns)}`"]
    if ts.kind == "network":
        facts.append("required in a network folder" if ts.required_in_network else "optional table")
    elif ts.kind == "input":
        facts.append("command input table")
    else:
        facts.append("result table")
    lines += ["; ".join(facts) + ".", ""]
    lines.append("| column | type | required | unit | description | default |")
    lines.append("|---|---|---|---|---|---|")
    for info in ts.columns():
        desc = info.description
        if info.rules:
            rules = "; ".join(info.rules)
            desc += f" {rules[0].upper()}{rules[1:]}."
        if info.foreign_key:
            desc += f" Refers to `{info.foreign_key}`."
        lines.append(
            f"| `{info.name}` | {_type(info)} | {'yes' if info.required else 'no'} | "
            f"{_cell(info.unit)} | {_cell(desc)} | {_default(info)} |"
        )
    return "\n".join(lines) + "\n"


def render_tables_markdown() -> str:
    """Return the reference page: one section per table with a column table."""
    network = [ts for ts in TABLES.values() if ts.kind == "network"]
    inputs = [ts for ts in TABLES.values() if ts.kind == "input"]
    outputs = [ts for ts in TABLES.values() if ts.kind == "output"]
    parts = [_HEADER, "# Network tables\n"]
    parts += [_section(ts) for ts in network]
    parts += ["# Command input tables\n"]
    parts += [_section(ts) for ts in inputs]
    parts += ["# Result tables\n"]
    parts += [_section(ts) for ts in outputs]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    """Write the reference page to the path given as the only argument."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m gat_schemas.docs OUT.md\n")
        return 2
    atomic_write_bytes(Path(args[0]), render_tables_markdown().encode("utf-8"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
