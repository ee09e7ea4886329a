"""The sweep file: a base mission, the keys to vary, how to sample them, the stages and metrics.

Every key is documented in ``docs/sweep.md``. Reading a sweep resolves every case into a
mission dict (the base mission with the case's values put at their key paths) and validates
it through the mission reader (``lunarscope.mission.core.mission_from_dict`` and
``check_mission``) before any work: an error names the case index and the mission key, e.g.
``case 3: orbit.elements.e: 1.2 must be < 1 (case: orbit.elements.e=1.2)``.
"""

from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import itertools
import json
import math
import os
import re
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from ..time import short

SWEEP_KEYS = {
    "base",
    "set",
    "vary",
    "sample",
    "stages",
    "metrics",
    "visible_threshold",
    "sky_depth",
    "chunk_size",
    "report",
}
#: The pipeline's stages in order; a sweep runs a prefix of them.
STAGES = ("propagate", "windows", "schedule")
SAMPLE_METHODS = ("grid", "sobol", "lhs", "random")
#: Most cases one sweep may hold (a guard against a typo such as step 0.0001).
MAX_CASES = 1_000_000
#: A `{from, to, step}` range includes `to` when (to - from)/step is within this of a whole
#: number (relative, so 0.1-steps reach their end despite binary rounding).
RANGE_END_RTOL = 1e-9
#: Range values are rounded to this many decimals, so 0.1 + 0.2 is written 0.3.
RANGE_DECIMALS = 12
#: Default `visible_threshold`: a target counts as visible in `targets_visible_above` when its
#: visible fraction of the span is at least this (dimensionless).
DEFAULT_VISIBLE_THRESHOLD = 0.1
#: Default `sky_depth` of `sky_fraction_at_depth`: a point source of AB 22 in NUV at SNR 5 with
#: the mission's instrument (a deep UV survey depth; docs/sweep.md).
DEFAULT_SKY_DEPTH = {"mag_ab": 22.0, "snr": 5.0, "band": "NUV"}
#: Default number of best cases listed in the sweep report.
DEFAULT_REPORT_TOP = 10

_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_PATH_FULL = re.compile(r"[^.\[\]\s]+(\[\d+\])*(\.[^.\[\]\s]+(\[\d+\])*)*")


def parse_key_path(path: str, field_name: str) -> list:
    """``"stations[0].min_elevation_deg"`` → ``["stations", 0, "min_elevation_deg"]``."""
    if not isinstance(path, str) or not _PATH_FULL.fullmatch(path):
        raise InputError(field_name, f"{short(path)} is not a mission key path (a.b.c or a[0].b)")
    return [m.group(1) if m.group(1) is not None else int(m.group(2)) for m in _PATH_PART.finditer(path)]


def set_key_path(raw: dict, parts: list, value, path: str, case: int) -> None:
    """Put ``value`` at ``parts`` inside ``raw`` (missing mappings are created; a list index
    must exist)."""
    node = raw
    for k, part in enumerate(parts[:-1]):
        nxt = parts[k + 1]
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                raise InputError(f"case {case}: {path}", f"index [{part}] is not in the base mission's list")
            node = node[part]
            continue
        if not isinstance(node, dict):
            raise InputError(f"case {case}: {path}", f"{part!r} is inside a value that is not a mapping")
        if node.get(part) is None:
            if isinstance(nxt, int):
                raise InputError(f"case {case}: {path}", f"{part} is not a list in the base mission")
            node[part] = {}
        node = node[part]
    last = parts[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or last >= len(node):
            raise InputError(f"case {case}: {path}", f"index [{last}] is not in the base mission's list")
        node[last] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise InputError(f"case {case}: {path}", f"{last!r} is inside a value that is not a mapping")


def _plain(v):
    """A YAML value as plain, hashable, Parquet-friendly data (dates as ISO UTC text)."""
    if isinstance(v, _dt.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(_dt.UTC).replace(tzinfo=None)
        return v.isoformat() + "Z"
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    return v


@dataclass(frozen=True)
class Dimension:
    """One varied key path: its values (a list, or a range ``from``..``to`` with ``step``)."""

    path: str
    parts: tuple
    values: tuple | None  # the list, or the range's grid; None: a continuous range
    lo: float | None = None
    hi: float | None = None
    integer: bool = False

    def pick(self, u: float):
        """The value at ``u`` in [0, 1): grid/list element ``floor(u·n)``, or ``lo + u·(hi − lo)``."""
        if self.values is not None:
            return self.values[min(int(math.floor(u * len(self.values))), len(self.values) - 1)]
        return float(round(self.lo + u * (self.hi - self.lo), RANGE_DECIMALS))


def _number(v, field_name):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise InputError(field_name, f"{short(v)} must be a finite number")
    return v


def _dimension(path: str, spec, field_name: str) -> Dimension:
    parts = tuple(parse_key_path(path, field_name))
    if isinstance(spec, list):
        if not spec:
            raise InputError(field_name, "is an empty list; give at least one value")
        return Dimension(path, parts, tuple(_plain(x) for x in spec))
    if isinstance(spec, dict):
        unknown = sorted(set(map(str, spec)) - {"from", "to", "step"})
        if unknown:
            raise InputError(f"{field_name}.{unknown[0]}", "unknown key; allowed keys: from, to, step (or give a list)")
        for k in ("from", "to"):
            if k not in spec:
                raise InputError(f"{field_name}.{k}", "is required")
        lo, hi = _number(spec["from"], f"{field_name}.from"), _number(spec["to"], f"{field_name}.to")
        if hi < lo:
            raise InputError(f"{field_name}.to", f"{hi:g} must be >= from ({lo:g})")
        if "step" not in spec:
            return Dimension(path, parts, None, float(lo), float(hi))
        step = _number(spec["step"], f"{field_name}.step")
        if not step > 0:
            raise InputError(f"{field_name}.step", f"{step:g} must be > 0")
        q = (hi - lo) / step
        n = int(math.floor(q + RANGE_END_RTOL * max(1.0, abs(q)))) + 1
        if n > MAX_CASES:
            raise InputError(f"{field_name}.step", f"gives {n:,} values, more than the limit of {MAX_CASES:,}")
        integer = all(isinstance(x, int) for x in (spec["from"], spec["to"], spec["step"]))
        vals = [lo + k * step for k in range(n)]
        vals = tuple(int(v) for v in vals) if integer else tuple(float(round(v, RANGE_DECIMALS)) for v in vals)
        return Dimension(path, parts, vals, float(lo), float(hi), integer)
    raise InputError(field_name, f"{short(spec)} must be a list of values or {{from, to, step}}")


@dataclass(frozen=True)
class Sample:
    method: str = "grid"
    n: int = 0
    seed: int = 0


def _sample(raw) -> Sample:
    if raw is None or raw == "grid":
        return Sample()
    if isinstance(raw, str):
        raise InputError("sample", f"{short(raw)} must be grid or {{method: sobol | lhs | random, n, seed}}")
    if not isinstance(raw, dict):
        raise InputError("sample", f"{short(raw)} must be grid or a mapping {{method, n, seed}}")
    unknown = sorted(set(map(str, raw)) - {"method", "n", "seed"})
    if unknown:
        raise InputError(f"sample.{unknown[0]}", "unknown key; allowed keys: method, n, seed")
    method = str(raw.get("method", "grid")).lower()
    if method not in SAMPLE_METHODS:
        raise InputError("sample.method", f"{short(raw.get('method'))} must be one of {', '.join(SAMPLE_METHODS)}")
    if method == "grid":
        return Sample()
    n, seed = raw.get("n"), raw.get("seed", 0)
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_CASES:
        raise InputError("sample.n", f"{short(n)} must be a whole number of cases, 1 … {MAX_CASES:,}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError("sample.seed", f"{short(seed)} must be a whole number >= 0")
    return Sample(method, n, seed)


def _unit_points(method: str, n: int, d: int, seed: int) -> np.ndarray:
    """``(n, d)`` points in [0, 1)^d: scrambled Sobol', Latin hypercube or uniform random."""
    if method == "random":
        return np.random.default_rng(seed).random((n, d))
    from scipy.stats import qmc

    cls = qmc.Sobol if method == "sobol" else qmc.LatinHypercube
    try:
        engine = cls(d, rng=np.random.default_rng(seed))
    except TypeError:  # scipy < 1.15 names it seed
        engine = cls(d, seed=np.random.default_rng(seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Sobol' balance warning when n is not a power of 2
        return engine.random(n)


@dataclass(frozen=True)
class Case:
    """One resolved case: its index, the varied values (path → value), the mission dict and
    its key (sha256 of the resolved mission, the stages, the metrics and the version)."""

    index: int
    values: dict
    mission: dict = field(repr=False)
    key: str = ""


def _case_key(mission: dict, stages, metrics, settings: dict) -> str:
    from .. import __version__

    text = json.dumps(
        {"mission": mission, "stages": list(stages), "metrics": list(metrics), "settings": settings, "v": __version__},
        sort_keys=True,
        default=str,
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class SweepSpec:
    """A read sweep file (plain data; the cases come from :meth:`cases`)."""

    path: str
    base_path: str
    base_dir: str
    base: dict = field(repr=False)
    dimensions: tuple = ()
    fixed: tuple = ()  # (path, parts, value) put into every case before the varied values
    sample: Sample = Sample()
    stages: tuple = ("propagate", "windows")
    metrics: tuple = ()
    visible_threshold: float = DEFAULT_VISIBLE_THRESHOLD
    chunk_size: int | None = None
    #: The sweep report's choices: ``pareto`` (two metric names or None: automatic), ``best``
    #: (a metric name or None) and ``top`` (best cases listed).
    report: dict = field(default_factory=lambda: {"pareto": None, "best": None, "top": DEFAULT_REPORT_TOP})
    sky_depth: dict = field(default_factory=lambda: dict(DEFAULT_SKY_DEPTH))

    @property
    def settings(self) -> dict:
        out = {"visible_threshold": self.visible_threshold}
        if "sky_fraction_at_depth" in self.metrics:  # only then part of the case key
            out["sky_depth"] = dict(self.sky_depth)
        return out

    def n_cases(self) -> int:
        if self.sample.method != "grid":
            return self.sample.n
        return math.prod(len(d.values) for d in self.dimensions) if self.dimensions else 1

    def case_values(self) -> list[dict]:
        """The varied values of every case, in case order (grid: the first key varies slowest)."""
        dims = self.dimensions
        if self.sample.method == "grid":
            return [dict(zip((d.path for d in dims), combo)) for combo in itertools.product(*(d.values for d in dims))]
        u = _unit_points(self.sample.method, self.sample.n, len(dims), self.sample.seed) if dims else None
        return [{d.path: d.pick(float(u[k, j])) for j, d in enumerate(dims)} for k in range(self.sample.n)]

    def resolve(self, index: int, values: dict) -> dict:
        """The mission dict of one case: a copy of the base with ``values`` at their paths."""
        raw = copy.deepcopy(self.base)
        for p, parts, value in self.fixed:
            set_key_path(raw, list(parts), copy.deepcopy(value), p, index)
        for d in self.dimensions:
            set_key_path(raw, list(d.parts), copy.deepcopy(values[d.path]), d.path, index)
        return raw

    def cases(self, validate: bool = True) -> list[Case]:
        """Every case resolved (and, by default, validated through the mission reader)."""
        from .metrics import check_metrics

        out = []
        for k, values in enumerate(self.case_values()):
            raw = self.resolve(k, values)
            if validate:
                mission = validate_case(raw, self.base_dir, k, values)
                check_metrics(self.metrics, self.stages, mission, k)
            out.append(Case(k, values, raw, _case_key(raw, self.stages, self.metrics, self.settings)))
        return out


def _describe(values: dict) -> str:
    return ", ".join(f"{p}={short(v)}" for p, v in values.items())


def validate_case(raw: dict, base_dir: str, index: int, values: dict):
    """The validated :class:`~lunarscope.mission.core.Mission` of one case, or an InputError
    ``case N: <mission key>: <problem> (case: path=value, ...)``. Warnings of the reader are
    given once per distinct message (not once per case)."""
    from ..mission.core import check_mission, mission_from_dict

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")  # each distinct warning once
            warnings.simplefilter("ignore", ResourceWarning)
            mission = mission_from_dict(raw, base_dir, f"<sweep case {index}>")
            check_mission(mission)
    except InputError as exc:
        raise InputError(f"case {index}: {exc.field}", f"{exc.problem} (case: {_describe(values)})") from None
    for w in caught:
        if issubclass(w.category, UserWarning):  # the reader's warnings, not interpreter noise
            _warn_once(str(w.message))
    return mission


_WARNED: set = set()


def _warn_once(message: str) -> None:
    if message not in _WARNED:
        _WARNED.add(message)
        warnings.warn(f"sweep: {message}", stacklevel=4)


def _string_list(raw, key: str, options=None) -> tuple:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise InputError(key, f"{short(raw)} must be a list of names")
    out = []
    for k, x in enumerate(raw):
        if not isinstance(x, str):
            raise InputError(f"{key}[{k}]", f"{short(x)} must be a name")
        if options is not None and x not in options:
            import difflib

            near = difflib.get_close_matches(x, list(options), n=1, cutoff=0.6)
            hint = f"did you mean {near[0]!r}? " if near else ""
            raise InputError(f"{key}[{k}]", f"unknown {key[:-1]} {short(x)}; {hint}use any of {', '.join(options)}")
        out.append(x)
    return tuple(out)


def sweep_from_dict(raw, base_dir: str = ".", path: str = "<sweep>") -> SweepSpec:
    """A :class:`SweepSpec` from the parsed sweep file (``base`` relative to ``base_dir``)."""
    from ..mission.reader import load_yaml_file
    from .metrics import METRICS, default_metrics

    if not isinstance(raw, dict):
        raise InputError("sweep", f"{short(path)} must be a mapping of keys (base:, vary:, ...)")
    unknown = sorted(set(map(str, raw)) - SWEEP_KEYS)
    if unknown:
        import difflib

        near = difflib.get_close_matches(unknown[0], sorted(SWEEP_KEYS), n=1, cutoff=0.75)
        hint = f"did you mean {near[0]!r}? " if near else ""
        raise InputError(unknown[0], f"unknown key; {hint}allowed keys: {', '.join(sorted(SWEEP_KEYS))}")
    if raw.get("base") is None:
        raise InputError("base", "is required: the mission file the cases vary")
    if isinstance(raw["base"], dict):
        base, base_path, mission_dir = _plain(raw["base"]), path, base_dir
    elif isinstance(raw["base"], str):
        base_path = os.path.join(base_dir, os.path.expanduser(raw["base"]))
        if not os.path.exists(base_path):
            raise InputError("base", f"{short(base_path)} does not exist")
        base = load_yaml_file(base_path, "base")
        if not isinstance(base, dict):
            raise InputError("base", f"{short(base_path)} is not a mission file (a mapping of keys)")
        base = _plain(base)
        mission_dir = os.path.dirname(os.path.abspath(base_path))
    else:
        raise InputError("base", f"{short(raw['base'])} must be a mission file path or a mission mapping")
    vary = raw.get("vary") or {}
    if not isinstance(vary, dict):
        raise InputError("vary", "must be a mapping of mission key paths to values")
    dims = tuple(_dimension(str(p), spec, f"vary.{p}") for p, spec in vary.items())
    fixed_raw = raw.get("set") or {}
    if not isinstance(fixed_raw, dict):
        raise InputError("set", "must be a mapping of mission key paths to values")
    fixed = tuple((str(p), tuple(parse_key_path(str(p), f"set.{p}")), _plain(v)) for p, v in fixed_raw.items())
    both = sorted({p for p, _, _ in fixed} & {d.path for d in dims})
    if both:
        raise InputError(f"set.{both[0]}", "is also in vary; give it in one of them")
    sample = _sample(raw.get("sample"))
    if sample.method == "grid":
        for d in dims:
            if d.values is None:
                raise InputError(f"vary.{d.path}.step", "is required with sample: grid (or give a list)")
    stages = _string_list(raw.get("stages", ["propagate", "windows"]), "stages", STAGES)
    if stages != STAGES[: len(stages)]:
        raise InputError("stages", f"{list(stages)} must be the first stages in order: {', '.join(STAGES)}")
    metrics = _string_list(raw["metrics"], "metrics", tuple(METRICS)) if "metrics" in raw else default_metrics(stages)
    threshold = raw.get("visible_threshold", DEFAULT_VISIBLE_THRESHOLD)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
        raise InputError("visible_threshold", f"{short(threshold)} must be a fraction 0 … 1")
    chunk = raw.get("chunk_size")
    if chunk is not None and (isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1):
        raise InputError("chunk_size", f"{short(chunk)} must be a whole number >= 1 (or leave it out: automatic)")
    spec = SweepSpec(
        str(path),
        base_path,
        mission_dir,
        base,
        dims,
        fixed,
        sample,
        stages,
        metrics,
        float(threshold),
        chunk,
        _report_settings(raw.get("report"), metrics),
        _sky_depth(raw.get("sky_depth")),
    )
    n = spec.n_cases()
    if n > MAX_CASES:
        raise InputError("vary", f"gives {n:,} cases, more than the limit of {MAX_CASES:,}")
    from .metrics import check_metric_stages

    check_metric_stages(metrics, stages)
    return spec


def _sky_depth(raw) -> dict:
    """The ``sky_depth`` mapping (``mag_ab``, ``snr``, ``band``) of ``sky_fraction_at_depth``."""
    out = dict(DEFAULT_SKY_DEPTH)
    if raw is None:
        return out
    if not isinstance(raw, dict):
        raise InputError("sky_depth", f"{short(raw)} must be a mapping {{mag_ab, snr, band}}")
    for k, v in raw.items():
        if k not in out:
            raise InputError(f"sky_depth.{k}", "unknown key; sky_depth takes mag_ab, snr and band")
        if k == "band":
            if not isinstance(v, str) or not v:
                raise InputError("sky_depth.band", f"{short(v)} must be a band name of the mission's instrument")
        elif isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or (k == "snr" and v <= 0):
            raise InputError(f"sky_depth.{k}", f"{short(v)} must be a finite number" + (" > 0" if k == "snr" else ""))
        out[k] = v if k == "band" else float(v)
    return out


def _report_settings(raw, metrics) -> dict:
    """``report: {pareto: [m1, m2], best: m, top: N}``: names among the sweep's metrics."""
    from .metrics import METRICS

    out = {"pareto": None, "best": None, "top": DEFAULT_REPORT_TOP}
    if raw is None:
        return out
    if not isinstance(raw, dict):
        raise InputError("report", "must be a mapping {pareto: [metric, metric], best: metric, top: N}")
    unknown = sorted(set(map(str, raw)) - {"pareto", "best", "top"})
    if unknown:
        raise InputError(f"report.{unknown[0]}", "unknown key; allowed keys: best, pareto, top")

    def ranked(name, key):
        if name not in metrics:
            raise InputError(key, f"{short(name)} must be one of the sweep's metrics: {', '.join(metrics)}")
        if METRICS[name].better is None:
            raise InputError(key, f"{name} has no better direction (neither larger nor smaller is better)")
        return name

    if raw.get("pareto") is not None:
        pair = raw["pareto"]
        if not isinstance(pair, list) or len(pair) != 2 or pair[0] == pair[1]:
            raise InputError("report.pareto", f"{short(pair)} must be a list of two different metrics")
        out["pareto"] = tuple(ranked(m, f"report.pareto[{k}]") for k, m in enumerate(pair))
    if raw.get("best") is not None:
        out["best"] = ranked(raw["best"], "report.best")
    top = raw.get("top", DEFAULT_REPORT_TOP)
    if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= 1000:
        raise InputError("report.top", f"{short(top)} must be a whole number 1 … 1000")
    out["top"] = top
    return out


def load_sweep(path: str) -> SweepSpec:
    """Read a sweep file (YAML; the same size and safety limits as a mission file)."""
    from ..mission.reader import load_yaml_file

    if not os.path.exists(path):
        raise InputError("sweep", f"{short(str(path))} does not exist")
    raw = load_yaml_file(path, "sweep")
    return sweep_from_dict(raw, os.path.dirname(os.path.abspath(path)), str(path))
