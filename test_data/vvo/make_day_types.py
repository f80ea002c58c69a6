"""Write day_types.csv: load shapes for the Volt/VAR examples and tests (run from the repo root).

- ``weekday``: OpenDSS's built-in ``default`` daily load shape (24 hourly multipliers, the
  shape IEEE 34's loads name; read from the ieee34 dataset GAT ships);
- ``weekend``: the weekday shape times 0.85 (synthetic, for a second day type);
- ``pv``: a clear-sky PV profile, ``max(0, sin(pi (h + 0.5 - 6) / 12))`` for the hour
  starting at ``h`` (synthetic: sunrise 06:00, sunset 18:00, peak 1.0 at noon).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gat_dist.datasets import build_dataset


def main() -> None:
    shape = build_dataset("ieee34").table("load_shapes")
    weekday = shape[shape.shape_id == "default"].sort_values("step")["multiplier"].to_numpy()
    hours = np.arange(24, dtype=float)
    pv = np.clip(np.sin(np.pi * (hours + 0.5 - 6.0) / 12.0), 0.0, None)
    rows = []
    for name, mult in (("weekday", weekday), ("weekend", 0.85 * weekday), ("pv", pv)):
        rows.append(
            pd.DataFrame(
                {
                    "shape_id": name,
                    "step": np.arange(24, dtype=np.int64),
                    "hour": hours,
                    "multiplier": np.round(mult, 5),
                    "interval_h": 1.0,
                }
            )
        )
    out = Path(__file__).with_name("day_types.csv")
    pd.concat(rows, ignore_index=True).to_csv(out, index=False)


if __name__ == "__main__":
    main()
