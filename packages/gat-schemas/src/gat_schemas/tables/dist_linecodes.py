"""``dist_linecodes``: phase-impedance matrices of overhead lines and cables per unit length."""

from __future__ import annotations

from ._base import Column, TableSchema, between, column, finite, ge, make_schema

__all__ = ["LINECODE_ENTRIES", "SCHEMA"]

#: Upper-triangle entries of a symmetric 3x3 matrix, in the column-name order ``11 12 13 22 23 33``.
LINECODE_ENTRIES = ("11", "12", "13", "22", "23", "33")


def _entry(kind: str, ij: str) -> Column:
    i, j = ij
    diagonal = i == j
    what = {
        "r": ("ohm/km", "Series resistance"),
        "x": ("ohm/km", "Series reactance"),
        "b": ("uS/km", "Total shunt susceptance (half at each end)"),
    }[kind]
    role = "self" if diagonal else "mutual"
    desc = (
        f"{what[1]} matrix entry ({i},{j}), {role} term of conductors {i} and {j} of the "
        f"branch's phases ({what[0]}); 0 beyond n_phases."
    )
    if kind == "b":
        if not diagonal:
            desc += " Off-diagonal terms are usually negative."
        return column(
            "float64",
            unit=what[0],
            checks=[finite()],
            required=False,
            default=0.0,
            description=desc,
        )
    return column("float64", unit=what[0], checks=[finite()], description=desc)


_COLUMNS: dict[str, Column] = {
    "linecode_id": column(str, unit="-", description="Line code identifier (unique)."),
    "n_phases": column(
        "int64",
        unit="conductors",
        checks=[between(1, 3)],
        description=(
            "Number of phase conductors (1..3); must equal the length of the phases of every "
            "branch using the code."
        ),
    ),
}
for _kind in ("r", "x", "b"):
    for _ij in LINECODE_ENTRIES:
        _COLUMNS[f"{_kind}{_ij}"] = _entry(_kind, _ij)
_COLUMNS["normamps"] = column(
    "float64",
    unit="A",
    nullable=True,
    checks=[ge(0.0)],
    required=False,
    default=None,
    description=(
        "Normal rated current (ampacity) of each conductor (A); NaN = unrated (the branch's "
        "thermal_limit applies). The OpenDSS importer writes OpenDSS's default 400 A when a "
        "code gives none, and says so in its notes."
    ),
)
_COLUMNS["emergamps"] = column(
    "float64",
    unit="A",
    nullable=True,
    checks=[ge(0.0)],
    required=False,
    default=None,
    description=(
        "Emergency rated current of each conductor (A); NaN = unrated. OpenDSS's default 600 A "
        "when a code gives none. Recorded, not checked by the power flow."
    ),
)

SCHEMA = TableSchema(
    name="dist_linecodes",
    description=(
        "One row per line code: upper triangles of the symmetric series resistance and reactance "
        "(ohm/km) and shunt susceptance (uS/km) matrices in phase coordinates, Kron-reduced "
        "(neutral eliminated). Row/column i is conductor i of the branch's phases."
    ),
    id_columns=("linecode_id",),
    schema=make_schema("dist_linecodes", _COLUMNS),
)
