"""Python's cyclic garbage collector paused while a script is read.

Reading IEEE 8500 allocates about half a million small tuples and objects that live until
the import ends; the cyclic collector, triggered by the allocation count, walks them (and
every other object the process holds) again and again without freeing anything: 0.3-0.5 s
of a 0.9 s import (measured with ``bench/ieee8500.py``). The objects hold no reference
cycles, so pausing the collector for the call changes nothing but the time. The collector's
previous state is restored on exit, also on errors; reference counting frees memory as usual.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["cyclic_gc_paused"]


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Disable the cyclic garbage collector inside the block (re-enabled after if it was on)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
