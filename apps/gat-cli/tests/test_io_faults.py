"""Disk and file-system failures are input errors: exit 1, one line, earlier outputs intact.

Real failures where the machine allows them (a tmpfs that fills up or is remounted
read-only needs root; a file size limit needs ``resource``), simulated in-process otherwise.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
CASE33 = REPO / "test_data" / "networks" / "case33bw"


def _assert_one_line(code: int, err: str, *words: str) -> None:
    lines = err.strip().splitlines()
    assert code == 1, err
    assert len(lines) == 1 and lines[0].startswith("gat: error: "), err
    assert "Traceback" not in err and "internal error" not in err
    for word in words:
        assert word in lines[0], err


def _tables(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*.parquet"))
        if not p.relative_to(folder).as_posix().startswith(".")
    }


def _pf(gat, out: Path) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    return gat("dist", "pf", "--grid-file", CASE33, "-d", out)


@contextlib.contextmanager
def _tmpfs(where: Path, size: str) -> Iterator[Path]:
    where.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(disk: Path, leave: int) -> None:
    """Fill ``disk`` up to ``leave`` free bytes."""
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    with contextlib.suppress(OSError), open(disk / "filler.bin", "wb") as fh:
        fh.write(b"\0" * max(free - leave, 0))


def test_output_folder_under_a_file(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "file").write_text("x")
    code, _, err = _pf(gat, tmp_path / "file" / "out")
    _assert_one_line(code, err, "is a file, not a folder")


def test_disk_full_while_writing_a_table_keeps_the_earlier_run(
    tmp_path: Path,
    gat,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    out = tmp_path / "pf"
    assert _pf(gat, out)[0] == 0
    before = _tables(out)

    def full(df, path):  # type: ignore[no-untyped-def]
        # pyarrow's way of saying it: an OSError without errno, the number in the text
        raise OSError("Error writing bytes to file. Detail: [errno 28] No space left on device")

    monkeypatch.setattr("gat_schemas.io._to_parquet", full)
    code, _, err = _pf(gat, out)
    _assert_one_line(
        code,
        err,
        f"no space left on device while writing {out / 'pf_nodes.parquet'}",
        f"the earlier outputs in {out} were kept",
        "free some space",
    )
    assert _tables(out) == before
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_no_permission_on_the_parent(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    if os.geteuid() == 0:
        pytest.skip("root ignores file permissions")
    parent = tmp_path / "locked"
    parent.mkdir()
    parent.chmod(0o500)
    try:
        code, _, err = _pf(gat, parent / "out")
    finally:
        parent.chmod(0o700)
    _assert_one_line(code, err, "permission denied", str(parent / "out"))


def test_read_only_file_system(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    with _tmpfs(tmp_path / "disk", "4m") as disk:
        out = disk / "pf"
        assert _pf(gat, out)[0] == 0
        before = {p.name: p.read_bytes() for p in out.iterdir()}
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        code, _, err = _pf(gat, out)
        _assert_one_line(code, err, "read-only", f"nothing was changed in {out}")
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_tmpfs_disk_full(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    with _tmpfs(tmp_path / "disk", "2m") as disk:
        out = disk / "pf"
        assert _pf(gat, out)[0] == 0
        before = _tables(out)
        for leave in (0, 24 * 1024):  # nothing left; room for run.json but not the tables
            _fill(disk, leave)
            code, _, err = _pf(gat, out)
            _assert_one_line(code, err, "no space left on device", str(out))
            assert _tables(out) == before
            assert not [p for p in out.iterdir() if p.name.startswith(".")]
            (disk / "filler.bin").unlink()


def test_file_size_limit_is_efbig_not_a_crash(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    resource = pytest.importorskip("resource")
    out = tmp_path / "pf"
    assert _pf(gat, out)[0] == 0
    before = _tables(out)
    limit = 4096  # the lock and run.json fit, the tables do not

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "gat_cli", "dist", "pf", "--grid-file", str(CASE33), "-d", str(out)],
        capture_output=True,
        text=True,
        preexec_fn=small_files,
        env=env,
        check=False,
    )
    assert proc.returncode != -25, "killed by SIGXFSZ"
    _assert_one_line(proc.returncode, proc.stderr, "file too large", str(out))
    assert _tables(out) == before
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_stray_os_error_is_one_line_not_an_internal_error(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from gat_cli.main import _report

    path = tmp_path / "x.csv"
    code = _report(PermissionError(errno.EACCES, "Permission denied", str(path)), debug=False)
    _assert_one_line(code, capsys.readouterr().err, f"{path}: permission denied")
