"""GAT DER management: asset validation, flexibility envelopes, scheduling."""

__all__: list[str] = []
