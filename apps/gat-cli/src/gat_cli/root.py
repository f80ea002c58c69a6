"""The root ``gat`` group, which loads its command modules lazily.

Each subcommand lives in ``gat_cli.commands.<module>`` as a click object named
``cli``; it is imported only when invoked (or when its own help is shown), so
``gat --help`` never imports pyomo, scipy or the solvers.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from gat_cli.context import AppContext
from gat_cli.options import FORMAT_CHOICES, apply_grammar

__all__ = ["LazyGroup", "RootGroup", "cli"]

#: The messages of numpy's floating-point RuntimeWarnings.
_NUMPY_FP_WARNING = r".*(overflow|underflow|invalid value|divide by zero) encountered"


class LazyGroup(click.Group):
    """A click group whose subcommands are ``"module:attribute"`` strings, imported on use.

    Parameters
    ----------
    lazy_commands
        Command name -> ``(import path "pkg.module:attr", one-line help)``.
    """

    def __init__(
        self,
        *args: object,
        lazy_commands: dict[str, tuple[str, str]] | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_commands:
            module_name, attr = self.lazy_commands[cmd_name][0].split(":")
            command = getattr(importlib.import_module(module_name), attr)
            if not isinstance(command, click.Command):
                raise TypeError(f"{module_name}:{attr} is not a click command")
            return apply_grammar(command)
        command = super().get_command(ctx, cmd_name)
        return None if command is None else apply_grammar(command)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # List lazy commands with their short help without importing them.
        rows = [(name, self.lazy_commands[name][1]) for name in sorted(self.lazy_commands)]
        eager = [n for n in super().list_commands(ctx) if n not in self.lazy_commands]
        for name in eager:
            cmd = super().get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(limit=formatter.width)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(sorted(rows))


@contextmanager
def _one_line_usage_errors() -> Iterator[None]:
    """Re-raise a usage error as one line that names the command's help."""
    try:
        yield
    except click.exceptions.NoArgsIsHelpError:
        raise  # a group given no command shows its help
    except click.UsageError as exc:
        if exc.ctx is None:
            raise
        hint = f"{exc.ctx.command_path} --help"
        one = click.UsageError(f"{exc.format_message()} (see '{hint}')")
        one.exit_code = exc.exit_code
        raise one from None


class RootGroup(LazyGroup):
    """The root ``gat`` group: usage errors of any command are one line on stderr."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with _one_line_usage_errors():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        with _one_line_usage_errors():
            return super().invoke(ctx)


@click.group(
    cls=RootGroup,
    lazy_commands={
        "dist": ("gat_cli.commands.dist:cli", "Distribution networks: import, power flow."),
        "network": (
            "gat_cli.commands.network:cli",
            "Build a network folder from CSV tables; change its tables.",
        ),
        "derms": (
            "gat_cli.commands.derms:cli",
            "DER portfolios: validate, envelopes, schedules, stress tests.",
        ),
        "adms": ("gat_cli.commands.adms:cli", "Reliability: FLISR, IEEE 1366 indices, outage MC."),
        "dataset": ("gat_cli.commands.dataset:cli", "Shipped reference networks."),
        "validate": ("gat_cli.commands.validate:cli", "Check a network folder or table file."),
        "runs": ("gat_cli.commands.runs:cli", "List and show run manifests (run.json)."),
        "tui": (
            "gat_cli.commands.tui:cli",
            "Terminal UI: feeder view, tables, plots; runs commands.",
        ),
        "plot": ("gat_cli.commands.plot:cli", "Figures of a run's outputs (PNG, SVG)."),
    },
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option("--debug", is_flag=True, help="Show the traceback of errors.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMAT_CHOICES),
    default="text",
    show_default=True,
    help="Summary printed on standard output (also accepted after the command).",
)
@click.version_option(package_name="gat-cli", prog_name="gat")
@click.pass_context
def cli(ctx: click.Context, debug: bool, output_format: str) -> None:
    """GAT: planning studies on power distribution grids.

    Every command reads a network folder (--grid-file), writes Parquet tables and a
    run.json manifest, and exits 0 on success, 1 on bad input, 2 on a usage error
    and 3 when a solver fails or does not converge.
    """
    # A diverging computation is reported as an error (exit 3); numpy's floating-point
    # RuntimeWarnings on the way there (overflow, invalid value) never reach the terminal.
    ctx.with_resource(warnings.catch_warnings())
    warnings.filterwarnings("ignore", message=_NUMPY_FP_WARNING, category=RuntimeWarning)
    given = ctx.obj if isinstance(ctx.obj, dict) else {}
    argv = ("gat", *given.get("argv", ()))
    ctx.obj = AppContext(debug=debug, output_format=output_format, argv=argv)
