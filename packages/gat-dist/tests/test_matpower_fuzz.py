"""Fuzzing the MATPOWER importer: damaged files end in a one-line GatError, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gat_dist import import_matpower
from gat_schemas.errors import GatError
from gat_schemas.network import Network

MATPOWER = Path(__file__).resolve().parents[3] / "test_data" / "matpower"
SOURCES = {
    name: (MATPOWER / f"{name}.m").read_bytes() for name in ("case33bw", "case141", "t_case9_pf")
}
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
#: Characters MATLAB code is made of, for "garbage" trailing code.
CODE_CHARS = "abcxyzPDQ_019.eE+-*/^()[]{}=,;:'\"% \t\n~!<>&|"


@pytest.fixture(scope="module")
def fuzz_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "fuzz_case.m"


def _outcome(path: Path, data: bytes) -> Network | GatError:
    """Import ``data``: either a Network or a one-line GatError naming the file."""
    path.write_bytes(data)
    try:
        return import_matpower(path)
    except GatError as err:
        msg = str(err)
        assert "\n" not in msg and msg.strip() == msg
        assert "fuzz_case.m" in msg, msg
        return err


@FUZZ
@given(name=st.sampled_from(sorted(SOURCES)), cut=st.floats(0.0, 1.0))
def test_truncated(fuzz_path: Path, name: str, cut: float) -> None:
    data = SOURCES[name]
    n = int(cut * len(data))
    result = _outcome(fuzz_path, data[:n])
    # Cut before the branch matrix closes: the file cannot be complete.
    if n < data.index(b"branch = [") + data[data.index(b"branch = [") :].index(b"];"):
        assert isinstance(result, GatError)


@FUZZ
@given(
    name=st.sampled_from(sorted(SOURCES)),
    edits=st.lists(
        st.tuples(st.floats(0.0, 1.0), st.binary(min_size=1, max_size=3)), min_size=1, max_size=6
    ),
)
def test_random_byte_corruption(
    fuzz_path: Path, name: str, edits: list[tuple[float, bytes]]
) -> None:
    data = bytearray(SOURCES[name])
    for where, new in edits:
        i = min(int(where * len(data)), len(data) - 1)
        data[i : i + len(new)] = new
    _outcome(fuzz_path, bytes(data))


@FUZZ
@given(
    name=st.sampled_from(sorted(SOURCES)),
    ops=st.lists(st.tuples(st.booleans(), st.floats(0.0, 1.0)), min_size=1, max_size=5),
)
def test_deleted_and_duplicated_lines(
    fuzz_path: Path, name: str, ops: list[tuple[bool, float]]
) -> None:
    lines = SOURCES[name].split(b"\n")
    for duplicate, where in ops:
        i = min(int(where * len(lines)), len(lines) - 1)
        if duplicate:
            lines.insert(i, lines[i])
        else:
            del lines[i]
    _outcome(fuzz_path, b"\n".join(lines))


@FUZZ
@given(name=st.sampled_from(sorted(SOURCES)), garbage=st.text(CODE_CHARS, min_size=1, max_size=40))
def test_garbage_trailing_code(fuzz_path: Path, name: str, garbage: str) -> None:
    result = _outcome(fuzz_path, SOURCES[name] + b"\n" + garbage.encode())
    # Without comments or continuations, anything but separators (or a final "end") is code,
    # and unknown code is never silently accepted.
    if "%" not in garbage and "..." not in garbage:
        rest = garbage.strip(" \t\n;,")
        if rest and rest != "end":
            assert isinstance(result, GatError)


@pytest.mark.parametrize("garbage", ["x", "mpc.bus = mpc.bus * 2;", "1;", "end\nend", "%{\n"])
def test_specific_garbage_is_rejected(fuzz_path: Path, garbage: str) -> None:
    assert isinstance(_outcome(fuzz_path, SOURCES["case33bw"] + b"\n" + garbage.encode()), GatError)


def test_undamaged_sources_import(fuzz_path: Path) -> None:
    for data in SOURCES.values():
        assert isinstance(_outcome(fuzz_path, data), Network)
