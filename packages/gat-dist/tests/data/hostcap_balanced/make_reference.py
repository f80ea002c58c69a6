"""Hosting capacity of balanced networks: the reference kept by test_hostcap_physics.py."""

import sys

import pandas as pd

from gat_dist.hostcap import HostcapOptions, hosting_capacity
from gat_schemas import read_network

CASES = [
    ("case33bw", dict(v_max=1.03, checks=("voltage", "thermal"), load_scales=(0.5, 1.0))),
    (
        "case33bw",
        dict(checks=("voltage", "thermal", "reverse_flow"), pf=0.95, search="bisection", steps=4),
    ),
    (
        "case69",
        dict(checks=("voltage", "thermal", "reverse_flow"), pf=0.9, q_mode="inject", v_max=1.04),
    ),
    ("case9", dict(checks=("voltage", "thermal"), max_injection_mw=500.0, tol_mw=0.01)),
    (
        "case9",
        dict(
            checks=("voltage", "thermal", "reverse_flow"),
            max_injection_mw=500.0,
            tol_mw=0.01,
            load_scales=(1.9,),
        ),
    ),
]
rows, curves = [], []
for k, (case, kw) in enumerate(CASES):
    net = read_network(f"test_data/networks/{case}")
    res = hosting_capacity(net, options=HostcapOptions(**kw))
    s = res.summary.assign(case_index=k, case=case, power_flows=res.power_flows)
    rows.append(s)
    if res.curves is not None:
        curves.append(res.curves.assign(case_index=k, case=case))
pd.concat(rows).to_csv(sys.argv[1] + "/hostcap_summary.csv", index=False, float_format="%.17g")
pd.concat(curves).to_csv(sys.argv[1] + "/hostcap_curves.csv", index=False, float_format="%.17g")
