"""What every plot kind shares: the run folder it reads, its network, the figure.

Figures are built on :class:`matplotlib.figure.Figure` with the Agg canvas (no pyplot, no
display, no global state), so plotting works headless and in tests.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gat_schemas.errors import InputError

__all__ = [
    "PHASE_COLORS",
    "PlotInput",
    "new_figure",
    "node_min_voltage",
]

#: Conventional phase colours (A, B, C) and the balanced positive-sequence value.
PHASE_COLORS = {"A": "#1f77b4", "B": "#d62728", "C": "#2ca02c", "ABC": "#333333"}


@dataclass
class PlotInput:
    """An output folder (``--from``) and, when needed, the network it was computed on.

    Parameters
    ----------
    out_dir
        The run's output folder (holds ``run.json`` and Parquet tables), or ``None`` when
        only a network is drawn.
    grid_file
        Network folder; taken from ``run.json`` (the input folder the run read) when
        ``None``.
    """

    out_dir: Path | None
    grid_file: Path | None = None
    _network: Any = field(default=None, repr=False)
    _run: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def run(self) -> dict[str, Any]:
        """The folder's ``run.json`` (empty when there is none)."""
        if self._run is None:
            self._run = {}
            if self.out_dir is not None:
                path = self.out_dir / "run.json"
                if path.is_file():
                    try:
                        self._run = json.loads(path.read_text())
                    except (OSError, ValueError) as exc:
                        raise InputError(f"{path}: not a readable run.json ({exc})") from None
        return self._run

    @property
    def command(self) -> str:
        """The command that wrote the folder (``"dist pf"``), or ``""``."""
        return str(self.run.get("command", ""))

    def label(self) -> str:
        """Short name of the run for titles: the output folder's name."""
        return self.out_dir.name if self.out_dir is not None else ""

    def has(self, table: str) -> bool:
        """True when the output folder holds ``table`` (file or partitioned folder)."""
        return self._table_path(table) is not None

    def _table_path(self, table: str) -> Path | None:
        if self.out_dir is None:
            return None
        for candidate in (self.out_dir / f"{table}.parquet", self.out_dir / table):
            if candidate.exists():
                return candidate
        return None

    def table(self, *names: str, kind: str) -> tuple[str, pd.DataFrame]:
        """The first of ``names`` the folder holds, read (``(name, frame)``).

        Raises
        ------
        InputError
            One line naming the folder, the kind and the tables it needs.
        """
        for name in names:
            path = self._table_path(name)
            if path is not None:
                return name, _read(path, name)
        where = self.out_dir if self.out_dir is not None else "no --from folder"
        wrote = f" (written by 'gat {self.command}')" if self.command else ""
        raise InputError(
            f"{where}{wrote}: holds no {' or '.join(names)} table, which 'gat plot {kind}' needs"
        )

    def optional(self, name: str) -> pd.DataFrame | None:
        """Table ``name`` when the folder holds it, else ``None``."""
        path = self._table_path(name)
        return None if path is None else _read(path, name)

    def grid_path(self) -> Path | None:
        """The network folder: ``--grid-file``, else the one ``run.json`` records."""
        if self.grid_file is not None:
            return self.grid_file
        params = self.run.get("params", {}) or {}
        for item in self.run.get("inputs", []) or []:
            # A network folder's input entry lists its tables.
            if isinstance(item, dict) and item.get("tables") and item.get("path"):
                path = Path(item["path"])
                if (path / "network.json").is_file():
                    return path
        given = params.get("grid_file")
        if given and (Path(given) / "network.json").is_file():
            return Path(given)
        return None

    def network(self, kind: str) -> Any:
        """The network (``gat_schemas.Network``), read once.

        Raises
        ------
        InputError
            When no network folder is given and ``run.json`` names none that exists.
        """
        if self._network is None:
            path = self.grid_path()
            if path is None:
                recorded = (self.run.get("params", {}) or {}).get("grid_file")
                why = (
                    f"its network folder {recorded} is not there any more"
                    if recorded
                    else "run.json names no network folder"
                )
                raise InputError(
                    f"{self.out_dir}: 'gat plot {kind}' needs the network, and {why}; "
                    "pass --grid-file DIR"
                )
            from gat_cli.network_input import read_grid_file

            self._network = read_grid_file(path)
        return self._network


def _read(path: Path, name: str) -> pd.DataFrame:
    """Read output table ``name`` and check it against its schema (a table another tool
    or version wrote with missing or mistyped columns is refused in words, not drawn)."""
    from gat_schemas.io import read_table

    return read_table(path, name)


def new_figure(
    width: float = 9.0, height: float = 5.5, *, layout: str | None = "constrained", **kwargs: Any
) -> Any:
    """A matplotlib Figure on the Agg canvas (no pyplot).

    ``layout=None`` skips the constrained layout engine, whose extra passes cost about
    0.3 s on a map of thousands of points (the caller then sets the margins).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout=layout, **kwargs)
    FigureCanvasAgg(fig)
    return fig


def node_min_voltage(nodes: pd.DataFrame) -> pd.Series:
    """Lowest ``vm_pu`` per node over phases (and scenarios), indexed by node_id."""
    return nodes.groupby(nodes["node_id"].astype(str))["vm_pu"].min()


def finite_range(values: np.ndarray) -> tuple[float, float] | None:
    """(min, max) of the finite values, or ``None`` when there are none."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return (float(v.min()), float(v.max())) if len(v) else None
