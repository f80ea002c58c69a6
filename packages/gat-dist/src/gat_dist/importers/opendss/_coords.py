"""``BusCoords FILE``: bus coordinates, one bus a line (``name x y``, comma or blank separated).

The coordinates are kept as written (OpenDSS gives them no unit; the IEEE feeders use feet or
plain drawing units) and land in the optional ``dist_nodes`` columns ``x`` and ``y``.
"""

from __future__ import annotations

import math
from pathlib import Path

from gat_schemas.errors import InputError

__all__ = ["read_bus_coords"]


def read_bus_coords(path: Path, where: str) -> dict[str, tuple[float, float]]:
    """Coordinates by lower-case bus name (a later line for the same bus wins).

    Blank lines, lines starting with ``!``, ``//`` or ``#`` and lines with an empty bus name
    (``, x, y``: OpenDSS matches no bus) are skipped; a header line whose
    coordinates are not numbers (``Bus,X,Y``) is skipped when it is the first line read.

    Raises
    ------
    InputError
        The file is missing or a line is not ``name x y`` with finite numbers.
    """
    if not path.is_file():
        raise InputError(f"{where}: bus coordinate file {path.name} not found")
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(
            f"{where}: bus coordinate file {path.name} cannot be read ({exc.strerror or exc})"
        ) from None
    out: dict[str, tuple[float, float]] = {}
    first = True
    for lineno, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line or line.startswith(("!", "//", "#")):
            continue
        if line.startswith(","):
            continue  # an empty bus name: OpenDSS finds no such bus and skips the line
        words = line.replace(",", " ").split()
        try:
            x, y = float(words[1]), float(words[2])
        except (IndexError, ValueError):
            if first:
                first = False
                continue
            raise InputError(
                f"{path.name}:{lineno}: {line!r} is not 'bus x y' (bus coordinates)"
            ) from None
        first = False
        if not (math.isfinite(x) and math.isfinite(y)):
            raise InputError(f"{path.name}:{lineno}: coordinates must be finite numbers")
        out[words[0].split(".")[0].lower()] = (x, y)
    return out
