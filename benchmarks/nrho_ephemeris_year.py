"""The 9:2 L2 south NRHO for one year from 2030-01-01 in the full model (docs/design-orbits.md,
"Into the ephemeris model"): continuity at the patch points, perilune / apolune radius ranges,
perilune-to-perilune period spread, Earth and Sun shadows (the force model's conical shadow,
``geometry.shadow.sun_visible_fraction``: the same formula as the eclipse windows), the departure of
one free flight from the stitched trajectory, and the cost.

    python benchmarks/nrho_ephemeris_year.py [--revs 56] [--save run.npz | --load run.npz] [--arc-accuracy]

``--arc-accuracy`` also flies the arcs through the Moon's shadow and the first perilune arcs with
``REFERENCE_STEPS`` fixed DOP853 steps and prints how far the propagator's arc ends (rtol 1e-12) lie
from those flights: the integrator's own error, the floor below which continuity says nothing.

Force model: GRGM1200A 8×8 in MOON_PA, DE440 Earth and Sun, cannonball SRP (450 kg, 4 m², Cr 1.3).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from lunarscope.constants import EARTH_RADIUS_KM, MOON_RADIUS_KM
from lunarscope.design import ephemeris_shooting as E
from lunarscope.design import families as F
from lunarscope.dynamics.forces import ForceModel, body_positions
from lunarscope.dynamics.integrators import DenseSolution
from lunarscope.dynamics.propagator import VELOCITY_ATOL_PER_KM, propagate
from lunarscope.geometry.shadow import sun_visible_fraction
from lunarscope.gravity import builtin_field
from lunarscope.sources import Sources
from lunarscope.time import to_iso_utc, to_tdb

START = "2030-01-01T00:00:00Z"
SAMPLE_S = 60.0
#: Fixed steps per arc of the reference flights of ``--arc-accuracy`` (0.82 d arcs: ~3.5 s steps;
#: 20,000 and 40,000 steps agree to 1e-9 km on the 9:2 NRHO's arcs).
REFERENCE_STEPS = 20_000
#: Perilune arcs checked by ``--arc-accuracy`` besides the shadow arcs.
PERILUNE_ARCS_CHECKED = 4


def force_model():
    src = Sources.default()
    fld = builtin_field("GRGM1200A").truncated(8, 8)
    return ForceModel(fld, "MOON_PA", ("earth", "sun"), True, ephemeris=src.ephemeris, moon_pck=src.moon_pck)


def _extrema(traj, kind):
    """Times and radii of the local minima ('min') or maxima ('max') of |r|, refined to 1 s."""
    t, s = traj.sample(SAMPLE_S)
    r = np.linalg.norm(s[:, :3], axis=1)
    sg = 1.0 if kind == "min" else -1.0
    idx = np.nonzero((sg * r[1:-1] < sg * r[:-2]) & (sg * r[1:-1] <= sg * r[2:]))[0] + 1
    out = []
    for i in idx:
        tf = np.linspace(t[i - 1], t[i + 1], 241)
        rf = np.linalg.norm(traj.position(tf), axis=1)
        j = int(np.argmin(sg * rf))
        out.append((tf[j], rf[j]))
    return np.array(out)


def _intervals(t, flag):
    """[start, stop] pairs where the boolean samples ``flag`` hold."""
    d = np.diff(flag.astype(int))
    starts = list(t[1:][d == 1])
    stops = list(t[1:][d == -1])
    if flag[0]:
        starts.insert(0, t[0])
    if flag[-1]:
        stops.append(t[-1])
    return list(zip(starts, stops))


def eclipses(traj, fm):
    """Earth and Moon shadow intervals (visible solar fraction < 1) on a 60 s grid."""
    t, s = traj.sample(SAMPLE_S)
    args = fm.args(traj.t_start, traj.t_stop)
    coeffs, inits, intlens = args[1], args[2], args[3]
    nb = coeffs.shape[0] - 2
    pos = np.empty((nb, 3))
    nu_e, nu_m = np.empty(t.size), np.empty(t.size)
    zero = np.zeros(3)
    for i, ti in enumerate(t):
        body_positions(float(ti), coeffs, inits, intlens, pos)
        r = np.ascontiguousarray(s[i, :3])
        nu_m[i] = sun_visible_fraction(r, pos[1].copy(), zero, MOON_RADIUS_KM)
        nu_e[i] = sun_visible_fraction(r, pos[1].copy(), pos[0].copy(), EARTH_RADIUS_KM)
    return t, {"Earth": _intervals(t, nu_e < 1.0), "Moon": _intervals(t, nu_m < 1.0)}, (nu_e, nu_m)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--revs", type=int, default=56)
    ap.add_argument("--save", default=None)
    ap.add_argument("--load", default=None)
    ap.add_argument("--arc-accuracy", action="store_true")
    a = ap.parse_args(argv)
    fm = force_model()
    t0 = float(to_tdb(START))
    if a.load:
        d = np.load(a.load)
        t, X, wall, cpu = d["t"], d["X"], float(d["wall"]), float(d["cpu"])
        pieces, jumps = E.plain_arcs(t, X, fm)
        traj_dense = DenseSolution.concatenate(pieces)
        from lunarscope.trajectory import Trajectory

        traj = Trajectory(traj_dense, float(t[0]), float(t[-1]), np.asarray(traj_dense.t_nodes))
        iters = [int(i) for i in d["iters"]]
    else:
        m = F.pick("nrho", "L2", "south", period_nd=F.resonance_period_nd("9:2"), option="--resonance")
        w0, c0 = time.perf_counter(), time.process_time()
        orb = E.ephemeris_orbit(m, t0, a.revs, fm, progress=lambda d, n: print(f"  {d}/{n} revolutions", flush=True))
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        t, X, jumps, traj, iters = orb.t, orb.states, orb.jumps, orb.trajectory, orb.iterations
        if a.save:
            np.savez(a.save, t=t, X=X, wall=wall, cpu=cpu, iters=np.array(iters))
    inner = jumps[:-1]
    print(
        f"span {to_iso_utc(t[0], 0)[0]} .. {to_iso_utc(t[-1], 0)[0]} ({(t[-1] - t[0]) / 86400:.2f} d), {len(t)} patch points"
    )
    print(f"cost: {wall:.0f} s wall, {cpu:.0f} s CPU; Newton iterations per stage (last: polish) {iters}")
    dr = np.linalg.norm(inner[:, :3], axis=1)
    dv = np.linalg.norm(inner[:, 3:], axis=1)
    print(f"continuity: max |dr| {dr.max():.2e} km, max |dv| {dv.max():.2e} km/s, sum |dv| {dv.sum() * 1e3:.2e} m/s")
    per = _extrema(traj, "min")
    apo = _extrema(traj, "max")
    print(f"perilunes {len(per)}: radius {per[:, 1].min():.1f} .. {per[:, 1].max():.1f} km")
    P = np.diff(per[:, 0]) / 86400.0
    print(f"perilune-to-perilune period: {P.min():.4f} .. {P.max():.4f} d, mean {P.mean():.4f} d, std {P.std():.4f} d")
    print(f"apolunes {len(apo)}: radius {apo[:, 1].min():.0f} .. {apo[:, 1].max():.0f} km")
    te, ecl, _ = eclipses(traj, fm)
    for body, iv in ecl.items():
        dur = np.array([b - a_ for a_, b in iv]) / 60.0
        if len(iv):
            when = ", ".join(to_iso_utc(a_, 0)[0][:10] for a_, _ in iv[:12])
            print(
                f"{body} shadow: {len(iv)} passes, {dur.min():.0f} .. {dur.max():.0f} min, total {dur.sum() / 60:.1f} h; {when}"
            )
        else:
            print(f"{body} shadow: none")
    if a.arc_accuracy:
        arc_accuracy(t, X, fm, ecl["Moon"], per[:, 0])
    for days in (30, 90, 180):
        t_end = min(t0 + days * 86400.0, t[-2])
        burns = [b for b in _maneuvers(t, jumps) if b.t < t_end]
        fl = propagate(X[0], t0, t_end, fm, maneuvers=burns).trajectory
        tq = np.linspace(t0, t_end, 2000)
        dev = np.linalg.norm(fl.position(tq) - traj.position(tq), axis=1)
        print(
            f"free flight from the first state (+ patch-point jumps as maneuvers), {days} d: max departure {dev.max():.3g} km"
        )


def arc_accuracy(t, X, fm, moon_shadow, t_perilune):
    """Arc-end position error of the propagator (the shooting's rtol / atol) against a fixed-step
    flight of ``REFERENCE_STEPS``, for the arcs that cross the Moon's shadow and the first perilune arcs."""
    from lunarscope.dynamics.forces import moon_rhs
    from lunarscope.dynamics.integrators import integrate

    args = fm.args(float(t[0]), float(t[-1]))
    atol = np.array([E.ARC_ATOL_KM] * 3 + [E.ARC_ATOL_KM * VELOCITY_ATOL_PER_KM] * 3)
    shadow = {int(np.searchsorted(t, a_, side="right")) - 1 for a_, _ in moon_shadow}
    peri = {int(np.searchsorted(t, tp, side="right")) - 1 for tp in t_perilune[:PERILUNE_ARCS_CHECKED]}
    for k in sorted(shadow | peri):
        a_, b = float(t[k]), float(t[k + 1])
        ref = integrate(moon_rhs, a_, X[k], b, args=args, fixed_step=(b - a_) / REFERENCE_STEPS).y[-1]
        run = integrate(moon_rhs, a_, X[k], b, args=args, rtol=E.ARC_RTOL, atol=atol)
        kind = "Moon shadow" if k in shadow else "perilune"
        err = np.linalg.norm(run.y[-1, :3] - ref[:3])
        print(
            f"arc {k} ({kind}, {to_iso_utc(a_, 0)[0][:10]}): propagator vs {REFERENCE_STEPS} fixed steps {err:.1e} km"
        )


def _maneuvers(t, jumps):
    from lunarscope.dynamics.propagator import Maneuver

    return [Maneuver(float(t[k + 1]), tuple(-jumps[k, 3:]), "ICRF") for k in range(len(jumps) - 1)]


if __name__ == "__main__":
    main()
