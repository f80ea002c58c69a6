#!/usr/bin/env bash
# End-to-end demo on data the repository ships: import -> validate -> power flow -> load sweep
# -> hosting capacity -> DER portfolio check -> optimal power flow.
# Run through `make demo` (which installs everything first). Output goes to demo_out/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=demo_out
rm -rf "$out"
mkdir -p "$out"

echo "== 1. Import the IEEE 33-bus feeder (MATPOWER case33bw: ohms and kW converted in code)"
gat dist import matpower --m test_data/matpower/case33bw.m -d "$out/case33bw" --feeder-id F33

echo
echo "== 2. Validate the network folder"
gat validate "$out/case33bw"

echo
echo "== 3. AC power flow at base load"
gat dist pf --grid-file "$out/case33bw" -d "$out/pf_base"

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
echo "== 7. Planner's summary"
python scripts/demo_summary.py "$out"
