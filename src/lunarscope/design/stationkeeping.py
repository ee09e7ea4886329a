"""Station-keeping of low lunar orbits and ELFOs: a deadband maneuver planner and its Monte Carlo.

**Box** (:func:`parse_box`): the orbit is kept inside bands on its *mean* periapsis and/or
apoapsis altitude (``periapsis_km: [lo, hi]``, ``apoapsis_km: [lo, hi]``; mean = the one-orbit
running mean of the osculating (e cos w, e sin w) and a, ``orbits.planes.eccentricity_vector_history``,
h = a (1 -/+ |e|) - R_moon), or with its mean eccentricity vector inside a circle
(``e_vector: {center: [ex, ey], radius: r, plane: MOON_ME}``).

**Controller.** The orbit is propagated in ``LOOKAHEAD_S`` arcs; when the mean quantity leaves
the box at t_v, a correction is planned at t_v - 2.5 periods (``TRIGGER_LEAD_PERIODS``) from the *estimated* state (true state + orbit-determination error) and executed with
execution errors. Target (policy ``reset``): the box's e-vector centre, or else the
orbit's own mean values at the start (mean e-vector and a for low orbits, mean apsis radii for
ELFOs). Policy ``across`` (near-circular orbits): the mean e-vector is aimed where its drift,
predicted in the full model from the estimated state, carries it across the box, for the lowest
predicted Δv per second of coast (:func:`_across_target`); a as for ``reset``. Policy ``auto``
(the default): ``across`` for a near-circular orbit, ``reset`` for an ELFO.

* Low orbits (start e < ``ELLIPTIC_E_MIN``): a pair of tangential burns half an orbit apart at
  arguments of latitude u1 and u1 + 180 deg, u1 along the needed change d of the e-vector (for a
  change of e along the line of apsides, as LRO's, these are the apsides). Sizes from Gauss's
  variational equations for near-circular orbits (Vallado 2013, *Fundamentals of Astrodynamics*,
  ch. 9, Gauss form): a tangential dv at u changes a by 2 a dv / v and the e-vector by
  (2 dv / v)(cos u, sin u), so dv1 = v/4 (|d| + da/a), dv2 = v/4 (da/a - |d|), v = sqrt(mu/a).
* ELFOs: a burn at apoapsis sets the periapsis radius, one at the next periapsis the apoapsis
  radius (vis-viva, v^2 = mu (2/r - 1/a)).

Then the sizes (and, for low orbits, the burn phase) are refined by Newton steps in the full
force model (finite-difference Jacobian) on the mean values one orbit after the second burn,
until within ``TARGET_TOL_E`` / ``TARGET_TOL_KM`` or ``MAX_TARGETING_ITERATIONS``.

**Monte Carlo** (:func:`monte_carlo`): orbit-determination errors (RTN position and velocity
sigma per axis, Gaussian, at each planning time) and execution errors (magnitude sigma in %,
pointing sigma in deg: the burn direction tilted by a Gaussian angle about a uniformly random
axis perpendicular to it). Run k draws from ``numpy.random.default_rng([seed, k])``, so the
numbers do not depend on the number of workers; runs go to forked worker processes
(``design.montecarlo``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..constants import MOON_RADIUS_KM, SECONDS_PER_DAY
from ..dynamics.propagator import Maneuver, propagate
from ..errors import InputError
from .montecarlo import MAX_RUNS as _MC_MAX_RUNS
from .montecarlo import run_seeded

#: Keys of a box mapping (``--box``, ``station_keeping.box``).
BOX_KEYS = ("periapsis_km", "apoapsis_km", "e_vector")
#: Keys of ``e_vector:`` in a box.
E_VECTOR_KEYS = ("center", "radius", "plane")
#: Start eccentricity at and above which the orbit is kept by apsis burns (ELFO method); below it
#: the near-circular Gauss pair is used (its first-order formulas lose ~e relative accuracy).
ELLIPTIC_E_MIN = 0.1
#: Length of one propagation arc of the controller (s): a violation is looked for after each.
LOOKAHEAD_S = 2.0 * SECONDS_PER_DAY
#: Sampling step of the controller's mean elements, per orbital period (dimensionless): 60
#: samples per orbit resolve the one-orbit running mean to ~1e-4 of the short-period terms.
SAMPLES_PER_PERIOD = 60
#: A correction is planned this many orbital periods before the mean quantity is predicted to
#: leave the box: the running mean looks half a period ahead, finding the burn phase takes up to
#: one period and the second burn comes half a period after the first.
TRIGGER_LEAD_PERIODS = 2.5
#: No new correction is triggered sooner than this after a correction ends (s): the mean
#: elements need one orbit to settle on the new orbit.
SETTLE_PERIODS = 2.0
#: Newton iterations of the full-model targeting of one correction (each costs 3-4 short arcs).
MAX_TARGETING_ITERATIONS = 2
#: Targeting tolerance on the mean e-vector (dimensionless, ~0.2 km of periapsis at 1837 km).
TARGET_TOL_E = 1e-4
#: Targeting tolerance on the mean apsis radii of an ELFO (km).
TARGET_TOL_KM = 1.0
#: Finite-difference steps of the targeting Jacobian: burn size (km/s) and burn phase (rad).
FD_STEP_DV_KMS = 1e-5
FD_STEP_PHASE_RAD = 1e-3
#: Largest single burn accepted from the planner (km/s); a larger one means the box cannot be
#: held with this method and the run stops with an InputError.
MAX_BURN_KMS = 0.2
#: Default orbit-determination sigma per RTN axis: position 50 m (LRO's orbit determination
#: "at the 50 m level", Beckman 2007, AAS 07-057, NTRS 20070021535), velocity 0.05 m/s (50 m times
#: the mean motion of a 2 h orbit, 8.7e-4 rad/s: the same error seen in velocity).
DEFAULT_OD_POSITION_M = 50.0
DEFAULT_OD_VELOCITY_MPS = 0.05
#: Default execution errors (1 sigma): magnitude 2 %, pointing 1 deg. Assumed values: no published
#: figure for a lunar orbiter was found with the search tools.
DEFAULT_EXEC_MAGNITUDE_PCT = 2.0
DEFAULT_EXEC_POINTING_DEG = 1.0
#: A burn closer than this to the previous event is applied without an arc in between (s).
BURN_MIN_GAP_S = 1e-3
#: Most Monte Carlo runs one call may ask for (``montecarlo.MAX_RUNS``).
MAX_RUNS = _MC_MAX_RUNS
#: Targeting policies of a correction (``station_keeping.policy``, ``--policy``): ``reset`` puts the
#: mean e-vector back to the start value (or the box centre); ``across`` aims it where its predicted
#: drift crosses the box before it leaves (near-circular orbits only; see ``_across_target``);
#: ``auto`` (the default) is ``across`` for a near-circular orbit and ``reset`` for an elliptical
#: one (start e >= ``ELLIPTIC_E_MIN``): across held every box of docs/design-orbits.md for 13-90 %
#: less Δv a year than reset.
POLICIES = ("auto", "reset", "across")
DEFAULT_POLICY = "auto"
#: ``across``: the prediction is checked against the box shrunk by this fraction of its width on
#: each side (dimensionless; e-vector circle: of its radius), a margin for the linearised drift,
#: navigation and execution errors. The controller itself still triggers on the full box.
ACROSS_MARGIN_FRAC = 0.1
#: ``across``: the two perturbed predictions start with the osculating e-vector moved by this
#: fraction of the box's largest |e| (dimensionless), a step within the linear range of the drift.
ACROSS_PERTURB_FRAC = 0.25
#: ``across``: the predictions are flown in arcs of this length (s) until every candidate target
#: has left the shrunk box or ``ACROSS_HORIZON_MAX_S`` is reached.
ACROSS_CHUNK_S = 10.0 * SECONDS_PER_DAY
ACROSS_HORIZON_MAX_S = 180.0 * SECONDS_PER_DAY
#: ``across``: candidate targets on a square grid of this many points per side over the box's
#: e-vector extent (plus the ``reset`` target itself).
ACROSS_GRID_POINTS = 41
#: ``across``: candidates whose predicted Δv rate is within this fraction of the lowest are
#: treated as equal, and the one with the longest coast is chosen (dimensionless).
ACROSS_RATE_TIE_FRAC = 0.05
#: ``across``: a candidate must be predicted to coast at least this many orbital periods.
ACROSS_MIN_COAST_PERIODS = 10.0
#: ``across``: prediction samples evaluated at once for all candidates (memory: x 16 bytes x candidates).
ACROSS_BLOCK_SAMPLES = 256
#: ``across``: candidate grids never reach beyond this |e| (dimensionless): the Gauss pair and the
#: linear drift model are near-circular approximations.
ACROSS_E_MAX = 0.5
#: ``across``: the two shifted predictions must move the mean e-vector independently; below this
#: determinant (dimensionless, e^2) the sensitivity is degenerate and ``reset``'s target is used.
ACROSS_MIN_DET = 1e-30
#: ``across``: smallest e-vector extent of a candidate grid (dimensionless), for a box that
#: allows only |e| ~ 0.
ACROSS_E_FLOOR = 1e-6


# ------------------------------------------------------------------ box and errors


@dataclass(frozen=True)
class Box:
    """Bands on the mean periapsis / apoapsis altitude (km, (lo, hi)) and/or a circle on the mean
    eccentricity vector (centre, radius, in ``plane``)."""

    periapsis_km: tuple | None = None
    apoapsis_km: tuple | None = None
    e_center: tuple | None = None
    e_radius: float | None = None
    plane: str = "MOON_ME"

    def describe(self) -> str:
        parts = []
        if self.periapsis_km:
            parts.append(f"mean periapsis {self.periapsis_km[0]:g}..{self.periapsis_km[1]:g} km")
        if self.apoapsis_km:
            parts.append(f"mean apoapsis {self.apoapsis_km[0]:g}..{self.apoapsis_km[1]:g} km")
        if self.e_center is not None:
            parts.append(
                f"mean e-vector within {self.e_radius:g} of ({self.e_center[0]:g}, {self.e_center[1]:g}) in {self.plane}"
            )
        return "; ".join(parts)

    def as_dict(self) -> dict:
        out: dict = {}
        if self.periapsis_km:
            out["periapsis_km"] = list(self.periapsis_km)
        if self.apoapsis_km:
            out["apoapsis_km"] = list(self.apoapsis_km)
        if self.e_center is not None:
            out["e_vector"] = {"center": list(self.e_center), "radius": self.e_radius, "plane": self.plane}
        return out


def _band(value, key: str) -> tuple:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise InputError(key, f"{value!r} must be a pair [lo, hi] of altitudes in km")
    try:
        lo, hi = float(value[0]), float(value[1])
    except (TypeError, ValueError):
        raise InputError(key, f"{value!r} must be a pair [lo, hi] of numbers (km)") from None
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise InputError(key, "lo and hi must be finite numbers (km)")
    if not lo < hi:
        raise InputError(key, f"lo {lo:g} km must be below hi {hi:g} km")
    if lo < 0:
        raise InputError(key, f"lo {lo:g} km must be >= 0 km (above the 1737.4 km sphere)")
    return (lo, hi)


def parse_box(raw, key: str = "box") -> Box:
    """Validate a box mapping (see the module docstring); errors name ``key`` and the sub-key."""
    from ..orbits.planes import check_plane

    if not isinstance(raw, dict):
        raise InputError(
            key, f"must be a mapping such as 'periapsis_km: [80, 120]', got {type(raw).__name__} {raw!r}"[:300]
        )
    unknown = sorted(set(map(str, raw)) - set(BOX_KEYS))
    if unknown:
        raise InputError(f"{key}.{unknown[0]}", f"unknown key; allowed keys: {', '.join(BOX_KEYS)}")
    if not raw:
        raise InputError(key, f"is empty; give one of {', '.join(BOX_KEYS)}")
    peri = _band(raw["periapsis_km"], f"{key}.periapsis_km") if raw.get("periapsis_km") is not None else None
    apo = _band(raw["apoapsis_km"], f"{key}.apoapsis_km") if raw.get("apoapsis_km") is not None else None
    centre = radius = None
    plane = "MOON_ME"
    if raw.get("e_vector") is not None:
        ev = raw["e_vector"]
        k = f"{key}.e_vector"
        if not isinstance(ev, dict):
            raise InputError(k, "must be a mapping {center: [ex, ey], radius: r, plane: MOON_ME}")
        bad = sorted(set(map(str, ev)) - set(E_VECTOR_KEYS))
        if bad:
            raise InputError(f"{k}.{bad[0]}", f"unknown key; allowed keys: {', '.join(E_VECTOR_KEYS)}")
        c = ev.get("center")
        if not isinstance(c, (list, tuple)) or len(c) != 2:
            raise InputError(f"{k}.center", "is required: [e cos w, e sin w] (two numbers)")
        try:
            centre = (float(c[0]), float(c[1]))
            radius = float(ev.get("radius"))
        except (TypeError, ValueError):
            raise InputError(k, "center must be two numbers and radius a number") from None
        if not (all(map(math.isfinite, centre)) and math.hypot(*centre) < 1.0):
            raise InputError(f"{k}.center", f"{list(c)} must be finite with |e| < 1")
        if not (math.isfinite(radius) and 0.0 < radius < 1.0):
            raise InputError(f"{k}.radius", f"{ev.get('radius')!r} must be a number in (0, 1)")
        plane = check_plane(ev.get("plane", "MOON_ME"), f"{k}.plane")
    if peri is None and apo is None and centre is None:
        raise InputError(key, f"give at least one of {', '.join(BOX_KEYS)}")
    return Box(peri, apo, centre, radius, plane)


@dataclass(frozen=True)
class Errors:
    """1-sigma errors: orbit determination per RTN axis (position km, velocity km/s) and
    execution (magnitude, fraction; pointing, deg)."""

    od_position_km: tuple = (0.0, 0.0, 0.0)
    od_velocity_kms: tuple = (0.0, 0.0, 0.0)
    magnitude_frac: float = 0.0
    pointing_deg: float = 0.0

    @classmethod
    def default(cls) -> Errors:
        p, v = DEFAULT_OD_POSITION_M / 1000.0, DEFAULT_OD_VELOCITY_MPS / 1000.0
        return cls((p, p, p), (v, v, v), DEFAULT_EXEC_MAGNITUDE_PCT / 100.0, DEFAULT_EXEC_POINTING_DEG)

    @property
    def none(self) -> bool:
        return not (any(self.od_position_km) or any(self.od_velocity_kms) or self.magnitude_frac or self.pointing_deg)

    def describe(self) -> str:
        p = ", ".join(f"{1000 * x:g}" for x in self.od_position_km)
        v = ", ".join(f"{1000 * x:g}" for x in self.od_velocity_kms)
        return (
            f"OD sigma RTN position ({p}) m, velocity ({v}) m/s; execution sigma "
            f"{100 * self.magnitude_frac:g} % magnitude, {self.pointing_deg:g} deg pointing"
        )


def parse_od_sigma(values, key: str) -> tuple:
    """(position km (3,), velocity km/s (3,)) from 2 numbers (m, m/s on every axis) or 6 (R, T, N m;
    R, T, N m/s)."""
    v = _numbers(values, key, (2, 6), "POS_M,VEL_MPS or R,T,N m and R,T,N m/s")
    if any(x < 0 for x in v):
        raise InputError(key, "sigmas must be >= 0")
    if len(v) == 2:
        v = [v[0]] * 3 + [v[1]] * 3
    return tuple(x / 1000.0 for x in v[:3]), tuple(x / 1000.0 for x in v[3:])


def parse_exec_sigma(values, key: str) -> tuple:
    """(magnitude fraction, pointing deg) from 'PCT,DEG'."""
    v = _numbers(values, key, (2,), "MAGNITUDE_PCT,POINTING_DEG")
    if any(x < 0 for x in v) or v[0] >= 100 or v[1] >= 90:
        raise InputError(key, f"{values!r}: need 0 <= magnitude % < 100 and 0 <= pointing deg < 90")
    return v[0] / 100.0, v[1]


def _numbers(values, key, counts, form) -> list:
    if isinstance(values, str):
        values = [p for p in values.replace(" ", "").split(",") if p != ""]
    if not isinstance(values, (list, tuple)):
        values = [values]
    try:
        out = [float(x) for x in values]
    except (TypeError, ValueError):
        raise InputError(key, f"{values!r} is not {form} (numbers)") from None
    if len(out) not in counts or not all(map(math.isfinite, out)):
        raise InputError(key, f"{values!r}: need {' or '.join(map(str, counts))} finite numbers: {form}")
    return out


# ------------------------------------------------------------------ mean elements


def _rtn(state) -> np.ndarray:
    """Rows: radial, transverse, normal unit vectors (3, 3) of ``state``."""
    r, v = state[:3], state[3:]
    rh = r / np.linalg.norm(r)
    h = np.cross(r, v)
    nh = h / np.linalg.norm(h)
    return np.array([rh, np.cross(nh, rh), nh])


def _osculating(t, states, gm, plane, pck, ephemeris):
    """(ex, ey, a, u) osculating in ``plane``: e-vector components, a (km), argument of latitude (rad)."""
    from ..orbits.planes import elements_in_plane

    el = elements_in_plane(t, states, gm, plane, pck, ephemeris)
    e, w = el[:, 1], el[:, 4]
    return e * np.cos(w), e * np.sin(w), el[:, 0], np.mod(w + el[:, 5], 2 * np.pi)


@dataclass
class _Ctx:
    """What one controlled run needs (plain data; forked workers inherit it)."""

    box: Box
    t_start: float
    t_stop: float
    force_model: object
    rtol: float
    atol_km: float
    impact_altitude_km: float
    fixed_step_s: float | None
    fixed_maneuvers: tuple
    period_s: float
    elliptic: bool
    target: dict = field(default_factory=dict)
    method: str = "dop853"  # integrator (propagator.method)
    policy: str = DEFAULT_POLICY  # POLICIES

    @property
    def gm(self) -> float:
        return self.force_model.field.gm_km3_s2

    @property
    def step_s(self) -> float:
        return self.period_s / SAMPLES_PER_PERIOD

    def propagate(self, y, a, b, maneuvers=()):
        fixed = tuple(m for m in self.fixed_maneuvers if a <= m.t <= b)
        extra = {} if self.method == "dop853" else {"method": self.method}
        return propagate(
            y,
            a,
            b,
            self.force_model,
            rtol=self.rtol,
            atol_km=self.atol_km,
            maneuvers=fixed + tuple(maneuvers),
            impact_altitude_km=self.impact_altitude_km,
            fixed_step_s=self.fixed_step_s,
            **extra,
        )

    def mean(self, t, s):
        """Running one-period means (ex, ey, a) (N,) each, NaN within half a period of the ends."""
        from ..orbits.elements import running_mean

        ex, ey, a, _u = _osculating(
            t, s, self.gm, self.box.plane, self.force_model.moon_pck, self.force_model.ephemeris
        )
        m = running_mean(t, np.column_stack([ex, ey, a]), self.period_s)
        return m[:, 0], m[:, 1], m[:, 2]

    def violates(self, ex, ey, a) -> np.ndarray:
        return _outside(self.box, ex, ey, a)


def _shrunk(box: Box, frac: float) -> Box:
    """``box`` with each band narrowed by ``frac`` of its width on both sides (circle: radius x (1 - frac))."""

    def band(b):
        if not b:
            return b
        m = frac * (b[1] - b[0])
        return (b[0] + m, b[1] - m)

    r = None if box.e_radius is None else box.e_radius * (1.0 - frac)
    return Box(band(box.periapsis_km), band(box.apoapsis_km), box.e_center, r, box.plane)


def _outside(b: Box, ex, ey, a) -> np.ndarray:
    """Where the mean (ex, ey, a) lies outside box ``b`` (NaN samples count as inside)."""
    e = np.hypot(ex, ey)
    bad = np.zeros(np.shape(ex), bool)
    hp, ha = a * (1 - e) - MOON_RADIUS_KM, a * (1 + e) - MOON_RADIUS_KM
    if b.periapsis_km:
        bad |= (hp < b.periapsis_km[0]) | (hp > b.periapsis_km[1])
    if b.apoapsis_km:
        bad |= (ha < b.apoapsis_km[0]) | (ha > b.apoapsis_km[1])
    if b.e_center is not None:
        bad |= np.hypot(ex - b.e_center[0], ey - b.e_center[1]) > b.e_radius
    return bad & np.isfinite(a)


# ------------------------------------------------------------------ one correction


def _crossing(ctx, traj, t_from, t_to, fn):
    """First time in [t_from, t_to] where ``fn(t, states)`` (an angle difference wrapped to
    (-pi, pi]) crosses zero upwards; bisection on the dense output to 1e-3 s. None if none."""
    n = max(8, int(math.ceil((t_to - t_from) / (ctx.period_s / 90.0))))
    t = np.linspace(t_from, min(t_to, traj.t_stop), n + 1)
    d = fn(t, traj.state(t))
    k = np.flatnonzero((d[:-1] < 0) & (d[1:] >= 0) & (np.abs(d[1:] - d[:-1]) < np.pi))
    if k.size == 0:
        return None
    lo, hi = t[k[0]], t[k[0] + 1]
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if fn(np.array([mid]), traj.state(np.array([mid])))[0] < 0:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-3:
            break
    return 0.5 * (lo + hi)


def _wrap(x):
    return np.mod(np.asarray(x) + np.pi, 2 * np.pi) - np.pi


def _phase_fn(ctx, u_target):
    pck, eph = ctx.force_model.moon_pck, ctx.force_model.ephemeris

    def fn(t, s):
        return _wrap(_osculating(t, s, ctx.gm, ctx.box.plane, pck, eph)[3] - u_target)

    return fn


def _radial_fn(apo: bool):
    sign = -1.0 if apo else 1.0

    def fn(t, s):
        rv = np.einsum("ij,ij->i", s[:, :3], s[:, 3:]) / np.linalg.norm(s[:, :3], axis=1)
        return sign * np.arctan(rv)  # apoapsis: r.v goes + to -, i.e. -r.v crosses 0 upwards

    return fn


def _two_burns(ctx, y0, t0, x):
    """Burn pair from state y0 at t0 with parameters x; returns (maneuvers, t_end, trajectory of
    one period after the second burn) or None when a burn point is not found."""
    P = ctx.period_s
    res = ctx.propagate(y0, t0, min(t0 + 2.2 * P, ctx.t_stop))
    if res.impact_time is not None:
        return None
    if ctx.elliptic:
        t1 = _crossing(ctx, res.trajectory, t0, res.trajectory.t_stop, _radial_fn(True))
        dv1, dv2 = x
    else:
        dv1, dv2, u1 = x
        t1 = _crossing(ctx, res.trajectory, t0, res.trajectory.t_stop, _phase_fn(ctx, u1))
    if t1 is None or t1 + 1.6 * P > ctx.t_stop:
        return None
    y1 = res.trajectory.state(np.array([t1]))[0]
    m1 = Maneuver(float(t1), (0.0, float(dv1), 0.0), "RTN")
    y1b = y1.copy()
    y1b[3:] += m1.delta_icrf(y1)
    r2 = ctx.propagate(y1b, t1, min(t1 + 1.0 * P, ctx.t_stop))
    if r2.impact_time is not None:
        return None
    fn = _radial_fn(False) if ctx.elliptic else _phase_fn(ctx, x[2] + np.pi)
    t2 = _crossing(ctx, r2.trajectory, t1 + 0.25 * P, r2.trajectory.t_stop, fn)
    if t2 is None:
        return None
    y2 = r2.trajectory.state(np.array([t2]))[0]
    m2 = Maneuver(float(t2), (0.0, float(dv2), 0.0), "RTN")
    return m1, m2, y1, y2


def _after(ctx, m2, y2):
    """Mean (ex, ey, a) one period after the second burn (its state y2 before the burn)."""
    y = y2.copy()
    y[3:] += m2.delta_icrf(y2)
    P = ctx.period_s
    r = ctx.propagate(y, m2.t, min(m2.t + 1.2 * P, ctx.t_stop))
    if r.impact_time is not None:
        return None
    t = np.linspace(m2.t, r.trajectory.t_stop, SAMPLES_PER_PERIOD + 13)
    ex, ey, a = ctx.mean(t, r.trajectory.state(t))
    ok = np.flatnonzero(np.isfinite(a))
    if ok.size == 0:
        return None
    k = ok[0]
    return float(ex[k]), float(ey[k]), float(a[k])


def _residual(ctx, vals, target=None):
    ex, ey, a = vals
    tg = ctx.target if target is None else target
    if ctx.elliptic:
        e = math.hypot(ex, ey)
        return np.array([a * (1 - e) - tg["rp"], a * (1 + e) - tg["ra"]])
    return np.array([ex - tg["ex"], ey - tg["ey"], (a - tg["a"]) / tg["a"]])


def first_guess(ctx, mean_now, target=None) -> np.ndarray:
    """Two-body / Gauss sizes of the correction from the mean (ex, ey, a) now to ``target``
    (default ``ctx.target``; module docstring)."""
    ex, ey, a = mean_now
    tg, gm = (ctx.target if target is None else target), ctx.gm
    if ctx.elliptic:
        e = math.hypot(ex, ey)
        rp, ra = a * (1 - e), a * (1 + e)
        return np.array(apsis_pair_dv(rp, ra, tg["rp"], tg["ra"], gm))
    v = math.sqrt(gm / a)
    dx, dy = tg["ex"] - ex, tg["ey"] - ey
    d = math.hypot(dx, dy)
    da = (tg["a"] - a) / a
    u1 = math.atan2(dy, dx) if d > 0 else 0.0
    return np.array([v / 4 * (d + da), v / 4 * (da - d), u1])


def apsis_pair_dv(rp, ra, rp_new, ra_new, gm) -> tuple:
    """Tangential dv (km/s) at apoapsis (to periapsis radius ``rp_new``) and then at the new
    orbit's periapsis (to apoapsis radius ``ra_new``), two-body vis-viva."""
    a0, a1, a2 = 0.5 * (rp + ra), 0.5 * (rp_new + ra), 0.5 * (rp_new + ra_new)
    dv1 = math.sqrt(gm * (2 / ra - 1 / a1)) - math.sqrt(gm * (2 / ra - 1 / a0))
    dv2 = math.sqrt(gm * (2 / rp_new - 1 / a2)) - math.sqrt(gm * (2 / rp_new - 1 / a1))
    return dv1, dv2


def gauss_pair_dv(a, de, da, gm) -> tuple:
    """Tangential dv (km/s) of the near-circular pair that changes the e-vector by |de| and a by da (km)."""
    v = math.sqrt(gm / a)
    return v / 4 * (de + da / a), v / 4 * (da / a - de)


def plan_correction(ctx, y_est, t_est, refine: bool = True, target=None):
    """Plan one burn pair from the estimated state ``y_est`` at ``t_est`` towards ``target``
    (a dict like ``ctx.target``; default ``ctx.target``): (m1, m2) planned maneuvers (RTN,
    transverse), or None when no burn point fits before the span ends."""
    P = ctx.period_s
    r = ctx.propagate(y_est, t_est, min(t_est + 1.2 * P, ctx.t_stop))
    if r.trajectory.t_stop - t_est < 1.1 * P:
        return None
    t = np.linspace(t_est, r.trajectory.t_stop, SAMPLES_PER_PERIOD + 13)
    ex, ey, a = ctx.mean(t, r.trajectory.state(t))
    ok = np.flatnonzero(np.isfinite(a))
    x = first_guess(ctx, (ex[ok[0]], ey[ok[0]], a[ok[0]]), target)
    out = _two_burns(ctx, y_est, t_est, x)
    if out is None:
        return None
    tol = np.array([TARGET_TOL_KM] * 2) if ctx.elliptic else np.array([TARGET_TOL_E] * 2 + [TARGET_TOL_E])
    for _ in range(MAX_TARGETING_ITERATIONS if refine else 0):
        m1, m2, _y1, y2 = out
        vals = _after(ctx, m2, y2)
        if vals is None:
            break
        f = _residual(ctx, vals, target)
        if np.all(np.abs(f) < tol):
            break
        steps = [FD_STEP_DV_KMS, FD_STEP_DV_KMS] + ([] if ctx.elliptic else [FD_STEP_PHASE_RAD])
        J = np.empty((f.size, len(steps)))
        for j, h in enumerate(steps):
            xp = x.copy()
            xp[j] += h
            o = _two_burns(ctx, y_est, t_est, xp)
            v = None if o is None else _after(ctx, o[1], o[3])
            if v is None:
                return out[:2]
            J[:, j] = (_residual(ctx, v, target) - f) / h
        step = np.linalg.lstsq(J, -f, rcond=None)[0]
        xn = x + step
        o = _two_burns(ctx, y_est, t_est, xn)
        if o is None:
            break
        x, out = xn, o
    m1, m2 = out[0], out[1]
    if max(abs(m1.dv_kms[1]), abs(m2.dv_kms[1])) > MAX_BURN_KMS:
        raise InputError(
            "box",
            f"a correction needs a {1000 * max(abs(m1.dv_kms[1]), abs(m2.dv_kms[1])):.0f} m/s burn: the box cannot be held",
        )
    return m1, m2


# ------------------------------------------------------------------ policy "across"


def _shift_e(ctx, t, y, dex, dey) -> np.ndarray:
    """State ``y`` at ``t`` with its osculating e-vector (in ``ctx.box.plane``) moved by (dex, dey);
    a, i, node and argument of latitude kept."""
    from ..orbits.elements import cartesian_to_keplerian, keplerian_to_cartesian
    from ..orbits.planes import plane_rotation

    R = plane_rotation(ctx.box.plane, np.array([t]), ctx.force_model.moon_pck, ctx.force_model.ephemeris)[0]
    yp = np.concatenate([R @ y[:3], R @ y[3:]])
    a, e, i, node, w, nu = (float(x) for x in np.asarray(cartesian_to_keplerian(yp, ctx.gm)).reshape(-1)[:6])
    ex, ey = e * math.cos(w) + dex, e * math.sin(w) + dey
    w2 = math.atan2(ey, ex)
    yn = np.asarray(keplerian_to_cartesian(a, math.hypot(ex, ey), i, node, w2, w + nu - w2, ctx.gm)).reshape(6)
    return np.concatenate([R.T @ yn[:3], R.T @ yn[3:]])


def _e_extent(box: Box, a: float) -> float:
    """Largest |e| the box allows at semi-major axis ``a`` (km)."""
    bounds = [ACROSS_E_MAX]
    if box.periapsis_km:
        bounds.append(1.0 - (MOON_RADIUS_KM + box.periapsis_km[0]) / a)
    if box.apoapsis_km:
        bounds.append((MOON_RADIUS_KM + box.apoapsis_km[1]) / a - 1.0)
    if box.e_center is not None:
        bounds.append(math.hypot(*box.e_center) + box.e_radius)
    return max(min(bounds), ACROSS_E_FLOOR)


def _across_target(ctx, y_est, t_est):
    """Target of a correction under policy ``across``: (target dict as ``ctx.target``, predicted
    coast s, predicted Δv rate in e per second).

    Design. Near a frozen point the orbit-averaged equations of a near-circular orbit are linear
    in the e-vector to first order in e (Lagrange / Gauss equations, Vallado 2013 ch. 9: the
    zonal, tesseral and third-body rates of (e cos w, e sin w) are b(t) + A(t) e), so the mean
    e-vector after a correction to c is e(t) = e_A(t) + Phi(t) (c - e_A(t_c)): e_A the free
    orbit from the estimated state, Phi the 2x2 sensitivity from two more orbits with the
    osculating e-vector moved by +delta in x and in y (``ACROSS_PERTURB_FRAC``), all three in the
    full force model, flown in ``ACROSS_CHUNK_S`` arcs until every candidate has left the box
    or ``ACROSS_HORIZON_MAX_S``. Candidates c: a grid over the box (``ACROSS_GRID_POINTS``)
    and the ``reset`` target, a kept at the reset value; for each, the predicted coast T(c) until
    the mean leaves the box shrunk by ``ACROSS_MARGIN_FRAC`` (censored at the horizon or the span
    end) and the pair's cost, max(|c - e_now|, |da|/a) = 2 dv / v (Gauss pair, module docstring).
    Chosen: the lowest Δv rate cost / T (the quantity Δv per year sums), and among candidates within
    ``ACROSS_RATE_TIE_FRAC`` of it the longest coast. This is "target across the box", the
    policy issue 14 describes for LRO (whose plan is "a pair of maneuvers every lunar sidereal
    period", Beckman 2007, AAS 07-057, abstract), found numerically: where the drift is a
    straight line every point on the drift line through the box costs the same per year and the
    longest coast (the far edge) wins; where the drift curves (the monthly loop) the far side
    costs less per year than ``reset``. The reset target is a candidate, so the predicted rate is
    never above reset's."""
    P = ctx.period_s
    tg = ctx.target
    box = _shrunk(ctx.box, ACROSS_MARGIN_FRAC)
    E = _e_extent(box, tg["a"])
    delta = ACROSS_PERTURB_FRAC * E
    starts = [
        np.asarray(y_est, float),
        _shift_e(ctx, t_est, y_est, delta, 0.0),
        _shift_e(ctx, t_est, y_est, 0.0, delta),
    ]
    t_end = min(ctx.t_stop, t_est + ACROSS_HORIZON_MAX_S)
    step = ctx.step_s
    n = int(math.floor((t_end - t_est) / step)) + 1
    grid_t = t_est + step * np.arange(n)
    means = np.full((3, n, 3), np.nan)
    states = [np.full((n, 6), np.nan) for _ in range(3)]
    ys, alive = list(starts), [True] * 3
    g = np.linspace(-E, E, ACROSS_GRID_POINTS)
    cx, cy = (v.ravel() for v in np.meshgrid(g, g))
    cx, cy = np.append(cx, tg["ex"]), np.append(cy, tg["ey"])
    keep = ~_outside(box, cx, cy, np.full(cx.shape, tg["a"]))
    keep[-1] = True
    cx, cy = cx[keep], cy[keep]
    ta, best = t_est, None
    while ta < t_end - 1e-6:
        tb = min(ta + ACROSS_CHUNK_S, t_end)
        idx = np.flatnonzero((grid_t >= ta) & ((grid_t < tb) if tb < t_end else (grid_t <= tb)))
        for j in range(3):
            if not alive[j]:
                continue
            r = ctx.propagate(ys[j], ta, tb)
            ok = idx[grid_t[idx] <= r.trajectory.t_stop]
            states[j][ok] = r.trajectory.state(grid_t[ok])
            if r.impact_time is not None or ok.size < idx.size:
                alive[j] = False
                idx_j_end = ok[-1] + 1 if ok.size else idx[0]
                states[j][idx_j_end:] = np.nan
            else:
                ys[j] = r.trajectory.state(np.array([tb]))[0]
        if not idx.size:
            ta = tb
            continue
        lo, hi = int(np.searchsorted(grid_t, grid_t[idx[0]] - P)), idx[-1] + 1
        for j in range(3):
            sj = states[j][lo:hi]
            good = np.all(np.isfinite(sj), axis=1)
            if good.sum() < SAMPLES_PER_PERIOD + 2:
                continue
            k = lo + np.flatnonzero(good)
            m = np.column_stack(ctx.mean(grid_t[k], states[j][k]))
            new = np.isnan(means[j, k, 0]) & np.isfinite(m[:, 0])
            means[j, k[new]] = m[new]
        ta = tb
        best, could = _choose(ctx, box, grid_t, means, cx, cy, P, t_end - t_est)
        if (best is not None and not could) or not all(alive):
            break
    if best is None:
        return dict(tg), float("nan"), float("nan")
    ex, ey, coast, rate = best
    e = math.hypot(ex, ey)
    return {"ex": ex, "ey": ey, "a": tg["a"], "rp": tg["a"] * (1 - e), "ra": tg["a"] * (1 + e)}, coast, rate


def _choose(ctx, box, grid_t, means, cx, cy, P, horizon_s):
    """The best candidate of ``_across_target`` from the predictions so far: ((ex, ey, coast s,
    rate) or None, whether a candidate still inside at the end of the predictions could still win
    if it stayed inside to ``horizon_s`` after the correction)."""
    valid = np.flatnonzero(np.all(np.isfinite(means[:, :, 0]), axis=0))
    if valid.size < 2:
        return None, True
    i_c = valid[0]
    k = valid[::SAMPLES_PER_PERIOD]  # one mean sample an orbit: the drift per orbit is << the margin
    mA, mX, mY = means[0, :, :2], means[1, :, :2], means[2, :, :2]
    Mc = np.column_stack([mX[i_c] - mA[i_c], mY[i_c] - mA[i_c]])
    if abs(np.linalg.det(Mc)) < ACROSS_MIN_DET:
        return None, False
    Mci = np.linalg.inv(Mc)
    dc = np.stack([cx - mA[i_c, 0], cy - mA[i_c, 1]])  # (2, K)
    da = ctx.target["a"] - means[0, i_c, 2]
    first = np.full(cx.size, -1)
    for b in range(0, k.size, ACROSS_BLOCK_SAMPLES):
        kb = k[b : b + ACROSS_BLOCK_SAMPLES]
        Phi = np.stack([mX[kb] - mA[kb], mY[kb] - mA[kb]], axis=2) @ Mci  # (Nb, 2, 2)
        e_t = mA[kb][:, :, None] + Phi @ dc[None, :, :]  # (Nb, 2, K)
        a_t = np.broadcast_to((means[0, kb, 2] + da)[:, None], (kb.size, cx.size))
        out = _outside(box, e_t[:, 0, :], e_t[:, 1, :], a_t)  # (Nb, K)
        hit = (first < 0) & out.any(axis=0)
        first[hit] = b + out[:, hit].argmax(axis=0)
        if (first >= 0).all():
            break
    t_k = grid_t[k]
    exited = first >= 0
    coast = np.where(exited, t_k[np.maximum(first, 0)] - t_k[0], t_k[-1] - t_k[0])
    cost = np.maximum(np.hypot(dc[0], dc[1]), abs(da) / ctx.target["a"])
    ok = coast >= ACROSS_MIN_COAST_PERIODS * P
    if not ok.any():
        return None, bool((~exited).any())
    rate = np.where(ok, cost / np.maximum(coast, 1.0), np.inf)
    bound = rate.min() * (1.0 + ACROSS_RATE_TIE_FRAC)
    near = np.flatnonzero(rate <= bound)
    j = near[np.lexsort((cost[near], -coast[near]))[0]]
    could = bool(np.any(~exited & (cost / max(horizon_s, 1.0) <= bound)))
    return (float(cx[j]), float(cy[j]), float(coast[j]), float(rate[j])), could


# ------------------------------------------------------------------ one run


class BurnTotals:
    """Δv totals of a run with ``maneuvers`` (each ``dv_kms``) over ``span_s`` seconds."""

    @property
    def dv_total_mps(self) -> float:
        return 1000.0 * float(sum(np.linalg.norm(m.dv_kms) for m in self.maneuvers))

    @property
    def dv_per_year_mps(self) -> float:
        return self.dv_total_mps * 365.25 * SECONDS_PER_DAY / self.span_s


@dataclass(frozen=True)
class Run(BurnTotals):
    """One controlled (or uncontrolled) run: executed maneuvers, the mean history and the impact."""

    maneuvers: tuple  # executed Maneuver (RTN)
    planned: tuple  # planned Maneuver (RTN), same order
    t: np.ndarray
    ex: np.ndarray
    ey: np.ndarray
    a_km: np.ndarray
    impact: float | None
    span_s: float
    targets: tuple = ()  # mean (ex, ey) aimed at by each correction (policy reset or across)

    @property
    def hp_km(self) -> np.ndarray:
        return self.a_km * (1 - np.hypot(self.ex, self.ey)) - MOON_RADIUS_KM

    @property
    def ha_km(self) -> np.ndarray:
        return self.a_km * (1 + np.hypot(self.ex, self.ey)) - MOON_RADIUS_KM

    @property
    def corrections(self) -> int:
        return len(self.maneuvers) // 2

    @property
    def mean_spacing_d(self) -> float:
        t = [m.t for m in self.maneuvers[::2]]
        return float(np.mean(np.diff(t)) / SECONDS_PER_DAY) if len(t) > 1 else float("nan")


def _execute(m: Maneuver, rng, err: Errors) -> Maneuver:
    dv = np.asarray(m.dv_kms, float)
    if rng is None or (err.magnitude_frac == 0 and err.pointing_deg == 0):
        return m
    mag = np.linalg.norm(dv) * (1.0 + err.magnitude_frac * rng.standard_normal())
    u = dv / np.linalg.norm(dv)
    axis = np.cross(u, [0.0, 0.0, 1.0] if abs(u[2]) < 0.9 else [1.0, 0.0, 0.0])
    axis /= np.linalg.norm(axis)
    phi = rng.uniform(0, 2 * np.pi)
    axis = axis * math.cos(phi) + np.cross(u, axis) * math.sin(phi)  # uniform perpendicular axis
    ang = math.radians(err.pointing_deg) * rng.standard_normal()
    d = u * math.cos(ang) + np.cross(axis, u) * math.sin(ang)
    return Maneuver(m.t, tuple(float(x) for x in mag * d), "RTN")


def _od_error(y, rng, err: Errors) -> np.ndarray:
    if rng is None or not (any(err.od_position_km) or any(err.od_velocity_kms)):
        return y
    R = _rtn(y)
    dp = R.T @ (np.asarray(err.od_position_km) * rng.standard_normal(3))
    dv = R.T @ (np.asarray(err.od_velocity_kms) * rng.standard_normal(3))
    return y + np.concatenate([dp, dv])


def simulate(ctx: _Ctx, state0, errors: Errors | None = None, rng=None, control: bool = True, progress=None) -> Run:
    """One run over [ctx.t_start, ctx.t_stop] from ``state0``; see the module docstring."""
    err = errors or Errors()
    P = ctx.period_s
    t, y = ctx.t_start, np.array(state0, float)
    ts, ss = [], []
    done, planned, targets = [], [], []
    quiet_until = ctx.t_start
    impact = None
    while t < ctx.t_stop - 1e-6:
        tb = min(t + LOOKAHEAD_S, ctx.t_stop)
        res = ctx.propagate(y, t, tb)
        tt, st = res.trajectory.sample(ctx.step_s)
        _append(ts, ss, tt, st)
        if res.impact_time is not None:
            impact = res.impact_time
            break
        if control:
            # mean over the last arc plus one period before it
            keep = [k for k in range(len(ts)) if ts[k][-1] >= t - 1.5 * P]
            T = np.concatenate([ts[k] for k in keep])
            S = np.concatenate([ss[k] for k in keep])
            ex, ey, a = ctx.mean(T, S)
            bad = np.flatnonzero(ctx.violates(ex, ey, a) & (T >= quiet_until))
            if bad.size:
                tv = float(T[bad[0]])
                t_plan = max(tv - TRIGGER_LEAD_PERIODS * P, t, quiet_until)
                # restart from t_plan: drop samples after it
                y_true = res.trajectory.state(np.array([t_plan]))[0] if t_plan > t else y
                _truncate(ts, ss, t_plan)
                y_est = _od_error(y_true, rng, err)
                target = None
                if ctx.policy == "across":
                    target = _across_target(ctx, y_est, t_plan)[0]
                plan = plan_correction(ctx, y_est, t_plan, target=target)
                if plan is None:  # no room for a correction before the span ends
                    control = False
                    y, t = _resume(ctx, res, t_plan, tb, ts, ss)
                    continue
                m1, m2 = plan
                x1, x2 = _execute(m1, rng, err), _execute(m2, rng, err)
                y, t, impact = _fly(ctx, y_true, t_plan, (x1, x2), ts, ss)
                done.extend([x1, x2])
                planned.extend([m1, m2])
                tg = ctx.target if target is None else target
                targets.append((tg["ex"], tg["ey"]))
                quiet_until = t + SETTLE_PERIODS * P
                if impact is not None:
                    break
                if progress is not None:
                    progress((t - ctx.t_start) / (ctx.t_stop - ctx.t_start))
                continue
        y, t = res.trajectory.state(np.array([tb]))[0], tb
        if progress is not None:
            progress((t - ctx.t_start) / (ctx.t_stop - ctx.t_start))
    T = np.concatenate(ts)
    S = np.concatenate(ss)
    ex, ey, a = ctx.mean(T, S) if T.size > 2 else (np.full(T.size, np.nan),) * 3
    return Run(tuple(done), tuple(planned), T, ex, ey, a, impact, ctx.t_stop - ctx.t_start, tuple(targets))


def _truncate(ts, ss, t_cut):
    while ts and ts[-1][0] > t_cut:
        ts.pop()
        ss.pop()
    if ts:
        k = ts[-1] <= t_cut
        ts[-1], ss[-1] = ts[-1][k], ss[-1][k]
        if not ts[-1].size:
            ts.pop()
            ss.pop()


def _resume(ctx, res, t_plan, tb, ts, ss):
    tt, st = res.trajectory.sample(ctx.step_s)
    k = tt > t_plan
    _append(ts, ss, tt[k], st[k])
    return res.trajectory.state(np.array([tb]))[0], tb


def _fly(ctx, y, t, burns, ts, ss):
    """Propagate the true state from t through the executed ``burns``; returns (y, t, impact)."""
    for m in burns:
        if m.t - t < BURN_MIN_GAP_S:
            y = y.copy()
            y[3:] += m.delta_icrf(y)
            t = m.t
            continue
        r = ctx.propagate(y, t, m.t)
        tt, st = r.trajectory.sample(ctx.step_s)
        _append(ts, ss, tt, st)
        if r.impact_time is not None:
            return y, t, r.impact_time
        y = r.trajectory.state(np.array([m.t]))[0].copy()
        y[3:] += m.delta_icrf(y)
        t = m.t
    return y, t, None


def _append(ts, ss, tt, st):
    if ts and tt.size and tt[0] <= ts[-1][-1]:
        tt, st = tt[1:], st[1:]
    if tt.size:
        ts.append(tt)
        ss.append(st)


# ------------------------------------------------------------------ set-up, nominal plan, Monte Carlo


def make_context(
    box: Box,
    state0,
    t_start,
    t_stop,
    force_model,
    *,
    rtol=1e-10,
    atol_km=1e-7,
    impact_altitude_km=0.0,
    fixed_step_s=None,
    fixed_maneuvers=(),
    key: str = "box",
    method: str = "dop853",
    policy: str = DEFAULT_POLICY,
    policy_key: str = "policy",
) -> _Ctx:
    """Context of a station-keeping run: period, method (Gauss pair or apsis pair), the targeting
    ``policy`` (``POLICIES``; errors name ``policy_key``) and the reset target (the box's e-vector
    centre, or the orbit's mean values over its first period)."""
    if policy not in POLICIES:
        raise InputError(policy_key, f"{policy!r} is not a policy; use one of {', '.join(POLICIES)}")
    from ..orbits.elements import cartesian_to_keplerian

    y0 = np.asarray(state0, float)
    gm = force_model.field.gm_km3_s2
    a0, e0 = (float(x) for x in np.asarray(cartesian_to_keplerian(y0, gm)).reshape(-1)[:2])
    if not (a0 > 0 and e0 < 1):
        raise InputError("orbit", "station keeping needs a closed initial orbit")
    if policy == "auto":
        policy = "reset" if e0 >= ELLIPTIC_E_MIN else "across"
    P = 2 * math.pi * math.sqrt(a0**3 / gm)
    if t_stop - t_start < 4 * P:
        raise InputError(
            "span", f"{(t_stop - t_start) / 3600:.1f} h is too short: at least 4 orbits ({4 * P / 3600:.1f} h)"
        )
    ctx = _Ctx(
        box,
        float(t_start),
        float(t_stop),
        force_model,
        rtol,
        atol_km,
        impact_altitude_km,
        fixed_step_s,
        tuple(fixed_maneuvers),
        P,
        e0 >= ELLIPTIC_E_MIN,
        method=method,
        policy=policy,
    )
    if ctx.elliptic and policy == "across":
        raise InputError(
            policy_key,
            f"across is for near-circular orbits (e < {ELLIPTIC_E_MIN}); this orbit has e {e0:.3f}: use reset",
        )
    if ctx.elliptic and box.e_center is not None:
        raise InputError(
            f"{key}.e_vector",
            f"is for near-circular orbits (e < {ELLIPTIC_E_MIN}); this orbit has e {e0:.3f}: use periapsis_km / apoapsis_km",
        )
    r = ctx.propagate(y0, t_start, min(t_start + 1.3 * P, t_stop))
    t = np.linspace(t_start, r.trajectory.t_stop, SAMPLES_PER_PERIOD + 19)
    ex, ey, a = ctx.mean(t, r.trajectory.state(t))
    k = np.flatnonzero(np.isfinite(a))[0]
    ex0, ey0, am = float(ex[k]), float(ey[k]), float(a[k])
    if box.e_center is not None:
        ex0, ey0 = box.e_center
    e = math.hypot(ex0, ey0)
    ctx.target = {"ex": ex0, "ey": ey0, "a": am, "rp": am * (1 - e), "ra": am * (1 + e)}
    if ctx.violates(np.array([ex0]), np.array([ey0]), np.array([am]))[0]:
        hp, ha = am * (1 - e) - MOON_RADIUS_KM, am * (1 + e) - MOON_RADIUS_KM
        raise InputError(
            key,
            f"the orbit's mean periapsis {hp:.1f} km / apoapsis {ha:.1f} km at the start (the target) "
            f"is outside the box ({box.describe()}); widen the box or change the orbit",
        )
    return ctx


def _summary(run: Run) -> dict:
    return {
        "dv_per_year_mps": run.dv_per_year_mps,
        "dv_total_mps": run.dv_total_mps,
        "corrections": run.corrections,
        "burns": len(run.maneuvers),
        "mean_spacing_d": run.mean_spacing_d,
        "min_hp_km": float(np.nanmin(run.hp_km)) if np.isfinite(run.hp_km).any() else float("nan"),
        "max_hp_km": float(np.nanmax(run.hp_km)) if np.isfinite(run.hp_km).any() else float("nan"),
        "impact": run.impact,
    }


def monte_carlo(ctx: _Ctx, state0, errors: Errors, runs: int, seed: int = 1, workers: int | None = None, progress=None):
    """``runs`` controlled runs with errors; list of per-run summaries (dicts, run order).

    Run k uses ``numpy.random.default_rng([seed, k])``: the same seed gives the same numbers on
    any number of workers (``montecarlo.run_seeded``). ``progress(done, total)`` after each run."""
    x0 = np.asarray(state0, float)
    return run_seeded(
        lambda rng: _summary(simulate(ctx, x0, errors, rng)),
        runs,
        seed,
        workers,
        progress,
        warm=lambda: ctx.propagate(x0, ctx.t_start, ctx.t_start + 1.0),  # compile before forking
    )


def statistics(rows) -> dict:
    """Mean and 95th percentile of dv per year (m/s), mean corrections and spacing over the runs."""
    dv = np.array([r["dv_per_year_mps"] for r in rows], float)
    sp = np.array([r["mean_spacing_d"] for r in rows], float)
    return {
        "runs": len(rows),
        "dv_per_year_mean_mps": float(dv.mean()),
        "dv_per_year_p95_mps": float(np.percentile(dv, 95)),
        "dv_per_year_std_mps": float(dv.std()),
        "corrections_mean": float(np.mean([r["corrections"] for r in rows])),
        "spacing_mean_d": float(np.nanmean(sp)) if np.isfinite(sp).any() else float("nan"),
        "impacts": int(sum(r["impact"] is not None for r in rows)),
    }
