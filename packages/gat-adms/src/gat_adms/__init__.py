"""GAT distribution management: reliability, FLISR, outage Monte Carlo."""

__all__: list[str] = []
