"""The importer pauses Python's cyclic garbage collector only for the call (``_gc``)."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pytest
from gat_dist_opendss_testlib import SMALL, write_dss

from gat_dist import import_opendss
from gat_dist.importers.opendss._gc import cyclic_gc_paused


def test_the_collector_state_is_restored(tmp_path: Path) -> None:
    assert gc.isenabled()
    with cyclic_gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), cyclic_gc_paused():
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with cyclic_gc_paused():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()
    # Through the importer, on success and on a refused script.
    import_opendss(write_dss(tmp_path, SMALL))
    assert gc.isenabled()
    with pytest.raises(Exception, match="GICLine"):
        import_opendss(write_dss(tmp_path, SMALL + "New GICLine.g bus1=b\n"))
    assert gc.isenabled()
