"""One grammar across every command: shared option names, ranges, lists, --format, aliases.

The walk covers every command the root lists, so a new command that breaks the grammar
fails here (history/2026-12-04-cli-grammar.md).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import click
import numpy as np
import pytest

from gat_cli.options import SEED, FiniteFloat, rewrite_deprecated
from gat_cli.root import cli

REPO = Path(__file__).resolve().parents[3]
NET = REPO / "test_data" / "networks" / "case33bw"
DERMS = REPO / "test_data" / "derms"
MATPOWER = REPO / "test_data" / "matpower" / "case33bw.m"
#: Commands that write results into a folder (each must take -d/--out-dir).
WRITERS = {
    "adms flisr-sim",
    "adms outage-mc",
    "dataset export",
    "derms envelope",
    "derms schedule",
    "derms stress-test",
    "dist hostcap",
    "dist import matpower",
    "dist import opendss",
    "dist opf",
    "dist pf",
}


#: Commands that write one file (-o/--out FILE) and no folder.
SINGLE_FILE = {"plot"}


def _leaves(group: click.Group, ctx: click.Context, path: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, (*path, name)
        if isinstance(command, click.Group):
            yield from _leaves(command, ctx, (*path, name))
        else:
            yield " ".join((*path, name)), command


LEAVES = dict(_leaves(cli, click.Context(cli)))


def _options(command: click.Command) -> dict[str, click.Option]:
    return {o: p for p in command.params if isinstance(p, click.Option) for o in p.opts}


def _parse(path: str, *args: object) -> dict[str, object]:
    """The parameters ``gat PATH ARGS`` parses to, without running the command."""
    command = LEAVES[path]
    ctx = command.make_context(path, [str(a) for a in args])
    return dict(ctx.params)


def test_the_walk_finds_every_writer() -> None:
    assert WRITERS <= set(LEAVES), sorted(WRITERS - set(LEAVES))


@pytest.mark.parametrize("path", sorted(LEAVES))
def test_shared_names(path: str) -> None:
    command = LEAVES[path]
    opts = _options(command)
    names = {p.name: p for p in command.params}
    assert "--format" in opts, f"gat {path}: no --format after the subcommand"
    if "grid_file" in names:
        assert {"--grid-file", "--network"} <= set(names["grid_file"].opts), path
    if path in WRITERS:
        assert {"-d", "--out-dir"} <= set(names["out_dir"].opts), path
    if path in SINGLE_FILE:  # -o/--out is reserved for one output file (cli-grammar note)
        assert names["out_file"].opts == ["-o", "--out"] and "out_dir" not in names, path
    else:
        assert "-o" not in opts and "--out" not in opts, path
    assert "--m" not in opts, path
    for param in command.params:
        if isinstance(param.type, click.types.FloatParamType):
            assert isinstance(param.type, FiniteFloat), (path, param.name)
        if param.name == "seed":
            assert (param.type.min, param.type.max) == (SEED.min, SEED.max), path
    if "--scenarios" in opts:  # a file wherever it appears
        assert isinstance(opts["--scenarios"].type, click.Path | click.types.StringParamType)
    if "--samples" in opts:
        assert isinstance(opts["--samples"].type, click.IntRange), path


@pytest.mark.parametrize("path", sorted(LEAVES))
def test_help_of_every_command(path: str, gat) -> None:  # type: ignore[no-untyped-def]
    code, out, err = gat(*path.split(), "--help")
    assert code == 0, err
    assert "--format" in out and "Usage: gat " in out


def test_format_before_or_after_the_subcommand(tmp_path: Path, gat) -> None:  # type: ignore[no-untyped-def]
    for args in (
        ("--format", "json", "dist", "pf", "--grid-file", NET, "-d", tmp_path / "a"),
        ("dist", "pf", "--grid-file", NET, "-d", tmp_path / "b", "--format", "json"),
        (
            "--format",
            "text",
            "dist",
            "pf",
            "--grid-file",
            NET,
            "-d",
            tmp_path / "c",
            "--format=json",
        ),
    ):
        code, out, err = gat(*args)
        assert code == 0, err
        assert json.loads(out)["network"] == "case33bw"  # JSON only on stdout
    code, out, _ = gat("--format", "json", "dataset", "list", "--format", "text")
    assert code == 0 and out.startswith("name ")
    code, out, _ = gat("runs", "list", tmp_path, "--format", "json")
    assert code == 0 and len(json.loads(out)["runs"]) == 3
    code, _, err = gat("dataset", "list", "--format", "xml")
    assert code == 2 and "--format" in err


@pytest.mark.parametrize(
    ("path", "args", "key", "want"),
    [
        ("dist hostcap", ["--bus", "65,64", "--bus", "12"], "buses", ("65", "64", "12")),
        ("dist hostcap", ["--bus", " 7 , 8 "], "buses", ("7", "8")),
        ("dist hostcap", ["--load-scale", "0.5,1", "--load-scale", "1.2"], "load_scales", (0.5, 1.0, 1.2)),
        ("dist hostcap", ["--check", "voltage", "--check", "thermal,reverse-flow"], "checks",
         ("voltage", "thermal", "reverse-flow")),
        ("dist hostcap", [], "checks", ("voltage", "thermal", "unbalance")),
    ],
)  # fmt: skip
def test_lists_accept_repeats_and_commas(path: str, args: list[str], key: str, want) -> None:  # type: ignore[no-untyped-def]
    params = _parse(path, "--grid-file", NET, "-d", "unused", *args)
    assert params[key] == want


@pytest.mark.parametrize("value", ["65,,64", ",", "0.5,nan"])
def test_list_items_are_checked(value: str) -> None:
    option = "--load-scale" if "nan" in value else "--bus"
    with pytest.raises(click.BadParameter):
        _parse("dist hostcap", "--grid-file", NET, "-d", "unused", option, value)


DAY = ("--grid-file", DERMS / "case33bw", "--assets", DERMS / "der_assets.csv",
       "--price-series", DERMS / "prices.csv")  # fmt: skip


@pytest.mark.parametrize(
    ("path", "old", "new", "key", "value"),
    [
        ("dist import matpower", ["--m", MATPOWER], ["--file", MATPOWER], "m_file", MATPOWER),
        ("derms envelope", ["-o", "x"], ["-d", "x"], "out_dir", Path("x")),
        ("derms envelope", ["-ox"], ["-d", "x"], "out_dir", Path("x")),
        ("derms schedule", ["--out=x"], ["--out-dir", "x"], "out_dir", Path("x")),
        ("derms stress-test", ["--scenarios", "7"], ["--samples", "7"], "samples", 7),
        ("derms stress-test", ["--spec", DERMS / "prices.csv"],
         ["--scenarios", DERMS / "prices.csv"], "scenarios", DERMS / "prices.csv"),
        ("adms outage-mc", ["--block-years", "50"], ["--block-size", "50"], "block_years", 50),
        ("derms envelope", ["--vm-tol=0.01"], ["--v-tol=0.01"], "vm_tol", 0.01),
        ("adms outage-mc", ["--ac-rounds", "1"], ["--ac-corrections", "1"], "ac_corrections", 1),
        ("adms flisr-sim", ["--faults", "all"], [], "scenarios", None),
        ("adms flisr-sim", ["--ac-rounds=0"], ["--ac-corrections=0"], "ac_corrections", 0),
    ],
)  # fmt: skip
def test_deprecated_spellings_still_work(path, old, new, key, value, capsys) -> None:  # type: ignore[no-untyped-def]
    base = {
        "derms schedule": DAY,
        "derms stress-test": DAY,
        "dist import matpower": (),
        "adms outage-mc": ("--grid-file", NET, "--samples", "3"),
    }.get(path, ("--grid-file", NET))
    if key != "out_dir":
        base = (*base, "-d", "unused")
    got = _parse(path, *base, *old)
    note = capsys.readouterr().err.strip().splitlines()
    assert len(note) == 1 and note[0].startswith("gat: warning: ") and "deprecated" in note[0]
    assert got[key] == value
    if new:
        assert _parse(path, *base, *new)[key] == value
        assert capsys.readouterr().err == ""


def test_rewrite_leaves_values_and_the_end_of_options_alone() -> None:
    renamed = {"--m": "--file", "-o": "-d"}
    args = ["--prefix", "--mx", "-o", "a", "--", "--m"]
    assert rewrite_deprecated(args, renamed) == ["--prefix", "--mx", "-d", "a", "--", "--m"]


def test_stress_scenarios_file_named_like_a_number_is_a_file(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    Path("12").write_text("scenario_id,load_factor\na,1.0\n")
    params = _parse("derms stress-test", *DAY, "-d", "unused", "--scenarios", "12")
    assert params["scenarios"] == Path("12") and params["samples"] == 20


@pytest.mark.parametrize(
    ("path", "option", "value"),
    [
        ("dist opf", "--import-price", "nan"),
        ("dist opf", "--import-price", "inf"),
        ("dist opf", "--v-min", "-0.9"),
        ("dist pf", "--load-scale", "1e400"),
        ("dist pf", "--tol", "0"),
        ("dist hostcap", "--pf", "1.5"),
        ("derms envelope", "--thermal-tol", "-inf"),
        ("derms stress-test", "--seed", "-1"),
        ("derms stress-test", "--seed", str(2**32)),
        ("adms outage-mc", "--seed", "1.5"),
        ("dataset export", "--seed", "-1"),
    ],
)
def test_out_of_range_values_are_usage_errors(path, option, value, tmp_path, gat) -> None:  # type: ignore[no-untyped-def]
    base = {"dataset export": ("case33bw",), "derms stress-test": DAY, "adms outage-mc":
            ("--grid-file", NET, "--samples", "3")}.get(path, ("--grid-file", NET))  # fmt: skip
    out = tmp_path / "out"
    code, stdout, err = gat(*path.split(), *base, "-d", out, option, value)
    assert code == 2, err
    assert f"Invalid value for '{option}'" in err and "Traceback" not in err and stdout == ""
    assert not out.exists()


def test_help_shows_ranges_but_no_empty_ones(gat) -> None:  # type: ignore[no-untyped-def]
    for path in LEAVES:
        code, out, _ = gat(*path.split(), "--help")
        assert code == 0 and "None" not in out, path
    code, out, _ = gat("dist", "opf", "--help")
    assert "-1000000.0<=x<=1000000.0" in out


def test_finite_float_type() -> None:
    kind = FiniteFloat(0.0, 2.0, min_open=True)
    assert kind.convert("1.5", None, None) == 1.5
    for bad in ("nan", "inf", "-inf", "1e999", "0", "2.5", "x"):
        with pytest.raises(click.BadParameter):
            kind.convert(bad, None, None)
    assert math.isinf(float("1e999"))


def test_numpy_warnings_never_reach_the_terminal(gat) -> None:  # type: ignore[no-untyped-def]
    @click.command("overflow")
    def overflow() -> None:
        """Overflow in numpy, as a diverging iteration does."""
        click.echo(str(np.float64(1e308) * np.float64(10.0)))

    cli.add_command(overflow)
    try:
        code, out, err = gat("overflow")  # warnings are errors under pytest
    finally:
        del cli.commands["overflow"]
    assert code == 0 and out.strip() == "inf" and err == ""
    with pytest.raises(RuntimeWarning):  # and the filter ends with the command
        np.float64(1e308) * np.float64(10.0)
