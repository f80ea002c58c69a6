"""Options shared by several commands, defined once: the command-line grammar.

Every command follows the same rules (``history/2026-12-04-cli-grammar.md``):

- input files are options with one name everywhere (``--grid-file``, ``--assets``,
  ``--reliability``, ``--switches``, ``--scenarios FILE``, ``--file`` for an importer);
- a command that writes a folder takes ``-d/--out-dir``;
- random draws are counted by ``--samples`` and seeded by ``--seed`` (0 to 2**32 - 1);
- every float option is a :class:`FiniteFloat` with a plausible range;
- list options accept repeats and commas (``--bus 65,64 --bus 12``);
- ``--format json`` is accepted before or after the subcommand;
- an old spelling is a deprecated alias for one release (:class:`GatCommand`), which prints
  one line on standard error and then behaves as the new name.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

__all__ = [
    "FORMAT_CHOICES",
    "LOAD_SCALE",
    "PU_VOLTAGE",
    "SEED",
    "TIME_LIMIT",
    "FiniteFloat",
    "GatCommand",
    "HiddenArgument",
    "apply_grammar",
    "comma_list",
    "deprecation_note",
    "executor_options",
    "fanout_options",
    "force_option",
    "grid_file_option",
    "out_dir_option",
    "rewrite_deprecated",
    "seed_option",
]

F = TypeVar("F", bound=Callable[..., Any])
FORMAT_CHOICES = ("text", "json")


class FiniteFloat(click.FloatRange):
    """A float option that refuses nan and infinities, and values outside ``[min, max]``.

    Parameters
    ----------
    min, max
        Bounds of the accepted values (``None``: unbounded on that side, finite still).
    min_open, max_open
        Exclude the bound itself.
    """

    name = "float"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = click.FLOAT.convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value} is not a finite number.", param, ctx)
        return super().convert(number, param, ctx)

    def _describe_range(self) -> str:
        if self.min is None and self.max is None:
            return ""  # any finite number: nothing to show in --help
        return super()._describe_range()

    def __repr__(self) -> str:
        return f"FiniteFloat({self._describe_range() or 'finite'})"


#: Per-unit voltage limits.
PU_VOLTAGE = FiniteFloat(0.0, 2.0, min_open=True)
#: Load multipliers.
LOAD_SCALE = FiniteFloat(0.0, 1000.0)
#: Solver time limits (s).
TIME_LIMIT = FiniteFloat(0.0, 1e6, min_open=True)
#: Seeds of random draws (what ``numpy.random.SeedSequence`` takes, 32 bits).
SEED = click.IntRange(0, 2**32 - 1)


def deprecation_note(old: str, new: str) -> None:
    """Print the one-line note of a deprecated spelling on standard error."""
    click.echo(f"gat: warning: {old} is deprecated; use {new}", err=True)


def rewrite_deprecated(args: Sequence[str], renamed: Mapping[str, str]) -> list[str]:
    """``args`` with every deprecated option spelling replaced by its new name.

    ``--old VALUE``, ``--old=VALUE`` and, for one-letter options, ``-oVALUE`` are
    rewritten; nothing after ``--`` is. Each rewritten spelling prints one deprecation note.
    """
    out: list[str] = []
    noted: set[str] = set()
    for i, arg in enumerate(args):
        if arg == "--":
            out.extend(args[i:])
            break
        new_arg = arg
        for old, new in renamed.items():
            if arg == old:
                new_arg = new
            elif arg.startswith(old + "="):
                new_arg = new + arg[len(old) :]
            elif len(old) == 2 and not arg.startswith("--") and arg.startswith(old):
                new_arg = f"{new}={arg[2:]}" if new.startswith("--") else new + arg[2:]
            else:
                continue
            if old not in noted:
                deprecation_note(old, new)
                noted.add(old)
            break
        out.append(new_arg)
    return out


class GatCommand(click.Command):
    """A command whose old option spellings still work for one release.

    Parameters
    ----------
    renamed
        Old spelling -> new option name, e.g. ``{"--m": "--file"}``. The old spelling
        is not shown in the help; using it prints one deprecation line on standard error.
    """

    def __init__(self, *args: Any, renamed: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.renamed = dict(renamed or {})

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, self.rewrite_args(ctx, args))

    def rewrite_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """The arguments with deprecated spellings replaced (a hook for subclasses)."""
        return rewrite_deprecated(args, self.renamed)


class HiddenArgument(click.Argument):
    """A positional argument left out of the usage line (a deprecated spelling)."""

    def get_usage_pieces(self, ctx: click.Context) -> list[str]:
        return []


def _set_format(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is None or ctx.resilient_parsing:
        return
    from gat_cli.context import AppContext

    obj = ctx.obj
    if isinstance(obj, AppContext):
        ctx.obj = dataclasses.replace(obj, output_format=value)
    else:
        ctx.obj = AppContext(output_format=value)


def _finite(kind: click.ParamType) -> click.ParamType:
    """``kind`` as a :class:`FiniteFloat` when it is a float type that lets nan through."""
    if isinstance(kind, FiniteFloat) or not isinstance(kind, click.types.FloatParamType):
        return kind
    if isinstance(kind, click.FloatRange):
        return FiniteFloat(kind.min, kind.max, min_open=kind.min_open, max_open=kind.max_open)
    return FiniteFloat()


def apply_grammar(command: click.Command) -> click.Command:
    """Give ``command`` (and the subcommands of a plain group) the shared grammar.

    Adds its own ``--format``, whose value overrides the one given before the subcommand
    (``gat --format json dist pf ...`` and ``gat dist pf ... --format json`` are the same),
    and makes every float option a :class:`FiniteFloat` (a command that declared a plain
    ``float`` keeps its range, and refuses nan and infinities). Idempotent.
    """
    for param in command.params:
        param.type = _finite(param.type)
    if not any(p.name == "output_format" for p in command.params):
        command.params.append(
            click.Option(
                ["--format", "output_format"],
                type=click.Choice(FORMAT_CHOICES),
                default=None,
                expose_value=False,
                callback=_set_format,
                help="Summary printed on standard output: text or json (also accepted "
                "before the command).  [default: text]",
            )
        )
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            apply_grammar(sub)
    return command


def comma_list(item_type: click.ParamType | None = None) -> Callable[..., tuple[Any, ...]]:
    """Callback of a ``multiple=True`` option that also splits each value on commas.

    ``--bus 65,64 --bus 12`` gives ``("65", "64", "12")``; each item is converted by
    ``item_type`` (text when ``None``); an empty item is a usage error.
    """

    def callback(ctx: click.Context, param: click.Parameter, values: Any) -> tuple[Any, ...]:
        items: list[Any] = []
        for value in values or ():
            for part in str(value).split(","):
                part = part.strip()
                if not part:
                    raise click.BadParameter(f"empty item in {value!r}", ctx=ctx, param=param)
                items.append(part if item_type is None else item_type.convert(part, param, ctx))
        return tuple(items)

    return callback


grid_file_option = click.option(
    "--grid-file",
    "--network",
    "grid_file",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    required=True,
    help="Network folder (network.json + Parquet tables).",
)

out_dir_option = click.option(
    "-d",
    "--out-dir",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Output folder (created; results and run.json are written into it).",
)

force_option = click.option(
    "--force",
    is_flag=True,
    help="Allow writing into an output folder that holds files GAT did not write.",
)


#: Default of ``--held-tol`` (pu); equals ``gat_dist.held_limits.HELD_TOL_PU`` (tested), kept
#: here as a literal so that ``gat --help`` does not import numpy.
HELD_TOL_DEFAULT = 1e-3


def held_tol_option(broken_when: str) -> Callable[[F], F]:
    """``--held-tol``: the one tolerance of limits broken before any DER (gat_dist.held_limits).

    ``broken_when`` says, for the command, when a limit counts as broken before the DER
    (e.g. "without injection", "with every DER at zero").
    """
    return click.option(
        "--held-tol",
        type=FiniteFloat(0.0, 1.0, max_open=True),
        default=HELD_TOL_DEFAULT,
        show_default=True,
        help=f"A limit broken {broken_when} counts as violated only when the DER makes it "
        "worse by more than this (pu; loading and unbalance: the same fraction of the "
        "rating and 100 x this percentage points).",
    )


def seed_option(help_text: str) -> Callable[[F], F]:
    """``--seed`` (0 to 2**32 - 1, default 0)."""
    return click.option("--seed", type=SEED, default=0, show_default=True, help=help_text)


_ADDRESS = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?[^\s/]+:\d{1,5}$")


def _scheduler_address(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    if value is not None and not _ADDRESS.match(value):
        raise click.BadParameter(
            f"{value!r} is not a scheduler address (protocol://host:port, e.g. tcp://host:8786)",
            ctx=ctx,
            param=param,
        )
    return value


def fanout_options(func: F) -> F:
    """Add ``--executor``, ``--workers``, ``--scheduler`` and ``--resume`` (commands whose
    work runs as shards of ``gat_dist.fanout``); read them back with :func:`executor_options`.
    """
    for option in reversed(
        (
            click.option(
                "--executor",
                type=click.Choice(["local", "process", "dask"]),
                default="local",
                show_default=True,
                help="Where shards run.",
            ),
            click.option(
                "--workers",
                type=click.IntRange(min=1, max=1024),
                default=None,
                help="Worker processes (process, local dask cluster).",
            ),
            click.option(
                "--scheduler",
                default=None,
                callback=_scheduler_address,
                metavar="ADDRESS",
                help="Dask scheduler address (tcp://host:8786); default: a local cluster.",
            ),
            click.option(
                "--resume",
                is_flag=True,
                help="Continue the run in OUT_DIR: redo only unfinished shards.",
            ),
        )
    ):
        func = option(func)
    return func


def executor_options(kw: Mapping[str, Any]) -> Any:
    """The ``gat_dist.fanout.ExecutorOptions`` of the options :func:`fanout_options` added."""
    from gat_dist.fanout import ExecutorOptions

    return ExecutorOptions(kind=kw["executor"], workers=kw["workers"], scheduler=kw["scheduler"])
