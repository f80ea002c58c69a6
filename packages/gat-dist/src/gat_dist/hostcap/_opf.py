"""Method ``opf``: hosting capacity from the OPF's ``hostcap`` objective (gat_dist.opf).

The OPF maximises the injection at one node at a time with the network's DER assets
controllable (curtailment, reactive support), and re-checks every answer with a batched AC
power flow; this module maps the study's options onto it and its result onto
``hostcap_summary``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from gat_schemas import Network
from gat_schemas.errors import InputError

from ._options import Check, HostcapOptions, QMode

__all__ = ["OPF_EXTRA_COLUMNS", "opf_summary"]

#: Columns of the OPF's result kept in ``hostcap_summary`` besides the common ones.
OPF_EXTRA_COLUMNS = ("ac_converged", "ac_vm_violation_pu", "ac_thermal_violation_pct", "opf_status")
_COMMON = (
    "bus_id",
    "load_scale",
    "hosting_capacity_mw",
    "limiting_constraint",
    "limiting_element",
    "vm_max_pu_at_hc",
    "loading_max_pct_at_hc",
)


def opf_summary(
    network: Network, options: HostcapOptions, load_scale: float, buses: Sequence[str]
) -> pd.DataFrame:
    """``hostcap_summary`` rows of ``buses`` at one load level, by OPF.

    Raises
    ------
    gat_schemas.errors.InputError
        Options the OPF cannot honour: voltage limits switched off, or reactive power
        injected with the active power (the OPF's injection absorbs it).
    """
    from gat_dist.opf import Objective, OpfOptions, hostcap_opf

    if Check.VOLTAGE not in options.checks:
        raise InputError("hostcap method opf always enforces voltage limits; add the voltage check")
    if options.pf < 1 and options.q_mode is QMode.INJECT:
        raise InputError(
            "hostcap method opf: the injection absorbs reactive power (pf mode absorb)"
        )
    opf_options = OpfOptions(
        objective=Objective.HOSTCAP,
        v_max=options.v_max,
        enforce_thermal=Check.THERMAL in options.checks,
        reverse_flow_limit_mw=0.0 if Check.REVERSE_FLOW in options.checks else None,
    )
    res = hostcap_opf(
        network,
        list(buses),
        options=opf_options,
        max_injection_mw=options.max_injection_mw,
        power_factor=options.pf,
        load_scales=(float(load_scale),),
    )
    out = res.summary.loc[:, [*_COMMON, *OPF_EXTRA_COLUMNS]].reset_index(drop=True)
    out["hosting_capacity_mw"] = np.maximum(out["hosting_capacity_mw"].astype(float), 0.0)
    out["limiting_element"] = [
        e if isinstance(e, str) and e else None for e in out["limiting_element"]
    ]
    out["ac_converged"] = out["ac_converged"].astype(bool)
    out["opf_status"] = out["opf_status"].astype(str)
    return out
