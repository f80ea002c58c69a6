"""``gat tui --screenshot``: run the app headless, save its first screen as SVG, exit."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.pilot import Pilot

__all__ = ["take_screenshot"]


def take_screenshot(app: App[None], target: Path, size: tuple[int, int]) -> None:
    """Run ``app`` headless at ``size`` (columns, rows) and write its first screen to
    ``target`` (SVG, written atomically)."""
    from gat_schemas.io import atomic_write_bytes

    shot: list[str] = []

    async def pilot(p: Pilot[None]) -> None:
        await p.pause()
        await p.wait_for_scheduled_animations()
        await p.pause()
        shot.append(p.app.export_screenshot())
        p.app.exit()

    app.run(headless=True, size=size, auto_pilot=pilot)
    if shot:
        atomic_write_bytes(target, shot[0].encode("utf-8"))
