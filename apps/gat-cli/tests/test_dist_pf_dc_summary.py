"""``gat dist pf --method dc``: the summary line has no AC mismatch to show (it printed
``mismatch nan MVA``; found by the sweep of MATPOWER's feeders)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def test_dc_summary_names_no_mismatch(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    code, out, err = gat(
        "dist", "pf", "--grid-file", REPO / "test_data" / "networks" / "case9", "-d", tmp_path,
        "--method", "dc",
    )  # fmt: skip
    assert code == 0, err
    first = out.splitlines()[0]
    assert "dc converged in 1 iterations (linear, no AC mismatch)" in first
    assert "nan" not in first
