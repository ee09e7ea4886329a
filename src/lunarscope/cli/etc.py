"""``lunarscope etc MISSION.yaml --mag-ab 18 --band NUV (--snr 50 | --exposure-s 600)
[--target NAME --at TIME] [--spectrum flat|solar|bb:5800|pl:-1|FILE] [--extended] [--n-reads N]``.

Prints the count rate of every term (source, each background, dark, read noise) and the SNR of
the exposure or the exposure for the SNR, with the mission's ``instrument:`` (the default
instrument without one). With ``--target``/``--at`` the backgrounds are those at the
spacecraft's place and time toward the target (``science.background.background_rate``);
without, a fixed dark sky: the zodiacal light at the ecliptic pole (DARK_SKY_RADIANCE_500NM).
"""

from __future__ import annotations

import math

#: Dark-sky default (no --target/--at): zodiacal light at the ecliptic pole, 77e-8 W m⁻² sr⁻¹ µm⁻¹
#: at 500 nm (Leinert et al. 1998, A&AS 127, 1, Table 17), with the solar spectral shape.
DARK_SKY_RADIANCE_500NM = 77e-8
#: Propagation past --at (s), so that the requested epoch is strictly inside the trajectory.
AT_MARGIN_S = 60.0
#: Largest SNR accepted (a typo guard: 1e6 needs 1e12 photons).
MAX_SNR = 1.0e6
#: Largest exposure accepted (s): one year.
MAX_EXPOSURE_S = 3.15576e7
#: AB magnitudes accepted.
MAG_AB_RANGE = (-30.0, 40.0)
#: Most reads of one exposure accepted.
MAX_READS = 1_000_000


def add_parser(sub) -> None:
    p = sub.add_parser(
        "etc",
        help="exposure-time calculator: count rates per term, SNR or exposure",
        description="Count rates (source, each background term, dark, read noise) and the SNR of "
        "an exposure, or the exposure for an SNR, for a source of given AB magnitude in a band of "
        "the mission's instrument (docs/science.md). Backgrounds at the spacecraft's place and "
        "time with --target and --at; otherwise the zodiacal light at the ecliptic pole.",
    )
    p.add_argument("mission", help="mission YAML file (its instrument: section; the default instrument without)")
    p.add_argument("--mag-ab", type=float, required=True, help="AB magnitude of the source in --band")
    p.add_argument("--band", required=True, help="band name of the instrument (e.g. NUV)")
    goal = p.add_mutually_exclusive_group(required=True)
    goal.add_argument("--snr", type=float, help="target signal-to-noise ratio: print the exposure")
    goal.add_argument("--exposure-s", type=float, help="exposure time, s: print the SNR")
    p.add_argument(
        "--spectrum",
        default="flat",
        help="flat (f_nu), solar, bb:T_K, pl:ALPHA (f_nu ~ nu^ALPHA) or a table file wavelength_A, flux (default flat)",
    )
    p.add_argument("--extended", action="store_true", help="the magnitude is per arcsec² (an extended source)")
    p.add_argument(
        "--n-reads", type=int, default=1, help="reads of the exposure (read noise counted per read; default 1)"
    )
    p.add_argument("--target", default=None, help="target name of the mission (backgrounds toward it; needs --at)")
    p.add_argument("--at", default=None, help="UTC time inside the mission span (needs --target)")
    p.set_defaults(run=run)


def _check_args(args) -> None:
    from ..errors import InputError

    lo, hi = MAG_AB_RANGE
    if not (math.isfinite(args.mag_ab) and lo <= args.mag_ab <= hi):
        raise InputError("--mag-ab", f"{args.mag_ab} must be a finite AB magnitude in {lo:g}..{hi:g}")
    if args.snr is not None and not (math.isfinite(args.snr) and 0 < args.snr <= MAX_SNR):
        raise InputError("--snr", f"{args.snr} must be a number > 0 and <= {MAX_SNR:g}")
    if args.exposure_s is not None and not (math.isfinite(args.exposure_s) and 0 < args.exposure_s <= MAX_EXPOSURE_S):
        raise InputError("--exposure-s", f"{args.exposure_s} must be a number of seconds > 0 and <= {MAX_EXPOSURE_S:g}")
    if not 1 <= args.n_reads <= MAX_READS:
        raise InputError("--n-reads", f"{args.n_reads} must be a whole number in 1..{MAX_READS:,}")
    if (args.target is None) != (args.at is None):
        raise InputError("--target" if args.target is None else "--at", "give --target and --at together")


def _background_at(mission, instrument, band, target_name: str, at_text: str):
    """Background e⁻/s/pixel per term toward ``target_name`` at ``at_text``, and a description."""
    from dataclasses import replace

    import numpy as np

    from ..dynamics.propagator import run_propagation
    from ..errors import InputError
    from ..mission.stages import propagation_job
    from ..time import mission_time, to_iso_utc

    obs = mission.observing
    targets = getattr(obs, "targets", ()) or ()
    names = [t.name for t in targets]
    if target_name not in names:
        raise InputError(
            "--target", f"{target_name!r} is not a target of the mission; targets: {', '.join(names) or 'none'}"
        )
    target = targets[names.index(target_name)]
    t = mission_time(at_text, "--at")
    if not mission.t_start <= t <= mission.t_stop:
        a, b = to_iso_utc([mission.t_start, mission.t_stop], 0)
        raise InputError("--at", f"{at_text} must lie inside the mission span {a} .. {b}")
    try:
        from ..science.background import background_rate
    except ImportError:
        background_rate = None
    if background_rate is None:
        import warnings

        warnings.warn(
            "science.background is not available: using the dark-sky default (zodiacal light at the ecliptic pole)",
            stacklevel=2,
        )
        return None
    job = propagation_job(mission)
    stop = min(mission.t_stop, t + AT_MARGIN_S)  # > t_start: the span is not empty
    job = replace(job, t_stop=stop, maneuvers=tuple(m for m in job.maneuvers if m.t <= stop))
    traj = run_propagation(job).trajectory
    r = np.asarray(traj.position(np.array([t])), float).reshape(1, 3)
    pointing = np.asarray(target.unit_vector(t), float).reshape(1, 3)
    rates = background_rate(mission.sources, np.array([t]), r, pointing, instrument, band)
    out = {}
    for k, v in dict(rates).items():
        if k == "total":
            continue
        out[str(k)] = float(np.asarray(v, float).reshape(-1)[0])
    bad = [k for k, v in out.items() if not np.isfinite(v)]
    if bad:
        raise InputError(
            "--at",
            f"no {', '.join(bad)} background toward {target_name} at {at_text} "
            "(the pointing is too close to the Sun for the model); choose another time",
        )
    return out, f"toward {target_name} at {to_iso_utc([t], 0)[0]} (science.background.background_rate)"


def run(args) -> int:
    from ..errors import InputError
    from ..mission import load_mission
    from ..mission.instrument import mission_instrument
    from ..science import etc
    from ..science.spectra import normalized_ab, parse_spectrum

    _check_args(args)
    mission = load_mission(args.mission)
    inst = mission_instrument(mission)
    try:
        band = inst.band(args.band)
    except InputError as exc:
        raise InputError("--band", exc.problem) from None
    shape = parse_spectrum(args.spectrum, "--spectrum")
    source = normalized_ab(shape, args.mag_ab, band)
    terms = None
    if args.target is not None:
        got = _background_at(mission, inst, band, args.target, args.at)
        if got is not None:
            terms, where = got
    if terms is None:
        terms = {"zodiacal (ecliptic pole)": float(etc.surface_brightness_rate(inst, band, DARK_SKY_RADIANCE_500NM))}
        where = f"dark-sky default: zodiacal light at the ecliptic pole, {DARK_SKY_RADIANCE_500NM:.3g} W m⁻² sr⁻¹ µm⁻¹ at 500 nm (Leinert et al. 1998), solar shape"
    s = etc.point_source_rate(inst, band, source, extended=args.extended)
    sky = sum(terms.values())
    kw = dict(n_reads=args.n_reads, extended=args.extended)
    if args.snr is not None:
        t = float(etc.exposure_for_snr(inst, band, s, args.snr, sky, **kw))
        q = args.snr
    else:
        t = float(args.exposure_s)
        q = float(etc.snr(inst, band, s, t, sky, **kw))
    npix = inst.npix
    lines = [
        f"instrument: {inst.name}: D {inst.aperture_m:g} m, obscuration {inst.obscuration:g}, area {inst.area_m2:.4g} m², "
        f"{inst.pixel_scale_arcsec:g}\"/pixel, FWHM {inst.psf_fwhm_arcsec:g}\"",
        f"band {band.name}: {band.description or 'table'}; pivot {band.pivot_A:.0f} Å",
        f"source: AB {args.mag_ab:g}{' per arcsec²' if args.extended else ''} in {band.name}, spectrum {args.spectrum}",
        f"aperture: radius {inst.aperture_radius_arcsec:.3g}\" ({inst.aperture_radius_fwhm:g} FWHM), "
        f"{npix:.2f} pixels, encircled energy {1.0 if args.extended else inst.ee_fraction:.4f}",
        f"background: {where}",
        "",
        f"{'term':<28} {'e-/s/pixel':>12} {'e-/s in aperture':>17}",
        f"{'source':<28} {'':>12} {s:>17.5g}",
    ]
    for name, v in terms.items():
        lines.append(f"{name:<28} {v:>12.5g} {v * npix:>17.5g}")
    lines.append(f"{'dark':<28} {inst.dark_e_s:>12.5g} {inst.dark_e_s * npix:>17.5g}")
    lines.append(f"{'read noise (e- rms per read)':<28} {inst.read_noise_e:>12.5g} {'':>17}")
    lines.append("")
    if math.isinf(t):
        lines.append(f"SNR {q:g} cannot be reached: no signal from the source in {band.name}")
    elif args.snr is not None:
        lines.append(f"exposure for SNR {q:g}: {t:.6g} s ({args.n_reads} read{'s' if args.n_reads > 1 else ''})")
    else:
        lines.append(f"SNR after {t:g} s: {q:.5g} ({args.n_reads} read{'s' if args.n_reads > 1 else ''})")
    print("\n".join(lines))
    return 0
