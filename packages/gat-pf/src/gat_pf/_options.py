"""Power-flow options: the solution method and the convergence settings."""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["Method", "PowerFlowOptions"]


class Method(enum.Enum):
    """Power-flow solution method.

    ``AUTO`` picks the sweep on radial networks without source (PV) nodes and
    Newton-Raphson otherwise. ``BFS`` is the backward/forward sweep, written as a
    current-injection fixed point on the Y-bus with the factors of the non-slack block
    computed once; it accepts weakly meshed networks but no PV nodes. ``DC`` is the
    linearised (lossless, flat-voltage) power flow.
    """

    AUTO = "auto"
    NR = "nr"
    BFS = "bfs"
    DC = "dc"


@dataclass(frozen=True, kw_only=True)
class PowerFlowOptions:
    """Settings of one power-flow run.

    Parameters
    ----------
    method
        Solution method (see :class:`Method`).
    tol
        Convergence tolerance on the largest active or reactive power mismatch at any
        node, per unit on the network's ``base_mva``.
    max_iter
        Iteration limit; ``None`` means 50 for Newton-Raphson and 500 for the sweep.
    enforce_q_limits
        Newton-Raphson only: when a source node's reactive output leaves
        ``[q_min, q_max]`` at the solution, fix it at the limit (the node becomes PQ)
        and solve again, until no limit is violated.
    """

    method: Method = Method.AUTO
    tol: float = 1e-8
    max_iter: int | None = None
    enforce_q_limits: bool = False

    def __post_init__(self) -> None:
        # Imported here: gat_schemas loads pandas, and importing gat_pf must stay cheap.
        from gat_schemas.errors import InputError

        if not isinstance(self.method, Method):
            try:
                method = Method(str(self.method).lower())
            except ValueError:
                choices = ", ".join(m.value for m in Method)
                raise InputError(
                    f"unknown power-flow method {self.method!r} (use {choices})"
                ) from None
            object.__setattr__(self, "method", method)
        if not self.tol > 0:
            raise InputError(f"PowerFlowOptions.tol must be > 0, got {self.tol}")
        if self.max_iter is not None and self.max_iter < 1:
            raise InputError(f"PowerFlowOptions.max_iter must be >= 1, got {self.max_iter}")

    def iteration_limit(self, method: Method) -> int:
        """Return the iteration limit that applies to ``method``."""
        if self.max_iter is not None:
            return self.max_iter
        return 500 if method is Method.BFS else 50
