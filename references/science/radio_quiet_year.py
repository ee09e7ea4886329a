"""Radio-quiet fraction of the DSL-like array (examples/dsl-array.yaml) over a year.

Propagates the example mission's orbit for 365 days in its own force model (GRGM1200A 20×20,
Earth, Sun, radiation pressure: ~10 s on the shared 2-core machine, so no two-body shortcut is
needed), finds the ``radio_quiet`` windows for three settings — zero margin with a point-like
Earth, and the knife-edge margin for 20 dB at 10 MHz and at 1 MHz with the Earth's disc — and
writes ``docs/figures/radio_quiet_year.svg``: the radio-quiet fraction of each orbit against
time, with the exact circular-orbit value (1/π)·arccos(√(1 − (R/r)²)/cos β) of each orbit
(β: the Earth direction's angle from the osculating orbit plane at mid-orbit, r: the orbit's
mean radius) over the zero-margin curve; and ``docs/figures/radio_quiet_exact.svg``: the
fraction found by the windows search against the exact formula for circular two-body orbits at
100, 300 and 1000 km with a fixed, point-like Earth at infinity at angle β from the plane.

Run from the repository root:  python references/science/radio_quiet_year.py [--days 365]
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import math
import os
import time

import numpy as np
import yaml

from lunarscope.mission.core import mission_from_dict
from lunarscope.mission.run import propagate_mission
from lunarscope.mission.stages import window_job
from lunarscope.time import to_iso_utc
from lunarscope.windows.compute import compute_windows
from lunarscope.windows.radio_quiet import RadioQuietSpec, circular_orbit_fraction

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
MISSION = os.path.join(ROOT, "examples", "dsl-array.yaml")
FIGURE = os.path.join(ROOT, "docs", "figures", "radio_quiet_year.svg")
CASES = (
    ("zero margin, point Earth", RadioQuietSpec(margin="none", earth_disc=False)),
    ("10 MHz, 20 dB, Earth disc", RadioQuietSpec(frequency_mhz=10.0, attenuation_db=20.0)),
    ("1 MHz, 20 dB, Earth disc", RadioQuietSpec(frequency_mhz=1.0, attenuation_db=20.0)),
)
#: Samples per orbit for the orbit's mean radius and mid-orbit plane.
SAMPLES_PER_ORBIT = 64


def exact_per_orbit(mission, traj, orbits) -> np.ndarray:
    """The exact circular-orbit fraction of each orbit: mean radius, β at mid-orbit."""
    a, b = orbits["start"], orbits["stop"]
    s = np.linspace(0.0, 1.0, SAMPLES_PER_ORBIT)
    t = a[:, None] + s[None, :] * (b - a)[:, None]
    st = traj.state(t.ravel()).reshape(t.shape + (6,))
    r_mean = np.linalg.norm(st[..., :3], axis=2).mean(axis=1)
    mid = traj.state(0.5 * (a + b))
    h = np.cross(mid[:, :3], mid[:, 3:])
    h /= np.linalg.norm(h, axis=1)[:, None]
    e = mission.sources.ephemeris.position("earth", "moon", 0.5 * (a + b))
    e /= np.linalg.norm(e, axis=1)[:, None]
    beta = np.arcsin(np.clip(np.einsum("ij,ij->i", e, h), -1, 1))
    return circular_orbit_fraction(r_mean, beta), beta


EXACT_FIGURE = os.path.join(ROOT, "docs", "figures", "radio_quiet_exact.svg")
EXACT_ALTITUDES_KM = (100.0, 300.0, 1000.0)
EXACT_BETAS_DEG = tuple(range(0, 61, 4))
GM_MOON = 4902.800118  # km^3/s^2, DE440


def exact_check(sources, t0: float):
    """Per altitude: β (deg), searched and exact fractions, for circular two-body orbits in the
    ICRF x-y plane and an Earth at 1e12 km along (cos β, 0, sin β) (zero margin, point Earth)."""
    from lunarscope.trajectory import Trajectory
    from lunarscope.windows import find_windows
    from lunarscope.windows.radio_quiet import radio_quiet_condition
    from lunarscope.windows.scene import Scene

    class FixedEarth(Scene):
        def __init__(self, trajectory, u):
            super().__init__(trajectory, sources.ephemeris, sources.moon_pck)
            self.u = u

        def _bodies(self, t, r):
            return super()._bodies(t, r)[0], np.broadcast_to(self.u * 1e12, r.shape).copy()

    spec = RadioQuietSpec(margin="none", earth_disc=False)
    out = {}
    for alt in EXACT_ALTITUDES_KM:
        a = 1737.4 + alt
        w = math.sqrt(GM_MOON / a**3)
        p = 2 * math.pi / w
        t = t0 + np.arange(0.0, 1.05 * p, 20.0)
        ph = w * (t - t0)
        st = np.stack([a * np.cos(ph), a * np.sin(ph), 0 * ph, -a * w * np.sin(ph), a * w * np.cos(ph), 0 * ph], 1)
        tr = Trajectory.from_table(t, st, degree=9)
        rows = []
        for b in EXACT_BETAS_DEG:
            u = np.array([math.cos(math.radians(b)), 0.0, math.sin(math.radians(b))])
            found = find_windows(radio_quiet_condition(FixedEarth(tr, u), spec, t0, t0 + p), t0, t0 + p, 60.0, 1e-3)
            rows.append((b, found.total_duration / p, float(circular_orbit_fraction(a, math.radians(b))), p))
        out[alt] = np.array(rows)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, default=365.0)
    ap.add_argument("-o", "--output", default=FIGURE)
    ap.add_argument("--exact-output", default=EXACT_FIGURE)
    args = ap.parse_args(argv)
    with open(MISSION, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    raw = copy.deepcopy(raw)
    raw["duration"] = f"{args.days:g} d"
    raw["windows"]["kinds"] = ["radio_quiet"]
    mission = mission_from_dict(raw, os.path.dirname(MISSION))
    c0 = time.process_time()
    w0 = time.perf_counter()
    traj = propagate_mission(mission).trajectory
    print(f"propagation {args.days:g} d: {time.perf_counter() - w0:.1f} s wall, {time.process_time() - c0:.1f} s CPU")
    job = window_job(mission)
    days0 = mission.t_start
    results = []
    for label, spec in CASES:
        w0 = time.perf_counter()
        ws = compute_windows(dataclasses.replace(job, radio_quiet=spec), traj)
        orb = ws.meta["radio_quiet_orbits"]
        span = ws.t_stop - ws.t_start
        frac = ws[("radio_quiet", "earth")].total_duration / span
        print(
            f"{label:28s} radio-quiet {100 * frac:6.2f} % of the span, {len(orb['start'])} orbits, "
            f"per orbit {100 * orb['fraction'][orb['complete']].min():.2f} .. "
            f"{100 * orb['fraction'][orb['complete']].max():.2f} %  ({time.perf_counter() - w0:.1f} s)"
        )
        results.append((label, orb, frac))
    orb0 = results[0][1]
    exact, beta = exact_per_orbit(mission, traj, orb0)
    ok = orb0["complete"]
    diff_s = (orb0["fraction"] - exact)[ok] * orb0["duration_s"][ok]
    print(
        f"zero margin vs exact circular formula: per-orbit difference {diff_s.min():+.1f} .. {diff_s.max():+.1f} s "
        f"(mean {diff_s.mean():+.1f} s, orbit ~{np.median(orb0['duration_s']):.0f} s); "
        f"|beta| <= {math.degrees(np.abs(beta).max()):.1f} deg"
    )

    import matplotlib

    matplotlib.use("svg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "lunarscope"
    fig, ax = plt.subplots(figsize=(9, 4.2))
    colours = ("#1f77b4", "#ff7f0e", "#2ca02c")
    for (label, orb, frac), colour in zip(results, colours):
        m = orb["complete"]
        d = (0.5 * (orb["start"] + orb["stop"])[m] - days0) / 86400.0
        ax.plot(d, 100 * orb["fraction"][m], lw=0.8, color=colour, label=f"{label} (year: {100 * frac:.1f} %)")
    d0 = (0.5 * (orb0["start"] + orb0["stop"])[ok] - days0) / 86400.0
    ax.plot(d0, 100 * exact[ok], lw=0.6, ls="--", color="k", label="exact circular orbit, point Earth, zero margin")
    ax.set_xlabel(f"days from {to_iso_utc([mission.t_start], 0)[0]}")
    ax.set_ylabel("radio-quiet fraction of the orbit (%)")
    ax.set_title("DSL-like array, 300 km circular, i = 30° (MOON_ME): Earth hidden by the Moon")
    ax.set_xlim(0, args.days)
    ax.set_ylim(20, 36)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    fig.savefig(args.output, metadata={"Date": None})
    print(f"wrote {args.output}")

    ex = exact_check(mission.sources, mission.t_start)
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for (alt, rows), colour in zip(ex.items(), colours):
        worst = np.max(np.abs(rows[:, 1] - rows[:, 2]) * rows[:, 3])
        print(f"exact check {alt:6.0f} km: worst |searched - exact| = {worst * 1e3:.3f} ms over one orbit")
        bb = np.linspace(0, 60, 241)
        ax.plot(bb, 100 * circular_orbit_fraction(1737.4 + alt, np.radians(bb)), color=colour, lw=1)
        ax.plot(
            rows[:, 0],
            100 * rows[:, 1],
            "o",
            ms=3.5,
            mfc="none",
            color=colour,
            label=f"{alt:.0f} km (worst {worst * 1e3:.2f} ms per orbit)",
        )
    ax.set_xlabel("β, Earth direction from the orbit plane (deg)")
    ax.set_ylabel("radio-quiet fraction of the orbit (%)")
    ax.set_title("Windows search (circles) vs (1/π)·arccos(√(1−(R/r)²)/cos β)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.exact_output, metadata={"Date": None})
    print(f"wrote {args.exact_output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
