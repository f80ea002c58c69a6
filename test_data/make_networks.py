"""Generate the network folders in test_data/networks/ from the MATPOWER files in test_data/matpower/.

Run from anywhere: ``uv run --no-sync python test_data/make_networks.py``. Each case ``X.m``
becomes ``test_data/networks/X/`` (``network.json`` + Parquet tables), written with
``gat_dist.import_matpower`` and ``gat_schemas.write_network`` (which validates first).
Existing folders are replaced. The ``source.file`` recorded in ``network.json`` is the path
relative to the repository root, so the folders do not depend on where the repository lives.
"""

from __future__ import annotations

import os
from pathlib import Path

from gat_dist import import_matpower
from gat_schemas import write_network

ROOT = Path(__file__).resolve().parent.parent
CASES = (
    "case33bw",
    "case69",
    "case85",
    "case141",
    "case136ma",
    "case118zh",
    "case9",
    "case30",
    "t_case9_pf",
    "case10ba",
    "case533mt_hi",
)


def main() -> None:
    """Import every case and write its network folder."""
    os.chdir(ROOT)  # so the recorded source path is relative to the repository root
    for case in CASES:
        net = import_matpower(Path("test_data") / "matpower" / f"{case}.m")
        meta = write_network(net, Path("test_data") / "networks" / case, overwrite=True)
        rows = {name: entry["rows"] for name, entry in meta["tables"].items()}
        print(f"{case}: {rows}")


if __name__ == "__main__":
    main()
