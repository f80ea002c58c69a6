"""Structural checks of parsed MATPOWER matrices (after the file's own conversions).

The checks are those MATPOWER itself relies on: every entry finite (except the generator and
angle limits, where MATPOWER allows ``Inf``), integer and unique bus numbers, known bus types,
branch and generator ends that exist, 0/1 statuses, consistent cost rows. Value ranges that are
a modelling choice (voltage limits, base kV) are left to the importer and to
``gat_schemas.validate_network``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from gat_schemas.errors import InputError

from ._conversions import BRANCH_COLUMNS, BUS_COLUMNS

__all__ = ["WIDTHS", "check_case", "check_width"]

#: MATPOWER's column counts: plain input, then with power-flow / OPF result columns. The
#: first is the minimum; MATPOWER reads columns by position and never checks the width, so a
#: wider matrix (case533mt: gen 18, branch 14 with a "ratedCurr" column) is read too, the
#: columns GAT does not use being ignored (the importer notes widths outside this list).
WIDTHS = {"bus": (13, 17), "gen": (10, 21, 25), "branch": (11, 13, 17, 21), "areas": (2,)}
_GEN_COLUMNS = (
    "bus Pg Qg Qmax Qmin Vg mBase status Pmax Pmin Pc1 Pc2 Qc1min Qc1max Qc2min Qc2max "
    "ramp_agc ramp_10 ramp_30 ramp_q apf mu_Pmax mu_Pmin mu_Qmax mu_Qmin"
).split()
_HEADINGS = {"bus": BUS_COLUMNS, "gen": _GEN_COLUMNS, "branch": BRANCH_COLUMNS}
#: 0-based columns where MATPOWER accepts +-Inf: generator Qmax, Qmin, Pmax, Pmin and branch
#: angmin, angmax (no limit).
_INF_OK = {"gen": (3, 4, 8, 9), "branch": (11, 12), "bus": ()}


def _fail(fname: str, line: int, what: str) -> InputError:
    return InputError(f"{fname}:{line}: {what}")


def check_width(fname: str, where: str, field: str, values: np.ndarray, line: int) -> None:
    """Reject a matrix with fewer columns than MATPOWER's input format of ``field`` needs."""
    allowed = WIDTHS.get(field)
    if allowed is None or values.shape[0] == 0:
        return
    if values.shape[1] < allowed[0]:
        raise _fail(
            fname,
            line,
            f"{where} has {values.shape[1]} columns; MATPOWER needs at least {allowed[0]}",
        )


def _check_finite(fname: str, where: str, field: str, m: np.ndarray, lines: np.ndarray) -> None:
    m = m[:, : len(_HEADINGS[field])]  # columns MATPOWER does not define are not read
    bad = np.isnan(m)
    inf_ok = np.zeros(m.shape[1], dtype=bool)
    inf_ok[[c for c in _INF_OK[field] if c < m.shape[1]]] = True
    bad |= np.isinf(m) & ~inf_ok[np.newaxis, :]
    if bad.any():
        r, c = np.argwhere(bad)[0]
        head = _HEADINGS[field][c]
        raise _fail(
            fname, int(lines[r]), f"{where} row {r + 1}: {head} = {m[r, c]} is not a finite number"
        )


def _check_integer(
    fname: str, where: str, field: str, col: int, m: np.ndarray, lines: np.ndarray
) -> None:
    v = m[:, col]
    bad = (v != np.round(v)) | (v < 1)
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        head = _HEADINGS[field][col]
        raise _fail(
            fname, int(lines[r]), f"{where} row {r + 1}: {head} = {v[r]:g} is not a bus number"
        )


def _check_status(fname: str, where: str, col: int, m: np.ndarray, lines: np.ndarray) -> None:
    bad = ~np.isin(m[:, col], (0.0, 1.0))
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise _fail(fname, int(lines[r]), f"{where} row {r + 1}: status must be 0 or 1")


def _check_refs(
    fname: str, where: str, what: str, ends: np.ndarray, buses: np.ndarray, lines: np.ndarray
) -> None:
    missing = ~np.isin(ends, buses)
    if missing.any():
        r = int(np.flatnonzero(missing)[0])
        raise _fail(
            fname, int(lines[r]), f"{where} row {r + 1}: {what} {ends[r]:g} is not in the bus data"
        )


def _check_bus(fname: str, where: str, bus: np.ndarray, lines: np.ndarray) -> None:
    _check_finite(fname, where, "bus", bus, lines)
    _check_integer(fname, where, "bus", 0, bus, lines)
    ids = bus[:, 0]
    _, counts = np.unique(ids, return_counts=True)
    if (counts > 1).any():
        seen: dict[float, int] = {}
        for r, b in enumerate(ids):
            if b in seen:
                raise _fail(
                    fname,
                    int(lines[r]),
                    f"{where} row {r + 1}: bus {b:g} is already defined at line {seen[b]}",
                )
            seen[b] = int(lines[r])
    bad = ~np.isin(bus[:, 1], (1.0, 2.0, 3.0, 4.0))
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise _fail(
            fname, int(lines[r]), f"{where} row {r + 1}: bus type {bus[r, 1]:g} is not 1, 2, 3 or 4"
        )


def _check_gencost(fname: str, where: str, cost: np.ndarray, lines: np.ndarray, ngen: int) -> None:
    if cost.shape[0] == 0:
        return
    if not np.isfinite(cost).all():
        r = int(np.flatnonzero(~np.isfinite(cost).all(axis=1))[0])
        raise _fail(fname, int(lines[r]), f"{where} row {r + 1}: entries must be finite")
    if cost.shape[1] < 4 or cost.shape[0] not in (ngen, 2 * ngen):
        raise _fail(
            fname,
            int(lines[0]),
            f"{where} must have one or two rows per generator ({ngen}) and at least 4 columns",
        )
    for r, row in enumerate(cost):
        model, n = row[0], row[3]
        need = 4 + (2 * n if model == 1 else n)
        if model not in (1.0, 2.0) or n != round(n) or n < 0 or need > cost.shape[1]:
            raise _fail(
                fname,
                int(lines[r]),
                f"{where} row {r + 1}: model must be 1 or 2 with n points/coefficients that fit",
            )


def check_case(
    fname: str,
    names: Mapping[str, str],
    base_mva: float,
    mats: Mapping[str, np.ndarray],
    lines: Mapping[str, np.ndarray],
    base_line: int,
) -> None:
    """Check the final matrices; raise :class:`InputError` at the first problem.

    Parameters
    ----------
    fname
        File name for messages.
    names
        Field -> name as written in the file (``mpc.bus`` or ``bus``).
    base_mva
        System base (MVA).
    mats, lines
        Field -> matrix, and field -> file line of each row.
    base_line
        Line of the ``baseMVA`` assignment.
    """
    if not (np.isfinite(base_mva) and base_mva > 0):
        raise _fail(fname, base_line, f"{names['baseMVA']} = {base_mva:g} must be positive")
    bus, gen, branch = mats["bus"], mats["gen"], mats["branch"]
    for field in ("bus", "branch"):
        if mats[field].shape[0] == 0:
            raise _fail(fname, int(base_line), f"{names[field]} is empty")
    _check_bus(fname, names["bus"], bus, lines["bus"])
    buses = bus[:, 0]
    _check_finite(fname, names["branch"], "branch", branch, lines["branch"])
    for col, what in ((0, "from bus"), (1, "to bus")):
        _check_refs(fname, names["branch"], what, branch[:, col], buses, lines["branch"])
    loops = branch[:, 0] == branch[:, 1]
    if loops.any():
        r = int(np.flatnonzero(loops)[0])
        raise _fail(
            fname,
            int(lines["branch"][r]),
            f"{names['branch']} row {r + 1}: connects bus {branch[r, 0]:g} to itself",
        )
    _check_status(fname, names["branch"], 10, branch, lines["branch"])
    for col, what in ((5, "rateA"), (8, "ratio")):
        neg = branch[:, col] < 0
        if neg.any():
            r = int(np.flatnonzero(neg)[0])
            raise _fail(
                fname, int(lines["branch"][r]), f"{names['branch']} row {r + 1}: {what} is negative"
            )
    if gen.shape[0]:
        _check_finite(fname, names["gen"], "gen", gen, lines["gen"])
        _check_refs(fname, names["gen"], "bus", gen[:, 0], buses, lines["gen"])
        _check_status(fname, names["gen"], 7, gen, lines["gen"])
    if "gencost" in mats:
        _check_gencost(fname, names["gencost"], mats["gencost"], lines["gencost"], gen.shape[0])
