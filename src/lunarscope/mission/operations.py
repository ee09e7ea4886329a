"""Mission sections for scheduling: ``telescope``, ``recorder``, ``downlink``, ``scheduling``,
``requests`` and ``engineering`` (documented in docs/mission-file.md)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..errors import InputError
from ..scheduling.portfolio import HIERARCHY_MODES
from ..time import parse_duration_s, short
from .reader import Section

SOLVERS = ("greedy", "cpsat")
#: Catalogue columns that turn a target into a request when no ``requests`` section exists.
REQUEST_COLUMNS = (
    "exposure_s",
    "min_visit_s",
    "visits",
    "cadence_s",
    "cadence_h",
    "priority",
    "data_rate_mbps",
    "valid_from",
    "valid_to",
    "snr",
    "mag_ab",
    "band",
    "spectrum",
)
#: Keys of an SNR request (instead of ``exposure_s``; ``mission.snr_requests``).
SNR_KEYS = ("snr", "mag_ab", "band", "spectrum")
#: Longest default minimum visit of an SNR request (s): min(this, exposure at the best background).
SNR_DEFAULT_MIN_VISIT_S = 600.0


@dataclass(frozen=True)
class RequestSpec:
    """One request as written (targets resolved later, when the catalogue is known).

    An SNR request has ``snr``, ``mag_ab``, ``band`` (and ``spectrum``) instead of
    ``exposure_s`` (None); its exposure and, unless given, its minimum visit (None) are found
    from the background along the target's visibility (``mission.snr_requests``). An exposure
    request may describe its source too (``mag_ab``, ``band``): the plan then reports the SNR
    its visits achieve."""

    field: str
    target: str
    exposure_s: float | None
    min_visit_s: float | None
    priority: float
    visits: int | None
    cadence_s: float | None
    valid_from: float | None
    valid_to: float | None
    data_rate_mbps: float
    name: str | None = None
    snr: float | None = None
    mag_ab: float | None = None
    band: str | None = None
    spectrum: str = "flat"

    @property
    def is_snr(self) -> bool:
        return self.snr is not None


@dataclass(frozen=True)
class EngineeringSpec:
    name: str
    period_s: float
    duration_s: float
    flex_s: float
    first_start: float | None


@dataclass(frozen=True)
class Operations:
    max_rate_deg_s: float
    max_accel_deg_s2: float
    settle_s: float
    antenna: str
    recorder_capacity_mbit: float
    recorder_initial_mbit: float
    default_downlink_mbps: float | None
    downlink_stations: tuple | None
    solver: str
    time_limit_s: float
    seed: int
    workers: int
    requests: tuple
    requests_from_catalogue: bool
    engineering: tuple
    work_limit: float | None = None  # CP-SAT deterministic budget (None: scheduling.portfolio.WORK_LIMIT)
    hierarchy: str = "auto"  # scheduling.portfolio.HIERARCHY_MODES
    plan_window_days: int | None = None  # None: chosen from the data (scheduling.longrange)


def request_from_mapping(sec: Section, defaults: dict | None = None) -> RequestSpec:
    """Validate one request mapping (inline ``requests`` entry or a catalogue row)."""
    d = defaults or {}
    snr_req = sec.has("snr")
    if snr_req and sec.has("exposure_s"):
        raise InputError(sec._key("snr"), "give either exposure_s or snr (with mag_ab and band), not both")
    if not (snr_req or sec.has("mag_ab")):
        for k in SNR_KEYS[2:]:
            if sec.has(k):
                raise InputError(sec._key(k), "describes the source: give it with mag_ab (and snr for an SNR request)")
    exposure = (
        None
        if snr_req
        else sec.number(
            "exposure_s", d.get("exposure_s"), required="exposure_s" not in d, exclusive_minimum=0, unit="s"
        )
    )
    snr = mag = band = None
    spectrum = "flat"
    if snr_req or sec.has("mag_ab"):  # an SNR request, or an exposure request whose SNR is reported
        snr = sec.number("snr", None, exclusive_minimum=0)
        mag = sec.number("mag_ab", required=True, unit="AB mag")
        band = sec.string("band", required=True)
        spectrum = sec.string("spectrum", "flat")
    min_visit = sec.number(
        "min_visit_s",
        d.get("min_visit_s", None if snr_req else min(exposure, SNR_DEFAULT_MIN_VISIT_S)),
        exclusive_minimum=0,
        unit="s",
    )
    visits = sec.number("visits", d.get("visits"), minimum=1, integer=True)
    if sec.has("cadence_s") and sec.has("cadence_h"):
        raise InputError(sec._key("cadence_h"), "give either cadence_s or cadence_h, not both")
    cadence = sec.number("cadence_s", d.get("cadence_s"), minimum=0, unit="s")
    if sec.has("cadence_h"):
        cadence = sec.number("cadence_h", minimum=0, unit="h") * 3600.0
    valid_from = sec.time("valid_from")
    valid_to = sec.time("valid_to")
    if valid_from is not None and valid_to is not None and not valid_to > valid_from:
        raise InputError(sec._key("valid_to"), "must be after valid_from")
    return RequestSpec(
        field=sec.path,
        target=sec.string("target", d.get("target"), required="target" not in d),
        exposure_s=exposure,
        min_visit_s=min_visit,
        priority=sec.number("priority", d.get("priority", 1.0), exclusive_minimum=0),
        visits=visits,
        cadence_s=cadence,
        valid_from=valid_from,
        valid_to=valid_to,
        data_rate_mbps=sec.number("data_rate_mbps", d.get("data_rate_mbps", 0.0), minimum=0, unit="Mbit/s"),
        name=sec.string("name", None),
        snr=snr,
        mag_ab=mag,
        band=band,
        spectrum=spectrum,
    )


REQUEST_KEYS = {"target", "name", *REQUEST_COLUMNS}


def resolve_requests(ops: Operations, observing) -> list[RequestSpec]:
    """The mission's requests with their targets checked against the target list: the inline
    ``requests`` section, or else one request per catalogue row that has ``exposure_s`` or ``snr``."""
    targets = observing.targets if observing is not None else ()
    names = {t.name for t in targets}
    if not ops.requests_from_catalogue:
        for r in ops.requests:
            if r.target not in names:
                known = ", ".join(sorted(names)[:8]) + (" ..." if len(names) > 8 else "")
                raise InputError(f"{r.field}.target", f"unknown target {short(r.target)}; targets: {known or 'none'}")
        out = list(ops.requests)
    else:
        out = []
        for t in targets:
            cols = {c: v for c, v in t.extra.items() if c in REQUEST_COLUMNS and v is not None}
            if "exposure_s" not in cols and "snr" not in cols:
                continue
            if isinstance(cols.get("visits"), float) and cols["visits"].is_integer():
                cols["visits"] = int(cols["visits"])
            out.append(request_from_mapping(Section(cols, f"targets[{t.name}]"), {"target": t.name}))
    for r in out:
        if r.min_visit_s is None:
            continue  # an SNR request's minimum visit is known once the exposure is
        one_visit = r.data_rate_mbps * r.min_visit_s
        if one_visit > ops.recorder_capacity_mbit:
            raise InputError(
                "recorder.capacity_mbit",
                f"{ops.recorder_capacity_mbit:g} Mbit is smaller than one minimum visit of "
                f"{r.field} ({r.min_visit_s:g} s × {r.data_rate_mbps:g} Mbit/s = {one_visit:g} Mbit)",
            )
    return out


def one_off_block(name: str, t: float, duration_s: float, mission) -> EngineeringSpec:
    """An engineering block occurring once, at TDB ``t`` for ``duration_s``: a recurring block
    whose period is longer than the mission span (so it has one occurrence), no flex."""
    return EngineeringSpec(name, (mission.t_stop - mission.t_start) + duration_s + 1.0, duration_s, 0.0, float(t))


def attach(mission, root: Section, base: str):
    """Parse the scheduling sections into ``mission.operations``."""
    tel = root.section("telescope", {"slew", "antenna"})
    slew = tel.section("slew", {"max_rate_deg_s", "max_accel_deg_s2", "settle_s"})
    rec = root.section("recorder", {"capacity_mbit", "initial_mbit"})
    capacity = rec.number("capacity_mbit", 32000.0, exclusive_minimum=0, unit="Mbit")
    initial = rec.number("initial_mbit", 0.0, minimum=0, maximum=capacity, unit="Mbit")
    dl = root.section("downlink", {"default_rate_mbps", "stations"})
    default_rate = dl.number("default_rate_mbps", None, exclusive_minimum=0, unit="Mbit/s")
    dl_stations = tuple(str(s) for s in dl.items("stations")) if dl.has("stations") else None
    sch = root.section(
        "scheduling", {"solver", "time_limit_s", "seed", "workers", "work_limit", "hierarchy", "plan_window_days"}
    )
    reqs = []
    for k, raw in enumerate(root.items("requests")):
        reqs.append(request_from_mapping(Section(raw, f"requests[{k}]", REQUEST_KEYS)))
    eng = []
    for k, raw in enumerate(root.items("engineering")):
        e = Section(raw, f"engineering[{k}]", {"name", "every", "duration", "flex", "first", "at"})
        if e.has("at"):  # a one-off block at a fixed time (e.g. a station-keeping burn)
            extra = [x for x in ("every", "first", "flex") if e.has(x)]
            if extra:
                raise InputError(
                    f"engineering[{k}].{extra[0]}", "a block with at: is one-off; give at and duration only"
                )
            duration = parse_duration_s(e.required("duration"), f"engineering[{k}].duration")
            at = e.time("at")
            if not mission.t_start <= at <= mission.t_stop:
                raise InputError(f"engineering[{k}].at", "must lie inside the mission span")
            eng.append(one_off_block(e.string("name", f"engineering-{k}"), at, duration, mission))
            continue
        period = parse_duration_s(e.required("every"), f"engineering[{k}].every")
        duration = parse_duration_s(e.required("duration"), f"engineering[{k}].duration")
        flex = parse_duration_s(e.raw["flex"], f"engineering[{k}].flex") if e.has("flex") else 0.0
        if duration + 2 * flex > period:
            raise InputError(f"engineering[{k}].duration", "duration + 2 × flex must not exceed the period")
        first = e.time("first")
        eng.append(EngineeringSpec(e.string("name", f"engineering-{k}"), period, duration, flex, first))
    ops = Operations(
        max_rate_deg_s=slew.number("max_rate_deg_s", 0.5, exclusive_minimum=0, unit="deg/s"),
        max_accel_deg_s2=slew.number("max_accel_deg_s2", 0.05, exclusive_minimum=0, unit="deg/s^2"),
        settle_s=slew.number("settle_s", 30.0, minimum=0, unit="s"),
        antenna=tel.choice("antenna", ["gimballed", "body_fixed"], default="gimballed"),
        recorder_capacity_mbit=capacity,
        recorder_initial_mbit=initial,
        default_downlink_mbps=default_rate,
        downlink_stations=dl_stations,
        solver=sch.choice("solver", SOLVERS, default="cpsat"),
        time_limit_s=sch.number("time_limit_s", 60.0, exclusive_minimum=0, unit="s"),
        seed=sch.number("seed", 0, minimum=0, integer=True),
        workers=sch.number("workers", 2, minimum=1, maximum=64, integer=True),
        requests=tuple(reqs),
        requests_from_catalogue=not root.has("requests"),
        engineering=tuple(eng),
        work_limit=sch.number("work_limit", None, exclusive_minimum=0),
        hierarchy=sch.choice("hierarchy", HIERARCHY_MODES, default="auto"),
        plan_window_days=sch.number("plan_window_days", None, minimum=1, maximum=366, integer=True),
    )
    resolve_requests(ops, mission.observing)  # check targets and recorder size up front
    return dataclasses.replace(mission, operations=ops)
