"""Lifetime of circular lunar orbits: days to impact vs (inclination, altitude, RAAN).

Each case is a circular orbit of radius R_moon + altitude, with inclination and RAAN in
the MOON_ME axes at ``t_start`` (the mission frame ``MOON_ME_INERTIAL``), argument of
latitude 0 (at the ascending node). All cases are propagated with one force model by
:func:`lunarscope.dynamics.batch.propagate_many` (all cores; each case is bit for bit the
single-orbit ``propagate``). The lifetime is the impact time (radius below R_moon +
``impact_altitude_km``) minus ``t_start``, in days; None when the orbit survives the span.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..constants import MOON_RADIUS_KM, SECONDS_PER_DAY
from ..errors import InputError
from ..orbits.elements import keplerian_to_cartesian

#: Cases handed to ``propagate_many`` at once, per worker: bounds the memory held by the
#: dense outputs (a year of a 100 km orbit is ~10^5-10^6 steps), which are dropped after each batch.
CASES_PER_WORKER_BATCH = 2


@dataclass(frozen=True)
class LifetimeCase:
    inclination_deg: float
    altitude_km: float
    raan_deg: float
    lifetime_d: float | None


def check_cases(inclinations_deg, altitudes_km, raans_deg) -> None:
    """InputError (naming the CLI option) for inclinations outside [0, 180] deg, altitudes
    <= 0 km, non-finite RAANs or empty lists."""
    for opt, vals in (("--inclinations", inclinations_deg), ("--altitudes", altitudes_km), ("--raans", raans_deg)):
        if len(vals) == 0:
            raise InputError(opt, "needs at least one value")
        if not all(math.isfinite(v) for v in vals):
            raise InputError(opt, "values must be finite numbers")
    bad = [v for v in inclinations_deg if not 0.0 <= v <= 180.0]
    if bad:
        raise InputError("--inclinations", f"{bad[0]:g} deg is outside 0 .. 180 deg")
    bad = [v for v in altitudes_km if not v > 0.0]
    if bad:
        raise InputError("--altitudes", f"{bad[0]:g} km must be > 0 km")


def circular_states(inclinations_deg, altitudes_km, raans_deg, t_start, gm_km3_s2, pck):
    """(cases [(i, h, raan)], Moon-centred ICRF states (M, 6)): every combination, circular,
    elements in the MOON_ME axes at ``t_start`` (``pck``: MoonPCK or Sources, required)."""
    from .. import frames

    cases = [(float(i), float(h), float(o)) for h in altitudes_km for o in raans_deg for i in inclinations_deg]
    arr = np.array(cases)
    s_me = keplerian_to_cartesian(
        MOON_RADIUS_KM + arr[:, 1], 0.0, np.radians(arr[:, 0]), np.radians(arr[:, 2]), 0.0, 0.0, gm_km3_s2
    )
    rot = frames.rotation("MOON_ME", [float(t_start)], pck)[0]  # r_ME = rot @ r_ICRF
    states = np.concatenate([s_me[:, :3] @ rot, s_me[:, 3:] @ rot], axis=1)
    return cases, states


def lifetime_map(
    inclinations_deg,
    altitudes_km,
    raans_deg,
    t_start: float,
    t_stop: float,
    force_model,
    *,
    rtol: float = 1e-12,
    atol_km: float = 1e-9,
    impact_altitude_km: float = 0.0,
    fixed_step_s: float | None = None,
    method: str = "dop853",
    workers: int | None = None,
    progress=None,
) -> list[LifetimeCase]:
    """Lifetime (days) of each circular case over [t_start, t_stop] TDB s (module docstring).

    Cases are ordered altitude, then RAAN, then inclination. ``method``: the integrator
    (``propagate``). ``progress(done, total)``."""
    from ..dynamics.batch import default_workers, propagate_many

    check_cases(list(inclinations_deg), list(altitudes_km), list(raans_deg))
    bad = [h for h in altitudes_km if not h > impact_altitude_km]
    if bad:
        raise InputError("--altitudes", f"{bad[0]:g} km must be above the impact altitude {impact_altitude_km:g} km")
    cases, states = circular_states(
        inclinations_deg, altitudes_km, raans_deg, t_start, force_model.field.gm_km3_s2, force_model.moon_pck
    )
    w = default_workers() if workers is None else int(workers)
    batch = max(1, w * CASES_PER_WORKER_BATCH)
    m = len(cases)
    out: list[LifetimeCase] = []
    for k0 in range(0, m, batch):
        k1 = min(m, k0 + batch)
        res = propagate_many(
            states[k0:k1],
            t_start,
            t_stop,
            force_model,
            rtol=rtol,
            atol_km=atol_km,
            impact_altitude_km=impact_altitude_km,
            fixed_step_s=fixed_step_s,
            method=method,
            names=[f"i{c[0]:g}-h{c[1]:g}-raan{c[2]:g}" for c in cases[k0:k1]],
            workers=w,
            progress=None if progress is None else (lambda d, n, k0=k0: progress(k0 + d, m)),
        )
        for c, r in zip(cases[k0:k1], res):
            life = None if r.impact_time is None else (float(r.impact_time) - float(t_start)) / SECONDS_PER_DAY
            out.append(LifetimeCase(c[0], c[1], c[2], life))
    return out


def write_csv(path: str, cases) -> None:
    """``inclination_deg, altitude_km, raan_deg, lifetime_d`` (empty: no impact in the span)."""
    lines = ["inclination_deg,altitude_km,raan_deg,lifetime_d"]
    for c in cases:
        life = "" if c.lifetime_d is None else f"{c.lifetime_d:.6f}"
        lines.append(f"{c.inclination_deg:g},{c.altitude_km:g},{c.raan_deg:g},{life}")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def chart_html(cases, span_d: float, title: str, subtitle: str = "") -> str:
    """Self-contained HTML page with an SVG chart: lifetime (days) vs inclination, one line per
    (altitude, RAAN); orbits that survive the span are drawn as open circles at the span."""
    from ..report.svg import Linear, esc, nice_ticks, num, plot_axes, viridis

    w, h, ml, mr, mt, mb = 760, 420, 70, 170, 30, 50
    incs = [c.inclination_deg for c in cases]
    x = Linear(min(incs), max(incs) if max(incs) > min(incs) else min(incs) + 1, ml, w - mr)
    y = Linear(0.0, span_d, h - mb, mt)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
        'font-family="sans-serif" font-size="12">'
    ]
    xt, yt = nice_ticks(x.d0, x.d1, 9), nice_ticks(0.0, span_d, 6)
    plot_axes(parts, x, y, xt, yt, (ml, mt, w - mr, h - mb), "inclination (deg, MOON_ME)", "lifetime (days)")
    groups = sorted({(c.altitude_km, c.raan_deg) for c in cases})
    for g, key in enumerate(groups):
        col = viridis(g / max(1, len(groups) - 1)) if len(groups) > 1 else "#3b528b"
        pts = sorted((c.inclination_deg, c.lifetime_d) for c in cases if (c.altitude_km, c.raan_deg) == key)
        xy = [(x(i), y(span_d if d is None else d)) for i, d in pts]
        parts.append(
            f'<polyline fill="none" stroke="{col}" stroke-width="1.5" points="'
            + " ".join(f"{num(px)},{num(py)}" for px, py in xy)
            + '"/>'
        )
        for (i, d), (px, py) in zip(pts, xy):
            fill = "white" if d is None else col
            tip = f"i {i:g} deg, {key[0]:g} km, RAAN {key[1]:g} deg: " + (
                f"no impact in {span_d:g} d" if d is None else f"{d:.2f} d"
            )
            parts.append(
                f'<circle cx="{num(px)}" cy="{num(py)}" r="3" fill="{fill}" stroke="{col}">'
                f"<title>{esc(tip)}</title></circle>"
            )
        ly = mt + 14 + 18 * g
        parts.append(
            f'<line x1="{w - mr + 12}" x2="{w - mr + 32}" y1="{ly}" y2="{ly}" stroke="{col}" stroke-width="2"/>'
        )
        parts.append(f'<text x="{w - mr + 38}" y="{ly + 4}">{esc(f"{key[0]:g} km, RAAN {key[1]:g}°")}</text>')
    parts.append(f'<text x="{w - mr + 12}" y="{mt + 14 + 18 * len(groups) + 6}">open circle: no impact</text>')
    parts.append("</svg>")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{esc(title)}</title></head><body style=\"font-family:sans-serif\">"
        f"<h1>{esc(title)}</h1><p>{esc(subtitle)}</p>" + "".join(parts) + "</body></html>\n"
    )
