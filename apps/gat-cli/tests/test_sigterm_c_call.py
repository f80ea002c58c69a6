"""SIGTERM ends a run promptly even inside a long C call (IEEE 8500's OPF ignored it).

Python runs a signal handler only between bytecodes: a HiGHS solve or a large numpy
operation holds it until the call returns. The runner's watchdog reads the signal from the
wakeup fd and, after ``TERM_GRACE_S``, marks the run failed, frees the folder and exits 143.
The child below blocks in one large matrix product (BLAS releases the GIL, as HiGHS's
``run`` does, and runs no signal handler: 250 GFLOP, seconds to minutes on one thread).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

CHILD = """
import signal, sys
from pathlib import Path
import numpy as np
from gat_cli import runner
from gat_cli.main import _terminate

runner.TERM_GRACE_S = 0.5
signal.signal(signal.SIGTERM, _terminate)


class App:
    argv = ["gat", "test", "block"]


with runner.command_run(App(), out_dir=Path(sys.argv[1]), command="test block", params={}):
    a = np.ones((5000, 5000))
    print("ready", flush=True)
    a @ a
"""


def test_sigterm_during_a_c_call_ends_the_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(out)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(0.2)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        took = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143, err
    assert err.strip() == "gat: terminated"
    assert took < 20
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "failed" and "SIGTERM" in run["error"]
    assert "did not stop within 0.5 s" in run["error"]  # the watchdog ended it, not the C call
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []
