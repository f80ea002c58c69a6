"""``gat_pf.admittance``: the network admittance behind both physics models.

The checks use only the power-flow solution: the admittance must reproduce its nodal
balance (zero injection where nothing is connected, the loads where they are) and the
physics model's own conductor currents.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gat_pf import physics_model
from gat_pf.admittance import network_admittance
from gat_schemas import read_network

HERE = Path(__file__).parent
ROOT = HERE.parents[2]
CASES = {
    "case33bw": ROOT / "test_data" / "networks" / "case33bw",
    "ieee13": HERE / "data" / "threephase" / "ieee13" / "network",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_admittance_reproduces_the_power_flow(case: str) -> None:
    phys = physics_model(read_network(CASES[case]))
    sol = phys.solve()
    adm = network_admittance(phys, None if sol.taps.shape[1] == 0 else sol.taps[0])
    v = np.zeros(adm.n_elec, dtype=complex)
    v[adm.term_elec] = sol.v[0]
    s = v * np.conj(adm.y @ v) * adm.s_base_mva
    # Nothing connected: no injection (KCL through the admittance alone).
    assert np.abs(s[~adm.elec_fixed]).max(initial=0.0) < 1e-8
    # The slack supplies what the rest of the network draws (within the ZIP loads' spread).
    assert abs(s[adm.elec_fixed & ~adm.elec_slack].sum().real + adm.elec_load.sum().real) < 0.01
    lim = phys.limits(sol)
    ok = ~adm.cond_ideal
    i_f = np.abs(adm.cond_from @ v) * adm.elec_i_base_a[adm.cond_f_elec]
    i_t = np.abs(adm.cond_to @ v) * adm.elec_i_base_a[adm.cond_t_elec]
    np.testing.assert_allclose(np.maximum(i_f, i_t)[ok], lim.current_a[0][ok], rtol=1e-8, atol=1e-6)
    assert adm.elec_slack.sum() == (1 if phys.kind == "balanced" else 3)
