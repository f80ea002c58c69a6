"""Importing gat_dist (as the power-flow command does, for table files) stays light."""

from __future__ import annotations

import ast
import subprocess
import sys


def _loaded_after(code: str, names: tuple[str, ...]) -> list[str]:
    probe = (
        f"{code}\nimport sys\nprint('LOADED', sorted(m for m in {names!r} if m in sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    line = next(x for x in proc.stdout.splitlines() if x.startswith("LOADED"))
    return ast.literal_eval(line.removeprefix("LOADED "))


HEAVY = (
    "gat_dist.datasets",
    "gat_dist.importers.matpower",
    "gat_dist.importers.opendss",
    "pyomo",
    "pandera",
    "scipy",
)


def test_table_files_loads_no_dataset_importer_solver_or_pandera():
    assert _loaded_after("import gat_dist.table_files", HEAVY) == []


def test_names_still_resolve_on_first_use():
    loaded = _loaded_after("import gat_dist\nf = gat_dist.import_matpower", HEAVY)
    assert loaded == ["gat_dist.importers.matpower"]
    import gat_dist

    assert callable(gat_dist.list_datasets)
    assert set(gat_dist.__all__) <= set(dir(gat_dist))
