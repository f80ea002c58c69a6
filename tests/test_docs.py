"""Every command shown in the README and the guides runs (DESIGN: documented = tested).

Each ```bash block is run in a fresh folder holding a link to ``test_data/``, with the
installed ``gat`` on PATH. ``uv run`` prefixes are dropped (the test already runs inside
the environment) and ``make`` lines are skipped (they are what runs this test). Then each
```python block runs, in the same folder, after the shell commands.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs" / "guide").glob("*.md"))]
BLOCK = re.compile(r"```bash\n(.*?)```", re.S)
PYBLOCK = re.compile(r"```python\n(.*?)```", re.S)


def _script(doc: Path) -> str:
    lines = []
    for block in BLOCK.findall(doc.read_text()):
        for line in block.splitlines():
            if line.strip().startswith("make "):
                continue
            lines.append(re.sub(r"^(\s*)uv run (--no-sync )?", r"\1", line))
    return "\n".join(lines)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_documented_commands_run(doc: Path, tmp_path: Path) -> None:
    script = _script(doc)
    for i, block in enumerate(PYBLOCK.findall(doc.read_text())):
        (tmp_path / f"doc_block_{i}.py").write_text(block)
        script += f"\npython doc_block_{i}.py"
    if not script.strip():
        pytest.skip(f"{doc.name} shows no commands")
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
    assert proc.returncode == 0, f"{doc.name}: a documented command failed\n{proc.stderr[-3000:]}"
