"""GAT distribution studies: importers, power flow, OPF, hosting capacity."""

__all__: list[str] = []
