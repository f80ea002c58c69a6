"""GAT power-flow kernels: sparse Newton-Raphson, backward/forward sweep, DC; batched."""

__all__: list[str] = []
