"""The root command: help, lazy loading, exit codes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from gat_cli.main import run
from gat_cli.root import cli

COMMANDS = [
    ["--help"],
    ["dist", "--help"],
    ["dist", "import", "--help"],
    ["dist", "import", "matpower", "--help"],
    ["dist", "pf", "--help"],
    ["derms", "--help"],
    ["derms", "validate-assets", "--help"],
    ["validate", "--help"],
    ["runs", "--help"],
    ["runs", "list", "--help"],
    ["runs", "show", "--help"],
]


def test_every_command_has_help() -> None:
    runner = CliRunner()
    for args in COMMANDS:
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, (args, result.output)
        assert "Usage:" in result.output


def test_root_help_does_not_import_solvers_scipy_or_pandas() -> None:
    code = (
        "import sys\n"
        "from gat_cli.main import run\n"
        "code = run(['--help'])\n"
        "heavy = sorted(m for m in ('scipy', 'pyomo', 'highspy', 'networkx', 'gat_pf', 'gat_dist',"
        " 'pandera', 'pandas')"
        " if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
        "sys.exit(code)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "HEAVY []" in proc.stdout, proc.stdout
    assert "dist" in proc.stdout and "validate" in proc.stdout


def test_console_script_runs_as_a_real_subprocess() -> None:
    exe = shutil.which("gat", path=str(Path(sys.executable).parent))
    assert exe is not None, "the gat console script is not installed beside the interpreter"
    proc = subprocess.run([exe, "--help"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0
    assert "GAT: planning studies" in proc.stdout


def test_usage_error_exits_2(capsys) -> None:  # type: ignore[no-untyped-def]
    assert run(["no-such-command"]) == 2
    assert run(["dist", "pf"]) == 2  # missing required options
    err = capsys.readouterr().err
    assert "Missing option" in err


def test_tui_is_listed_now_that_it_works() -> None:
    # `tui` was a placeholder kept out of the list until `gat tui` did real work.
    result = CliRunner().invoke(cli, ["--help"])
    assert "  tui " in result.output


def _walk(group: click.Group, ctx: click.Context, path: tuple[str, ...]):  # type: ignore[no-untyped-def]
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from _walk(command, ctx, (*path, name))


def test_every_listed_command_loads_and_has_help() -> None:
    # A lazily registered command whose module is missing would be a placeholder.
    ctx = click.Context(cli)
    seen = []
    for path, command in _walk(cli, ctx, ()):
        assert isinstance(command, click.Command), path
        assert command.help or command.short_help, f"gat {' '.join(path)} has no help"
        seen.append(" ".join(path))
    for expected in (
        "adms flisr-sim",
        "adms outage-mc",
        "derms envelope",
        "derms schedule",
        "derms stress-test",
        "dataset export",
        "dist import opendss",
    ):
        assert expected in seen
