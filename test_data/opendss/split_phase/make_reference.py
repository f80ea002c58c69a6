"""Write split_phase_opendss.csv: OpenDSS's solution of split_phase.dss.

Run from the repository root with the bench group installed:
``.venv/bin/python test_data/opendss/split_phase/make_reference.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import opendssdirect as dss
import pandas as pd

HERE = Path(__file__).resolve().parent


def main() -> None:
    dss.Text.Command(f"compile [{HERE / 'split_phase.dss'}]")
    assert dss.Solution.Converged()
    names = dss.Circuit.AllNodeNames()
    v = np.array(dss.Circuit.AllBusVolts()).reshape(-1, 2) @ np.array([1.0, 1j])
    rows = []
    for name, vk in zip(names, v, strict=True):
        bus, node = name.split(".")
        rows.append(
            {
                "bus": bus,
                "node": int(node),
                "v_kv": abs(vk) / 1e3,
                "va_deg": np.degrees(np.angle(vk)),
            }
        )
    pd.DataFrame(rows).to_csv(HERE / "split_phase_opendss.csv", index=False, float_format="%.10g")
    loss = dss.Circuit.Losses()
    total = dss.Circuit.TotalPower()
    pd.DataFrame(
        [{"p_loss_kw": loss[0] / 1e3, "q_loss_kvar": loss[1] / 1e3, "p_source_kw": -total[0]}]
    ).to_csv(HERE / "split_phase_opendss_summary.csv", index=False, float_format="%.10g")


if __name__ == "__main__":
    main()
