"""The GAT error hierarchy.

Every error a GAT library raises on purpose is a :class:`GatError`. The CLI maps
``exit_code`` to the process exit status and prints ``str(error)`` as one line:
1 is bad input, 3 is a solver failure or non-convergence (2 is reserved for usage
errors, which click reports itself).
"""

from __future__ import annotations

__all__ = [
    "GatError",
    "InputError",
    "NotConvergedError",
    "SolverError",
    "ValidationError",
]


#: Violations spelled out in a ValidationError message (``gat validate`` lists them all).
_SHOWN = 3


class GatError(Exception):
    """Base class of every error GAT raises on purpose.

    Parameters
    ----------
    message
        One line that says what is wrong and where (file, table, column, row ids).
    """

    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


class InputError(GatError):
    """A file, table or argument cannot be used as given (exit code 1)."""

    exit_code = 1


class ValidationError(InputError):
    """A network or table breaks the data contract (exit code 1).

    Parameters
    ----------
    violations
        Every violation found (``gat_schemas.validation.Violation`` objects).
    source
        What was validated (a folder or file path), used in the message.
    """

    def __init__(self, violations: list, source: str = "") -> None:  # type: ignore[type-arg]
        self.violations = list(violations)
        where = f"{source}: " if source else ""
        shown = "; ".join(str(v) for v in self.violations[:_SHOWN]) or "invalid"
        more = len(self.violations) - _SHOWN
        tail = f" (and {more} more violation{'s' if more != 1 else ''})" if more > 0 else ""
        super().__init__(f"{where}{shown}{tail}")


class SolverError(GatError):
    """A numerical solver failed, or a model is infeasible or unbounded (exit code 3)."""

    exit_code = 3


class NotConvergedError(SolverError):
    """An iterative method did not converge (exit code 3).

    Parameters
    ----------
    message
        What did not converge, with the iteration count and final mismatch.
    iterations
        Iterations performed.
    max_mismatch
        Largest residual at the last iterate (the solver's own unit, stated in ``message``).
    last_iterate
        The last iterate (for power flow: complex node voltages, pu), or ``None``.
    """

    def __init__(
        self,
        message: str,
        *,
        iterations: int = 0,
        max_mismatch: float = float("nan"),
        last_iterate: object = None,
    ) -> None:
        super().__init__(message)
        self.iterations = iterations
        self.max_mismatch = max_mismatch
        self.last_iterate = last_iterate
