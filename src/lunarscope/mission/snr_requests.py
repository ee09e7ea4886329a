"""SNR requests: from ``snr``, ``mag_ab``, ``band`` (and ``spectrum``) to the scheduler's
exposure and efficiency, and back to the SNR a plan achieves.

For a request of SNR q on a source of AB magnitude m in band b, the background B(t) (e⁻/s per
pixel: zodiacal light, Moon and Earth stray light through the PST, ``science.background``) is
sampled along the span every ``SNR_BACKGROUND_STEP_S`` with the target's direction as the
pointing. The detector is read out every Δ = min(grid step, the single exposure that reaches q
at the darkest background) (sub-exposures each with its read noise; a documented model choice,
as UV detectors read often against cosmic rays) and the sub-exposures are co-added with
inverse-variance weights, so SNR² adds up. Each second at time t earns SNR² at the rate

    r(t) = SNR²(Δ, B(t)) / Δ     (CCD equation, ``science.etc.snr``),

T = q² / r_best is the exposure that reaches q at the lowest background met inside the target's
usable windows, and the request becomes an exposure request of ``exposure_s = T`` with the
efficiency w(t) = r(t) / r_best ∈ (0, 1] (``scheduling.efficiency``): the scheduler credits
min(1, Σ ∫w dt / T) = Σ SNR²_j / q², so it prefers the dark, low-stray-light stretches. The achieved SNR of a plan is recomputed with the
exact CCD equation: each visit read out every Δ from its start (each sub-exposure with its own
background and read noise) and all sub-exposures co-added with inverse-variance weights,
SNR = sqrt(Σ SNR_j²). It differs from the credit by the last, shorter sub-exposure of each
visit (a whole read noise for less signal) and by the background sampled at sub-exposure
midpoints instead of cells.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..errors import InputError
from .instrument import mission_instrument

#: Background sampling step for SNR requests (s): the Moon's stray light changes over a
#: ~2 h low orbit, so 300 s resolves it to a few per cent of an orbit.
SNR_BACKGROUND_STEP_S = 300.0
#: Longest exposure an SNR request may need at its darkest background (s): one year; more is
#: reported as out of reach.
MAX_SNR_EXPOSURE_S = 365.25 * 86400.0
#: Floor of the efficiency (dimensionless): a background so bright a second earns < 1e-9 of a
#: dark second is counted at this floor (keeps w > 0 for the scheduler's inverse).
MIN_EFFICIENCY = 1e-9


@dataclass(frozen=True)
class SnrModel:
    """What an SNR request needs to be scheduled and reported: the source (a synphot spectrum
    normalised to ``mag_ab`` in ``band``), the instrument, and the background grid (TDB s, e⁻/s
    per pixel) of its target."""

    snr: float | None  # None: an exposure request with a source (SNR reported only)
    band: str
    source: object
    instrument: object
    t_grid: np.ndarray  # (K+1,) breakpoints
    background: np.ndarray  # (K,) e⁻/s per pixel on [t_k, t_{k+1})
    read_s: float = SNR_BACKGROUND_STEP_S  # sub-exposure length: one read each (snr_request sets it)

    def background_at(self, t) -> np.ndarray:
        k = np.clip(np.searchsorted(self.t_grid, np.asarray(t, float), side="right") - 1, 0, len(self.background) - 1)
        return self.background[k]

    def snr_of(self, exposure_s, background) -> np.ndarray:
        from ..science.etc import snr

        return snr(self.instrument, self.band, self.source, exposure_s, background, warn_saturation=False)


def check_snr_requests(mission) -> None:
    """Check every request source's ``band`` and ``spectrum`` against the mission's instrument at
    load, so a typo is reported before any propagation."""
    from .operations import resolve_requests

    if mission.operations is None:
        return
    inst = None
    for r in resolve_requests(mission.operations, mission.observing):
        if r.mag_ab is not None:
            inst = inst or mission_instrument(mission)
            source_for(r, inst)


def source_for(spec, instrument):
    """The request's source: its ``spectrum`` shape normalised to ``mag_ab`` in its ``band``."""
    from ..science.spectra import normalized_ab, parse_spectrum

    field = spec.field
    if spec.band not in instrument.bands:
        known = ", ".join(sorted(instrument.bands))
        raise InputError(f"{field}.band", f"{spec.band!r} is not a band of the instrument; bands: {known}")
    shape = parse_spectrum(spec.spectrum, f"{field}.spectrum")
    return normalized_ab(shape, spec.mag_ab, instrument.band(spec.band))


def background_grid(mission, trajectory, direction, band: str, instrument, usable=None):
    """(t breakpoints (K+1,), background e⁻/s per pixel (K,)) along the span, pointing at
    ``direction``; only the cells that meet the (K, 2) TDB intervals ``usable`` are evaluated
    (the others, never observed, get the highest background found)."""
    from ..science.background import background_rate

    t0, t1 = mission.t_start, mission.t_stop
    k = max(1, int(np.ceil((t1 - t0) / SNR_BACKGROUND_STEP_S)))
    edges = np.linspace(t0, t1, k + 1)
    mid = 0.5 * (edges[:-1] + edges[1:])
    need = np.ones(k, bool) if usable is None else _cells_meeting(edges, usable)
    if not need.any():
        need[:] = True  # never usable: evaluate all, for the report
    sel = mid[need]
    pointing = np.broadcast_to(np.asarray(direction, float), (len(sel), 3))
    got = np.asarray(
        background_rate(mission.sources, sel, trajectory.position(sel), pointing, instrument, band)["total"]
    )
    bad = ~np.isfinite(got)  # the zodiacal table stops ~15 deg from the Sun: count such times as the brightest
    if bad.all():
        raise InputError(
            "constraints.sun_exclusion_deg", "the target is never farther from the Sun than the zodiacal model covers"
        )
    got[bad] = np.max(got[~bad])
    bg = np.full(k, np.max(got))
    bg[need] = got
    return edges, bg


def _cells_meeting(edges, intervals) -> np.ndarray:
    """Which cells [edges[k], edges[k+1]) overlap any of the (K, 2) ``intervals``."""
    inside = np.zeros(len(edges) - 1, bool)
    for a, b in np.asarray(intervals, float).reshape(-1, 2):
        inside |= (edges[1:] > a) & (edges[:-1] < b)
    return inside


def source_model(mission, spec, direction, trajectory, usable=None) -> SnrModel:
    """The ``SnrModel`` of a request with a source (``mag_ab``, ``band``) whose target points
    along ``direction``: source spectrum, instrument and the background grid over the span
    (evaluated where the target is ``usable``, ``background_grid``)."""
    if trajectory is None:
        raise InputError(
            f"{spec.field}.mag_ab", "a request with a source needs the trajectory (background along the orbit)"
        )
    inst = mission_instrument(mission)
    source = source_for(spec, inst)
    edges, bg = background_grid(mission, trajectory, direction, spec.band, inst, usable)
    return SnrModel(spec.snr, spec.band, source, inst, edges, bg)


def snr_request(model: SnrModel, spec, usable):
    """(exposure_s T, Efficiency, min_visit_s, the model with its read length) of SNR request
    ``spec`` (model from ``source_model``) whose target is usable in the (K, 2) TDB intervals
    ``usable``."""
    from ..scheduling.efficiency import Efficiency
    from .operations import SNR_DEFAULT_MIN_VISIT_S

    edges, bg = model.t_grid, model.background
    inside = _cells_meeting(edges, usable)
    best = float(np.min(bg[inside])) if np.any(inside) else float(np.min(bg))
    from ..science.etc import exposure_for_snr

    # one read per sub-exposure of L = min(grid step, the single exposure reaching q): a request
    # shorter than one cell is one exposure, exactly as the ETC gives it
    one = float(exposure_for_snr(model.instrument, model.band, model.source, spec.snr, best, warn_saturation=False))
    dt = min(float(edges[1] - edges[0]), one)
    model = replace(model, read_s=dt)
    r_best = float(model.snr_of(dt, best)) ** 2 / dt if dt > 0 else 0.0
    t_best = spec.snr**2 / r_best if r_best > 0 else np.inf
    if not t_best <= MAX_SNR_EXPOSURE_S:
        raise InputError(
            f"{spec.field}.snr",
            f"SNR {spec.snr:g} is out of reach for mag_ab {spec.mag_ab:g} in band {spec.band}: it needs "
            f"{t_best:.3g} s even at the darkest background (at most {MAX_SNR_EXPOSURE_S:g} s)",
        )
    rate = model.snr_of(dt, bg) ** 2 / dt
    w = np.clip(rate / r_best, MIN_EFFICIENCY, 1.0)
    min_visit = spec.min_visit_s if spec.min_visit_s is not None else min(t_best, SNR_DEFAULT_MIN_VISIT_S)
    return t_best, Efficiency(edges, w), min_visit, model


def achieved_snr(model: SnrModel, visits) -> float:
    """SNR of the visits ``[(start, stop), ...]``: each visit is read out every ``model.read_s``
    from its start (sub-exposures with their own background, at their midpoint, and read
    noise; the last one shorter), and all sub-exposures are co-added with inverse-variance
    weights: sqrt(Σ SNR_j²). This is the exposure model the scheduler's credit assumes."""
    if not visits:
        return 0.0
    dt = model.read_s
    pieces = []
    for a, b in np.asarray(visits, float).reshape(-1, 2):
        cuts = np.append(np.arange(a, b, dt), b)
        pieces.append(np.column_stack([cuts[:-1], cuts[1:]]))
    v = np.vstack(pieces)
    bg = model.background_at(0.5 * (v[:, 0] + v[:, 1]))
    return float(np.sqrt(np.sum(model.snr_of(v[:, 1] - v[:, 0], bg) ** 2)))
