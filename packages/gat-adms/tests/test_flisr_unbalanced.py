"""FLISR is balanced (LinDistFlow MILP, positive-sequence AC check): an unbalanced feeder
is refused by name, not with a misleading topology error."""

from __future__ import annotations

import pytest

from gat_adms import simulate_flisr
from gat_dist import export_dataset
from gat_schemas.errors import InputError


def test_unbalanced_dataset_is_refused_in_one_clear_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    net = export_dataset("ieee13", tmp_path / "ieee13")
    assert net.table("reliability") is not None
    with pytest.raises(InputError, match=r"ieee13: holds three-phase tables .*FLISR.*balanced"):
        simulate_flisr(net, None, None)
