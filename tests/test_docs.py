"""Every command shown in the README and the guides runs (DESIGN: documented = tested).

Each document is split into its sections (``##`` and ``###`` headings), and every section
is a test of its own, run alone in a fresh folder holding a link to ``test_data/``, with
the installed ``gat`` on PATH. A section that reads what an earlier section wrote (a path
``out/NAME`` first mentioned there) runs that earlier section first, so any section can be
run, and fail, by itself: ``pytest tests/test_docs.py -k "dist.md and hosting"``.

In ``bash`` blocks, ``uv run`` prefixes are dropped, the ``./gat`` launcher and
``.venv/bin/python`` become the installed ``gat`` and ``python`` (the test already runs
inside the environment), and ``make`` lines are skipped (they are what runs this test).
``python`` blocks run in document order with the shell lines around them.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs" / "guide").glob("*.md"))]
BLOCK = re.compile(r"^```(bash|python)\n(.*?)^```", re.S | re.M)
HEADING = re.compile(r"^(#{2,3}) (.+)$", re.M)
OUT_PATH = re.compile(r"(?<![\w/.-])out/[\w.=-]+")


@dataclass(frozen=True)
class Section:
    """The runnable blocks under one ``##``/``###`` heading of a document."""

    doc: Path
    index: int
    title: str
    blocks: tuple[tuple[str, str], ...]  # (language, text)

    @property
    def paths(self) -> set[str]:
        return {m for _, text in self.blocks for m in OUT_PATH.findall(text)}

    @property
    def test_id(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")[:48]
        return f"{self.doc.name}::{self.index:02d}-{slug}"


def _fences(text: str) -> list[tuple[int, int]]:
    """Character spans of fenced blocks (headings inside them are not headings)."""
    return [m.span() for m in re.finditer(r"^```.*?^```", text, re.S | re.M)]


def _sections(doc: Path) -> list[Section]:
    text = doc.read_text()
    fences = _fences(text)
    cuts = [0] + [
        m.start() for m in HEADING.finditer(text) if not any(a <= m.start() < b for a, b in fences)
    ]
    cuts.append(len(text))
    out = []
    for i, (a, b) in enumerate(itertools.pairwise(cuts)):
        part = text[a:b]
        head = HEADING.match(part)
        title = head.group(2) if head else "introduction"
        blocks = tuple((lang, body) for lang, body in BLOCK.findall(part))
        out.append(Section(doc, i, title, blocks))
    return out


def _needs(sections: list[Section], k: int) -> list[int]:
    """Indices of the sections to run before section ``k``: the first section that
    mentions each ``out/...`` path section ``k`` uses, transitively, in document order."""
    first: dict[str, int] = {}
    for i, s in enumerate(sections):
        for p in s.paths:
            first.setdefault(p, i)
    needed: set[int] = set()
    todo = [k]
    while todo:
        j = todo.pop()
        for p in sections[j].paths:
            src = first[p]
            if src < j and src not in needed:
                needed.add(src)
                todo.append(src)
    return sorted(needed)


def _bash(body: str) -> str:
    lines = []
    for line in body.splitlines():
        if line.strip().startswith("make "):
            continue
        line = re.sub(r"^(\s*)uv run (--no-sync )?", r"\1", line)
        line = re.sub(r"(^|[\s;&|(])\./gat(?=\s|$)", r"\1gat", line)
        line = re.sub(r"(^|[\s;&|(])\.venv/bin/python(?=\s|$)", r"\1python", line)
        lines.append(line)
    return "\n".join(lines)


def _script(sections: list[Section], tmp_path: Path) -> str:
    parts = []
    n = 0
    for s in sections:
        for lang, body in s.blocks:
            if lang == "bash":
                parts.append(_bash(body))
            else:
                (tmp_path / f"doc_block_{n}.py").write_text(body)
                parts.append(f"python doc_block_{n}.py")
                n += 1
    return "\n".join(parts)


CASES = [
    pytest.param(doc, s.index, id=s.test_id) for doc in DOCS for s in _sections(doc) if s.blocks
]


@pytest.mark.parametrize(("doc", "index"), CASES)
def test_documented_commands_run(doc: Path, index: int, tmp_path: Path) -> None:
    sections = _sections(doc)
    chain = [sections[i] for i in _needs(sections, index)] + [sections[index]]
    script = _script(chain, tmp_path)
    (tmp_path / "test_data").symlink_to(ROOT / "test_data")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    ran = " <- ".join(s.title for s in reversed(chain))
    assert proc.returncode == 0, (
        f"{doc.name} [{ran}]: a documented command failed\n{proc.stderr[-3000:]}"
    )


def test_sections_are_found() -> None:
    """The splitter sees every runnable block once (a heading inside a fence is no heading)."""
    for doc in DOCS:
        text = doc.read_text()
        whole = len(BLOCK.findall(text))
        split = sum(len(s.blocks) for s in _sections(doc))
        assert split == whole, doc.name
