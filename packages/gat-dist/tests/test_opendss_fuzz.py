"""Fuzzing the OpenDSS importer: damaged scripts end in a one-line InputError, never a crash."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pytest
from gat_dist_opendss_testlib import IEEE13, SMALL
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gat_dist import import_opendss
from gat_schemas import validate_network
from gat_schemas.errors import InputError
from gat_schemas.network import Network

SOURCES = {"small": SMALL.encode(), "ieee13": IEEE13.read_bytes()}
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: Characters OpenDSS scripts are made of, for garbage lines.
CODE_CHARS = "abcxyzLinedNw.=()[]{}|~!/'\" \t\n0123456789+-*^,"


@pytest.fixture(scope="module")
def fuzz_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz")
    for name in ("IEEELineCodes.DSS", "IEEE13Node_BusXY.csv"):
        shutil.copy(IEEE13.parent / name, folder / name)
    return folder / "fuzz.dss"


def _outcome(path: Path, data: bytes) -> Network | InputError:
    """Import ``data``: either a Network or a one-line InputError naming a file."""
    path.write_bytes(data)
    try:
        net = import_opendss(path)
    except InputError as err:
        msg = str(err)
        assert "\n" not in msg and msg.strip() == msg
        assert ".dss" in msg.lower(), msg
        return err
    validate_network(net)  # runs without raising; violations are reported, not thrown
    return net


@FUZZ
@given(name=st.sampled_from(sorted(SOURCES)), cut=st.floats(0.0, 1.0))
def test_truncated(fuzz_path: Path, name: str, cut: float) -> None:
    data = SOURCES[name]
    _outcome(fuzz_path, data[: int(cut * len(data))])


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
def test_garbage_lines(fuzz_path: Path, name: str, garbage: str) -> None:
    result = _outcome(fuzz_path, SOURCES[name] + b"\n" + garbage.encode())
    # A garbage line that is not a comment and starts with a word is a command, and an unknown
    # command is never silently accepted.
    first = garbage.strip().split("\n")[0]
    if first[:1].isalpha() and first.split()[0].isalpha() and len(first.split()[0]) > 1:
        word = first.split()[0].lower()
        if word not in {"new", "edit", "set", "clear", "more", "solve", "show", "calcv"}:
            assert isinstance(result, InputError)


@pytest.mark.parametrize(
    "garbage",
    [
        "x",
        "New",
        "New Line",
        "Edit",
        "Line.650632.length=",
        "Line.650632.length=-5",
        "Line.nothere.length=5",
        "Set VoltageBases=[]",
        "Set DefaultBaseFrequency=0",
        "Redirect",
        "Redirect a b",
        "New Circuit.x",
        "Load.671.kw=(1 0 /)",
        "Transformer.XFM1.kvs=[4.16]",
        "Transformer.XFM1.wdg=3",
        "Capacitor.Cap1.phases=5",
        "New Line.z bus1=632 bus2=633 linecode=nothere length=1",
    ],
)
def test_specific_garbage_is_rejected(fuzz_path: Path, garbage: str) -> None:
    result = _outcome(fuzz_path, SOURCES["ieee13"] + b"\n" + garbage.encode())
    assert isinstance(result, InputError), garbage


def test_undamaged_sources_import(fuzz_path: Path) -> None:
    for data in SOURCES.values():
        assert isinstance(_outcome(fuzz_path, data), Network)
