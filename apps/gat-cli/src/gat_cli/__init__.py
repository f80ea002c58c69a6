"""The ``gat`` command-line interface: thin click commands over the GAT libraries."""

from gat_cli.main import main, run

__all__ = ["main", "run"]
