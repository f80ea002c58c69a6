"""``dist_loads``: per-phase loads (wye or delta; constant power, impedance or current)."""

from __future__ import annotations

from ._base import Column, TableSchema, column, finite, isin, make_schema

__all__ = ["LOAD_CONNECTIONS", "LOAD_MODELS", "SCHEMA", "shape_link"]

#: ``wye``: phase-to-neutral elements; ``delta``: phase-to-phase elements (AB, BC, CA legs).
LOAD_CONNECTIONS = ("wye", "delta")
#: ``pq``: constant power; ``z``: constant impedance; ``i``: constant current magnitude
#: (power factor angle kept); ``exp``: P and Q each proportional to a power of the voltage
#: (``p_exp``, ``q_exp``); all given at nominal voltage.
LOAD_MODELS = ("pq", "z", "i", "exp")


def _exponent(kind: str) -> Column:
    what = "P" if kind == "p" else "Q"
    return column(
        "float64",
        unit="-",
        nullable=True,
        required=False,
        default=float("nan"),
        checks=[finite()],
        description=(
            f"model exp only: {what} = {what}_nominal (|V| / V_nominal)^{kind}_exp (OpenDSS "
            f"model 4 CVR{'watts' if kind == 'p' else 'vars'}; 0 constant power, 1 constant "
            "current, 2 constant impedance, any real value). NaN for the other models."
        ),
    )


def _band(which: str) -> Column:
    text = {
        "min": (
            "Lower band edge (pu of the nominal element voltage; OpenDSS vminpu): at or "
            "below it the load is an impedance, its current running linearly in |V| from "
            "the rated impedance's at v_low_pu to the one drawing the edge power at "
            "v_min_pu. NaN (GAT's default): no band, the model holds at every voltage"
        ),
        "max": (
            "Upper band edge (pu of the nominal element voltage; OpenDSS vmaxpu): above it "
            "the load is the impedance drawing the edge power at v_max_pu. Required with "
            "v_min_pu"
        ),
        "low": (
            "Lowest band (pu of the nominal element voltage; OpenDSS vlowpu): at or below it "
            "the load is the impedance drawing its power at v_rated_pu. Required with "
            "v_min_pu"
        ),
    }[which]
    return column(
        "float64",
        unit="pu",
        nullable=True,
        required=False,
        default=float("nan"),
        checks=[finite()],
        description=(
            f"{text}. Edge power: the model's own at the edge for pq and i (continuous), the "
            "power at v_rated_pu for exp (OpenDSS's model 4: the power jumps at the edge); "
            "model z never switches."
        ),
    )


def _power(kind: str, leg: str) -> Column:
    unit = "MW" if kind == "p" else "Mvar"
    what = "Active" if kind == "p" else "Reactive"
    delta_leg = {"a": "AB", "b": "BC", "c": "CA"}[leg]
    return column(
        "float64",
        unit=unit,
        checks=[finite()],
        required=False,
        default=0.0,
        description=(
            f"{what} load at nominal voltage ({unit}; positive consumes) on phase "
            f"{leg.upper()} to neutral (wye) or on leg {delta_leg} (delta)."
        ),
    )


def shape_link(kind: str) -> Column:
    """Optional column naming the ``load_shapes`` shape of one study kind (daily ...)."""
    what = {
        "daily": "daily (24 h) studies",
        "yearly": "yearly (8760 h) studies",
        "duty": "duty-cycle (short time step) studies",
    }[kind]
    return column(
        str,
        unit="-",
        nullable=True,
        required=False,
        foreign_key="load_shapes.shape_id",
        description=(
            f"Shape (load_shapes.shape_id) multiplying the rated power in {what}; None = "
            "no shape (rated power throughout). Not used by a snapshot power flow."
        ),
    )


SCHEMA = TableSchema(
    name="dist_loads",
    description=(
        "One row per load in phase coordinates, added to the node's load_p/load_q by the "
        "three-phase power flow. Nominal voltage: the node's line-to-neutral base (wye) or "
        "line-to-line base_kv (delta). Loads consume: p > 0 draws power."
    ),
    id_columns=("load_id",),
    schema=make_schema(
        "dist_loads",
        {
            "load_id": column(str, unit="-", description="Load identifier (unique)."),
            "node_id": column(
                str,
                unit="-",
                foreign_key="dist_nodes.node_id",
                description="Node the load is connected to.",
            ),
            "connection": column(
                str,
                unit="-",
                checks=[isin(LOAD_CONNECTIONS)],
                description="wye (phase to neutral) or delta (phase to phase).",
            ),
            "model": column(
                str,
                unit="-",
                checks=[isin(LOAD_MODELS)],
                description=(
                    "pq (constant power), z (constant impedance), i (constant current "
                    "magnitude and power-factor angle) or exp (P and Q each with its voltage "
                    "exponent p_exp, q_exp), powers given at nominal voltage."
                ),
            ),
            "p_exp": _exponent("p"),
            "q_exp": _exponent("q"),
            "v_min_pu": _band("min"),
            "v_max_pu": _band("max"),
            "v_low_pu": _band("low"),
            "v_rated_pu": column(
                "float64",
                unit="pu",
                nullable=True,
                required=False,
                default=1.0,
                checks=[finite()],
                description=(
                    "Rated voltage of the load (pu of the nominal element voltage; OpenDSS kV "
                    "over the node's base; NaN or absent: 1). Only with v_min_pu: the "
                    "impedance below v_low_pu and an exp load's edge power are the load's "
                    "power at this voltage."
                ),
            ),
            **{
                f"{k}_{leg}_{'mw' if k == 'p' else 'mvar'}": _power(k, leg)
                for leg in "abc"
                for k in "pq"
            },
            **{kind: shape_link(kind) for kind in ("daily", "yearly", "duty")},
            "fixed": column(
                "bool",
                unit="-",
                required=False,
                default=False,
                description="True: the load ignores load shapes in time-series studies and "
                "keeps its rated power (OpenDSS status=fixed).",
            ),
        },
    ),
)
