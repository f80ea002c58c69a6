"""The line-code name a line's ``geometry=`` or ``spacing=``/``wires=`` stands for.

Apart from :mod:`._geometry` so the line reader in :mod:`._elements` can name the code
without importing the geometry readers (which import :mod:`._elements`).
"""

from __future__ import annotations

from ._lexer import Value
from ._values import as_array, as_number

__all__ = ["geometry_code_name"]


def geometry_code_name(p: dict[str, Value]) -> str | None:
    """Name of the line code a line's ``geometry=`` or ``spacing=``/``wires=`` stands for."""
    rho = f".rho{as_number(p['rho'], 'rho'):g}" if "rho" in p else ""
    if "earthmodel" in p:
        rho += f".{p['earthmodel'].text.strip().lower()}"
    if "geometry" in p:
        return f"geometry.{p['geometry'].text.strip()}{rho}"
    if "spacing" in p:
        names = ".".join(as_array(p["wires"], "wires")) if "wires" in p else ""
        for cab, tag in (("cncables", "cn"), ("tscables", "ts")):
            if cab in p:
                cn = ".".join(as_array(p[cab], cab))
                names = f"{tag}.{cn}" + (f".{names}" if names else "")
        return f"spacing.{p['spacing'].text.strip()}.{names}{rho}"
    return None
