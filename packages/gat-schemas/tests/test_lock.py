"""The output-folder lock: exclusive, named holder, stale take-over, release."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from gat_schemas.lock import LOCK_NAME, FolderInUseError, acquire, holder, is_alive


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _plant(folder, **record):  # type: ignore[no-untyped-def]
    base = {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "command": "dist hostcap",
        "run_id": "r0",
        "started_at": "2026-12-04T12:01:00+00:00",
        "token": "t0",
    }
    (folder / LOCK_NAME).write_text(json.dumps({**base, **record}))


def test_second_acquire_is_refused_until_released(tmp_path) -> None:
    first = acquire(tmp_path, command="dist hostcap", run_id="a")
    data = json.loads((tmp_path / LOCK_NAME).read_text())
    assert data["pid"] == os.getpid() and data["command"] == "dist hostcap"
    assert data["host"] == socket.gethostname() and data["run_id"] == "a"
    with pytest.raises(FolderInUseError, match=rf"in use by gat dist hostcap, pid {os.getpid()}"):
        acquire(tmp_path, command="dist pf", run_id="b")
    first.release()
    assert not (tmp_path / LOCK_NAME).exists()
    second = acquire(tmp_path, command="dist pf", run_id="b")
    assert second.note is None and holder(tmp_path)["run_id"] == "b"
    second.release()
    second.release()  # idempotent
    assert holder(tmp_path) is None
    assert [p.name for p in tmp_path.iterdir()] == []  # no temporary file left


def test_live_holder_is_named_with_its_start_time(tmp_path) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        _plant(tmp_path, pid=sleeper.pid)
        with pytest.raises(FolderInUseError) as info:
            acquire(tmp_path, command="dist hostcap", run_id="b")
        text = str(info.value)
        assert f"{tmp_path} is in use by gat dist hostcap, pid {sleeper.pid}, since " in text
        assert "wait or choose another folder" in text and "\n" not in text
        assert holder(tmp_path)["stale"] is False
    finally:
        sleeper.kill()
        sleeper.wait()


def test_stale_lock_of_a_dead_process_is_taken_over_with_a_note(tmp_path) -> None:
    pid = _dead_pid()
    assert not is_alive(pid)
    _plant(tmp_path, pid=pid)
    assert holder(tmp_path)["stale"] is True
    lock = acquire(tmp_path, command="dist pf", run_id="new")
    assert lock.note is not None and f"pid {pid}" in lock.note and "took over" in lock.note
    assert holder(tmp_path)["run_id"] == "new"
    lock.release()


def test_lock_of_another_host_is_never_taken_over(tmp_path) -> None:
    _plant(tmp_path, pid=_dead_pid(), host="elsewhere.example")
    with pytest.raises(FolderInUseError, match=r"on elsewhere\.example"):
        acquire(tmp_path, command="dist pf", run_id="b")


def test_lock_left_by_this_process_without_a_holder_is_stale(tmp_path) -> None:
    _plant(tmp_path, token="abandoned")
    lock = acquire(tmp_path, command="dist pf", run_id="b")
    assert lock.note is not None
    lock.release()


def test_release_does_not_remove_another_runs_lock(tmp_path) -> None:
    lock = acquire(tmp_path, command="dist pf", run_id="a")
    _plant(tmp_path, token="someone-else")
    lock.release()
    assert json.loads((tmp_path / LOCK_NAME).read_text())["token"] == "someone-else"


def test_lock_is_released_when_the_process_exits(tmp_path) -> None:
    code = (
        "import sys; from gat_schemas.lock import acquire; "
        "acquire(sys.argv[1], command='dist pf', run_id='x'); print('held')"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert proc.stdout.strip() == "held"
    assert not (tmp_path / LOCK_NAME).exists()


def test_unreadable_lock_counts_as_held(tmp_path) -> None:
    (tmp_path / LOCK_NAME).write_text("{half")
    with pytest.raises(FolderInUseError, match="unreadable"):
        acquire(tmp_path, command="dist pf", run_id="b")
