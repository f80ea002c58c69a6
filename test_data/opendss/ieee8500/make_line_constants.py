"""Write line_constants_opendss.csv: OpenDSS's own phase matrices of every IEEE 8500 geometry.

Run from the repository root with the bench group installed:
``.venv/bin/python test_data/opendss/ieee8500/make_line_constants.py``. Uses OpenDSS (through
opendssdirect.py) with its default earth model (Deri) at 60 Hz and earth resistivity 100 ohm-m.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import opendssdirect as dss
import pandas as pd

HERE = Path(__file__).resolve().parent


def main() -> None:
    dss.Text.Command("clear")
    dss.Text.Command("new circuit.lc basekv=12.47 frequency=60")
    dss.Text.Command(f"redirect {HERE / 'WireData.dss'}")
    dss.Text.Command(f"redirect {HERE / 'LineGeometry.dss'}")
    rows = []
    for name in dss.LineGeometries.AllNames():
        dss.LineGeometries.Name(name)
        n = dss.LineGeometries.Phases()
        # Matrices per metre (length 1, units 0 = none): scaled to per km here.
        r = np.reshape(dss.LineGeometries.Rmatrix(60.0, 1.0, 0), (n, n)) * 1e3
        x = np.reshape(dss.LineGeometries.Xmatrix(60.0, 1.0, 0), (n, n)) * 1e3
        c = np.reshape(dss.LineGeometries.Cmatrix(60.0, 1.0, 0), (n, n)) * 1e3
        for i in range(n):
            for j in range(n):
                rows.append(
                    {
                        "geometry": name,
                        "n_phases": n,
                        "i": i + 1,
                        "j": j + 1,
                        "r_ohm_per_km": r[i, j],
                        "x_ohm_per_km": x[i, j],
                        "c_nf_per_km": c[i, j],
                    }
                )
    pd.DataFrame(rows).to_csv(HERE / "line_constants_opendss.csv", index=False, float_format="%.9g")


if __name__ == "__main__":
    main()
