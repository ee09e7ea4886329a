"""Synthetic plan dictionaries for report tests (same layout as the CLI's summary.json).

The geometry is simple but self-consistent: a Keplerian ellipse around a spherical Moon, the
Sun and Earth directions turning at their mean rates, windows derived from the sampled
geometry (cylindrical shadow, Moon occultation, cone around a lunar site, a sinusoidal station
pass), a greedy toy schedule and the recorder level that follows from it. It exercises every
chart; it is not a physics reference.
"""

from __future__ import annotations

import csv
import math
import os

import numpy as np

from lunarscope import time as lstime

MU_MOON = 4902.800066  # km^3/s^2 (DE440 GM of the Moon)
R_MOON = 1737.4  # km
START_UTC = "2030-01-01T00:00:00.000Z"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CATALOGUE = os.path.join(REPO, "examples", "catalogues", "telescope_targets.csv")


def _intervals(t: np.ndarray, flag: np.ndarray) -> list[tuple[float, float]]:
    """Runs of True in a sampled flag → (start, stop) pairs at the sample epochs."""
    f = np.concatenate([[False], flag.astype(bool), [False]])
    d = np.diff(f.astype(int))
    starts, stops = np.nonzero(d == 1)[0], np.nonzero(d == -1)[0] - 1
    return [(float(t[a]), float(t[b])) for a, b in zip(starts, stops) if t[b] > t[a]]


def _unit(ra_deg, dec_deg):
    ra, dec = np.radians(ra_deg), np.radians(dec_deg)
    return np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], -1)


def _window(kind, subject, a, b, utc):
    return {"kind": kind, "subject": subject, "start_tdb": a, "stop_tdb": b,
            "start_utc": utc(a), "stop_utc": utc(b), "duration_s": b - a}


def load_catalogue_targets(n: int | None = None) -> list[dict]:
    """Targets from examples/catalogues/telescope_targets.csv (name, ra_deg, dec_deg, priority)."""
    with open(CATALOGUE, newline="") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    rows = rows[:n] if n else rows
    return [{"name": r["name"], "ra_deg": float(r["ra_deg"]), "dec_deg": float(r["dec_deg"]),
             "priority": int(r["priority"])} for r in rows]


def build_plan(duration_days: float = 3.0, step_s: float = 60.0, n_targets: int = 12,
               targets: list[dict] | None = None, seed: int = 7, a_km: float = 2400.0,
               e: float = 0.12, with_sites: bool = True) -> dict:
    """A complete plan dict; ``targets`` (name, ra_deg, dec_deg, priority) or ``n_targets`` random ones."""
    rng = np.random.default_rng(seed)
    t0 = float(lstime.to_tdb(START_UTC))
    t = t0 + np.arange(0.0, duration_days * 86400.0 + 0.5 * step_s, step_s)
    utc_all = lstime.to_iso_utc(t)
    utc_map = dict(zip(t.tolist(), utc_all.tolist()))

    def utc(x):
        return utc_map.get(x) or str(lstime.to_iso_utc(x)[0])

    # Keplerian ellipse (Kepler's equation by Newton), plane rotated by i, raan, argp.
    i, raan, argp = math.radians(80.0), math.radians(30.0), math.radians(40.0)
    n_mean = math.sqrt(MU_MOON / a_km ** 3)
    m = n_mean * (t - t0)
    ecc = m.copy()
    for _ in range(8):
        ecc = ecc - (ecc - e * np.sin(ecc) - m) / (1 - e * np.cos(ecc))
    xp, yp = a_km * (np.cos(ecc) - e), a_km * math.sqrt(1 - e * e) * np.sin(ecc)

    def rot(angle, axis):
        c, s = math.cos(angle), math.sin(angle)
        return {"z": np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]),
                "x": np.array([[1, 0, 0], [0, c, -s], [0, s, c]])}[axis]

    q = rot(raan, "z") @ rot(i, "x") @ rot(argp, "z")
    r = np.stack([xp, yp, np.zeros_like(xp)], -1) @ q.T
    rn = np.linalg.norm(r, axis=1)
    alt = rn - R_MOON
    # Earth direction turns once per sidereal month, Sun once per year (ecliptic plane, 23.44 deg).
    eps = math.radians(23.44)
    lam_e = math.radians(200.0) + 2 * math.pi * (t - t0) / (27.321661 * 86400)
    lam_s = math.radians(280.0) + 2 * math.pi * (t - t0) / (365.25 * 86400)

    def ecl(lam):
        return np.stack([np.cos(lam), np.sin(lam) * math.cos(eps), np.sin(lam) * math.sin(eps)], -1)

    earth_dir, sun_dir = ecl(lam_e), ecl(lam_s)
    along = np.sum(r * sun_dir, axis=1)
    perp = np.linalg.norm(r - along[:, None] * sun_dir, axis=1)
    umbra = (along < 0) & (perp < R_MOON - 10.0)
    penumbra = (along < 0) & (perp < R_MOON + 10.0) & ~umbra
    earth_up = np.sum(r * earth_dir, axis=1) / rn > -np.sqrt(1 - (R_MOON / rn) ** 2)

    windows = []
    for kind, flag in (("umbra", umbra), ("penumbra", penumbra)):
        windows += [_window(kind, "moon", a, b, utc) for a, b in _intervals(t, flag)]
    stations = [{"name": "Kashi", "lat_deg": 39.5, "lon_deg": 76.0, "height_km": 1.3},
                {"name": "Jiamusi", "lat_deg": 46.5, "lon_deg": 130.8, "height_km": 0.2},
                {"name": "Baikonur", "lat_deg": 45.9, "lon_deg": 63.3, "height_km": 0.1}]
    omega_e = 2 * math.pi / 86164.0905
    for st in stations:
        up = earth_up & (np.cos(omega_e * (t - t0) + math.radians(st["lon_deg"])) > 0.25)
        windows += [_window("contact", st["name"], a, b, utc) for a, b in _intervals(t, up)]
    sites = []
    if with_sites:
        sites = [{"name": "Shackleton rim", "lat_deg": -89.5, "lon_deg": 0.0},
                 {"name": "Chang'e-4 <site>", "lat_deg": -45.4, "lon_deg": 177.6}]
        for s in sites:
            w_moon = 2 * math.pi / (27.321661 * 86400)
            u = _unit(np.degrees(w_moon * (t - t0)) + s["lon_deg"], np.full_like(t, s["lat_deg"]))
            over = np.sum(u * r, axis=1) / rn > math.cos(math.radians(20.0))
            windows += [_window("site_pass", s["name"], a, b, utc) for a, b in _intervals(t, over)]
            lit = np.sum(u * sun_dir, axis=1) > 0
            windows += [_window("site_sunlit", s["name"], a, b, utc) for a, b in _intervals(t, lit)]
            sees = np.sum(u * earth_dir, axis=1) > 0
            windows += [_window("site_earth_visible", s["name"], a, b, utc) for a, b in _intervals(t, sees)]

    if targets is None:
        targets = [{"name": f"T{k:03d}", "ra_deg": float(rng.uniform(0, 360)),
                    "dec_deg": float(np.degrees(np.arcsin(rng.uniform(-1, 1)))),
                    "priority": int(rng.integers(1, 11))} for k in range(n_targets)]
    span = t[-1] - t[0]
    tgt_out, vis = [], {}
    for tg in targets:
        u = _unit(tg["ra_deg"], tg["dec_deg"])
        ok = np.sum(r * u, axis=1) / rn > -np.sqrt(1 - (R_MOON / rn) ** 2)
        ok &= np.sum(sun_dir * u, axis=1) < math.cos(math.radians(45.0))
        iv = _intervals(t, ok)
        vis[tg["name"]] = iv
        windows += [_window("target_visible", tg["name"], a, b, utc) for a, b in iv]
        windows += [_window("target_occulted", tg["name"], a, b, utc) for a, b in _intervals(t, ~ok)]
        tot = sum(b - a for a, b in iv)
        tgt_out.append({**tg, "visible_fraction": tot / span, "longest_window_s": max([b - a for a, b in iv] or [0.0]),
                        "n_windows": len(iv)})

    # Toy greedy schedule: engineering 1 h/day, downlink in Kashi contacts, observe in target windows.
    acts = []
    busy: list[tuple[float, float]] = []

    def free(a, b):
        return all(b <= x or a >= y for x, y in busy)

    def add(kind, a, b, target="", mbit=0.0, station=""):
        busy.append((a, b))
        acts.append({"activity": kind, "target": target, "start_tdb": a, "stop_tdb": b, "start_utc": utc(a),
                     "stop_utc": utc(b), "duration_s": b - a, "data_mbit": mbit, "station": station})

    for d in range(int(math.ceil(duration_days))):
        a = t0 + d * 86400 + 3 * 3600
        if a + 3600 <= t[-1]:
            add("engineering", a, a + 3600)
    rate_dl = 20.0  # Mbit/s downlink
    for w in windows:
        if w["kind"] == "contact" and w["subject"] == "Kashi" and w["duration_s"] > 600 and free(w["start_tdb"], w["stop_tdb"]):
            add("downlink", w["start_tdb"], w["stop_tdb"], mbit=rate_dl * w["duration_s"], station="Kashi")
    order = sorted(targets, key=lambda tg: (-tg["priority"], tg["name"]))
    unscheduled = []
    for tg in order:
        done = 0
        for a, b in vis[tg["name"]]:
            if b - a < 1200 or done >= 3:
                continue
            s0, s1 = a + 300.0, min(a + 300.0 + 1800.0, b)
            if free(a, s1):
                add("slew", a, s0, target=tg["name"])
                add("observe", s0, s1, target=tg["name"], mbit=1.6 * (s1 - s0))
                done += 1
        if done == 0:
            unscheduled.append({"target": tg["name"], "reason": "no visible window ≥ 20 min free of other activities"})
    acts.sort(key=lambda x: (x["start_tdb"], x["activity"]))
    # Recorder: + observe volume at its end, − downlink at its end (bounded by the stored level).
    events = sorted((x["stop_tdb"], x["data_mbit"] if x["activity"] == "observe" else -x["data_mbit"])
                    for x in acts if x["activity"] in ("observe", "downlink"))
    rt, lv, level = [float(t0)], [0.0], 0.0
    for tt, dv in events:
        level = max(0.0, level + dv)
        rt.append(tt)
        lv.append(level)
    rt.append(float(t[-1]))
    lv.append(level)
    obs_time = sum(x["duration_s"] for x in acts if x["activity"] == "observe")
    full = sum(1 for tg in targets if tg["name"] not in {u["target"] for u in unscheduled})
    value = sum(tg["priority"] for tg in targets if tg["name"] not in {u["target"] for u in unscheduled})
    bound = float(sum(tg["priority"] for tg in targets))
    dl = {}
    for x in acts:
        if x["activity"] == "downlink":
            dl[x["station"]] = dl.get(x["station"], 0.0) + x["data_mbit"]
    return {
        "generated_utc": "2029-12-31T12:00:00Z",
        "mission": {"name": "LS-1 demo <test & escape>", "description": "Synthetic plan for report tests",
                    "start_utc": str(utc_all[0]), "stop_utc": str(utc_all[-1]), "duration_days": span / 86400.0,
                    "orbit": {"a_km": a_km, "e": e, "i_deg": 80.0, "raan_deg": 30.0, "argp_deg": 40.0,
                              "ta_deg": 0.0, "frame": "MOON_ICRF"},
                    "force_model": "point-mass Moon (synthetic)", "spacecraft": {"mass_kg": 450.0, "area_m2": 4.0}},
        "trajectory": {"t_tdb": t.tolist(), "t_utc": utc_all.tolist(), "r_km": r.tolist(),
                       "earth_dir": earth_dir.tolist(), "altitude_km": alt.tolist()},
        "windows": windows,
        "targets": tgt_out,
        "stations": stations,
        "sites": sites,
        "schedule": {
            "activities": acts,
            "metrics": {"science_value": float(value), "bound": bound, "fraction_of_bound": value / bound if bound else None,
                        "observing_efficiency": obs_time / span, "requests_full": full, "requests_partial": 0,
                        "requests_none": len(unscheduled), "recorder_peak_mbit": max(lv), "recorder_final_mbit": lv[-1],
                        "latency_mean_s": 5400.0, "latency_max_s": 20000.0, "solver": "toy greedy (fixture)"},
            "unscheduled": unscheduled,
            "recorder": {"t_tdb": rt, "level_mbit": lv, "capacity_mbit": 64000.0},
            "downlink_by_station": dl,
        },
    }
