"""The metrics registry: each metric is a function of one case's outputs.

A metric needs a stage (``propagate``, ``windows`` or ``schedule``) and, for windows metrics,
window kinds (``windows.kinds`` of the mission). It returns a float, ``None`` (an empty cell,
e.g. ``lifetime_d`` without impact), or for ``contact_h_per_day`` a mapping of columns (the
union of the stations and one ``contact_h_per_day[<station>]`` column per station). Spans are
the mission's ``[start, stop]`` in TDB seconds; "the union" of windows is their set union
(touching windows merge, ``Windows.__or__``). Each definition is repeated in ``docs/sweep.md``.

Add a metric with :func:`register`; its docstring is its definition.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..constants import SECONDS_PER_DAY
from ..errors import InputError

SECONDS_PER_HOUR = 3600.0
#: Eclipse kinds counted by eclipse_fraction / eclipse_max_s, of both bodies (Moon, Earth).
ECLIPSE_KINDS = ("umbra", "penumbra")


@dataclass
class CaseOutputs:
    """What one case produced: the mission, the propagation result, the windows (a
    ``WindowSet``), the scheduling problem and the schedule (``None`` for a stage not run)."""

    mission: object
    propagation: object = None
    windows: object = None
    problem: object = None
    schedule: object = None
    settings: dict | None = None


@dataclass(frozen=True)
class Metric:
    name: str
    stage: str
    kinds: tuple
    fn: object
    columns: object = None  # f(mission) -> column names, for metrics of several columns
    better: str | None = None  # "max" or "min": which way is better (the sweep report's Pareto front)
    default: bool = True  # among the metrics a sweep without ``metrics:`` computes

    def column_names(self, mission) -> list[str]:
        return list(self.columns(mission)) if self.columns else [self.name]


METRICS: dict[str, Metric] = {}


def register(name: str, stage: str, kinds: tuple = (), columns=None, better: str | None = None, default: bool = True):
    """Decorator adding ``fn(outputs) -> value`` to :data:`METRICS` under ``name``; ``better``
    is ``"max"``, ``"min"`` or None (no preferred direction); ``default=False``: computed only
    when a sweep names it (its window kind is not among a mission's default kinds)."""

    def deco(fn):
        METRICS[name] = Metric(name, stage, tuple(kinds), fn, columns, better, default)
        return fn

    return deco


def default_metrics(stages) -> tuple:
    """Every registered default metric whose stage is among ``stages`` (registry order)."""
    return tuple(m.name for m in METRICS.values() if m.stage in stages and m.default)


def check_metric_stages(metrics, stages) -> None:
    for k, name in enumerate(metrics):
        need = METRICS[name].stage
        if need not in stages:
            raise InputError(f"metrics[{k}]", f"{name} needs the {need} stage; add it to stages")


def check_metrics(metrics, stages, mission, case: int) -> None:
    """The window kinds each metric needs are computed by this case's mission."""
    obs = getattr(mission, "observing", None)
    kinds = set(obs.settings.kinds) if obs is not None else set()
    for k, name in enumerate(metrics):
        m = METRICS[name]
        if m.stage == "propagate":
            continue
        if obs is None:
            raise InputError(f"case {case}: metrics[{k}]", f"{name} needs the mission's observing sections")
        missing = [kd for kd in m.kinds if kd not in kinds]
        if m.kinds and len(missing) == len(m.kinds):
            raise InputError(f"case {case}: metrics[{k}]", f"{name} needs windows.kinds with {' or '.join(m.kinds)}")
        if m.stage == "schedule" and mission.operations is None:
            raise InputError(f"case {case}: metrics[{k}]", f"{name} needs the mission's scheduling sections")


def metric_columns(metrics, mission) -> list[str]:
    """The table columns of ``metrics`` for ``mission`` (one per metric, more for per-station)."""
    out = []
    for name in metrics:
        out += METRICS[name].column_names(mission)
    return out


def evaluate(metrics, outputs: CaseOutputs, stages_done) -> dict:
    """Column → value of every metric whose stage finished (the others stay absent: empty)."""
    row = {}
    for name in metrics:
        m = METRICS[name]
        if m.stage not in stages_done:
            continue
        value = m.fn(outputs)
        if isinstance(value, dict):
            row.update(value)
        else:
            row[name] = None if value is None else float(value)
    return row


# ------------------------------------------------------------------ helpers


def _span(out: CaseOutputs) -> tuple[float, float]:
    return float(out.mission.t_start), float(out.mission.t_stop)


def _union(out: CaseOutputs, kinds, subjects=None):
    from ..windows.intervals import Windows

    u = Windows.empty()
    for (kind, subject), w in out.windows.items():
        if kind in kinds and (subjects is None or subject in subjects):
            u = u | w
    return u


def _contact_stations(mission) -> list[str]:
    obs = mission.observing
    names = obs.settings.stations
    return [s.name for s in obs.stations if names is None or s.name in names]


def _contact_columns(mission) -> list[str]:
    return ["contact_h_per_day"] + [f"contact_h_per_day[{n}]" for n in _contact_stations(mission)]


def _schedule_metrics(out: CaseOutputs) -> dict:
    cache = out.__dict__.setdefault("_schedule_metrics", None)
    if cache is None:
        cache = out.schedule.metrics(out.problem)
        out.__dict__["_schedule_metrics"] = cache
    return cache


# ------------------------------------------------------------------ propagate


def _altitudes(out: CaseOutputs) -> dict:
    from ..mission.run import propagation_summary

    cache = out.__dict__.get("_propagation_summary")
    if cache is None:
        cache = propagation_summary(out.mission, out.propagation)
        out.__dict__["_propagation_summary"] = cache
    return cache


@register("altitude_min_km", "propagate", better="max")
def altitude_min_km(out: CaseOutputs) -> float:
    """Lowest altitude above the 1737.4 km mean lunar sphere, km, on a 60 s grid over the
    propagated span (``mission.run.propagation_summary``)."""
    return _altitudes(out)["altitude_min_km"]


@register("altitude_max_km", "propagate")
def altitude_max_km(out: CaseOutputs) -> float:
    """Highest altitude above the 1737.4 km mean lunar sphere, km, on the same 60 s grid."""
    return _altitudes(out)["altitude_max_km"]


@register("lifetime_d", "propagate", better="max")
def lifetime_d(out: CaseOutputs) -> float | None:
    """Days from the mission start to the impact (altitude below
    ``propagator.impact_altitude_km``); empty when the orbit does not impact within the span."""
    t = out.propagation.impact_time
    return None if t is None else (float(t) - float(out.mission.t_start)) / SECONDS_PER_DAY


# ------------------------------------------------------------------ windows


@register("eclipse_fraction", "windows", ECLIPSE_KINDS, better="min")
def eclipse_fraction(out: CaseOutputs) -> float:
    """|union of umbra and penumbra windows of the Moon and the Earth| / span (0 … 1)."""
    t0, t1 = _span(out)
    return _union(out, ECLIPSE_KINDS).total_duration / (t1 - t0)


@register("eclipse_max_s", "windows", ECLIPSE_KINDS, better="min")
def eclipse_max_s(out: CaseOutputs) -> float:
    """Longest interval of that union (penumbra, umbra, penumbra in a row is one eclipse), s;
    0 without eclipse."""
    u = _union(out, ECLIPSE_KINDS)
    lg = u.longest()
    return 0.0 if lg is None else float(lg[1] - lg[0])


@register("radio_quiet_fraction", "windows", ("radio_quiet",), better="max", default=False)
def radio_quiet_fraction(out: CaseOutputs) -> float:
    """|radio_quiet windows| / span (0 … 1): the time the Earth's disc is hidden by the Moon with
    the mission's diffraction margin (``windows.radio_quiet``)."""
    t0, t1 = _span(out)
    return _union(out, ("radio_quiet",)).total_duration / (t1 - t0)


#: HEALPix resolution of ``sky_fraction_at_depth`` (nside 16: 3072 pixels of 13.4 deg²).
SKY_DEPTH_NSIDE = 16


@register("sky_fraction_at_depth", "windows", better="max", default=False)
def sky_fraction_at_depth(out: CaseOutputs) -> float:
    """Fraction of the sky observable (every pointing constraint of the mission, HEALPix nside
    16 pixel centres, ``science.coverage.sky_coverage``) for at least the time a point source of
    the sweep's ``sky_depth`` (``mag_ab``, ``snr``, ``band``; default AB 22, SNR 5, NUV) needs
    with the mission's instrument at the dark-sky background (``science.coverage.hours_for_depth``)."""
    from ..mission.instrument import mission_instrument
    from ..mission.stages import window_job
    from ..science.coverage import hours_for_depth, sky_coverage

    depth = (out.settings or {}).get("sky_depth") or {"mag_ab": 22.0, "snr": 5.0, "band": "NUV"}
    inst = mission_instrument(out.mission)
    if depth["band"] not in inst.bands:
        raise InputError(
            "sky_depth.band", f"{depth['band']!r} is not a band of the instrument ({', '.join(inst.bands)})"
        )
    need_h = hours_for_depth(inst, depth["band"], depth["mag_ab"], depth["snr"])
    cov = sky_coverage(window_job(out.mission), out.propagation.trajectory, SKY_DEPTH_NSIDE)
    return float(cov.reachable_fraction(need_h))


@register("contact_h_per_day", "windows", ("contact",), columns=_contact_columns, better="max")
def contact_h_per_day(out: CaseOutputs) -> dict:
    """|union of the contact windows of all stations| / span in days, hours per day; beside it
    ``contact_h_per_day[<station>]``: the same for each station alone."""
    t0, t1 = _span(out)
    days = (t1 - t0) / SECONDS_PER_DAY
    names = _contact_stations(out.mission)
    row = {"contact_h_per_day": _union(out, ("contact",), set(names)).total_duration / SECONDS_PER_HOUR / days}
    for n in names:
        row[f"contact_h_per_day[{n}]"] = _union(out, ("contact",), {n}).total_duration / SECONDS_PER_HOUR / days
    return row


@register("longest_contact_gap_h", "windows", ("contact",), better="min")
def longest_contact_gap_h(out: CaseOutputs) -> float:
    """Longest interval of the span without contact with any station (the complement of the
    union of contact windows within the span, its ends included), hours."""
    t0, t1 = _span(out)
    gaps = _union(out, ("contact",), set(_contact_stations(out.mission))).complement(t0, t1)
    lg = gaps.longest()
    return 0.0 if lg is None else float(lg[1] - lg[0]) / SECONDS_PER_HOUR


def _visible_fractions(out: CaseOutputs) -> list[float]:
    return [r["visible_fraction"] for r in out.windows.target_summary()]


@register("visible_fraction_mean", "windows", ("target_visible",), better="max")
def visible_fraction_mean(out: CaseOutputs) -> float | None:
    """Mean over the targets of |target_visible windows| / span; empty without targets."""
    v = _visible_fractions(out)
    return sum(v) / len(v) if v else None


@register("visible_fraction_min", "windows", ("target_visible",), better="max")
def visible_fraction_min(out: CaseOutputs) -> float | None:
    """Least over the targets of |target_visible windows| / span; empty without targets."""
    v = _visible_fractions(out)
    return min(v) if v else None


@register("targets_visible_above", "windows", ("target_visible",), better="max")
def targets_visible_above(out: CaseOutputs) -> float:
    """Number of targets whose visible fraction is at least the sweep's ``visible_threshold``
    (default 0.1)."""
    thr = (out.settings or {}).get("visible_threshold", 0.1)
    return float(sum(1 for v in _visible_fractions(out) if v >= thr))


@register("observing_efficiency", "windows", ("target_visible",), better="max")
def observing_efficiency(out: CaseOutputs) -> float:
    """With the schedule stage: Σ durations of the scheduled observations / span (the
    schedule's ``observing_efficiency``). Without it: |union of all targets' target_visible
    windows| / span — the time some target can be observed, an upper bound of the former."""
    t0, t1 = _span(out)
    if out.schedule is not None:
        return _schedule_metrics(out)["observing_efficiency"]
    return _union(out, ("target_visible",)).total_duration / (t1 - t0)


# ------------------------------------------------------------------ schedule


@register("science_value", "schedule", better="max")
def science_value(out: CaseOutputs) -> float:
    """Σ priority × min(1, counted exposure / requested exposure) of the schedule
    ([scheduling.md](scheduling.md))."""
    return _schedule_metrics(out)["science_value"]


@register("fraction_of_bound", "schedule", better="max")
def fraction_of_bound(out: CaseOutputs) -> float | None:
    """science_value / the schedule's upper bound (LP relaxation or decomposition); empty when
    no bound was found."""
    m = _schedule_metrics(out)
    b = m["relaxation_bound"]
    return m["science_value"] / b if b else None


@register("latency_mean_s", "schedule", better="min")
def latency_mean_s(out: CaseOutputs) -> float | None:
    """Mean data latency of the schedule, s: from the end of an observation to the downlink of
    its data, first in first out (``scheduling.recorder.fifo_latency``); empty without data."""
    return _schedule_metrics(out)["latency_mean_s"]
