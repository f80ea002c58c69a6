"""Numerical kernels on arrays only (no pandas, no I/O): Y-bus, Newton-Raphson, sweep, DC."""

__all__: list[str] = []
