"""The ``gat`` process runs BLAS on one thread unless the user chose otherwise."""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = "import gat_cli, os\nprint(os.environ.get('OPENBLAS_NUM_THREADS'))\n"


def _run(env_extra: dict[str, str]) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS",)}
    env.update(env_extra)
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_one_blas_thread_by_default() -> None:
    assert _run({}) == "1"


def test_the_users_choice_is_kept() -> None:
    assert _run({"OPENBLAS_NUM_THREADS": "2"}) == "2"
