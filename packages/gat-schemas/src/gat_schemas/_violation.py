"""The :class:`Violation` record (kept apart so checks and validation can share it)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Violation"]

_SHOW_ROWS = 10


@dataclass(frozen=True)
class Violation:
    """One broken rule of the data contract.

    Parameters
    ----------
    table
        Table name (``"network"`` for ``network.json`` fields).
    column
        Column name, or ``""`` when the rule concerns the whole table.
    row_ids
        Ids of the offending rows (id column values, ``#i`` for a row without id);
        empty when the rule concerns a column or a table.
    check
        Short name of the rule (``dtype``, ``not_nullable``, ``foreign_key``, ``slack`` ...).
    message
        What is wrong, in plain words.
    """

    table: str
    column: str
    row_ids: tuple[str, ...]
    check: str
    message: str

    def __str__(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        if self.row_ids:
            shown = ", ".join(self.row_ids[:_SHOW_ROWS])
            more = len(self.row_ids) - _SHOW_ROWS
            if more > 0:
                shown += f", ... {more} more"
            where += f" rows [{shown}]"
        return " ".join(f"{where}: {self.message}".split())
