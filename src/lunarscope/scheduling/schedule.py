"""Schedule (a list of activities), its metrics and its table output.

Science value (the objective of every scheduler, docs/scheduling.md):
    V = sum_r priority_r * min(1, counted_exposure_r / exposure_r)
where counted exposure sums the visits of request r at least ``min_visit_s`` long.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lunarscope.scheduling.recorder import fifo_latency, level_profile
from lunarscope.scheduling.requests import intersect, subtract

KINDS = ("observe", "slew", "downlink", "engineering", "idle")
TABLE_COLUMNS = ("activity", "target", "start_utc", "stop_utc", "duration_s", "data_mbit", "station", "request")


@dataclass
class Activity:
    """One timeline entry. ``pointing``: ("target", name) | ("earth", station, contact) | None.

    For a slew ``from_pointing`` is where it starts and ``pointing`` where it ends.
    ``request`` is the request index of an observation.
    """

    kind: str
    start: float
    stop: float
    target: str = ""
    data_mbit: float = 0.0
    station: str = ""
    request: int | None = None
    pointing: tuple | None = None
    from_pointing: tuple | None = None
    block: int | None = None  # engineering occurrence index

    @property
    def duration_s(self) -> float:
        return self.stop - self.start


@dataclass
class Schedule:
    """Activities plus scheduler facts (bound, status, solve time)."""

    activities: list
    scheduler: str = ""
    status: str = ""
    model_bound: float | None = None  # proven bound of the scheduler's own (discretised) model
    relaxation_bound: float | None = None  # bound valid for the true problem (see bound_source)
    bound_source: str = "LP relaxation"  # the relaxation it came from (scheduling.md, "Bound sources")
    solve_s: float = 0.0
    info: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        counts = {}
        for a in self.activities:
            counts[a.kind] = counts.get(a.kind, 0) + 1
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "no activities"
        status = self.status if len(self.status) <= 60 else self.status[:57] + "..."
        return f"Schedule({self.scheduler or '?'}: {kinds}; {status!r})"

    def sorted(self) -> Schedule:
        order = {k: i for i, k in enumerate(KINDS)}
        self.activities.sort(key=lambda a: (a.start, a.stop, order.get(a.kind, 9)))
        return self

    def of_kind(self, kind: str) -> list:
        return [a for a in self.activities if a.kind == kind]

    # ---- science ---------------------------------------------------------------
    def counted_exposure(self, problem) -> np.ndarray:
        """Per request: counted seconds of visits >= its minimum visit length (their summed
        duration; ``∫ w dt`` for a request with an efficiency, ``scheduling.efficiency``)."""
        got = np.zeros(len(problem.requests))
        for a in self.activities:
            if a.kind == "observe" and a.request is not None:
                r = problem.requests[a.request]
                if a.duration_s >= r.min_visit_s - 1e-9:
                    got[a.request] += (
                        a.duration_s if r.efficiency is None else float(r.efficiency.counted(a.start, a.stop))
                    )
        return got

    def science_value(self, problem) -> float:
        got = self.counted_exposure(problem)
        return float(sum(r.priority * min(1.0, g / r.exposure_s) for r, g in zip(problem.requests, got)))

    # ---- metrics ---------------------------------------------------------------
    def metrics(self, problem) -> dict:
        """Science value, bounds, efficiency, request status, recorder, latency, reasons."""
        got = self.counted_exposure(problem)
        frac = np.array([min(1.0, g / r.exposure_s) for r, g in zip(problem.requests, got)])
        value = float(sum(r.priority * f for r, f in zip(problem.requests, frac)))
        total = float(sum(r.priority for r in problem.requests))
        span = problem.stop - problem.start
        obs_time = sum(a.duration_s for a in self.activities if a.kind == "observe")
        budget = self.time_budget(problem)
        sc = problem.spacecraft
        ts, lv = level_profile(self.activities, sc.recorder_initial_mbit, problem.start)
        obs_p = [(a.start, a.stop, a.data_mbit) for a in self.activities if a.kind == "observe"]
        dl_p = [(a.start, a.stop, a.data_mbit) for a in self.activities if a.kind == "downlink"]
        lat_mean, lat_max, delivered = fifo_latency(obs_p, dl_p, sc.recorder_initial_mbit, problem.start)
        bound = self.relaxation_bound
        m = {
            "scheduler": self.scheduler,
            "status": self.status,
            "science_value": value,
            "total_priority": total,
            "model_bound": self.model_bound,
            "relaxation_bound": bound,
            "bound_source": self.bound_source if bound is not None else None,
            "fraction_of_model_bound": value / self.model_bound if self.model_bound else None,
            "fraction_of_relaxation_bound": value / bound if bound else None,
            "observing_efficiency": obs_time / span,
            "slew_fraction": budget["slew"],
            "engineering_fraction": budget["engineering"],
            "idle_fraction": budget["idle"],
            "requests_full": int(np.sum(frac >= 1 - 1e-9)),
            "requests_partial": int(np.sum((frac > 0) & (frac < 1 - 1e-9))),
            "requests_none": int(np.sum(frac <= 0)),
            "recorder_peak_mbit": float(np.max(lv)),
            "recorder_final_mbit": float(lv[-1]),
            "data_generated_mbit": float(sum(p[2] for p in obs_p)),
            "data_downlinked_mbit": float(sum(p[2] for p in dl_p)),
            "latency_mean_s": lat_mean,
            "latency_max_s": lat_max,
            "solve_s": self.solve_s,
            "unschedulable": self.unschedulable(problem, got),
        }
        return m

    def time_budget(self, problem) -> dict:
        """Fractions of the span [start, stop] spent slewing, in engineering blocks and idle
        (pointing held, nothing observed: the span less the union of observations, slews,
        engineering and, with a body-fixed antenna, downlinks); with ``observing_efficiency``
        they sum to 1 (each clipped to the span; activities never overlap, ``validate``)."""
        from lunarscope.scheduling.requests import as_intervals

        span = problem.stop - problem.start
        body_fixed = problem.spacecraft.antenna == "body_fixed"

        def clipped(kinds):
            iv = [
                (max(a.start, problem.start), min(a.stop, problem.stop))
                for a in self.activities
                if a.kind in kinds or (body_fixed and a.kind == "downlink" and "downlink" in kinds)
            ]
            iv = np.array([(a, b) for a, b in iv if b > a], float).reshape(-1, 2)
            return as_intervals(iv, "schedule") if len(iv) else iv

        def total(iv):
            return float(np.sum(iv[:, 1] - iv[:, 0])) if len(iv) else 0.0

        busy = total(clipped(("observe", "slew", "engineering", "downlink")))
        return {
            "slew": total(clipped(("slew",))) / span,
            "engineering": total(clipped(("engineering",))) / span,
            "idle": max(0.0, span - busy) / span,
        }

    def unschedulable(self, problem, got=None) -> dict:
        """Request name -> reason, for requests that earned nothing."""
        if got is None:
            got = self.counted_exposure(problem)
        busy = np.array(
            sorted(
                (a.start, a.stop)
                for a in self.activities
                if a.kind in ("observe", "slew", "engineering")
                or (a.kind == "downlink" and problem.spacecraft.antenna == "body_fixed")
            ),
            float,
        ).reshape(-1, 2)
        from lunarscope.scheduling.requests import as_intervals

        busy = as_intervals(busy, "schedule")
        out = {}
        for i, r in enumerate(problem.requests):
            if got[i] > 0:
                continue
            why = problem.static_reason(i)
            if why is None:
                free = subtract(problem.usable_windows[i], busy)
                longest = float(np.max(free[:, 1] - free[:, 0])) if len(free) else 0.0
                if longest < r.min_visit_s:
                    why = "outranked: visibility used by higher priority"
                else:
                    why = (
                        f"not chosen: free visible gaps left (longest {longest:.0f} s) but slews, "
                        f"recorder or cadence/visit limits prevented a visit"
                    )
            out[problem.request_names[i]] = why
        return out

    # ---- table -----------------------------------------------------------------
    def request_ids(self, problem=None) -> list:
        """Per activity, the id of the request it serves: ``problem.request_names[a.request]``
        (the request's ``name``, else ``"<target>#<index>"``), or ``"r<index>"`` without a
        problem; ``""`` for activities that serve no request (slew, downlink, engineering, idle)."""
        names = problem.request_names if problem is not None else None
        out = []
        for a in self.activities:
            if a.kind != "observe" or a.request is None:
                out.append("")
            else:
                out.append(names[a.request] if names is not None else f"r{a.request}")
        return out

    def to_rows(self, format_utc, problem=None) -> list:
        """Rows with columns TABLE_COLUMNS; ``format_utc(t_tdb_array) -> list[str]``; the
        request column as :meth:`request_ids`."""
        acts = self.activities
        if not acts:
            return []
        starts = format_utc(np.array([a.start for a in acts]))
        stops = format_utc(np.array([a.stop for a in acts]))
        rids = self.request_ids(problem)
        return [
            (a.kind, a.target, s0, s1, f"{a.duration_s:.3f}", f"{a.data_mbit:.3f}", a.station, rid)
            for a, s0, s1, rid in zip(acts, starts, stops, rids)
        ]

    def to_csv(self, format_utc, problem=None) -> str:
        """CSV text with header ``activity,target,start_utc,stop_utc,duration_s,data_mbit,station,request``;
        pass the problem so the request column holds the request names (see :meth:`request_ids`)."""
        lines = [",".join(TABLE_COLUMNS)]
        lines += [",".join(_csv_cell(c) for c in row) for row in self.to_rows(format_utc, problem)]
        return "\n".join(lines) + "\n"


def _csv_cell(value) -> str:
    """One CSV cell, quoted (RFC 4180) when it holds a comma, quote or line break (a request
    or target name may)."""
    text = str(value)
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def with_idle(activities, t0: float, t1: float) -> list:
    """Add ``idle`` activities in the gaps of the spacecraft-occupying timeline."""
    occ = np.array(
        sorted(
            (a.start, a.stop)
            for a in activities
            if a.kind in ("observe", "slew", "engineering", "downlink") and a.stop > a.start
        ),
        float,
    ).reshape(-1, 2)
    from lunarscope.scheduling.requests import as_intervals

    occ = as_intervals(occ, "schedule") if len(occ) else occ
    gaps = subtract(np.array([[t0, t1]]), occ)
    return list(activities) + [Activity("idle", float(a), float(b)) for a, b in gaps]


__all__ = ["Activity", "Schedule", "TABLE_COLUMNS", "with_idle", "intersect"]
