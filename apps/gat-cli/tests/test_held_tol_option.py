"""``--held-tol`` is one option on every command that holds limits broken before any DER."""

from __future__ import annotations

import pytest

from gat_cli.options import HELD_TOL_DEFAULT
from gat_cli.root import cli
from gat_dist.held_limits import HELD_TOL_PU


def test_cli_default_is_the_library_default():
    assert HELD_TOL_DEFAULT == HELD_TOL_PU


@pytest.mark.parametrize(
    ("group", "name"),
    [
        ("dist", "hostcap"),
        ("dist", "opf"),
        ("derms", "envelope"),
        ("derms", "schedule"),
        ("derms", "stress-test"),
    ],
)
def test_every_command_takes_the_same_held_tol(group: str, name: str) -> None:
    import click

    ctx = click.Context(cli)
    grp = cli.get_command(ctx, group)
    cmd = grp.get_command(click.Context(grp, parent=ctx), name)
    (opt,) = [p for p in cmd.params if p.name == "held_tol"]
    assert opt.default == HELD_TOL_PU
    assert opt.type.convert("0.002", opt, ctx) == pytest.approx(0.002)
    with pytest.raises(click.BadParameter):
        opt.type.convert("1.5", opt, ctx)
