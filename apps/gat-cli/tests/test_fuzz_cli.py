"""Bad input never crashes: the corpus of test_data/bad/ and hypothesis over option values.

Every case must exit 1 (bad input) or 2 (usage) as the corpus says, print one line on
stderr with no traceback and no "internal error", and leave no result table behind.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gat_cli.main import run
from gat_cli.options import FiniteFloat
from gat_cli.root import cli

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / "test_data"
BAD = DATA / "bad"
PLACES = {
    "$NET": str(DATA / "networks" / "case33bw"),
    "$DNET": str(DATA / "derms" / "case33bw"),
    "$ANET": str(DATA / "adms" / "case33bw"),
    "$DATA": str(DATA),
    "$BAD": str(BAD / "files"),
}
GROUPS = {
    "$DAY": ["--grid-file", "$DNET", "--assets", "$DATA/derms/der_assets.csv",
             "--price-series", "$DATA/derms/prices.csv"],
    "$REL": ["--grid-file", "$ANET", "--reliability", "$DATA/adms/case33bw_reliability.csv",
             "--switches", "$DATA/adms/case33bw_switching_devices.csv"],
}  # fmt: skip


def _cases() -> list[tuple[int, list[str], str]]:
    cases = []
    for number, line in enumerate((BAD / "cases.txt").read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        code, *args = shlex.split(line, comments=True)
        cases.append((int(code), args, f"line{number}"))
    return cases


def _expand(args: list[str], out: Path) -> list[str]:
    flat: list[str] = []
    for arg in args:
        flat.extend(GROUPS.get(arg, [arg]))
    expanded = []
    for arg in flat:
        arg = arg.replace("$OUT", str(out))
        for key in sorted(PLACES, key=len, reverse=True):
            arg = arg.replace(key, PLACES[key])
        expanded.append(arg)
    return expanded


def _assert_clean_failure(code: int, want: int, err: str, out: Path, args: list[str]) -> None:
    lines = [x for x in err.splitlines() if x.strip() and not x.startswith("gat: warning:")]
    assert code == want, (args, err)
    assert len(lines) == 1, (args, err)
    assert "Traceback" not in err and "internal error" not in err, (args, err)
    if out.exists():  # at most the failed run's manifest: no result table
        assert want == 1, (args, sorted(p.name for p in out.iterdir()))
        left = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
        assert left in ([], ["run.json"]), (args, left)
        if left:
            assert json.loads((out / "run.json").read_text())["status"] == "failed"


CASES = _cases()


def test_the_corpus_is_large_and_reads_every_bad_file() -> None:
    assert len(CASES) >= 150
    used = " ".join(" ".join(args) for _, args, _ in CASES)
    for path in (BAD / "files").iterdir():
        assert f"$BAD/{path.name}" in used, f"{path.name} is in no case"


@pytest.mark.parametrize(("want", "args"), [c[:2] for c in CASES], ids=[c[2] for c in CASES])
def test_corpus_case(want: int, args: list[str], tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    argv = _expand(args, out)
    code = run(argv)
    _assert_clean_failure(code, want, capsys.readouterr().err, out, argv)


def test_corpus_case_as_a_real_subprocess(tmp_path: Path) -> None:
    out = tmp_path / "out"
    argv = _expand(
        ["dist", "opf", "--grid-file", "$NET", "-d", "$OUT", "--import-price", "nan"], out
    )
    proc = subprocess.run(
        [sys.executable, "-m", "gat_cli", *argv],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    _assert_clean_failure(proc.returncode, 2, proc.stderr, out, argv)
    assert proc.stdout == ""


def _float_options() -> list[tuple[str, click.Command, click.Option]]:
    found = []

    def walk(group: click.Group, ctx: click.Context, path: tuple[str, ...]) -> None:
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            if isinstance(command, click.Group):
                walk(command, ctx, (*path, name))
                continue
            for param in command.params:  # type: ignore[union-attr]
                if isinstance(param, click.Option) and isinstance(param.type, FiniteFloat):
                    found.append((" ".join((*path, name)), command, param))

    walk(cli, click.Context(cli), ())
    return found


FLOAT_OPTIONS = _float_options()
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["nan", "-nan", "inf", "+inf", "-Infinity", "1e400", "-1e400", "0x10", ""]),
    st.text(max_size=12),
    st.integers(-(10**30), 10**30).map(str),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(choice=st.integers(0, len(FLOAT_OPTIONS) - 1), value=NUMBERS)
def test_every_float_option_refuses_or_accepts_a_finite_in_range_value(
    choice: int, value: str
) -> None:
    path, command, option = FLOAT_OPTIONS[choice]
    kind = option.type
    assert isinstance(kind, FiniteFloat)
    try:
        got = option.type_cast_value(click.Context(command), value)
    except click.BadParameter:
        return
    values = got if isinstance(got, tuple) else (got,)
    for x in values:
        assert x == x and abs(x) != float("inf"), (path, option.name, value)
        assert kind.min is None or x >= kind.min, (path, option.name, value)
        assert kind.max is None or x <= kind.max, (path, option.name, value)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    option=st.sampled_from(["--seed", "--samples", "--block-size", "--workers", "--load-factor",
                            "--repair-cv", "--time-limit", "--ac-corrections"]),
    value=st.one_of(st.integers(-(2**40), 2**40).map(str), st.sampled_from(["nan", "1.5", "", "-"])),
)  # fmt: skip
def test_outage_mc_options_never_crash(option: str, value: str, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "mc"
    argv = _expand(["adms", "outage-mc", "$REL", "-d", "$OUT", option, value], out)
    if option != "--samples":
        argv[-2:-2] = ["--samples", "5"]
    # Options are checked in the order given: the value under test first, then a bad
    # choice that keeps every example a usage error (no simulation runs).
    code = run([*argv, "--repair-dist", "weibull"])
    _assert_clean_failure(code, 2, capsys.readouterr().err, out, argv)
