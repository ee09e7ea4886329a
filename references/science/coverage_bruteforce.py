"""Figures of docs/science.md "Sky coverage": sweep hours per pixel against the brute force.

Runs the check of ``tests/science/test_coverage.py`` (300 random nside-16 pixels, a 100 km polar
orbit over 12 h) and prints, for a brute-force step and a window-boundary tolerance, the worst
and mean disagreement in time steps per window:

    python references/science/coverage_bruteforce.py            # step 10 s, tolerance 1 s (the test)
    python references/science/coverage_bruteforce.py 1 0.001    # step 1 s, tolerance 1 ms (~15 s)
"""

import os
import sys
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "science"))

import astropy.units as un
import test_coverage as T
from astropy_healpix import healpix_to_lonlat

from lunarscope.mission.run import propagate_mission
from lunarscope.mission.stages import window_job
from lunarscope.science.coverage import sky_coverage


def main(step_s: float = 10.0, tolerance_s: float = 1.0) -> None:
    T.BRUTE_STEP_S = step_s
    mission = T._mission()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traj = propagate_mission(mission).trajectory
    job = window_job(mission)
    for eclipse_only in (False, True):
        t = time.perf_counter()
        cov = sky_coverage(job, traj, T.NSIDE, eclipse_only=eclipse_only, min_window_s=step_s, tolerance_s=tolerance_s)
        dt = time.perf_counter() - t
        pix = np.random.default_rng(T.SEED).choice(cov.npix, T.N_DIRECTIONS, replace=False)
        lon, lat = healpix_to_lonlat(pix, T.NSIDE, order="ring")
        lon, lat = lon.to_value(un.rad), lat.to_value(un.rad)
        u = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=1)
        hours, n_bf = T._brute_force(job, traj, u, eclipse_only)
        err_s = np.abs(cov.hours[pix] - hours) * 3600.0
        n = np.maximum(np.maximum(n_bf, cov.windows[pix]), 1)
        k = int(np.argmax(err_s / n))
        print(
            f"eclipse_only={eclipse_only}: step {step_s:g} s, tolerance {tolerance_s:g} s; sweep {dt:.2f} s; "
            f"windows per pixel {n_bf.mean():.1f} (max {n_bf.max()}); worst {err_s[k] / (step_s * n[k]):.3f} steps "
            f"per window ({err_s[k]:.2f} s over {n[k]} windows); mean {err_s.sum() / n.sum():.2f} s per window; "
            f"window counts equal {np.mean(n_bf == cov.windows[pix]):.3f}"
        )


if __name__ == "__main__":
    main(*(float(a) for a in sys.argv[1:3]))
