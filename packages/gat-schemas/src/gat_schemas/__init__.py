"""GAT table schemas (pandera), network folder I/O, run.json manifests and errors."""

__all__: list[str] = []
