"""Radio-quiet windows: the Earth hidden behind the Moon, with a diffraction margin.

Seen from the spacecraft (Moon-centred ICRF, km): ρ_M = asin(R_M/|r|) the Moon's apparent
radius, c = sep(Earth, Moon) the angle between the Earth's and the Moon's centres, ρ_E =
asin(R_E/d_E) the Earth's apparent radius (the Earth is a **disc** of the WGS84 equatorial
radius, no atmosphere or magnetosphere; ``earth_disc=False`` makes it a point), δ the
diffraction margin. The window condition is

    g = ρ_M − c − ρ_E − δ  >= 0    (rad)

i.e. every point of the Earth's disc lies at least δ below the lunar limb.

**Diffraction margin.** A wave from the Earth grazing the limb is attenuated by knife-edge
(Fresnel–Kirchhoff) diffraction: ITU-R P.526-15 sec. 4.1, eq. (31),
J(ν) = 6.9 + 20·log10(√((ν − 0.1)² + 1) + ν − 0.1) dB (ν > −0.78), with the Fresnel parameter
ν = θ·√(2 d1 d2 / (λ (d1 + d2))) (eq. (26)), θ the diffraction angle, d1 the distance Earth →
limb, d2 the distance limb → spacecraft. Here d2 = √(r² − R_M²) (the tangent length), d1 = D − d2
(D = |Earth − spacecraft|) and, the angle at the Earth being α1 = α2·d2/d1, θ = α2·D/d1 where
α2 is the angle of the Earth below the limb seen from the spacecraft. Requiring J(ν) >= A
(``attenuation_db``) gives ν >= ν_A and

    δ = ν_A · √(λ d1 / (2 D d2)) = ν_A · √(λ (1 − d2/D) / (2 d2)),   λ = c / f.

J(ν) inverts in closed form: with x = 10^((A − 6.9)/20), ν_A = 0.1 + (x − 1/x)/2. A smooth
sphere attenuates more than a knife edge at the same angle (ITU-R P.526 sec. 4.3, the rounded
obstacle adds loss), so δ is conservative; Bassett et al. (2020, Adv. Space Res. 66, 1265,
"Characterizing the radio quiet region behind the lunar farside for low radio frequency
experiments") simulate the full problem and find the quiet region narrowing with frequency like
this model. ``margin="none"`` sets δ = 0 (geometric occultation), ``margin="fixed"`` a given
angle.

**Exact fraction for a circular orbit** (point-like Earth at infinity, direction ê at angle β
from the orbit plane): write the position r(cos φ p + sin φ q), p the unit projection of ê on
the plane, so r̂·ê = cos φ cos β. The Earth is hidden (margin δ) when the angle between −r̂ and
ê is at most ρ_M − δ, i.e. −cos φ cos β >= cos(ρ_M − δ); with cos ρ_M = √(1 − (R/r)²) and
δ = 0 this is cos φ <= −√(1 − (R/r)²)/cos β, an arc of φ of length 2·arccos(√(1 − (R/r)²)/cos β)
centred on φ = π. φ advances uniformly, so the occulted fraction of the orbit is

    f = (1/π) · arccos( cos(ρ_M − δ) / cos β )    (0 when cos β <= cos(ρ_M − δ))

(:func:`circular_orbit_fraction`; checked in ``tests/windows/test_radio_quiet.py``).

**Orbits** for the per-orbit fraction: one orbit is the time the position vector sweeps 2π
about the Moon (sidereal revolution, summed angle between successive positions sampled every
``ORBIT_SAMPLE_STEP_S``), counted from the span start; the last, partial one is flagged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..constants import EARTH_RADIUS_KM, MOON_RADIUS_KM, SPEED_OF_LIGHT_KM_S
from ..errors import InputError
from ..geometry.angles import apparent_radius, norm, separation
from .finder import Condition
from .scene import Scene

#: Default knife-edge loss the diffraction margin guarantees at the window boundary, dB (a
#: moderate choice: 20 dB is 14 dB beyond grazing incidence; deeper inside the shadow the loss
#: keeps growing, and an experiment needing more sets ``attenuation_db``).
DEFAULT_ATTENUATION_DB = 20.0
#: Knife-edge loss at grazing incidence ν = 0, J(0) = 6.03 dB (ITU-R P.526 eq. (31)): the
#: smallest attenuation a margin >= 0 can target.
GRAZING_LOSS_DB = 6.9 + 20.0 * math.log10(math.sqrt(0.01 + 1.0) - 0.1)
#: Largest targeted attenuation accepted, dB (ν ≈ 70; far beyond the knife-edge model's use).
MAX_ATTENUATION_DB = 50.0
#: Default observing frequency, MHz (DSL/Hongmeng's interferometer band is 0.1–30 MHz; 10 MHz
#: is mid-band in log frequency; low frequencies need larger margins).
DEFAULT_FREQUENCY_MHZ = 10.0
#: Sampling step of the orbit-boundary search, s (the summed angle is interpolated linearly
#: between samples; a 2 h low orbit turns 1.5° per step).
ORBIT_SAMPLE_STEP_S = 30.0
#: Most positions evaluated at once by the orbit-boundary search (memory: 48 bytes each).
ORBIT_CHUNK = 1 << 18

MARGINS = ("diffraction", "none", "fixed")


@dataclass(frozen=True)
class RadioQuietSpec:
    """Settings of the ``radio_quiet`` kind: observing frequency (MHz), margin model
    (``diffraction``: knife-edge for ``attenuation_db``; ``none``: δ = 0; ``fixed``:
    ``margin_deg``), and whether the Earth is a disc (True) or a point."""

    frequency_mhz: float = DEFAULT_FREQUENCY_MHZ
    margin: str = "diffraction"
    attenuation_db: float = DEFAULT_ATTENUATION_DB
    margin_deg: float = 0.0
    earth_disc: bool = True

    def __post_init__(self):
        if self.margin not in MARGINS:
            raise InputError("windows.radio_quiet.margin", f"{self.margin!r} must be one of {', '.join(MARGINS)}")
        if not (self.frequency_mhz > 0 and math.isfinite(self.frequency_mhz)):
            raise InputError("windows.radio_quiet.frequency_mhz", f"{self.frequency_mhz} must be > 0 MHz")
        if not (GRAZING_LOSS_DB <= self.attenuation_db <= MAX_ATTENUATION_DB):
            raise InputError(
                "windows.radio_quiet.attenuation_db",
                f"{self.attenuation_db:g} must be in [{GRAZING_LOSS_DB:.2f}, {MAX_ATTENUATION_DB:g}] dB "
                "(the knife-edge loss at grazing incidence is 6.03 dB)",
            )
        if not (0.0 <= self.margin_deg <= 90.0):
            raise InputError("windows.radio_quiet.margin", f"{self.margin_deg:g} must be in [0, 90] deg")

    @property
    def wavelength_km(self) -> float:
        return SPEED_OF_LIGHT_KM_S / (self.frequency_mhz * 1e6)


# ====================================================================== knife-edge model
def knife_edge_loss_db(nu):
    """Knife-edge diffraction loss J(ν), dB (ITU-R P.526-15 eq. (31); valid for ν > −0.78)."""
    nu = np.asarray(nu, float)
    return 6.9 + 20.0 * np.log10(np.sqrt((nu - 0.1) ** 2 + 1.0) + nu - 0.1)


def fresnel_parameter(attenuation_db: float) -> float:
    """The ν >= 0 with J(ν) = ``attenuation_db`` (closed-form inverse of :func:`knife_edge_loss_db`:
    x = 10^((J − 6.9)/20) = √((ν − 0.1)² + 1) + ν − 0.1 gives ν = 0.1 + (x − 1/x)/2)."""
    x = 10.0 ** ((float(attenuation_db) - 6.9) / 20.0)
    return max(0.0, 0.1 + 0.5 * (x - 1.0 / x))


def diffraction_margin_rad(frequency_mhz, limb_distance_km, earth_distance_km, attenuation_db=DEFAULT_ATTENUATION_DB):
    """δ = ν_A·√(λ (1 − d2/D) / (2 d2)) (rad): how far below the lunar limb, seen from the
    spacecraft, the Earth must be for knife-edge loss >= ``attenuation_db`` (module docstring);
    ``limb_distance_km`` d2 = √(r² − R_M²), ``earth_distance_km`` D (arrays broadcast)."""
    lam = SPEED_OF_LIGHT_KM_S / (np.asarray(frequency_mhz, float) * 1e6)
    d2 = np.asarray(limb_distance_km, float)
    d = np.asarray(earth_distance_km, float)
    return fresnel_parameter(attenuation_db) * np.sqrt(lam * (1.0 - d2 / d) / (2.0 * d2))


def _margin(spec: RadioQuietSpec, r_norm, d_earth):
    if spec.margin == "none":
        return np.zeros_like(r_norm)
    if spec.margin == "fixed":
        return np.full_like(r_norm, math.radians(spec.margin_deg))
    d2 = np.sqrt(np.maximum(r_norm * r_norm - MOON_RADIUS_KM**2, 1e-300))
    return diffraction_margin_rad(spec.frequency_mhz, d2, d_earth, spec.attenuation_db)


def radio_quiet_g(r, earth, spec: RadioQuietSpec | None = None) -> np.ndarray:
    """g = ρ_M − sep(Earth, Moon) − ρ_E − δ (rad) at spacecraft positions ``r`` (N,3) and Earth
    positions ``earth`` (N,3), both Moon-centred km; >= 0: radio-quiet."""
    spec = spec or RadioQuietSpec()
    r = np.asarray(r, float)
    to_earth = np.asarray(earth, float) - r
    rn, de = norm(r), norm(to_earth)
    rho_m = apparent_radius(MOON_RADIUS_KM, rn)
    rho_e = apparent_radius(EARTH_RADIUS_KM, de) if spec.earth_disc else 0.0
    c = separation(to_earth, -r)
    return rho_m - c - rho_e - _margin(spec, rn, de)


def margin_rate_bound(spec: RadioQuietSpec, b) -> float:
    """Bound on |dδ/dt| (rad/s) over a span with kinematic extrema ``b`` (Scene.bounds).

    ln δ = const + ½ ln(1 − d2/D) − ½ ln d2 with d2 = √(r² − R²): |ḋ2| = r|ṙ|/d2 <= r_max v/d2_min,
    |Ḋ| <= V_E + v; so |δ̇| <= δ_max·(½|ḋ2|/d2_min + ½(|ḋ2|/D_min + d2_max|Ḋ|/D_min²)/(1 − d2_max/D_min)).
    """
    if spec.margin != "diffraction":
        return 0.0
    if b.r_min <= MOON_RADIUS_KM:
        return math.inf
    d2_min = math.sqrt(b.r_min**2 - MOON_RADIUS_KM**2)
    d2_max = math.sqrt(max(b.r_max**2 - MOON_RADIUS_KM**2, d2_min**2))
    d_min = b.earth_d_min - b.r_max
    if d_min <= d2_max:
        return math.inf
    v = b.v_max
    dd2 = b.r_max * v / d2_min
    dd = b.earth_v_max + v
    delta_max = fresnel_parameter(spec.attenuation_db) * math.sqrt(spec.wavelength_km / (2.0 * d2_min))
    return delta_max * (0.5 * dd2 / d2_min + 0.5 * (dd2 / d_min + d2_max * dd / d_min**2) / (1.0 - d2_max / d_min))


def radio_quiet_condition(scene: Scene, spec: RadioQuietSpec | None, t0: float, t1: float) -> Condition:
    """``radio_quiet`` on ``scene`` over [t0, t1]: g of :func:`radio_quiet_g` with the rate bound
    ρ̇_M + ω_M + ω_E + ρ̇_E + |δ̇| (the separation turns at most ω_M + ω_E; docs/windows.md)."""
    from .conditions import _finite, _rates

    spec = spec or RadioQuietSpec()
    b = scene.bounds(t0, t1)
    rt = _rates(b)
    rate = rt["moon_dir"] + rt["moon_rho"] + rt["earth_dir"] + (rt["earth_rho"] if spec.earth_disc else 0.0)
    rate += margin_rate_bound(spec, b)

    def g(t):
        s = scene.at(t)
        return s.memo(("radio_quiet", spec), lambda: radio_quiet_g(s.r, s.earth, spec))

    return Condition(g, _finite(rate), name="radio_quiet:earth")


# ====================================================================== exact reference
def circular_orbit_fraction(radius_km, beta_rad, margin_rad=0.0, body_radius_km=MOON_RADIUS_KM):
    """Fraction of a circular orbit of radius ``radius_km`` during which a point-like source at
    infinity, at angle ``beta_rad`` from the orbit plane, is at least ``margin_rad`` behind the
    body: (1/π)·arccos(cos(ρ − δ)/cos β), ρ = asin(R/r); 0 where the ratio exceeds 1 (module
    docstring has the derivation)."""
    rho = np.arcsin(body_radius_km / np.asarray(radius_km, float))
    k = np.cos(rho - np.asarray(margin_rad, float)) / np.cos(np.asarray(beta_rad, float))
    return np.where(k < 1.0, np.arccos(np.minimum(k, 1.0)) / math.pi, 0.0)


# ====================================================================== per-orbit fraction
def orbit_boundaries(trajectory, t0: float, t1: float, step_s: float = ORBIT_SAMPLE_STEP_S):
    """(times, last_complete): the start times of the orbits in [t0, t1] (TDB s) followed by
    t1; each orbit lasts until the position vector has swept 2π about the Moon since its start
    (summed angle between positions ``step_s`` apart, linearly interpolated); the first starts
    at t0. ``last_complete``: the span ends on a boundary (to 1 µs)."""
    n = max(2, int(math.ceil((t1 - t0) / step_s)) + 1)
    out = [float(t0)]
    total = 0.0
    k = 1
    prev = None
    for lo in range(0, n, ORBIT_CHUNK):
        idx = np.arange(lo, min(n, lo + ORBIT_CHUNK))
        t = np.minimum(t0 + idx * ((t1 - t0) / (n - 1)), t1)
        r = trajectory.position(t)
        if prev is not None:
            t = np.r_[prev[0], t]
            r = np.vstack([prev[1], r])
        ang = separation(r[:-1], r[1:])
        cum = total + np.r_[0.0, np.cumsum(ang)]
        while cum[-1] >= 2.0 * math.pi * k:
            target = 2.0 * math.pi * k
            j = int(np.searchsorted(cum, target))  # cum[j-1] < target <= cum[j]
            j = max(j, 1)
            w = (target - cum[j - 1]) / (cum[j] - cum[j - 1])
            out.append(float(t[j - 1] + w * (t[j] - t[j - 1])))
            k += 1
        total = float(cum[-1])
        prev = (t[-1:], r[-1:])
    last_complete = len(out) > 1 and out[-1] >= t1 - 1e-6
    if last_complete:
        out[-1] = float(t1)
    else:
        out.append(float(t1))
    return np.asarray(out), last_complete


def _covered(windows, t):
    """|windows ∩ (−∞, t]| for each t (s); ``windows`` sorted and disjoint: the windows before
    the last one starting at or before t are wholly covered, that one up to t."""
    s, e = np.asarray(windows.starts), np.asarray(windows.stops)
    cum = np.r_[0.0, np.cumsum(e - s)]
    t = np.asarray(t, float)
    i = np.searchsorted(s, t, side="right")  # windows starting at or before t
    j = np.maximum(i - 1, 0)
    part = np.clip(t - s[j], 0.0, e[j] - s[j])
    return np.where(i > 0, cum[j] + part, 0.0)


def orbit_fractions(windows, boundaries, last_complete: bool = False) -> dict:
    """Per orbit (between consecutive ``boundaries``, TDB s): start, stop, duration_s,
    radio_quiet_s (|windows ∩ orbit|) and fraction; ``complete`` False for the last orbit
    unless ``last_complete`` (it ends at the span end before sweeping 2π)."""
    b = np.asarray(boundaries, float)
    a, z = b[:-1], b[1:]
    q = _covered(windows, z) - _covered(windows, a) if len(windows) else np.zeros_like(a)
    dur = z - a
    complete = np.ones(a.size, bool)
    if a.size and not last_complete:
        complete[-1] = False
    return {
        "start": a,
        "stop": z,
        "duration_s": dur,
        "radio_quiet_s": q,
        "fraction": np.divide(q, dur, out=np.zeros_like(q), where=dur > 0),
        "complete": complete,
    }


ORBITS_HEADER = ["orbit", "start_utc", "stop_utc", "duration_s", "radio_quiet_s", "fraction", "complete"]


def orbits_csv_text(orbits: dict, format_utc) -> str:
    """``radio_quiet_orbits.csv``: one row per orbit (``ORBITS_HEADER``; UTC to 1 ms)."""
    from ..io.tables import format_rows

    n = len(orbits["start"])
    cols = [
        list(range(1, n + 1)),
        list(format_utc(orbits["start"])) if n else [],
        list(format_utc(orbits["stop"])) if n else [],
        list(orbits["duration_s"]),
        list(orbits["radio_quiet_s"]),
        list(orbits["fraction"]),
        ["yes" if c else "no" for c in orbits["complete"]],
    ]
    if not n:
        return ",".join(ORBITS_HEADER) + "\n"
    return format_rows(ORBITS_HEADER, cols, ["d", "s", "s", ".3f", ".3f", ".6f", "s"])
