"""Synthetic-but-realistic scheduling instances (deterministic for a seed).

30 days, an elliptical lunar frozen orbit of 13.2 h period: each target is visible once
per orbit around apolune for 2-8 h (shorter near perilune occultation, varying with a
slow drift), and lost for ~5 days when the Sun is within 45 deg of it (the Sun moves
~1 deg/day). Three Earth stations with daily ~9 h contacts, interrupted once per orbit
by a 1 h lunar occultation. Requested exposure is scaled to ``oversubscription`` x the
union of all visibility. The builder returns a plain ``Problem`` so the lead can swap in
real ELFO windows and contacts from the geometry layer.
"""

from __future__ import annotations

import numpy as np

from lunarscope.scheduling import EngineeringBlock, Platform, Problem, Request, SlewModel, Station, Target, as_intervals
from lunarscope.scheduling.requests import subtract

ORBIT_PERIOD_S = 13.2 * 3600.0
DAY_S = 86400.0
T_START = 1.0e9  # TDB s past J2000 (2031-09-09)


def build_instance(
    n_requests: int,
    seed: int = 1,
    days: float = 30.0,
    oversubscription: float = 2.0,
    antenna: str = "gimballed",
    n_targets: int | None = None,
) -> Problem:
    rng = np.random.default_rng(seed)
    t0, t1 = T_START, T_START + days * DAY_S
    nt = n_targets or max(10, int(n_requests * 0.6))
    dirs = rng.normal(size=(nt, 3))
    dirs /= np.linalg.norm(dirs, axis=1)[:, None]
    n_orb = int(np.ceil(days * DAY_S / ORBIT_PERIOD_S)) + 1
    k = np.arange(n_orb)
    sun_lon0 = rng.uniform(0, 2 * np.pi)
    targets = []
    for j in range(nt):
        phase = rng.uniform(0.25, 0.75)  # centre of the window in orbit phase (apolune = 0.5)
        base = rng.uniform(2.0, 8.0) * 3600.0
        length = base * (0.75 + 0.25 * np.sin(2 * np.pi * k / rng.uniform(20, 60) + rng.uniform(0, 6.28)))
        centre = t0 + (k + phase) * ORBIT_PERIOD_S
        w = np.column_stack([centre - length / 2, centre + length / 2])
        # sun exclusion: target longitude vs the Sun's (1 deg/day)
        lon = np.arctan2(dirs[j, 1], dirs[j, 0])
        sun = sun_lon0 + np.radians(1.0) * (w[:, 0] - t0) / DAY_S
        sep = np.abs((lon - sun + np.pi) % (2 * np.pi) - np.pi)
        w = w[sep > np.radians(45) * (1 - abs(dirs[j, 2]))]
        w = np.clip(w, t0, t1)
        targets.append(Target(f"T{j:03d}", dirs[j], w[w[:, 1] > w[:, 0]]))
    # stations: daily contacts, minus a 1 h occultation per orbit
    occ = np.array([[t0 + (i + 0.05) * ORBIT_PERIOD_S, t0 + (i + 0.05) * ORBIT_PERIOD_S + 3600] for i in range(n_orb)])
    stations = []
    for _si, (name, off, rate) in enumerate([("Kashi", 0.10, 20.0), ("Jiamusi", 0.45, 10.0), ("Baikonur", 0.75, 8.0)]):
        d = np.arange(int(days) + 1)
        c = np.column_stack([t0 + (d + off) * DAY_S, t0 + (d + off) * DAY_S + 9 * 3600.0])
        c = subtract(as_intervals(np.clip(c, t0, t1), "c"), occ)
        ang = 2 * np.pi * (c.mean(axis=1) - t0) / (27.32 * DAY_S)
        earth = np.column_stack([np.cos(ang), np.sin(ang), 0.1 * np.ones(len(c))])
        stations.append(Station(name, c, rate, earth_direction=earth))
    # requests
    union = as_intervals(np.vstack([t.visibility for t in targets]), "u")
    avail = float(np.sum(union[:, 1] - union[:, 0]))
    raw = rng.lognormal(np.log(6 * 3600.0), 0.8, n_requests)
    exp = raw * oversubscription * avail / raw.sum()
    reqs = []
    for i in range(n_requests):
        j = int(rng.integers(nt))
        mv = float(rng.choice([600.0, 1200.0, 1800.0, 3600.0]))
        kind = rng.uniform()
        validity = None
        n_vis, cad = None, None
        if kind < 0.15:  # target of opportunity
            a = rng.uniform(t0, t1 - 5 * DAY_S)
            validity = (a, a + rng.uniform(2, 5) * DAY_S)
        elif kind < 0.35:
            cad = float(rng.choice([0.5, 1.0, 2.0])) * DAY_S
        elif kind < 0.5:
            n_vis = int(rng.integers(1, 6))
        reqs.append(
            Request(
                target=f"T{j:03d}",
                exposure_s=float(max(exp[i], mv)),
                min_visit_s=mv,
                priority=float(np.round(rng.lognormal(0, 0.7), 3)),
                n_visits=n_vis,
                cadence_s=cad,
                validity=validity,
                data_rate_mbit_s=float(rng.choice([0.5, 1.0, 2.0, 4.0])),
                name=f"R{i:03d}",
            )
        )
    sc = Platform(
        SlewModel(max_rate_deg_s=0.5, max_accel_deg_s2=0.02, settle_s=60.0),
        recorder_capacity_mbit=64000.0,
        recorder_initial_mbit=5000.0,
        antenna=antenna,
    )
    eng = [
        EngineeringBlock(
            "momentum dump", period_s=DAY_S, duration_s=1800.0, flex_s=3 * 3600.0, first_start=t0 + 0.3 * DAY_S
        )
    ]
    return Problem(t0, t1, targets, stations, reqs, sc, eng)
