"""Station-keeping of three-body orbits (NRHO, halo, DRO) flown in the full ephemeris model:
x-axis-crossing control and its Monte Carlo (issue 17 item 5; docs/design-orbits.md,
"Station-keeping of three-body orbits").

**Reference**: the multiple-shooting baseline of :func:`ephemeris_shooting.ephemeris_orbit` over
the span plus the targeting horizon and ``MARGIN_REVS`` (:func:`reference`). Its x–z plane
crossings in the instantaneous Earth–Moon rotating frame (x̂ Earth→Moon, ẑ ∥ r × v of the Moon's
geocentric DE440 state, ω = (r × v)/r², as ``dynamics.cr3bp``) are found on its dense output; two
per revolution, alternating: the *burn side* (NRHO / halo: the apolune-side crossing; DRO: the one
beyond the Moon, x > x_Moon) and the *target side* (the other one).

**Control**: the x-axis-crossing control of the NRHO station-keeping studies (Guzzetti, Zimovan,
Howell & Davis 2017, "Stationkeeping analysis for spacecraft in lunar near rectilinear halo orbits",
AAS 17-395; Davis et al. 2017, "Orbit maintenance and navigation of human spacecraft at cislunar
NRHOs", AAS 17-269 — only their abstracts could be read here, so the details below are ours): at
each burn point the state is estimated (truth + orbit-determination error), a Δv is found that makes
the rotating-frame vx at the target-side crossing ``target_revs`` − ½ revolutions later equal to the
reference's there (Newton, minimum-norm Δv for the one scalar condition; gradient from the
state-transition matrix of the variational equations, ``ephemeris_shooting.flow_with_stm``, with the
crossing-time variation dt = −(∂y/∂X) δX / ẏ; residuals from the plain propagator), skipped below
``min_dv``, executed with execution errors (``stationkeeping._execute``) and flown on. The control
does not hold the phase along the orbit (the drawback of one-burn-per-revolution methods noted in
arXiv:2502.05013); :class:`Run` reports the timing offset of each target crossing. With
``burn_points="both"`` (the halo default: an L2 halo of Az 15,000 km multiplies a deviation by
~1,000 per revolution) a burn is made at every crossing, each targeting the crossing
``target_revs`` − ½ revolutions after it.

**Truth** = the reference's force model unless ``truth_force_model`` is given (e.g. another
radiation-pressure C_r): a run starts from the reference's first state plus one draw of the OD
error (the insertion is known to navigation accuracy) and is then flown free between burns; the
reference's own patch-point jumps (≤ mm/s) are not flown.

**Monte Carlo** (:func:`monte_carlo`): errors as :class:`stationkeeping.Errors` (OD per RTN axis,
execution magnitude and pointing), run k draws from ``numpy.random.default_rng([seed, k])`` — the
same numbers on any number of workers (forked, as ``stationkeeping.monte_carlo``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from ..constants import SECONDS_PER_DAY
from ..dynamics.propagator import Maneuver, propagate
from ..errors import InputError
from . import stationkeeping as sk
from .montecarlo import run_seeded

#: The strategy name (``station_keeping.strategy``, ``--strategy``).
STRATEGY = "x_axis_crossing"
#: Families the strategy applies to (symmetric about the x–z plane: two crossings per revolution).
FAMILIES = ("nrho", "halo", "dro", "lyapunov")
#: Burn placement: "apolune" (one per revolution, on the burn side) or "both" (every crossing).
BURN_POINTS = ("apolune", "both")
#: Default burn placement per family (halo: both, the L2 halos of Az 10,000–20,000 km have a
#: stability index of ~500, so once per revolution leaves an OD error 1,000 revolutions' growth).
DEFAULT_BURN_POINTS = {"nrho": "apolune", "halo": "both", "dro": "apolune", "lyapunov": "both"}
#: Default targeting horizon, revolutions (target = the target-side crossing N − 1/2 revolutions
#: after the burn); from the 60-day sweep in docs/design-orbits.md: NRHO 4 (the cheapest measured
#: of 1, 2, 4, 6, within the scatter of 1 and 6), halo 1 (with 2 every run is lost: the OD error
#: grows ~1,000× a revolution), DRO 1 (stable; see the docs for its minimum burn).
DEFAULT_TARGET_REVS = {"nrho": 4, "halo": 1, "dro": 1, "lyapunov": 1}
#: Allowed targeting horizons, revolutions.
MAX_TARGET_REVS = 6
#: Smallest maneuver executed (km/s): 1 cm/s, smaller planned ones are skipped (Guzzetti et al. 2017
#: skip maneuvers below a threshold; CAPSTONE's six first NRHO maneuvers averaged ~30 cm/s).
DEFAULT_MIN_DV_KMS = 1e-5
#: Targeting tolerance on the rotating vx at the target crossing (km/s): 0.1 mm/s, two orders
#: below the 1 cm/s velocity OD error, so the targeting never limits the control.
VX_TOL_KMS = 1e-7
#: Newton iterations of one targeting.
MAX_TARGETING_ITERATIONS = 6
#: A planned maneuver above this (km/s, 50 m/s) means the run has lost the orbit; it stops there.
MAX_DV_KMS = 0.05
#: Revolutions of reference beyond the last target crossing (the free last patch epoch).
MARGIN_REVS = 1
#: Samples per revolution when looking for x–z crossings, and the bisection tolerance (s).
CROSSING_SAMPLES_PER_REV = 720
CROSSING_TOL_S = 1e-3
#: Time step of the finite differences of y and vx along a trajectory at a crossing (s).
CROSSING_FD_S = 10.0
#: A truth crossing is matched to the reference's within this fraction of a revolution.
CROSSING_WINDOW_REVS = 0.25
#: Sampling of the deviation from the reference (s).
DEVIATION_STEP_S = 3600.0
#: Default errors (1 sigma per axis): OD 1 km and 1 cm/s, execution 1.5 % and 1 deg. Assumed,
#: of the order of the navigation and execution errors applied in the NRHO station-keeping
#: studies (Davis et al. 2017 AAS 17-269; Guzzetti et al. 2017 AAS 17-395; their tables could not
#: be opened with the search tools here, so these are not their numbers).
DEFAULT_OD_POSITION_M = 1000.0
DEFAULT_OD_VELOCITY_MPS = 0.01
DEFAULT_EXEC_MAGNITUDE_PCT = 1.5
DEFAULT_EXEC_POINTING_DEG = 1.0
#: Integrator tolerances of truth and planning arcs (as the propagate stage's defaults).
RTOL = 1e-12
ATOL_KM = 1e-9


def default_errors() -> sk.Errors:
    p, v = DEFAULT_OD_POSITION_M / 1000.0, DEFAULT_OD_VELOCITY_MPS / 1000.0
    return sk.Errors((p, p, p), (v, v, v), DEFAULT_EXEC_MAGNITUDE_PCT / 100.0, DEFAULT_EXEC_POINTING_DEG)


# ------------------------------------------------------------------ rotating frame, crossings


def rotating(t, states, ephemeris) -> tuple:
    """(x, y, vx) of Moon-centred ICRF ``states`` (N, 6) at TDB ``t`` (N,) in the instantaneous
    Earth–Moon rotating frame, Moon-centred (km, km/s): x = x̂·r, y = ŷ·r, vx = x̂·(v − ω × r)."""
    t = np.atleast_1d(np.asarray(t, float))
    s = np.atleast_2d(np.asarray(states, float))
    em = np.atleast_2d(np.asarray(ephemeris.state("moon", "earth", t), float))
    r, v = em[:, :3], em[:, 3:]
    d2 = np.einsum("ij,ij->i", r, r)
    h = np.cross(r, v)
    xh = r / np.sqrt(d2)[:, None]
    zh = h / np.linalg.norm(h, axis=1)[:, None]
    yh = np.cross(zh, xh)
    omega = h / d2[:, None]
    rs, vs = s[:, :3], s[:, 3:]
    vrel = vs - np.cross(omega, rs)
    return (
        np.einsum("ij,ij->i", xh, rs),
        np.einsum("ij,ij->i", yh, rs),
        np.einsum("ij,ij->i", xh, vrel),
    )


def _y_of(traj, ephemeris):
    def fn(t):
        t = np.atleast_1d(t)
        return rotating(t, traj.state(t), ephemeris)[1]

    return fn


def crossings(traj, ephemeris, t_from, t_to, period_s) -> tuple:
    """Times (K,) of the x–z plane crossings (y = 0) of ``traj`` in [t_from, t_to] and the sign of
    ẏ at each (+1 / −1); bisection on the dense output to ``CROSSING_TOL_S``."""
    t_to = min(t_to, traj.t_stop)
    t_from = max(t_from, traj.t_start)
    n = max(16, int(math.ceil((t_to - t_from) / period_s * CROSSING_SAMPLES_PER_REV)))
    t = np.linspace(t_from, t_to, n + 1)
    yf = _y_of(traj, ephemeris)
    y = yf(t)
    k = np.flatnonzero(np.sign(y[:-1]) * np.sign(y[1:]) < 0)
    if k.size == 0:
        return np.empty(0), np.empty(0)
    lo, hi = t[k].copy(), t[k + 1].copy()
    ylo = y[k]
    while np.max(hi - lo) > CROSSING_TOL_S:
        mid = 0.5 * (lo + hi)
        ym = yf(mid)
        same = np.sign(ym) == np.sign(ylo)
        lo = np.where(same, mid, lo)
        ylo = np.where(same, ym, ylo)
        hi = np.where(same, hi, mid)
    return 0.5 * (lo + hi), np.where(y[k] < 0, 1.0, -1.0)


def vx_at(traj, ephemeris, tc) -> np.ndarray:
    tc = np.atleast_1d(np.asarray(tc, float))
    return rotating(tc, traj.state(tc), ephemeris)[2]


# ------------------------------------------------------------------ reference and context


@dataclass
class _Ctx:
    """What one run needs (plain data; forked workers inherit it)."""

    kind: str
    reference: object  # Trajectory of the baseline
    t_start: float
    t_stop: float
    force_model: object  # planning model (the reference's)
    truth_force_model: object
    period_s: float
    target_revs: int
    burn_points: str
    min_dv_kms: float
    tc: np.ndarray = field(default_factory=lambda: np.empty(0))  # reference crossings
    sign: np.ndarray = field(default_factory=lambda: np.empty(0))
    burn_side: np.ndarray = field(default_factory=lambda: np.empty(0, bool))
    vx_ref: np.ndarray = field(default_factory=lambda: np.empty(0))

    @property
    def ephemeris(self):
        return self.force_model.ephemeris

    def burns(self) -> list:
        """(burn epoch, index of its target crossing) for each burn point inside the span."""
        out = []
        step = 2 * self.target_revs - 1  # crossings from the burn to its target
        for i, t in enumerate(self.tc):
            if not self.t_start < t < self.t_stop:
                continue
            if self.burn_points == "apolune" and not self.burn_side[i]:
                continue
            if i + step >= len(self.tc):
                raise InputError(
                    "span", "the reference does not reach the target crossing of the last burn (reference too short)"
                )
            out.append((float(t), i + step))
        return out


def reference(member, t0: float, t_stop: float, force_model, target_revs: int, progress=None):
    """The multiple-shooting baseline (:func:`ephemeris_shooting.ephemeris_orbit`) from ``t0``
    over [t0, t_stop] plus ``target_revs`` + ``MARGIN_REVS`` revolutions."""
    from .ephemeris_shooting import ephemeris_orbit

    n = int(math.ceil((t_stop - t0) / (member.period_d * SECONDS_PER_DAY))) + int(target_revs) + MARGIN_REVS
    try:
        return ephemeris_orbit(member, t0, n, force_model, progress=progress)
    except RuntimeError as exc:
        raise InputError("orbit.family", f"the member could not be carried into the force model: {exc}") from None


def make_context(
    kind: str,
    ref_orbit,
    t_start: float,
    t_stop: float,
    force_model,
    *,
    target_revs: int | None = None,
    burn_points: str | None = None,
    min_dv_kms: float = DEFAULT_MIN_DV_KMS,
    truth_force_model=None,
    key: str = "station_keeping",
) -> _Ctx:
    """Context of x-axis-crossing runs of family ``kind`` about ``ref_orbit`` (an
    ``EphemerisOrbit`` or a ``Trajectory``) over [t_start, t_stop]."""
    if kind not in FAMILIES:
        raise InputError(f"{key}.strategy", f"{STRATEGY} is for orbit families {', '.join(FAMILIES)}, not {kind!r}")
    n = DEFAULT_TARGET_REVS[kind] if target_revs is None else target_revs
    if not isinstance(n, int | np.integer) or not 1 <= n <= MAX_TARGET_REVS:
        raise InputError(f"{key}.target_revs", f"{n!r} must be a whole number of revolutions 1 .. {MAX_TARGET_REVS}")
    bp = DEFAULT_BURN_POINTS[kind] if burn_points is None else burn_points
    if bp not in BURN_POINTS:
        raise InputError(f"{key}.burn_points", f"{bp!r} must be one of {', '.join(BURN_POINTS)}")
    if not (math.isfinite(min_dv_kms) and min_dv_kms >= 0):
        raise InputError(f"{key}.min_dv_mps", f"{1000 * min_dv_kms!r} must be >= 0 m/s")
    traj = getattr(ref_orbit, "trajectory", ref_orbit)
    if not traj.t_start <= t_start < t_stop <= traj.t_stop:
        raise InputError("span", "the reference does not cover the station-keeping span")
    eph = force_model.ephemeris
    # period: mean spacing of the reference's crossings (two per revolution)
    tc, sg = crossings(traj, eph, traj.t_start, traj.t_stop, (traj.t_stop - traj.t_start) / 8.0)
    if tc.size < 4:
        raise InputError(f"{key}.strategy", "the reference orbit has too few x–z plane crossings for this strategy")
    period = 2.0 * float(np.mean(np.diff(tc)))
    tc, sg = crossings(traj, eph, traj.t_start, traj.t_stop, period)
    x, _, _ = rotating(tc, traj.state(tc), eph)
    r = np.linalg.norm(traj.position(tc), axis=1)
    metric = x if kind == "dro" else r  # DRO: beyond the Moon; others: the apolune side
    first_is_burn = metric[0] > metric[1]
    burn_side = (np.arange(tc.size) % 2 == 0) == first_is_burn
    ctx = _Ctx(
        kind,
        traj,
        float(t_start),
        float(t_stop),
        force_model,
        truth_force_model if truth_force_model is not None else force_model,
        period,
        int(n),
        bp,
        float(min_dv_kms),
        tc,
        sg,
        burn_side,
        vx_at(traj, eph, tc),
    )
    if (t_stop - t_start) < period:
        raise InputError("span", f"{(t_stop - t_start) / SECONDS_PER_DAY:.1f} d is shorter than one revolution")
    ctx.burns()  # the reference must reach the last burn's target
    return ctx


# ------------------------------------------------------------------ targeting


def _prop(fm, y, a, b, maneuvers=()):
    return propagate(y, a, b, fm, rtol=RTOL, atol_km=ATOL_KM, maneuvers=maneuvers)


def _match(ctx, traj, j) -> float | None:
    """The crossing of ``traj`` nearest the reference crossing ``j`` (same direction), or None."""
    w = CROSSING_WINDOW_REVS * ctx.period_s
    tq, sq = crossings(traj, ctx.ephemeris, ctx.tc[j] - w, ctx.tc[j] + w, ctx.period_s)
    ok = sq == ctx.sign[j]
    if not ok.any():
        return None
    tq = tq[ok]
    return float(tq[np.argmin(np.abs(tq - ctx.tc[j]))])


def _gradient(ctx, y0, t0, traj, tc) -> np.ndarray:
    """d vx(crossing) / d Δv (3,) at t0: STM with the crossing-time variation."""
    from .ephemeris_shooting import flow_with_stm

    fm = ctx.force_model
    _, phi = flow_with_stm(y0, t0, tc, fm.args(t0, tc))
    eph = ctx.ephemeris
    em = np.asarray(eph.state("moon", "earth", tc), float).reshape(-1)
    r, v = em[:3], em[3:]
    d2 = float(r @ r)
    h = np.cross(r, v)
    xh, zh = r / math.sqrt(d2), h / np.linalg.norm(h)
    yh, omega = np.cross(zh, xh), h / d2
    dy = np.concatenate([yh, np.zeros(3)])  # ∂y/∂X at fixed time
    dvx = np.concatenate([-np.cross(xh, omega), xh])  # ∂vx/∂X: vx = x̂·v − r·(x̂ × ω)
    tt = np.array([tc - CROSSING_FD_S, tc + CROSSING_FD_S])
    _, yy, vv = rotating(tt, traj.state(tt), eph)
    ydot, vxdot = (yy[1] - yy[0]) / (2 * CROSSING_FD_S), (vv[1] - vv[0]) / (2 * CROSSING_FD_S)
    row = dvx - (vxdot / ydot) * dy
    return row @ phi[:, 3:]


@dataclass(frozen=True)
class Plan:
    """One targeting: Δv (ICRF, km/s), its target crossing time and the vx miss left there
    (km/s, as the plain propagator flies it), Newton iterations."""

    dv_icrf: np.ndarray
    t_target: float
    vx_miss_kms: float
    iterations: int


def plan_burn(ctx: _Ctx, y_est, t_burn: float, j: int) -> Plan | None:
    """The Δv at ``t_burn`` from the estimated state ``y_est`` that restores the reference's vx at
    its crossing ``j`` (module docstring); None when the target crossing is lost."""
    y_est = np.asarray(y_est, float)
    horizon = min(ctx.tc[j] + 1.5 * CROSSING_WINDOW_REVS * ctx.period_s, ctx.reference.t_stop)
    dv = np.zeros(3)
    f = math.inf
    tc = None
    for it in range(MAX_TARGETING_ITERATIONS + 1):
        y0 = y_est.copy()
        y0[3:] += dv
        res = _prop(ctx.force_model, y0, t_burn, horizon)
        if res.impact_time is not None:
            return None
        tc = _match(ctx, res.trajectory, j)
        if tc is None:
            return None
        f = float(vx_at(res.trajectory, ctx.ephemeris, tc)[0] - ctx.vx_ref[j])
        if abs(f) <= VX_TOL_KMS or it == MAX_TARGETING_ITERATIONS:
            break
        g = _gradient(ctx, y0, t_burn, res.trajectory, tc)
        step = -f * g / float(g @ g)
        if np.linalg.norm(dv + step) > MAX_DV_KMS:
            return Plan(dv + step, tc, f, it + 1)  # the caller stops the run
        dv = dv + step
    return Plan(dv, tc, f, it)


# ------------------------------------------------------------------ one run


@dataclass(frozen=True)
class Run(sk.BurnTotals):
    """One run: executed and planned maneuvers (RTN), skipped burn points, the deviation from
    the reference (km) on a ``DEVIATION_STEP_S`` grid, the time the run lost the orbit, and per
    burn point the distance from the reference there (km) and the predicted timing offset of its
    target crossing from the reference's (s; the x-axis-crossing control does not hold the phase,
    and near perilune, ~1.6 km/s for the NRHO, a minute of it is ~100 km of same-epoch deviation)."""

    maneuvers: tuple
    planned: tuple
    skipped: int
    t: np.ndarray
    deviation_km: np.ndarray
    lost: float | None
    span_s: float
    vx_miss_kms: tuple = ()
    burn_deviation_km: tuple = ()
    timing_s: tuple = ()

    @property
    def maneuvers_per_year(self) -> float:
        return len(self.maneuvers) * 365.25 * SECONDS_PER_DAY / self.span_s

    @property
    def mean_spacing_d(self) -> float:
        t = [m.t for m in self.maneuvers]
        return float(np.mean(np.diff(t)) / SECONDS_PER_DAY) if len(t) > 1 else float("nan")

    @property
    def max_deviation_km(self) -> float:
        return float(np.max(self.deviation_km)) if self.deviation_km.size else float("nan")

    @property
    def max_burn_deviation_km(self) -> float:
        return float(max(self.burn_deviation_km)) if self.burn_deviation_km else float("nan")

    @property
    def max_timing_s(self) -> float:
        return float(max(abs(x) for x in self.timing_s)) if self.timing_s else float("nan")


def _deviation(ctx, traj, a, b, ts, ds):
    n = max(1, int(math.ceil((b - a) / DEVIATION_STEP_S)))
    t = np.linspace(a, b, n + 1)
    if ts:
        t = t[1:]
    ts.append(t)
    ds.append(np.linalg.norm(traj.position(t) - ctx.reference.position(t), axis=1))


def simulate(ctx: _Ctx, errors: sk.Errors | None = None, rng=None, control: bool = True, progress=None) -> Run:
    """One run over [ctx.t_start, ctx.t_stop] (module docstring); ``rng`` None: no errors."""
    from .stationkeeping import _execute, _od_error, _rtn

    err = errors or sk.Errors()
    t = ctx.t_start
    y = _od_error(ctx.reference.state(np.array([t]))[0], rng, err)  # insertion known to OD accuracy
    ts, ds, done, planned, misses, at_burn, timing = [], [], [], [], [], [], []
    skipped, lost = 0, None
    stops = ctx.burns() if control else []
    for n, (tb, j) in enumerate(stops):
        res = _prop(ctx.truth_force_model, y, t, tb)
        if res.impact_time is not None:
            lost = float(res.impact_time)
            break
        _deviation(ctx, res.trajectory, t, tb, ts, ds)
        y, t = res.trajectory.state(np.array([tb]))[0].copy(), tb
        at_burn.append(float(np.linalg.norm(y[:3] - ctx.reference.position(np.array([tb]))[0])))
        plan = plan_burn(ctx, _od_error(y, rng, err), tb, j)
        if plan is None or np.linalg.norm(plan.dv_icrf) > MAX_DV_KMS:
            lost = tb
            break
        timing.append(float(plan.t_target - ctx.tc[j]))
        if progress is not None:
            progress((n + 1) / len(stops))
        if np.linalg.norm(plan.dv_icrf) < ctx.min_dv_kms:
            skipped += 1
            continue
        m = Maneuver(tb, tuple(float(x) for x in _rtn(y) @ plan.dv_icrf), "RTN")
        x = _execute(m, rng, err)
        y[3:] += x.delta_icrf(y)
        done.append(x)
        planned.append(m)
        misses.append(plan.vx_miss_kms)
    if lost is None and t < ctx.t_stop:
        res = _prop(ctx.truth_force_model, y, t, ctx.t_stop)
        if res.impact_time is not None:
            lost = float(res.impact_time)
        _deviation(ctx, res.trajectory, t, res.trajectory.t_stop, ts, ds)
    T = np.concatenate(ts) if ts else np.empty(0)
    D = np.concatenate(ds) if ds else np.empty(0)
    return Run(
        tuple(done),
        tuple(planned),
        skipped,
        T,
        D,
        lost,
        ctx.t_stop - ctx.t_start,
        tuple(misses),
        tuple(at_burn),
        tuple(timing),
    )


def summary(run: Run) -> dict:
    """Per-run row (the keys ``stationkeeping.statistics`` reads, plus the three-body ones)."""
    return {
        "dv_per_year_mps": run.dv_per_year_mps,
        "dv_total_mps": run.dv_total_mps,
        "corrections": len(run.maneuvers),
        "burns": len(run.maneuvers),
        "skipped": run.skipped,
        "maneuvers_per_year": run.maneuvers_per_year,
        "mean_spacing_d": run.mean_spacing_d,
        "max_deviation_km": run.max_deviation_km,
        "max_burn_deviation_km": run.max_burn_deviation_km,
        "max_timing_s": run.max_timing_s,
        "impact": run.lost,
    }


def statistics(rows) -> dict:
    """``stationkeeping.statistics`` (Δv per year mean / 95th percentile, corrections, spacing;
    ``impacts`` = runs that lost the orbit) plus maneuvers per year and the largest deviation."""
    out = sk.statistics(rows)
    dev = np.array([r["max_deviation_km"] for r in rows], float)

    def worst(key):
        v = np.array([r[key] for r in rows], float)
        return float(np.nanmax(v)) if np.isfinite(v).any() else float("nan")

    out.update(
        {
            "maneuvers_per_year_mean": float(np.mean([r["maneuvers_per_year"] for r in rows])),
            "skipped_mean": float(np.mean([r["skipped"] for r in rows])),
            "max_deviation_km_mean": float(np.nanmean(dev)) if np.isfinite(dev).any() else float("nan"),
            "max_deviation_km_max": float(np.nanmax(dev)) if np.isfinite(dev).any() else float("nan"),
            "max_burn_deviation_km_max": worst("max_burn_deviation_km"),
            "max_timing_s_max": worst("max_timing_s"),
        }
    )
    return out


# ------------------------------------------------------------------ Monte Carlo


def monte_carlo(ctx: _Ctx, errors: sk.Errors, runs: int, seed: int = 1, workers: int | None = None, progress=None):
    """``runs`` controlled runs with errors; per-run summaries in run order. Run k uses
    ``numpy.random.default_rng([seed, k])`` (``montecarlo.run_seeded``). ``progress(done, total)``
    after each run."""
    return run_seeded(lambda rng: summary(simulate(ctx, errors, rng)), runs, seed, workers, progress)


def with_cr(force_model, cr: float):
    """``force_model`` with the spacecraft's radiation-pressure coefficient ``cr`` (a truth model
    that differs from the reference's)."""
    return replace(force_model, spacecraft=replace(force_model.spacecraft, cr=float(cr)))
