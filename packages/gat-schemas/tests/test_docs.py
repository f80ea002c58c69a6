"""The committed table reference is generated from the schemas and must not be stale."""

from __future__ import annotations

from pathlib import Path

import pytest

from gat_schemas import TABLES
from gat_schemas.docs import main, render_tables_markdown

# tests/ -> gat-schemas/ -> packages/ -> repo root
REPO_ROOT = Path(__file__).resolve().parents[3]
COMMITTED = REPO_ROOT / "docs" / "reference" / "tables.md"


def test_page_has_a_section_and_row_per_column():
    page = render_tables_markdown()
    for name, ts in TABLES.items():
        assert f"## `{name}`" in page
        for info in ts.columns():
            assert f"| `{info.name}` |" in page
    assert "| `customers` | integer | no | customers |" in page


def test_main_writes_the_page(tmp_path):
    assert main([str(tmp_path / "t.md")]) == 0
    assert (tmp_path / "t.md").read_text(encoding="utf-8") == render_tables_markdown()
    assert main([]) == 2


def test_committed_reference_is_up_to_date():
    if not (REPO_ROOT / "docs").is_dir():
        pytest.skip("docs/ not present (package installed outside the repository)")
    assert COMMITTED.is_file(), "run: python -m gat_schemas.docs docs/reference/tables.md"
    assert COMMITTED.read_text(encoding="utf-8") == render_tables_markdown(), (
        "docs/reference/tables.md is stale; run: "
        "uv run python -m gat_schemas.docs docs/reference/tables.md"
    )
