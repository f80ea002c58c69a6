"""The loads' admittances at nominal voltage, moved into the three-phase fixed point's
factorised matrix (see :func:`load_admittance`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._model import ThreePhaseModel

__all__ = ["load_admittance", "load_matrix"]


def load_admittance(model: ThreePhaseModel) -> np.ndarray:
    """Every consuming load element's admittance at nominal voltage ``conj(s) / v_nom^2``
    (E,) (pu); 0 for elements that do not consume active power at nominal voltage (negative
    loads, i.e. generation, whose negative conductance would weaken the matrix and could
    ground a floating winding in the factor) and for non-scalable elements (node generation
    and fixed injections). Kept on the model.

    The fixed point of :func:`~._api.solve_batch_3ph` factorises ``Y`` plus ``A^T diag(y) A`` and
    adds ``y v_element`` back to the element currents (``fixed_point(y_load=...)``): the same
    solution and stopping test, and the factor carries the loads' constant-impedance share
    (OpenDSS keeps load admittances in its system matrix for the same reason; the physics
    interface's solver does the same), so loaded feeders need fewer iterations (IEEE 8500
    at OpenDSS's taps: 13 -> 10). Nominal, not per scenario: every scenario of a batch shares
    the factor and takes the iterates it would take alone.
    """
    y = model._cache.get("y_load")
    if y is None:
        ld = model.loads
        s = ld.s_p + ld.s_i + ld.s_z
        use = ld.scalable & (s.real > 0)
        y = np.zeros(len(s), dtype=complex)
        y[use] = np.conj(s[use]) / ld.v_nom[use] ** 2
        y.setflags(write=False)
        model._cache["y_load"] = y
    return y


def load_matrix(model: ThreePhaseModel, y_load: np.ndarray) -> Any:
    """``A^T diag(y_load) A`` (CSR, n_bp x n_bp) for the load incidence ``A``, kept on the
    model for the last ``y_load`` (the regulator rounds' factors share it)."""
    import scipy.sparse as sp

    got = model._cache.get("y_load_bp")
    if got is not None and got[0] is y_load:
        return got[1]
    inc = model.loads.incidence
    if inc.shape[1] == model.n_bp:
        mat = (inc.T @ sp.diags(y_load) @ inc).tocsr()
    else:  # no load elements
        mat = sp.csr_matrix((model.n_bp, model.n_bp), dtype=complex)
    model._cache["y_load_bp"] = (y_load, mat)
    return mat
