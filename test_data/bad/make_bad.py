"""Write the bad input files of the CLI fuzz corpus into test_data/bad/files/.

Run from the repository root: ``uv run --no-sync python test_data/bad/make_bad.py``.
Every file is derived from text written here or from the shipped case33bw folders, so the
output is the same on every run. ``cases.txt`` says which command reads which file.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE.parent
OUT = HERE / "files"
NET = DATA / "networks" / "case33bw"
CASE = DATA / "matpower" / "case33bw.m"

ASSET_HEAD = (
    "asset_id,bus_id,phase,asset_type,p_min,p_max,q_min,q_max,ramp_up,ramp_down,energy_cap,"
    "soc_min,soc_max,efficiency,owner_id,agg_id,priority,cost_curve_id,s_max"
)
PV = "pv18,18,ABC,pv,0.0,0.8,-0.25,0.25,,,,,,1.0,customer,agg_north,1,pv_zero,0.85"
BAT = "bat25,25,ABC,battery,-0.5,0.5,-0.3,0.3,,,2.0,0.1,0.95,0.95,utility,agg_south,5,,0.6"
REL_HEAD = "element_id,element_type,failure_rate_per_yr,failure_rate_per_km_yr,repair_time_h"
SW_HEAD = "device_id,branch_id,device_type,normal_state,automated,operate_time_h"
T0 = "2026-07-01T00:00:00+02:00"
T1 = "2026-07-01T00:15:00+02:00"

TEXT: dict[str, str] = {
    # pf --scenarios (pf_scenarios)
    "scen_empty.csv": "",
    "scen_header_only.csv": "scenario_id,scale\n",
    "scen_wrong_columns.csv": "id,factor\na,1\n",
    "scen_nan_scale.csv": "scenario_id,scale\na,nan\n",
    "scen_inf_scale.csv": "scenario_id,scale\na,inf\n",
    "scen_text_scale.csv": "scenario_id,scale\na,lots\n",
    "scen_unknown_node.csv": "scenario_id,node_id,scale\na,nowhere,1.0\n",
    "scen_truncated.csv": "scenario_id,scale\na,0.5\nb,",
    "scen_unsafe_id.csv": "scenario_id,scale\n../x,1.0\n",
    "scen_duplicate.csv": "scenario_id,scale\na,1.0\na,2.0\n",
    "scen_quote.csv": 'scenario_id,scale\n"a,1.0\n',
    "scen_semicolon.csv": "scenario_id;scale\na;1,0\n",
    "scen.txt": "scenario_id,scale\na,1.0\n",
    # der_assets
    "assets_missing_columns.csv": "asset_id,bus_id\npv1,18\n",
    "assets_header_only.csv": ASSET_HEAD + "\n",
    "assets_pmin_above_pmax.csv": f"{ASSET_HEAD}\n{PV.replace('0.0,0.8', '0.9,0.8')}\n",
    "assets_nan_pmax.csv": f"{ASSET_HEAD}\n{PV.replace('0.0,0.8', '0.0,nan')}\n",
    "assets_inf_smax.csv": f"{ASSET_HEAD}\n{PV.replace(',0.85', ',inf')}\n",
    "assets_unknown_bus.csv": f"{ASSET_HEAD}\n{PV.replace('pv18,18', 'pv18,999')}\n",
    "assets_unknown_type.csv": f"{ASSET_HEAD}\n{PV.replace(',pv,', ',nuclear,')}\n",
    "assets_duplicate_ids.csv": f"{ASSET_HEAD}\n{PV}\n{PV}\n",
    "assets_text_number.csv": f"{ASSET_HEAD}\n{PV.replace('0.0,0.8', '0.0,lots')}\n",
    "assets_negative_energy.csv": f"{ASSET_HEAD}\n{BAT.replace(',2.0,', ',-2.0,')}\n",
    "assets_soc_above_one.csv": f"{ASSET_HEAD}\n{BAT.replace('0.1,0.95,0.95', '0.1,1.5,0.95')}\n",
    "assets_zero_efficiency.csv": f"{ASSET_HEAD}\n{BAT.replace('0.95,0.95,utility', '0.95,0,utility')}\n",
    "assets_truncated.csv": f"{ASSET_HEAD}\n{PV[:30]}",
    # der_cost_curves
    "curves_missing_columns.csv": "cost_curve_id\npv_zero\n",
    "curves_text.csv": "cost_curve_id,c1,c0\npv_zero,cheap,0\n",
    # reliability
    "rel_missing_columns.csv": "element_id,repair_time_h\n1,5\n",
    "rel_negative_rate.csv": f"{REL_HEAD}\n1,branch,-0.5,,5.0\n",
    "rel_unknown_element.csv": f"{REL_HEAD}\nnowhere,branch,0.5,,5.0\n",
    "rel_nan_repair.csv": f"{REL_HEAD}\n1,branch,0.5,,nan\n",
    "rel_header_only.csv": REL_HEAD + "\n",
    "rel_bad_type.csv": f"{REL_HEAD}\n1,volcano,0.5,,5.0\n",
    # switching_devices
    "sw_missing_columns.csv": "device_id,branch_id\nCB1,1\n",
    "sw_bad_state.csv": f"{SW_HEAD}\nCB1,1,breaker,ajar,true,0.05\n",
    "sw_unknown_branch.csv": f"{SW_HEAD}\nCB1,nowhere,breaker,closed,true,0.05\n",
    "sw_bad_bool.csv": f"{SW_HEAD}\nCB1,1,breaker,closed,perhaps,0.05\n",
    # outage_scenarios
    "outage_unknown_element.csv": "scenario_id,element_id,start_h,duration_h\ns,nowhere,0,2\n",
    "outage_negative_duration.csv": "scenario_id,element_id,start_h,duration_h\ns,7,0,-2\n",
    "outage_missing_columns.csv": "scenario_id\ns\n",
    # price / load / pv series
    "prices_no_timestamp.csv": "price\n50\n60\n",
    "prices_text.csv": f"timestamp,price\n{T0},cheap\n{T1},60\n",
    "prices_nan.csv": f"timestamp,price\n{T0},nan\n{T1},60\n",
    "prices_uneven.csv": f"timestamp,price\n{T0},50\n{T1},60\n2026-07-01T01:15:00+02:00,60\n",
    "prices_duplicate_time.csv": f"timestamp,price\n{T0},50\n{T0},60\n",
    "prices_bad_timestamp.csv": "timestamp,price\nyesterday,50\ntoday,60\n",
    "prices_header_only.csv": "timestamp,price\n",
    "loads_unknown_node.csv": f"timestamp,node_id,scale\n{T0},nowhere,1.0\n{T1},nowhere,1.0\n",
    "loads_other_times.csv": "timestamp,scale\n2030-01-01T00:00:00Z,1.0\n",
    "pv_negative.csv": f"timestamp,scale\n{T0},-1.0\n{T1},-1.0\n",
    # derms_stress_spec
    "spec_negative.csv": "scenario_id,price_factor,load_factor,pv_factor\na,1.0,-2.0,1.0\n",
    "spec_duplicate.csv": "scenario_id,price_factor,load_factor,pv_factor\na,1,1,1\na,1,1,1\n",
    "spec_text.csv": "scenario_id,price_factor,load_factor,pv_factor\na,high,1,1\n",
    "spec_header_only.csv": "scenario_id,price_factor,load_factor,pv_factor\n",
    # importers
    "empty.m": "",
    "no_bus.m": "function mpc = nobus\nmpc.version = '2';\nmpc.baseMVA = 100;\n",
    "empty.dss": "",
    "unknown_object.dss": "Clear\nNew Circuit.c basekv=12.47\nNew Flux.f1 bus1=a\nSolve\n",
    "no_circuit.dss": "New Line.l1 bus1=a bus2=b\n",
    "redirect_missing.dss": "Clear\nNew Circuit.c basekv=12.47\nRedirect nowhere.dss\n",
    # network folders whose network.json is wrong
    "net_bad_json/network.json": "{ this is not json",
    "net_empty/README.md": "An empty folder given as --grid-file: no network.json.\n",
}


def _binary(n: int) -> bytes:
    """``n`` bytes that decode as nothing sensible (a fixed pseudo-random sequence)."""
    out, x = bytearray(), 12345
    for _ in range(n):
        x = (1103515245 * x + 12345) % 2**31
        out.append(x >> 23)
    return bytes(out)


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    for name, text in TEXT.items():
        path = OUT / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (OUT / "scen_utf16.csv").write_text("scenario_id,scale\na,1.0\n", encoding="utf-16")
    (OUT / "scen_binary.csv").write_bytes(_binary(300))
    (OUT / "garbage.m").write_bytes(_binary(500))
    (OUT / "garbage.dss").write_bytes(_binary(500))
    case = CASE.read_bytes()
    (OUT / "truncated.m").write_bytes(case[: int(0.4 * len(case))])
    (OUT / "empty.parquet").write_bytes(b"")
    (OUT / "garbage.parquet").write_bytes(_binary(400))
    nodes = (NET / "dist_nodes.parquet").read_bytes()
    (OUT / "truncated.parquet").write_bytes(nodes[: len(nodes) // 2])
    pd.DataFrame({"scenario_id": [1, 2], "scale": ["x", "y"]}).to_parquet(
        OUT / "scen_wrong_types.parquet", index=False
    )
    pd.DataFrame({"asset_id": ["a"], "bus_id": [18]}).to_parquet(
        OUT / "assets_wrong_types.parquet", index=False
    )
    # Network folders: tables without network.json; network.json listing a missing table;
    # a table whose bytes were cut.
    for name in ("net_no_json", "net_missing_table", "net_truncated_table"):
        shutil.copytree(NET, OUT / name)
    (OUT / "net_no_json" / "network.json").unlink()
    (OUT / "net_missing_table" / "dist_branches.parquet").unlink()
    cut = OUT / "net_truncated_table" / "dist_branches.parquet"
    cut.write_bytes(cut.read_bytes()[:300])
    meta = json.loads((NET / "network.json").read_text())
    meta["base_mva"] = "ten"
    (OUT / "net_text_base").mkdir()
    for table in ("dist_nodes.parquet", "dist_branches.parquet"):
        shutil.copy(NET / table, OUT / "net_text_base" / table)
    (OUT / "net_text_base" / "network.json").write_text(json.dumps(meta, indent=2))


if __name__ == "__main__":
    main()
