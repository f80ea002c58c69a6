"""The gat command-line interface."""

__all__: list[str] = []
