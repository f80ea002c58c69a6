"""Column readers shared by the three-phase model builders (thin wrappers of ``gat_pf._model``)."""

from __future__ import annotations

from gat_pf._model import _column as column
from gat_pf._model import _few as few
from gat_pf._model import _ids as ids
from gat_pf._model import _index_of as index_of
from gat_pf._model import _strings as strings

__all__ = ["column", "few", "ids", "index_of", "strings"]
