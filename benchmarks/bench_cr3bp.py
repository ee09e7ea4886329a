"""Benchmark: a 100-member Earth–Moon halo family, lunarscope vs Orekit's CR3BP in the same run.

    python benchmarks/bench_cr3bp.py                        # L1 north halo, 100 members, 1 round
    python benchmarks/bench_cr3bp.py --lagrange L2 --branch south --rounds 3
    python benchmarks/bench_cr3bp.py --orekit-members 0     # lunarscope only

Contenders (warm: numba's cached kernels are loaded and the JVM has corrected one orbit first):

* lunarscope: ``families.family("halo", L, branch, members=N)`` — the bifurcation search on the
  Lyapunov family, the pseudo-arclength continuation, the resampling to N members and, per
  member, the one-period monodromy matrix, stability index, perilune/apolune and the checks;
* Orekit: the same N members through ``HaloOrbit(CR3BPSystem, PVCoordinates, period)`` +
  ``applyDifferentialCorrection`` (``CR3BPDifferentialCorrection``, z0 held): natural-parameter
  continuation over our members' z0, each guess extrapolated (secant) from Orekit's two previous
  corrected orbits to the next z0; the first guess is our first member (Orekit has no continuation
  of its own, and Richardson's first guess diverges for large orbits). Orekit does no monodromy, stability or geometry, so the ratio flatters it.

Each round runs both once, interleaved; figures are minima over the rounds (other jobs share the
cores). Printed: wall times, the ratio Orekit/lunarscope, how many members Orekit corrected, and
its largest difference from our members (nondimensional).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "references" / "orekit"))

from lunarscope.design import families as F


def run_lunarscope(lagrange, branch, n):
    t0 = time.perf_counter()
    fam = F.family("halo", lagrange, branch, members=n)
    return time.perf_counter() - t0, fam


def run_orekit(members, mu_check):
    """Natural-parameter continuation in z0 over ``members`` with Orekit; (wall, n_ok, max diff)."""
    import orekit_setup as osu

    osu.start()
    from org.hipparchus.geometry.euclidean.threed import Vector3D
    from org.orekit.bodies import CR3BPFactory
    from org.orekit.orbits import HaloOrbit
    from org.orekit.utils import PVCoordinates

    system = CR3BPFactory.getEarthMoonCR3BP()
    assert abs(system.getMassRatio() - mu_check) < 2e-12
    hist = []  # Orekit's corrected (state, period) so far: secant predictor in z0
    n_ok, worst = 0, 0.0
    t0 = time.perf_counter()
    for m in members:
        z = m.state0[2]
        if not hist:
            guess, period = m.state0.copy(), m.period_nd
        elif len(hist) == 1:
            guess, period = hist[-1][0].copy(), hist[-1][1]
        else:
            (s1, p1), (s2, p2) = hist[-2], hist[-1]
            f = (z - s2[2]) / (s2[2] - s1[2])
            guess, period = s2 + f * (s2 - s1), p2 + f * (p2 - p1)
        guess[2] = z
        pv = PVCoordinates(Vector3D(*map(float, guess[:3])), Vector3D(*map(float, guess[3:])))
        try:
            h = HaloOrbit(system, pv, float(period))
            h.applyDifferentialCorrection()
        except Exception:  # noqa: BLE001 (a Java exception: the correction failed)
            continue
        p = h.getInitialPV()
        pos, vel = p.getPosition(), p.getVelocity()
        s = np.array([pos.getX(), pos.getY(), pos.getZ(), vel.getX(), vel.getY(), vel.getZ()])
        worst = max(worst, float(np.max(np.abs(s - m.state0))))
        hist.append((s, float(h.getOrbitalPeriod())))
        n_ok += 1
    return time.perf_counter() - t0, n_ok, worst


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lagrange", default="L1")
    ap.add_argument("--branch", default="north")
    ap.add_argument("--members", type=int, default=100)
    ap.add_argument("--orekit-members", type=int, default=100, help="members Orekit corrects (0: skip Orekit)")
    ap.add_argument("--rounds", type=int, default=1, help="interleaved rounds; minima are kept (default 1)")
    a = ap.parse_args(argv)
    # warm-up: numba's on-disk kernels, the JVM
    run_lunarscope(a.lagrange, a.branch, 3)
    fam = None
    ours, theirs = [], []
    n_ok = worst = None
    for _ in range(a.rounds):
        w, fam = run_lunarscope(a.lagrange, a.branch, a.members)
        ours.append(w)
        if a.orekit_members > 0:
            idx = np.linspace(0, len(fam.members) - 1, min(a.orekit_members, len(fam.members))).round().astype(int)
            if not theirs:
                run_orekit([fam.members[0]], fam.mu)  # JVM warm-up
            w2, n_ok, worst = run_orekit([fam.members[i] for i in idx], fam.mu)
            theirs.append(w2)
    print(
        f"halo {a.lagrange} {a.branch}: lunarscope {a.members} members {min(ours):.2f} s wall "
        f"({min(ours) / a.members * 1000:.1f} ms/member; {len(fam.raw)} continuation steps)"
    )
    if theirs:
        k = min(a.orekit_members, len(fam.members))
        per_o = min(theirs) / k
        per_l = min(ours) / a.members
        print(
            f"Orekit CR3BPDifferentialCorrection: {k} members {min(theirs):.2f} s wall ({per_o * 1000:.1f} ms/member), "
            f"{n_ok} converged, max |state - ours| {worst:.1e} (nd)"
        )
        print(f"ratio Orekit/lunarscope per member: {per_o / per_l:.1f}")


if __name__ == "__main__":
    main()
