"""The measurement model: h(x), its sparse Jacobian and batched gradients, on arrays.

State ``x = [theta (non-slack terminals), vm (all terminals)]`` over the E electrical
terminals of :class:`gat_pf.admittance.NetworkAdmittance` (radians, pu). The slack
terminals' angles are fixed at their set points (the reference); their magnitudes are
estimated. Measurements are per unit: powers on ``s_base_mva``, currents on the end's base
current, angles in radians. With ``V = vm * exp(j theta)``, ``I = Y V``:

- injections ``S = V * conj(I)`` (generation positive), flows ``S_f = V_f * conj(I_f)``
  with ``I_f = Y_f V`` (entering the conductor at that end), currents ``|I_f|``.

Derivatives use ``dV = V * (j dtheta + dvm / vm)``. For the batched gradient
``H^T u`` of ``f = sum u_i h_i(x)`` a power term ``Re(conj(w) A conj(B))`` (A, B linear in
V) contributes ``g_V = A_map^T (conj(w) conj(B)) + B_map^T (w conj(A))`` and then
``df/dtheta = -Im(g_V V)``, ``df/dvm = Re(g_V V) / vm``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = ["KIND_CODES", "MeasArrays", "SeModel", "evaluate", "gradient", "jacobian", "residual"]

#: Kind codes of the arrays (index = code).
KIND_CODES = ("v_mag", "v_ang", "p_inj", "q_inj", "p_flow", "q_flow", "i_mag")
V_MAG, V_ANG, P_INJ, Q_INJ, P_FLOW, Q_FLOW, I_MAG = range(7)


@dataclass(frozen=True, eq=False)
class SeModel:
    """Network arrays the estimator needs (from the admittance; see the module doc).

    ``y`` (E, E); ``yf``/``yt`` (C, E) conductor end currents; ``af``/``at`` (C, E) 0/1
    end incidence; ``slack`` (E,) bool; ``theta_slack`` (E,) fixed angles (rad);
    ``ns`` (E - Es,) the non-slack terminals (angle states).
    """

    y: sp.csr_matrix
    yf: sp.csr_matrix
    yt: sp.csr_matrix
    af: sp.csr_matrix
    at: sp.csr_matrix
    slack: np.ndarray
    theta_slack: np.ndarray
    ns: np.ndarray

    @classmethod
    def from_admittance(cls, adm: object) -> SeModel:
        """Build from a :class:`gat_pf.admittance.NetworkAdmittance`."""
        n_e = adm.n_elec  # type: ignore[attr-defined]
        n_c = len(adm.cond_f_elec)  # type: ignore[attr-defined]
        rows = np.arange(n_c)
        ones = np.ones(n_c)
        af = sp.csr_matrix((ones, (rows, adm.cond_f_elec)), (n_c, n_e))  # type: ignore[attr-defined]
        at = sp.csr_matrix((ones, (rows, adm.cond_t_elec)), (n_c, n_e))  # type: ignore[attr-defined]
        slack = np.asarray(adm.elec_slack, dtype=bool)  # type: ignore[attr-defined]
        return cls(
            y=sp.csr_matrix(adm.y),  # type: ignore[attr-defined]
            yf=sp.csr_matrix(adm.cond_from),  # type: ignore[attr-defined]
            yt=sp.csr_matrix(adm.cond_to),  # type: ignore[attr-defined]
            af=af,
            at=at,
            slack=slack,
            theta_slack=np.where(slack, np.angle(adm.elec_v_slack), 0.0),  # type: ignore[attr-defined]
            ns=np.flatnonzero(~slack),
        )

    @property
    def n_elec(self) -> int:
        """Electrical terminals E."""
        return int(self.y.shape[0])

    @property
    def n_state(self) -> int:
        """State variables n = (E - Es) + E."""
        return len(self.ns) + self.n_elec

    def voltages(self, x: np.ndarray) -> np.ndarray:
        """(S, E) complex voltages of (S, n) states."""
        x = np.atleast_2d(x)
        n_ns = len(self.ns)
        theta = np.repeat(self.theta_slack[None, :], x.shape[0], axis=0)
        theta[:, self.ns] = x[:, :n_ns]
        return x[:, n_ns:] * np.exp(1j * theta)

    def flat_start(self, v0: np.ndarray | None = None) -> np.ndarray:
        """(n,) state of voltages ``v0`` (E,) or of the slack set points' angles and 1 pu."""
        if v0 is None:
            v0 = np.exp(1j * self.theta_slack.mean() * np.ones(self.n_elec))
            v0 = np.where(self.slack, np.exp(1j * self.theta_slack), v0)
        return np.concatenate([np.angle(v0)[self.ns], np.abs(v0)])


@dataclass(frozen=True, eq=False)
class MeasArrays:
    """M measurements as arrays (per unit; see the module doc).

    ``kind`` (M,) code; ``elec`` (M,) terminal of node kinds (-1 otherwise); ``cond`` (M,)
    conductor of branch kinds (-1 otherwise); ``to_side`` (M,) bool; ``sigma`` (M,) pu.
    """

    kind: np.ndarray
    elec: np.ndarray
    cond: np.ndarray
    to_side: np.ndarray
    sigma: np.ndarray

    def subset(self, keep: np.ndarray) -> MeasArrays:
        """The measurements ``keep`` (bool or index array)."""
        return MeasArrays(
            self.kind[keep], self.elec[keep], self.cond[keep], self.to_side[keep], self.sigma[keep]
        )

    def __len__(self) -> int:
        return len(self.kind)


def _sel(n: int, cols: np.ndarray) -> sp.csr_matrix:
    """(len(cols), n) 0/1 row selector."""
    return sp.csr_matrix((np.ones(len(cols)), (np.arange(len(cols)), cols)), (len(cols), n))


def evaluate(model: SeModel, meas: MeasArrays, v: np.ndarray) -> np.ndarray:
    """(S, M) measurement functions at (S, E) voltages."""
    v = np.atleast_2d(v)
    out = np.zeros((v.shape[0], len(meas)))
    k = meas.kind
    i_inj = (model.y @ v.T).T
    for code, fn in ((P_INJ, np.real), (Q_INJ, np.imag)):
        sel = k == code
        e = meas.elec[sel]
        out[:, sel] = fn(v[:, e] * np.conj(i_inj[:, e]))
    sel = k == V_MAG
    out[:, sel] = np.abs(v[:, meas.elec[sel]])
    sel = k == V_ANG
    out[:, sel] = np.angle(v[:, meas.elec[sel]])
    br = np.isin(k, (P_FLOW, Q_FLOW, I_MAG))
    if br.any():
        i_f = (model.yf @ v.T).T
        i_t = (model.yt @ v.T).T
        v_f = (model.af @ v.T).T
        v_t = (model.at @ v.T).T
        c, ts = meas.cond[br], meas.to_side[br]
        i_end = np.where(ts, i_t[:, c], i_f[:, c])
        v_end = np.where(ts, v_t[:, c], v_f[:, c])
        s_end = v_end * np.conj(i_end)
        kb = k[br]
        out[:, br] = np.where(
            kb == P_FLOW, s_end.real, np.where(kb == Q_FLOW, s_end.imag, np.abs(i_end))
        )
    return out


def residual(meas: MeasArrays, z: np.ndarray, h: np.ndarray) -> np.ndarray:
    """``z - h`` with angle rows wrapped into [-pi, pi) (a PMU angle near 180 degrees)."""
    r = z - h
    ang = meas.kind == V_ANG
    if ang.any():
        r[..., ang] = (r[..., ang] + np.pi) % (2.0 * np.pi) - np.pi
    return r


def jacobian(model: SeModel, meas: MeasArrays, v: np.ndarray) -> sp.csr_matrix:
    """(M, n) sparse Jacobian of the measurement functions at one voltage vector (E,)."""
    v = np.asarray(v).reshape(-1)
    n_e = model.n_elec
    vm = np.abs(v)
    vn = v / vm
    dv_a = sp.diags(1j * v)
    dv_m = sp.diags(vn)
    k = meas.kind
    blocks_a: list[sp.csr_matrix] = []
    blocks_m: list[sp.csr_matrix] = []
    order: list[np.ndarray] = []

    def add(rows: np.ndarray, da: sp.spmatrix, dm: sp.spmatrix) -> None:
        order.append(rows)
        blocks_a.append(sp.csr_matrix(da))
        blocks_m.append(sp.csr_matrix(dm))

    inj = np.flatnonzero(np.isin(k, (P_INJ, Q_INJ)))
    if len(inj):
        s_a, s_m = _ds_inj(model.y, v, dv_a, dv_m, meas.elec[inj])
        part = np.where(k[inj] == P_INJ, 0, 1)
        add(inj, _part(s_a, part), _part(s_m, part))
    for code in (V_MAG, V_ANG):
        rows = np.flatnonzero(k == code)
        if len(rows):
            sel = _sel(n_e, meas.elec[rows])
            zero = sp.csr_matrix((len(rows), n_e))
            add(rows, sel if code == V_ANG else zero, sel if code == V_MAG else zero)
    br = np.flatnonzero(np.isin(k, (P_FLOW, Q_FLOW, I_MAG)))
    if len(br):
        c = meas.cond[br]
        ts = meas.to_side[br]
        ymat = sp.vstack([model.yf, model.yt]).tocsr()
        amat = sp.vstack([model.af, model.at]).tocsr()
        rsel = c + np.where(ts, model.yf.shape[0], 0)
        y_r, a_r = ymat[rsel], amat[rsel]
        i_end = y_r @ v
        v_end = a_r @ v
        ci = sp.diags(np.conj(i_end))
        ve = sp.diags(v_end)
        s_a = ci @ a_r @ dv_a + ve @ (y_r @ dv_a).conj()
        s_m = ci @ a_r @ dv_m + ve @ (y_r @ dv_m).conj()
        kb = k[br]
        part = np.where(kb == P_FLOW, 0, 1)
        da, dm = _part(s_a, part), _part(s_m, part)
        cur = kb == I_MAG
        if cur.any():
            mag = np.maximum(np.abs(i_end), 1e-12)
            w = sp.diags(np.where(cur, np.conj(i_end) / mag, 0.0))
            ia = (w @ (y_r @ dv_a)).real
            im = (w @ (y_r @ dv_m)).real
            keep = sp.diags((~cur).astype(float))
            da = keep @ da + ia
            dm = keep @ dm + im
        add(br, da, dm)
    rows = np.concatenate(order) if order else np.zeros(0, dtype=np.int64)
    ha = sp.vstack(blocks_a).tocsr() if blocks_a else sp.csr_matrix((0, n_e))
    hm = sp.vstack(blocks_m).tocsr() if blocks_m else sp.csr_matrix((0, n_e))
    h = sp.hstack([ha[:, model.ns], hm]).tocsr()
    perm = np.empty(len(rows), dtype=np.int64)
    perm[rows] = np.arange(len(rows))
    return h[perm]


def _ds_inj(
    y: sp.csr_matrix, v: np.ndarray, dv_a: sp.spmatrix, dv_m: sp.spmatrix, rows: np.ndarray
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Rows ``rows`` of dS/dtheta and dS/dvm of the injections (complex, E columns)."""
    y_r = y[rows]
    i_r = y_r @ v
    a_r = _sel(y.shape[0], rows)
    ci = sp.diags(np.conj(i_r))
    vr = sp.diags(v[rows])
    s_a = ci @ a_r @ dv_a + vr @ (y_r @ dv_a).conj()
    s_m = ci @ a_r @ dv_m + vr @ (y_r @ dv_m).conj()
    return sp.csr_matrix(s_a), sp.csr_matrix(s_m)


def _part(s: sp.csr_matrix, part: np.ndarray) -> sp.csr_matrix:
    """Real rows where ``part`` is 0, imaginary rows where it is 1."""
    p = sp.diags((part == 0).astype(float))
    q = sp.diags((part == 1).astype(float))
    return sp.csr_matrix(p @ s.real + q @ s.imag)


def constraint_jacobian(model: SeModel, zero: np.ndarray, v: np.ndarray) -> sp.csr_matrix:
    """(2Z, n) Jacobian of the zero-injection constraints (P rows, then Q rows)."""
    v = np.asarray(v).reshape(-1)
    s_a, s_m = _ds_inj(model.y, v, sp.diags(1j * v), sp.diags(v / np.abs(v)), zero)
    ha = sp.vstack([s_a.real, s_a.imag]).tocsr()
    hm = sp.vstack([s_m.real, s_m.imag]).tocsr()
    return sp.hstack([ha[:, model.ns], hm]).tocsr()


def constraints(model: SeModel, zero: np.ndarray, v: np.ndarray) -> np.ndarray:
    """(S, 2Z) zero-injection residuals ``[P, Q]`` at (S, E) voltages."""
    v = np.atleast_2d(v)
    i = (model.y[zero] @ v.T).T
    s = v[:, zero] * np.conj(i)
    return np.concatenate([s.real, s.imag], axis=1)


def gradient(
    model: SeModel,
    meas: MeasArrays,
    v: np.ndarray,
    u: np.ndarray,
    zero: np.ndarray | None = None,
    lam: np.ndarray | None = None,
) -> np.ndarray:
    """(S, n) ``H^T u`` (plus ``C^T lam`` of the constraints) at (S, E) voltages, batched.

    ``u`` (S, M) weights per measurement; ``lam`` (S, 2Z) multipliers of the constraints
    at terminals ``zero`` (P, then Q).
    """
    v = np.atleast_2d(v)
    n_s, n_e = v.shape
    k = meas.kind
    w_inj = np.zeros((n_s, n_e), dtype=complex)
    for code, unit in ((P_INJ, 1.0), (Q_INJ, 1j)):
        sel = np.flatnonzero(k == code)
        if len(sel):
            acc = np.zeros((n_s, n_e), dtype=complex)
            np.add.at(acc.T, meas.elec[sel], (u[:, sel] * unit).T)
            w_inj += acc
    if zero is not None and lam is not None and len(zero):
        nz = len(zero)
        w_inj[:, zero] += lam[:, :nz] + 1j * lam[:, nz:]
    i_inj = (model.y @ v.T).T
    g_v = np.conj(w_inj) * np.conj(i_inj) + (model.y.T @ (w_inj * np.conj(v)).T).T
    g_theta = np.zeros((n_s, n_e))
    g_vm = np.zeros((n_s, n_e))
    br = np.flatnonzero(np.isin(k, (P_FLOW, Q_FLOW, I_MAG)))
    if len(br):
        n_c = model.yf.shape[0]
        for to_side, ymat, amat in ((False, model.yf, model.af), (True, model.yt, model.at)):
            rows = br[meas.to_side[br] == to_side]
            if not len(rows):
                continue
            c = meas.cond[rows]
            i_all = (ymat @ v.T).T
            v_all = (amat @ v.T).T
            i_end = i_all[:, c]
            kr = k[rows]
            w = np.where(kr == P_FLOW, 1.0, np.where(kr == Q_FLOW, 1j, 0.0)) * u[:, rows]
            cur = np.where(kr == I_MAG, 1.0, 0.0) * u[:, rows]
            wc = np.zeros((n_s, n_c), dtype=complex)
            uc = np.zeros((n_s, n_c), dtype=complex)
            np.add.at(wc.T, c, w.T)
            mag = np.maximum(np.abs(i_end), 1e-12)
            np.add.at(uc.T, c, (cur * np.conj(i_end) / mag).T)
            g_v += (amat.T @ (np.conj(wc) * np.conj(i_all)).T).T
            g_v += (ymat.T @ (wc * np.conj(v_all) + uc).T).T
    gv = g_v * v
    g_theta += -gv.imag
    g_vm += gv.real / np.abs(v)
    sel = np.flatnonzero(k == V_MAG)
    if len(sel):
        np.add.at(g_vm.T, meas.elec[sel], u[:, sel].T)
    sel = np.flatnonzero(k == V_ANG)
    if len(sel):
        np.add.at(g_theta.T, meas.elec[sel], u[:, sel].T)
    return np.concatenate([g_theta[:, model.ns], g_vm], axis=1)
