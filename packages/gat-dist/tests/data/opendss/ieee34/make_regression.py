"""Regenerate the IEEE 34 regression tables from GAT (OpenDSS import + three-phase power flow).

Run from the repository root::

    uv run --no-sync python packages/gat-dist/tests/data/opendss/ieee34/make_regression.py

Only after checking a change of the numbers (see README.md for how they were judged).
"""

from __future__ import annotations

from pathlib import Path

import gat_pf
from gat_dist import import_opendss

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parents[5] / "test_data" / "opendss" / "ieee34" / "ieee34Mod2.dss"


def main() -> None:
    result = gat_pf.run_power_flow_3ph(import_opendss(SOURCE))
    nodes = result.nodes[["node_id", "phase", "vm_pu", "va_deg"]]
    nodes.to_csv(HERE / "pf3_nodes.csv", index=False, float_format="%.7f")
    regs = result.regulators[["regulator_id", "branch_id", "phase", "tap", "v_regulated_v"]]
    regs.to_csv(HERE / "pf3_regulators.csv", index=False, float_format="%.4f")
    summary = result.summary[["p_loss_mw", "q_loss_mvar", "total_load_mw", "total_gen_mw"]]
    summary.to_csv(HERE / "pf3_summary.csv", index=False, float_format="%.7f")


if __name__ == "__main__":
    main()
