"""Reading the branch-related tables: line codes, transformer rows, regulated branches."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from gat_schemas.errors import InputError

from ._table_utils import few, ids, index_of

if TYPE_CHECKING:
    from gat_schemas import Network

__all__ = [
    "bank_params",
    "line_matrices",
    "linecodes",
    "rated_to_kv",
    "regulated_branches",
    "text_col",
    "transformer_rows",
]


def text_col(df: Any, name: str, n: int) -> np.ndarray:
    if name not in df.columns:
        return np.full(n, None, dtype=object)
    col = df[name].to_numpy(dtype=object)
    return np.array([v if isinstance(v, str) and v else None for v in col], dtype=object)


def linecodes(network: Network) -> dict[str, tuple[int, np.ndarray, np.ndarray]]:
    codes = network.table("dist_linecodes")
    if codes is None or len(codes) == 0:
        return {}
    out = {}
    tri = ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2))
    for rec in codes.to_dict("records"):
        z = np.zeros((3, 3), dtype=complex)
        bm = np.zeros((3, 3))
        for i, j in tri:
            key = f"{i + 1}{j + 1}"
            z[i, j] = z[j, i] = float(rec[f"r{key}"]) + 1j * float(rec[f"x{key}"])
            bm[i, j] = bm[j, i] = float(rec.get(f"b{key}", 0.0) or 0.0)
        out[str(rec["linecode_id"])] = (int(rec["n_phases"]), z, bm)
    return out


def line_matrices(
    codes: dict[str, tuple[int, np.ndarray, np.ndarray]],
    code: str,
    k: int,
    length: float,
    what: str,
) -> tuple[np.ndarray, np.ndarray]:
    if code not in codes:
        raise InputError(f"{what}: line code {code} is not in dist_linecodes")
    n, z, bm = codes[code]
    if n != k:
        raise InputError(f"{what}: line code {code} has {n} phases, the branch {k}")
    if not np.isfinite(length) or length <= 0:
        raise InputError(f"{what}: a branch with a line code needs length_km > 0")
    return z[:k, :k] * length, bm[:k, :k] * 1e-6 * length


def transformer_rows(network: Network, bids: np.ndarray) -> dict[int, dict[str, Any]]:
    tr = network.table("dist_transformers")
    if tr is None or len(tr) == 0:
        return {}
    at = index_of(bids, ids(tr, "branch_id"))
    if (at < 0).any():
        raise InputError(
            "table dist_transformers, column branch_id: unknown branch(es) "
            f"{few(ids(tr, 'branch_id')[at < 0])}"
        )
    out = {}
    for i, rec in zip(at.tolist(), tr.to_dict("records"), strict=True):
        rec.setdefault("tap_from", 1.0)
        rec.setdefault("tap_to", 1.0)
        out[i] = rec
    return out


def bank_params(rec: dict[str, Any], k: int) -> tuple[Any, ...]:
    z = complex(float(rec["r_pct"]), float(rec["x_pct"]))
    if z == 0:
        raise InputError(f"table dist_transformers, branch {rec['branch_id']}: r_pct = x_pct = 0")
    return (
        k,
        str(rec["conn_from"]),
        str(rec["conn_to"]),
        float(rec["kv_from"]),
        float(rec["kv_to"]),
        float(rec["s_rated_mva"]),
        z,
        float(rec["tap_from"]),
        float(rec["tap_to"]),
    )


def regulated_branches(network: Network, bids: np.ndarray) -> set[int]:
    reg = network.table("dist_regulators")
    if reg is None or len(reg) == 0:
        return set()
    at = index_of(bids, ids(reg, "branch_id"))
    if (at < 0).any():
        raise InputError(
            "table dist_regulators, column branch_id: unknown branch(es) "
            f"{few(ids(reg, 'branch_id')[at < 0])}"
        )
    return set(at.tolist())


def rated_to_kv(rec: dict[str, Any] | None, k: int, vb_to: float) -> float:
    """Rated to-winding voltage of one core, phase to neutral for a wye winding (kV)."""
    if rec is None:
        return float(vb_to)
    kv = float(rec["kv_to"])
    if k == 3 and rec["conn_to"] != "delta":
        return kv / np.sqrt(3.0)
    return kv
