"""Rotation matrices GCRF(=ICRF axes) -> Orekit's Moon body-oriented frame ("IAU_MOON").

Orekit 13 ``CelestialBodyFactory.getMoon().getBodyOrientedFrame()`` uses
``PredefinedIAUPoles.MOON``: the WGCCRE 2009 report (Archinal et al. 2011, Celest. Mech. Dyn.
Astr. 109:101) lunar model with the 13 periodic terms E1..E13, parent frame GCRF. The time
arguments are ``d = date.offsetFrom(J2000_EPOCH, TDB) / 86400`` and ``T = d / 36525`` where
Orekit's ``J2000_EPOCH`` is 2000-01-01T12:00:00 **TT**; its TDB reading is 72.66 us before
J2000 TDB, so ``d = (t_tdb + 7.266e-5 s) / 86400`` (an effect of 2e-10 rad on W; this script
shows it).

Writes ``tests/data/orekit/iau_moon_rotations.npz``: 1200 random epochs 1990-2049 (fixed seed),
``R`` (N,3,3) with ``r_body = R @ r_icrf``, the body angular velocity ``omega_body`` (rad/s,
body-frame components; ``dR/dt = -[omega_body x] R``; from Richardson differences of Orekit's
R, see ``omega_from_rotations``), ``omega_icrf`` (= R^T omega_body), Orekit's own
``omega_body_orekit`` (10 s forward difference of W, good to ~3e-8 relative), and
the independent numpy evaluation of the same formulas used to verify the coefficients listed
in ``references/orekit/README.md``.

Run: ``python references/orekit/iau_moon_frame.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import orekit_setup as osu

SEED = 20300101
N_EPOCHS = 1200
#: Orekit's J2000_EPOCH (12:00 TT) read in TDB, minus J2000 TDB (s); printed/checked by main().
J2000_TT_MINUS_TDB_READING_S = -7.2659208627161e-05

# WGCCRE 2009 lunar rotation model, as coded in Orekit PredefinedIAUPoles.MOON (degrees).
ALPHA0, ALPHA_T = 269.9949, 0.0031
DELTA0, DELTA_T = 66.5392, 0.0130
W0, W_D, W_DD = 38.3213, 13.17635815, -1.4e-12
#: E_k = E0 + Edot * d (deg); then sin coefficient for alpha, cos coefficient for delta,
#: sin coefficient for W.
E_TERMS = np.array(
    [
        # E0,      Edot,         alpha_sin, delta_cos, W_sin
        [125.045, -0.0529921, -3.8787, 1.5419, 3.5610],
        [250.089, -0.1059842, -0.1204, 0.0239, 0.1208],
        [260.008, 13.0120009, 0.0700, -0.0278, -0.0642],
        [176.625, 13.3407154, -0.0172, 0.0068, 0.0158],
        [357.529, 0.9856003, 0.0, 0.0, 0.0252],
        [311.589, 26.4057084, 0.0072, -0.0029, -0.0066],
        [134.963, 13.0649930, 0.0, 0.0009, -0.0047],
        [276.617, 0.3287146, 0.0, 0.0, -0.0046],
        [34.226, 1.7484877, 0.0, 0.0, 0.0028],
        [15.134, -0.1589763, -0.0052, 0.0008, 0.0052],
        [119.743, 0.0036096, 0.0, 0.0, 0.0040],
        [239.961, 0.1643573, 0.0, 0.0, 0.0019],
        [25.053, 12.9590088, 0.0043, -0.0009, -0.0044],
    ]
)


def iau_moon_numpy(t_tdb: np.ndarray, tt_epoch_offset: bool = True, dtype=np.float64) -> np.ndarray:
    """IAU 2009 Moon rotation ICRF -> body, (N,3,3), independent of Orekit.

    ``R = R3(W) R1(90 deg - delta) R3(90 deg + alpha)`` (WGCCRE convention). ``t_tdb`` in TDB
    seconds past J2000 TDB; with ``tt_epoch_offset`` the day count is taken from Orekit's
    TT-defined J2000 epoch exactly as Orekit does. ``dtype=np.longdouble`` gives an
    extended-precision evaluation (used to check angular velocities).
    """
    t = np.asarray(t_tdb, dtype)
    terms = E_TERMS.astype(dtype)
    rad = dtype(np.pi) / dtype(180)
    shift = dtype(-J2000_TT_MINUS_TDB_READING_S if tt_epoch_offset else 0.0)
    d = (t + shift) / dtype(86400)
    cap_t = d / dtype(36525)
    e = (terms[:, 0][:, None] + terms[:, 1][:, None] * d[None, :]) * rad
    alpha = (ALPHA0 + ALPHA_T * cap_t + terms[:, 2] @ np.sin(e)) * rad
    delta = (DELTA0 + DELTA_T * cap_t + terms[:, 3] @ np.cos(e)) * rad
    w = (W0 + W_D * d + W_DD * d * d + terms[:, 4] @ np.sin(e)) * rad
    half_pi = dtype(np.pi) / dtype(2)
    return _r3(w) @ _r1(half_pi - delta) @ _r3(half_pi + alpha)


def omega_longdouble(t_tdb: np.ndarray) -> np.ndarray:
    """Body angular velocity (rad/s) of the numpy model, central difference in long double."""
    t = np.asarray(t_tdb, np.longdouble)
    h = np.longdouble(1.0)
    dr = (iau_moon_numpy(t + h, dtype=np.longdouble) - iau_moon_numpy(t - h, dtype=np.longdouble)) / (2 * h)
    skew = -dr @ np.swapaxes(iau_moon_numpy(t, dtype=np.longdouble), 1, 2)
    return np.stack([skew[:, 2, 1], skew[:, 0, 2], skew[:, 1, 0]], axis=1).astype(float)


def _r1(a: np.ndarray) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    out = np.zeros(a.shape + (3, 3), a.dtype)
    out[..., 0, 0] = 1.0
    out[..., 1, 1], out[..., 1, 2], out[..., 2, 1], out[..., 2, 2] = c, s, -s, c
    return out


def _r3(a: np.ndarray) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    out = np.zeros(a.shape + (3, 3), a.dtype)
    out[..., 2, 2] = 1.0
    out[..., 0, 0], out[..., 0, 1], out[..., 1, 0], out[..., 1, 1] = c, s, -s, c
    return out


def rotation_angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle (rad) of the rotation a @ b^T, per epoch (robust for tiny angles)."""
    m = a @ np.swapaxes(b, -1, -2)
    axial = np.stack([m[..., 2, 1] - m[..., 1, 2], m[..., 0, 2] - m[..., 2, 0], m[..., 1, 0] - m[..., 0, 1]], axis=-1)
    return np.arctan2(0.5 * np.linalg.norm(axial, axis=-1), 0.5 * (np.trace(m, axis1=-2, axis2=-1) - 1.0))


def orekit_rotations(t_tdb: np.ndarray):
    """Orekit rotation matrices and body angular velocities at TDB epochs."""
    gcrf, body = osu.gcrf(), osu.moon_body_frame()
    rots = np.empty((len(t_tdb), 3, 3))
    omega_body = np.empty((len(t_tdb), 3))
    for i, t in enumerate(t_tdb):
        date = osu.date_from_tdb_seconds(t)
        rots[i] = osu.rotation_matrix(gcrf, body, date)
        omega_body[i] = osu.vec(gcrf.getKinematicTransformTo(body, date).getRotationRate())
    return rots, omega_body


def _omega_central(t: np.ndarray, h: float) -> np.ndarray:
    """Body angular velocity from central differences of Orekit rotations, step h (TDB s)."""
    rp, _ = orekit_rotations(t + h)
    rm, _ = orekit_rotations(t - h)
    r0, _ = orekit_rotations(t)
    skew = -((rp - rm) / (2.0 * h)) @ np.swapaxes(r0, 1, 2)  # dR/dt = -[w x] R
    return np.stack([skew[:, 2, 1], skew[:, 0, 2], skew[:, 1, 0]], axis=1)


def omega_from_rotations(t: np.ndarray, h: float = 100.0) -> np.ndarray:
    """Body-axes angular velocity (rad/s per TDB second), Richardson-extrapolated central
    differences (steps h and 2h) of Orekit's rotation matrices: truncation O(h^4), rounding of
    W (~3e3 rad in 2049) about 1e-9 relative.

    Orekit's own rate (``getRotationRate``) takes W' as a 10 s forward difference, which is
    only good to a few 1e-8 relative; it is stored too, as ``omega_body_orekit``.
    """
    return (4.0 * _omega_central(t, h) - _omega_central(t, 2.0 * h)) / 3.0


def main() -> Path:
    osu.start()
    from org.orekit.time import AbsoluteDate

    offset = float(AbsoluteDate.J2000_EPOCH.offsetFrom(osu.j2000_tdb_date(), osu.tdb()))
    print(f"Orekit {osu.orekit_version()}: J2000_EPOCH (TT) TDB reading - J2000 TDB = {offset:.6e} s")
    assert abs(offset - J2000_TT_MINUS_TDB_READING_S) < 1e-12

    rng = np.random.default_rng(SEED)
    t_lo = osu.tdb_seconds(AbsoluteDate("1990-01-01T00:00:00", osu.tdb()))
    t_hi = osu.tdb_seconds(AbsoluteDate("2049-12-31T00:00:00", osu.tdb()))
    t = np.sort(rng.uniform(t_lo, t_hi, N_EPOCHS))
    rots, omega_orekit = orekit_rotations(t)

    omega_fd = omega_from_rotations(t)
    fd_err = np.abs(omega_fd - omega_orekit).max() / np.abs(omega_fd).max()
    omega_icrf = np.einsum("nji,nj->ni", rots, omega_fd)
    omega_ld = omega_longdouble(t)
    ld_err = np.abs(omega_fd - omega_ld).max() / np.abs(omega_ld).max()
    orekit_ld_err = np.abs(omega_orekit - omega_ld).max() / np.abs(omega_ld).max()

    ref = iau_moon_numpy(t, tt_epoch_offset=True)
    ref_no = iau_moon_numpy(t, tt_epoch_offset=False)
    err = rotation_angle(rots, ref).max()
    err_no = rotation_angle(rots, ref_no).max()
    ortho = np.abs(rots @ np.swapaxes(rots, 1, 2) - np.eye(3)).max()
    print(f"  {N_EPOCHS} epochs 1990-2049, |omega| {np.linalg.norm(omega_fd, axis=1).mean():.9e} rad/s")
    print(
        f"  omega (Richardson differences of Orekit R) vs long-double numpy model: {ld_err:.2e} rel; "
        f"Orekit getRotationRate vs long-double: {orekit_ld_err:.2e} rel; orthonormality {ortho:.1e}"
    )
    print(
        f"  numpy IAU-2009 formulas vs Orekit: max angle {err:.3e} rad "
        f"(d from J2000 TDB instead of Orekit's TT epoch: {err_no:.3e} rad)"
    )
    assert err < 1e-11 and ld_err < 2e-8 and fd_err < 3e-7

    path = osu.DATA_DIR / "iau_moon_rotations.npz"
    np.savez_compressed(
        path,
        t_tdb=t,
        R=rots,
        omega_body=omega_fd,
        omega_icrf=omega_icrf,
        omega_body_orekit=omega_orekit,
        omega_orekit_rel_err=fd_err,
        seed=SEED,
        j2000_tt_minus_tdb_reading_s=offset,
        numpy_vs_orekit_max_angle_rad=err,
        orekit_version=np.array(osu.orekit_version()),
        description=np.array(
            "Orekit Moon body-oriented frame (PredefinedIAUPoles.MOON = WGCCRE 2009 with "
            "E1..E13) relative to GCRF (ICRF axes): r_body = R @ r_icrf; omega_body in body "
            "axes, rad/s (Richardson differences of R; omega_body_orekit = Orekit's rate); t_tdb TDB s past J2000 TDB; Orekit's d counts from J2000 TT "
            "(t_tdb + 7.266e-5 s). Made by references/orekit/iau_moon_frame.py"
        ),
    )
    print(f"  -> {path} ({path.stat().st_size} B)")
    return path


if __name__ == "__main__":
    main()
