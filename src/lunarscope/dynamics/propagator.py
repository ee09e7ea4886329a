"""Propagation: initial state + force model + integrator → ``Trajectory``.

The span is integrated in arcs (at most ``chunk_s`` long, and split at each impulsive
maneuver); the dense outputs of the arcs are joined into one trajectory. An impact event
(radius below the lunar radius + ``impact_altitude_km``) stops the propagation and is
reported with its time (``PropagationResult.impact_time``, also in ``trajectory.meta``).

:class:`PropagationJob` holds the plain, picklable inputs of one propagation (state, span,
force model with its data sources, integrator settings, maneuvers) and
:func:`run_propagation` runs it — in this process or another.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from ..constants import MOON_RADIUS_KM, SECONDS_PER_DAY
from ..errors import InputError
from ..trajectory import Trajectory
from .forces import ForceModel, impact_event, moon_rhs
from .integrators import METHODS, DenseSolution, IntegrationStatus, integrate

#: Velocity tolerance per km of position tolerance: lunar orbits move ~1 km/s, so an orbit's
#: velocity error (km/s) is about its position error (km) divided by 1000 s.
VELOCITY_ATOL_PER_KM = 1e-3
#: Argument tuples (``ForceModel.args``: the span fit, ~0.3 ms to build) kept for reuse by later
#: propagations with the same force model, span and impact radius — many orbits over one span
#: build it once. Each entry holds its force model (and so its field) alive.
ARGS_CACHE_SIZE = 8

_ARGS_CACHE: OrderedDict = OrderedDict()
_ARGS_LOCK = threading.Lock()


def force_args(force_model: ForceModel, t_start: float, t_stop: float, impact_radius_km: float) -> tuple:
    """``force_model.args(t_start, t_stop, impact_radius_km)``, from the cache when the same force
    model (the same object) asked for the same span before (the last ``ARGS_CACHE_SIZE``)."""
    key = (id(force_model), float(t_start), float(t_stop), float(impact_radius_km))
    with _ARGS_LOCK:
        hit = _ARGS_CACHE.get(key)
        if hit is not None and hit[0] is force_model:
            _ARGS_CACHE.move_to_end(key)
            return hit[1]
    args = force_model.args(t_start, t_stop, impact_radius_km)
    with _ARGS_LOCK:
        _ARGS_CACHE[key] = (force_model, args)
        while len(_ARGS_CACHE) > ARGS_CACHE_SIZE:
            _ARGS_CACHE.popitem(last=False)
    return args


@dataclass(frozen=True)
class Maneuver:
    """Impulsive Δv (km/s) at TDB seconds ``t``, in ``frame`` ICRF or RTN (radial,
    transverse = along-track in the orbit plane, normal = angular momentum)."""

    t: float
    dv_kms: tuple
    frame: str = "RTN"

    def delta_icrf(self, state: np.ndarray) -> np.ndarray:
        dv = np.asarray(self.dv_kms, float)
        if self.frame.upper() == "ICRF":
            return dv
        if self.frame.upper() != "RTN":
            raise InputError("maneuvers.frame", f"{self.frame!r} must be RTN or ICRF")
        r, v = state[:3], state[3:]
        rhat = r / np.linalg.norm(r)
        h = np.cross(r, v)
        nhat = h / np.linalg.norm(h)
        that = np.cross(nhat, rhat)
        return dv[0] * rhat + dv[1] * that + dv[2] * nhat


@dataclass(frozen=True)
class PropagationResult:
    trajectory: Trajectory
    impact_time: float | None
    n_steps: int
    n_rhs: int


@dataclass(frozen=True, eq=False)
class PropagationJob:
    """Plain inputs of :func:`propagate` (see there for units); picklable."""

    state0: np.ndarray
    t_start: float
    t_stop: float
    force_model: ForceModel
    rtol: float = 1e-12
    atol_km: float = 1e-9
    maneuvers: tuple = ()
    impact_altitude_km: float = 0.0
    fixed_step_s: float | None = None
    name: str = "spacecraft"
    method: str = "dop853"


def run_propagation(job: PropagationJob, progress=None) -> PropagationResult:
    """Run ``job``; ``progress(fraction)`` after each arc."""
    return propagate(
        job.state0,
        job.t_start,
        job.t_stop,
        job.force_model,
        rtol=job.rtol,
        atol_km=job.atol_km,
        maneuvers=job.maneuvers,
        impact_altitude_km=job.impact_altitude_km,
        fixed_step_s=job.fixed_step_s,
        progress=progress,
        name=job.name,
        method=job.method,
    )


def state_atol(atol_km: float) -> np.ndarray:
    """Absolute tolerances (6,) of a state: ``atol_km`` on the position, scaled on the velocity."""
    return np.array([atol_km] * 3 + [atol_km * VELOCITY_ATOL_PER_KM] * 3)


_STOP_HINTS = {
    IntegrationStatus.STEP_TOO_SMALL: "the step fell below what the epoch resolves (~1e-6 s in TDB "
    "seconds near 2030): a fixed_step_s that small, or forces that blow up (an orbit through the Moon?)",
    IntegrationStatus.MAX_STEPS: "more steps than the integrator's cap in one arc: loosen rtol / atol_km "
    "or raise fixed_step_s",
}


def stopped_error(t: float, status) -> InputError:
    """The error of an integration that stopped at TDB ``t`` before its end (``status``)."""
    status = IntegrationStatus(status)
    hint = _STOP_HINTS.get(status)
    why = f"{status.name} ({hint})" if hint else status.name
    return InputError("propagator", f"integration stopped at t={float(t):.3f} s: {why}")


def arc_cuts(t_start: float, t_stop: float, burn_times, chunk_s: float) -> list[float]:
    """Arc boundaries (TDB s) of a propagation: the span split at each burn and into arcs at
    most ``chunk_s`` long (equal parts between burns)."""
    edges = sorted({t_start, t_stop, *burn_times})
    cuts = []
    for a, b in zip(edges[:-1], edges[1:]):
        n = max(1, int(np.ceil((b - a) / chunk_s)))
        cuts.extend(np.linspace(a, b, n + 1)[:-1].tolist() if n > 1 else [a])
    cuts.append(t_stop)
    return cuts


def next_first_step(h_last: float, chunk_s: float) -> float:
    """First step (s) of the next arc: the last accepted step of this one, at most an arc."""
    return float(min(abs(h_last), chunk_s))


def assemble_result(
    pieces, t_start, t_stop, impact, n_steps, n_rhs, name, rtol, atol_km, method, impact_altitude_km
) -> PropagationResult:
    """The ``PropagationResult`` of the arcs' dense outputs ``pieces`` (impact: TDB s or None)."""
    dense = DenseSolution.concatenate(pieces)
    stop = impact if impact is not None else t_stop
    traj = Trajectory(
        dense,
        float(t_start),
        float(stop),
        np.asarray(dense.t_nodes),
        name=name,
        source="lunarscope RKN12" if method == "rkn12" else "lunarscope DOP853",
        meta={
            "rtol": rtol,
            "atol_km": atol_km,
            "method": method,
            "impact_tdb": impact,
            "impact_altitude_km": float(impact_altitude_km),
        },
    )
    return PropagationResult(traj, impact, n_steps, n_rhs)


def propagate(
    state0,
    t_start: float,
    t_stop: float,
    force_model: ForceModel,
    *,
    rtol: float = 1e-12,
    atol_km: float = 1e-9,
    maneuvers=(),
    impact_altitude_km: float = 0.0,
    fixed_step_s: float | None = None,
    chunk_s: float = SECONDS_PER_DAY,
    progress=None,
    name: str = "spacecraft",
    method: str = "dop853",
) -> PropagationResult:
    """Integrate Moon-centred ICRF ``state0`` (km, km/s) from ``t_start`` to ``t_stop``.

    ``progress(fraction)`` is called after each arc when given. ``method``: "dop853" (default)
    or "rkn12" (RKN12(10), fewer force evaluations at tight tolerances; docs/benchmarks.md).
    """
    if method not in METHODS:
        raise InputError("propagator.method", f"{method!r} must be one of {', '.join(METHODS)}")
    y = np.array(state0, float)
    if y.shape != (6,) or not np.all(np.isfinite(y)):
        raise InputError("orbit", "initial state must be 6 finite numbers (km, km/s)")
    if not t_stop > t_start:
        raise InputError("stop", "must be after start")
    impact_r = MOON_RADIUS_KM + float(impact_altitude_km)
    if np.linalg.norm(y[:3]) <= impact_r:
        raise InputError(
            "orbit", f"initial radius {np.linalg.norm(y[:3]):.1f} km is below the impact radius {impact_r:.1f} km"
        )
    args = force_args(force_model, t_start, t_stop, impact_r)
    atol = state_atol(atol_km)
    burns = sorted((m for m in maneuvers), key=lambda m: m.t)
    for m in burns:
        if not t_start <= m.t <= t_stop:
            raise InputError("maneuvers", "every maneuver epoch must lie inside the propagation span")
    cuts = arc_cuts(t_start, t_stop, [m.t for m in burns], chunk_s)
    pieces, n_steps, n_rhs, impact, h0 = [], 0, 0, None, None
    burn_idx = 0
    for a, b in zip(cuts[:-1], cuts[1:]):
        while burn_idx < len(burns) and burns[burn_idx].t <= a:
            if burns[burn_idx].t == a:
                y = y.copy()
                y[3:] += burns[burn_idx].delta_icrf(y)
            burn_idx += 1
        res = integrate(
            moon_rhs,
            a,
            y,
            b,
            args=args,
            rtol=rtol,
            atol=atol,
            event=impact_event,
            fixed_step=fixed_step_s,
            first_step=h0,
            method=method,
            fast_call=True,  # moon_rhs and impact_event cannot raise
        )
        if not res.success:
            raise stopped_error(res.t[-1], res.status)
        pieces.append(res.dense)
        n_steps += res.n_steps
        n_rhs += res.n_rhs
        y = res.y[-1].copy()
        if res.n_steps and fixed_step_s is None:
            h0 = next_first_step(res.dense.h[-1], chunk_s)
        if res.status == IntegrationStatus.EVENT:
            impact = float(res.event_time)
            break
        if progress is not None:
            progress((b - t_start) / (t_stop - t_start))
    return assemble_result(
        pieces, t_start, t_stop, impact, n_steps, n_rhs, name, rtol, atol_km, method, impact_altitude_km
    )
