#!/usr/bin/env bash
# End-to-end demo on data the repository ships: import -> validate -> power flow -> load sweep
# -> hosting capacity -> DER portfolio check -> optimal power flow -> DER envelopes -> day-ahead
# schedule and stress test -> FLISR and reliability indices -> outage Monte Carlo -> IEEE 13
# three-phase power flow and per-phase hosting capacity -> IEEE 34 FLISR.
# Run through `make demo` (which installs everything first). Output goes to demo_out/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=demo_out
rm -rf "$out"
mkdir -p "$out"

echo "== 1. Import the IEEE 33-bus feeder (MATPOWER case33bw: ohms and kW converted in code)"
gat dist import matpower --file test_data/matpower/case33bw.m -d "$out/case33bw" --feeder-id F33

echo
echo "== 2. Validate the network folder"
gat validate "$out/case33bw"

echo
echo "== 3. AC power flow at base load"
gat dist pf --grid-file "$out/case33bw" -d "$out/pf_base"

echo
echo "== 3b. A planner's edit: 60 % more load at the feeder ends (nodes 15-18 and 30-33) in a copy, then the power flow again"
gat network set --grid-file "$out/case33bw" --table dist_nodes --column load_p --scale 1.6 \
  --where node_id=15,16,17,18,30,31,32,33 -d "$out/case33bw_grown"
gat dist pf --grid-file "$out/case33bw_grown" -d "$out/pf_grown"

echo
echo "== 4. Load sweep: 7 scenarios (50% .. 140% of base load) solved as one batch"
gat dist pf --grid-file "$out/case33bw" -d "$out/pf_sweep" --scenarios test_data/scenarios/load_sweep.csv

echo
echo "== 5. Hosting capacity of every node (v_max 1.05 pu, unity power factor), full and half load"
gat dist hostcap --grid-file "$out/case33bw" -d "$out/hostcap" --v-max 1.05 --load-scale 1.0 --load-scale 0.5

echo
echo "== 6. Check the shipped DER portfolio, then the optimal power flow: least losses, AC-verified"
gat derms validate-assets --assets test_data/assets/case33bw_der.csv --grid-file "$out/case33bw" \
  --cost-curves test_data/assets/case33bw_cost_curves.csv
gat dist opf --grid-file "$out/case33bw" -d "$out/opf" --objective loss \
  --assets test_data/assets/case33bw_der.csv

echo
echo "== 7. DER flexibility envelopes (13 assets: PV, batteries, EVs, flexible loads), by aggregator and at the feeder head"
gat derms envelope --grid-file test_data/derms/case33bw --assets test_data/derms/der_assets.csv \
  -d "$out/envelope"
gat derms envelope --grid-file test_data/derms/case33bw --assets test_data/derms/der_assets.csv \
  -d "$out/envelope_feeder" --group-by feeder

echo
echo "== 8. Day-ahead DER schedule (96 x 15 min, least cost under voltage and thermal limits), then 8 random days"
derms_inputs=(--grid-file test_data/derms/case33bw --assets test_data/derms/der_assets.csv
  --price-series test_data/derms/prices.csv --load-series test_data/derms/loads.csv
  --pv-series test_data/derms/pv.csv)
gat derms schedule "${derms_inputs[@]}" -d "$out/schedule" --v-min 0.94
gat derms stress-test "${derms_inputs[@]}" -d "$out/stress" --samples 8 --seed 1

echo
echo "== 9. FLISR for every fault (switching MILP through the ties, AC-checked) and IEEE 1366 indices"
adms_inputs=(--grid-file test_data/adms/case33bw --reliability test_data/adms/case33bw_reliability.csv
  --switches test_data/adms/case33bw_switching_devices.csv)
gat adms flisr-sim "${adms_inputs[@]}" -d "$out/flisr"
gat adms outage-mc "${adms_inputs[@]}" -d "$out/mc" --samples 2000 --seed 1

echo
echo "== 10. IEEE 13-node feeder (shipped dataset, from OpenDSS): three-phase power flow, published taps"
gat dataset export ieee13 -d "$out/ieee13"
gat dist pf --grid-file "$out/ieee13" -d "$out/ieee13_pf" --unbalanced --regulators fixed
echo "-- single-phase PV hosting capacity of every node phase (v_max 1.08 pu, voltage unbalance <= 3 %)"
gat dist hostcap --grid-file "$out/ieee13" -d "$out/ieee13_hc" --phase-mode each --v-max 1.08 \
  --check voltage,unbalance

echo
echo "== 11. IEEE 34-node feeder (unbalanced, single-phase laterals): FLISR and indices, checked by three-phase power flow"
gat dataset export ieee34 -d "$out/ieee34"
gat adms flisr-sim --grid-file "$out/ieee34" -d "$out/flisr34"
echo "-- hosting capacity of every node (three-phase DER); limits broken before any DER held (--held-tol 0.001 pu)"
gat dist hostcap --grid-file "$out/ieee34" -d "$out/ieee34_hc"

echo
echo "== 12. Terminal UI: the IEEE 13 power flow in gat tui, drawn headless into an SVG"
gat tui "$out/ieee13_pf" --screenshot "$out/tui.svg"

echo
echo "== 13. Figures: voltage profile, hosting-capacity map, envelopes, schedule, reliability (PNG)"
mkdir -p "$out/figures"
gat plot profile --from "$out/pf_sweep" -o "$out/figures/profile.png"
gat plot map --from "$out/hostcap" -o "$out/figures/hostcap_map.png"
gat plot envelope --from "$out/envelope" -o "$out/figures/envelope.png"
gat plot schedule --from "$out/schedule" -o "$out/figures/schedule.png"
gat plot reliability --from "$out/flisr" -o "$out/figures/reliability.png"

echo
echo "== 13b. State estimation of case33bw from noisy measurements, one bad reading planted (and found)"
gat adms make-measurements --grid-file "$out/case33bw" -d "$out/se_meas" \
  --voltages 1,6,12,18,25,30,33 --flows 1,2,5,10,18,22,25,30 --injections 3,8,14,20,28 \
  --pseudo-pct 30 --gross-errors 1 --seed 3
gat adms state-estimation --grid-file "$out/case33bw" \
  --measurements "$out/se_meas/measurements.parquet" -d "$out/se"

echo
echo "== 13c. A day on IEEE 13 with 2.5 MW of PV: quasi-static time series, regulators acting hour by hour"
gat dist import opendss --file test_data/qsts/ieee13_pv_daily.dss -d "$out/ieee13_pv"
gat dist qsts --grid-file "$out/ieee13_pv" -d "$out/qsts"
gat dist qsts --grid-file "$out/ieee13_pv" -d "$out/qsts_held" --control-mode off
gat plot --from "$out/qsts" -o "$out/figures/qsts.png"

echo
echo "== 13d. Reconfiguration of case33bw: which ties to close and branches to open (MILP, AC polish)"
gat adms reconfigure --grid-file "$out/case33bw" -d "$out/reconfig" --write-network "$out/case33bw_reconf"

echo
echo "== 13e. Volt/VAR plan for IEEE 13 (6 hours of a weekday with PV): taps, capacitors and inverter vars against its own regulators"
gat adms vvo-plan --grid-file "$out/ieee13" --load-shapes test_data/vvo/day_types.csv \
  --day-types weekday --pv-shape pv --periods 6 --max-tap-ops 4 --max-cap-ops 1 -d "$out/vvo"

echo
echo "== 13f. IEEE 37 as EPRI ships it: a three-wire delta feeder behind an open-delta regulator bank"
gat dist import opendss --file test_data/opendss/ieee37/ieee37.dss -d "$out/ieee37"
gat dist pf --unbalanced --grid-file "$out/ieee37" -d "$out/ieee37_pf"

echo
echo "== 13g. Utility load data as EPRI writes it (xfkVA x AllocationFactor, a ZIP load, SetkVBase): import and three-phase power flow"
gat dist import opendss --file test_data/opendss/epri_rules/epri_rules.dss -d "$out/epri_rules"
gat dist pf --unbalanced --grid-file "$out/epri_rules" -d "$out/epri_rules_pf"

echo
echo "== 13h. A 533-bus Swedish network MATPOWER writes per phase (case533mt): import as three-phase, power flow, hosting capacity"
gat dist import matpower --file test_data/matpower/case533mt_hi.m -d "$out/case533" --per-phase
gat dist pf --grid-file "$out/case533" -d "$out/case533_pf"
gat dist hostcap --grid-file "$out/case533" -d "$out/case533_hc"

echo
echo "== 13i. Underground concentric-neutral cables (IEEE 9500's and LVTestCaseNorthAmerican's CNData, below ground): import and three-phase power flow"
gat dist import opendss --file test_data/opendss/cables/cables.dss -d "$out/cables"
gat dist pf --unbalanced --grid-file "$out/cables" -d "$out/cables_pf"

echo
echo "== 14. Planner's summary"
python scripts/demo_summary.py "$out"
