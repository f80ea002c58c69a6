"""A load's kW and kvar from ``kW``, ``kvar``, ``pf``, ``kVA``, ``xfkVA`` and
``AllocationFactor``, in the order written, as OpenDSS computes them.

OpenDSS keeps one *specification* per load and changes it property by property; each command
(``New``, ``Edit``, a ``~`` line, ``Load.NAME.prop=``) ends with a recalculation. Measured with
opendssdirect (DSS C-API 0.14.5) on one-load circuits, and matching the rule below in every
case tried:

* ``kW=``: the kW; the specification becomes *kW and pf* (kvar follows from pf at the end of
  the command: ``kvar = kW sqrt(1/pf^2 - 1)``, negative for a negative pf).
* ``kvar=``: the kvar; *kW and kvar* (at the end of the command pf becomes ``kW / kVA``, so
  a later ``kW=`` keeps that pf: ``kw=100 kvar=50`` then ``Edit kw=120`` gives 60 kvar, and
  ``kvar=12 kw=44`` in one command after ``kw=40 kvar=10`` gives 11 kvar, not 12).
* ``pf=``: the pf; the specification is unchanged (after ``kvar=`` it does not bring pf back:
  ``xfkva=50 kvar=3 pf=0.8`` keeps 3 kvar).
* ``kVA=``: *kVA and pf*: at the end of the command ``kW = kVA |pf|``.
* ``daily=``, ``yearly=``, ``duty=`` naming a ``useactual=yes`` shape: kW and kvar become the
  shape's peak P and the Q there (:func:`._shapes.actual_peak`), the specification *kW and
  pf* if a ``pf=`` was the last of pf/kvar written, else *kW and kvar* (``kw=7 pf=0.9
  duty=a`` with peak 4 kW gives 4 kW, 1.94 kvar; a ``kW=`` after the link wins).
* ``xfkVA=`` (connected transformer kVA) and ``AllocationFactor=`` (default 0.5):
  *allocated*, computed at once when the connected kVA is positive:
  ``kW = xfkVA x AllocationFactor x |pf|`` with the pf of that moment (``kw=10 kvar=5
  xfkva=50`` gives 22.0 kW at the default pf 0.88: ``kvar=`` in the same command has not
  updated pf yet), kvar from that pf. A ``pf=`` later recomputes only the kvar
  (``xfkva=50 pf=0.8``: kW at pf 0.88, kvar at 0.8). ``AllocationFactor=`` without
  ``xfkVA=`` leaves kW as it is.

GAT's rule of no silent defaults: a result that would rest on OpenDSS's default kW (10) or pf
(0.88) is refused, naming the load and what to give; except a load whose script allocates it
(``xfkVA=0``, EPRI ckt24 writes 49 such loads) and writes no kW: OpenDSS keeps its default
10 kW there, and so does GAT, saying so in the import notes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ._props import fail
from ._script import DssObject
from ._values import as_number

__all__ = ["DEFAULT_KW", "POWER_PROPS", "default_kw_notes", "load_power"]

#: OpenDSS's kW of a load that gives none.
DEFAULT_KW = 10.0

#: The properties that decide a load's kW and kvar.
POWER_PROPS = frozenset({"kw", "kvar", "pf", "kva", "xfkva", "allocationfactor"})
#: Shape links: a link to a ``useactual=yes`` shape sets kW and kvar.
_LINKS = frozenset({"daily", "yearly", "duty"})


def _q_of(kw: float, pf: float) -> float:
    """OpenDSS's kvar of ``kw`` at power factor ``pf`` (a negative pf: opposite sign)."""
    q = kw * math.sqrt(1.0 / (pf * pf) - 1.0)
    return -q if pf < 0 else q


class _Power:
    """The working state of one load while its assignments are replayed."""

    def __init__(self, obj: DssObject) -> None:
        self.obj = obj
        self.kw, self.kvar, self.pf, self.kva = DEFAULT_KW, 5.0, 0.88, DEFAULT_KW / 0.88
        self.xfkva_written = False
        self.xfkva, self.factor = 0.0, 0.5
        self.spec = "kw_pf"
        self.pf_changed = False
        self.kw_given = self.pf_given = self.kvar_given = False
        self.pf_specified = False  # OpenDSS's: set by pf=, cleared by kvar=
        #: ``(property, where)`` whose kW rests on OpenDSS's default pf (None: it does not).
        self.default_pf: tuple[str, str] | None = None

    def _from_pf(self, where: str, prop: str) -> None:
        self.default_pf = None if self.pf_given else (prop, where)

    def _allocate(self, where: str) -> None:
        if self.xfkva > 0.0:
            self._from_pf(where, "xfkVA")
            self.kw = self.xfkva * self.factor * abs(self.pf)
            self.kvar = _q_of(self.kw, self.pf)
            self.kw_given = True

    def set(self, prop: str, value: float, where: str) -> None:
        if prop == "kw":
            self.kw, self.spec, self.kw_given = value, "kw_pf", True
            self.default_pf = None
        elif prop == "kvar":
            self.kvar, self.spec, self.kvar_given = value, "kw_kvar", True
            self.pf_specified = False
        elif prop == "pf":
            if not 0 < abs(value) <= 1:
                raise fail(where, self.obj, f"pf={value:g} must be in [-1, 0) or (0, 1]")
            self.pf, self.pf_changed, self.pf_given = value, True, True
            self.pf_specified = True
        elif prop == "kva":
            self.kva, self.spec = value, "kva_pf"
        elif prop == "xfkva":
            self.xfkva, self.spec, self.xfkva_written = value, "alloc", True
            self._allocate(where)
        else:  # allocationfactor
            self.factor, self.spec = value, "alloc"
            self._allocate(where)

    def link_actual(self, peak: tuple[float, float]) -> None:
        """A link to a ``useactual=yes`` shape (OpenDSS's ``SetkWkvar``)."""
        self.kw, self.kvar = peak
        self.kw_given = True
        self.default_pf = None
        if self.pf_specified:
            self.spec = "kw_pf"
        else:
            self.spec, self.kvar_given = "kw_kvar", True

    def end_command(self, where: str) -> None:
        """OpenDSS's recalculation at the end of each command."""
        if self.spec == "kw_pf":
            self.kvar = _q_of(self.kw, self.pf)
        elif self.spec == "kw_kvar":
            kva = math.hypot(self.kw, self.kvar)
            if kva > 0.0:
                pf = self.kw / kva
                self.pf = pf * math.copysign(1.0, self.kw * self.kvar) if self.kvar else pf
                self.pf_given = self.kw_given and self.kvar_given  # pf from the load's values
        elif self.spec == "kva_pf":
            self._from_pf(where, "kVA")
            self.kw = self.kva * abs(self.pf)
            self.kvar = _q_of(self.kw, self.pf)
            self.kw_given = True
        elif self.pf_changed:  # allocated: a new pf changes the kvar only
            self.kvar = _q_of(self.kw, self.pf)
        self.pf_changed = False


def load_power(
    obj: DssObject, peaks: Mapping[str, tuple[float, float]] | None = None
) -> tuple[float, float, bool]:
    """(kW, kvar, default kW) of a load, its power assignments replayed in order (module
    docstring); the flag is True for an allocated load (``xfkVA=0``) left at OpenDSS's
    default kW.

    A command ends where the file or line of the next assignment differs (each ``~`` line is
    its own command in OpenDSS too).

    Raises
    ------
    InputError
        A pf outside (0, 1] in magnitude, or a result resting on OpenDSS's default kW or pf.
    """
    state = _Power(obj)
    last_at: tuple[str, int] | None = None
    where = obj.where
    peaks = peaks or {}
    for prop, value in obj.assignments:
        peak = peaks.get(value.text.strip().lower()) if prop in _LINKS else None
        if prop not in POWER_PROPS and peak is None:
            continue
        at = (value.fname, value.line)
        if last_at is not None and at != last_at:
            state.end_command(where)
        last_at, where = at, value.where
        if peak is not None:
            state.link_actual(peak)
        else:
            state.set(prop, as_number(value, prop), value.where)
    state.end_command(where)
    default_kw = not state.kw_given and state.xfkva_written and state.spec == "alloc"
    if not state.kw_given and not default_kw:
        raise fail(
            obj.where,
            obj,
            "kW is not set: give kW=, give kVA= with pf=, or xfkVA= with pf= (OpenDSS would "
            "use its default 10 kW)",
        )
    if state.default_pf is not None:
        prop, where = state.default_pf
        raise fail(
            where, obj, f"{prop}= needs pf= before it (OpenDSS would take its default pf 0.88)"
        )
    if (state.spec == "kw_pf" or default_kw) and not state.pf_given:
        raise fail(obj.where, obj, "kvar= or pf= is required")
    return state.kw, state.kvar, default_kw


def default_kw_notes(loads: Sequence[Any]) -> list[str]:
    """The import note naming the loads left at OpenDSS's default kW (``default_kw``)."""
    hit = [ld for ld in loads if getattr(ld, "default_kw", False)]
    if not hit:
        return []
    first = ", ".join(f"{ld.name} ({ld.where})" for ld in hit[:3])
    more = f" and {len(hit) - 3} more" if len(hit) > 3 else ""
    return [
        f"{len(hit)} load(s) with xfkVA=0 and no kW= keep OpenDSS's default {DEFAULT_KW:g} kW "
        f"(as OpenDSS solves them): {first}{more}"
    ]
