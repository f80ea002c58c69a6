"""``gat dist hostcap --pv-shape --load-shape SHAPE_ID`` on a balanced network.

Found by the sweep of MATPOWER's feeders: a balanced network's loads (dist_nodes.load_p)
name no shape, so ``--load-shapes FILE`` was refused ("no load names any of its shapes") and
without it there was no load_shapes table: the time-series study could not run on any
imported MATPOWER case. ``--load-shape`` makes every load follow one shape, as in
``gat dist qsts``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[3]
CASE33 = REPO / "test_data" / "networks" / "case33bw"
NOON = range(10, 15)


def _shape(path: Path, shape_id: str, on: float, off: float) -> Path:
    pd.DataFrame(
        {
            "shape_id": shape_id,
            "step": range(24),
            "hour": [float(h) for h in range(24)],
            "multiplier": [on if h in NOON else off for h in range(24)],
            "interval_h": 1.0,
        }
    ).to_csv(path, index=False)
    return path


def test_balanced_loads_follow_one_shape(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    """PV at full output only while the loads are at 40 %: the time-series capacity is the
    snapshot capacity at load x0.4 (within the two searches' tolerances, 0.01 + 0.001 MW),
    which is well below the one at full load (lighter loads, higher voltages: so the loads
    did follow the shape)."""
    pv = _shape(tmp_path / "pv.csv", "pv", 1.0, 0.0)
    loads = _shape(tmp_path / "loads.csv", "day", 0.4, 1.0)
    code, _, err = gat(
        "dist", "hostcap", "--grid-file", CASE33, "-d", tmp_path / "ts", "--pv-shape", pv,
        "--load-shapes", loads, "--load-shape", "day", "--bus", "18",
    )  # fmt: skip
    assert code == 0, err
    ts = pd.read_parquet(tmp_path / "ts" / "hostcap_timeseries.parquet")
    assert ts.limiting_constraint.tolist() == ["voltage"]
    assert int(ts.limiting_step.iloc[0]) + 1 in NOON  # step k is at hour k + 1
    snap = {}
    for scale in ("0.4", "1.0"):
        d = tmp_path / f"snap{scale}"
        code, _, err = gat(
            "dist", "hostcap", "--grid-file", CASE33, "-d", d, "--bus", "18",
            "--load-scale", scale,
        )  # fmt: skip
        assert code == 0, err
        snap[scale] = float(pd.read_parquet(d / "hostcap_summary.parquet").hosting_capacity_mw[0])
    hc = float(ts.hosting_capacity_mw.iloc[0])
    assert hc == pytest.approx(snap["0.4"], abs=0.012)
    assert hc < snap["1.0"] - 0.1


def test_load_shape_errors(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    pv = _shape(tmp_path / "pv.csv", "pv", 1.0, 0.0)
    base = ("dist", "hostcap", "--grid-file", CASE33, "--bus", "18")
    code, _, err = gat(*base, "-d", tmp_path / "a", "--pv-shape", pv, "--load-shapes", pv,
                       "--load-shape", "nope")  # fmt: skip
    assert code == 1 and err.strip().endswith(
        "--load-shape nope: " + str(pv) + " holds no such shape"
    )
    code, _, err = gat(*base, "-d", tmp_path / "b", "--pv-shape", pv, "--load-shape", "pv")
    assert code == 1 and "--load-shape pv: no load_shapes table; pass --load-shapes" in err
    code, _, err = gat(*base, "-d", tmp_path / "c", "--load-shape", "pv")
    assert code == 2 and "--load-shape applies only with --pv-shape" in err
