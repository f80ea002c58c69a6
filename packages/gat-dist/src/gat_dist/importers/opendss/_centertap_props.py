"""Properties of OpenDSS ``XfmrCode`` and the transformer properties of center-tapped units.

Merged into :mod:`._classes`; read by :mod:`._centertap`. A transformer that uses any of
:data:`CENTERTAP_TRANSFORMER_PROPS` (or ``windings=3``) is read as a center-tapped unit.
"""

from __future__ import annotations

__all__ = ["CENTERTAP_CLASSES", "CENTERTAP_RECORDED", "CENTERTAP_TRANSFORMER_PROPS"]

#: Transformer properties read by the center-tap reader (``xfmrcode``, ``xht``, ``xlt`` make a
#: unit center-tapped; ``%imag`` and ``%noloadloss`` are read on every transformer).
CENTERTAP_TRANSFORMER_PROPS: dict[str, str] = {
    "xfmrcode": "str",
    "xht": "num",
    "xlt": "num",
    "%imag": "num",
    "%noloadloss": "num",
}

CENTERTAP_CLASSES: dict[str, dict[str, str]] = {
    "xfmrcode": {
        "phases": "int",
        "windings": "int",
        "wdg": "int",
        "conn": "str",
        "kv": "num",
        "kva": "num",
        "%r": "num",
        "tap": "num",
        "conns": "array",
        "kvs": "array",
        "kvas": "array",
        "%rs": "array",
        "taps": "array",
        "xhl": "num",
        "xht": "num",
        "xlt": "num",
        "%imag": "num",
        "%noloadloss": "num",
        "normhkva": "num",
        "emerghkva": "num",
    },
}

CENTERTAP_RECORDED: dict[tuple[str, str], str] = {
    ("xfmrcode", "normhkva"): "ratings beyond kva are not imported",
    ("xfmrcode", "emerghkva"): "ratings beyond kva are not imported",
}
