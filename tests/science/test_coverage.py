"""Sky coverage (lunarscope.science.coverage): hours per HEALPix pixel against a brute-force
per-direction computation, the FITS product, the reachable fraction and input errors.

The brute force evaluates every constraint for each direction on a fine time grid with plain
vector geometry (trajectory positions, DE440 Sun and Earth straight from the ephemeris,
separations by arccos of dot products; none of the windows machinery): observable hours are
(visible samples) × step. The sweep's hours must agree within one grid step per window.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
import yaml

from lunarscope.constants import EARTH_RADIUS_KM, MOON_RADIUS_KM, SUN_RADIUS_KM
from lunarscope.errors import InputError
from lunarscope.science.coverage import SkyCoverage, pixel_directions, sky_coverage

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUICK_LOOK = os.path.join(REPO, "examples", "quick-look.yaml")
#: Brute-force time step, s (also the sweep's min_window_s, so neither misses a window > step).
BRUTE_STEP_S = 10.0
#: Directions checked (random HEALPix pixels of the nside below, fixed seed).
N_DIRECTIONS = 300
NSIDE = 16
SEED = 20301


def _mission(duration="12 h"):
    from lunarscope.mission import mission_from_dict

    with open(QUICK_LOOK, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    raw["duration"] = duration
    # a 100 km polar orbit: occultation, Earth-limb and umbra transitions every orbit
    raw["orbit"]["elements"] = {
        "a_km": 1837.4,
        "e": 0.0,
        "i_deg": 90.0,
        "raan_deg": 0.0,
        "argp_deg": 0.0,
        "ta_deg": 0.0,
    }
    raw["force_model"]["gravity"] = {"model": "GRGM1200A", "degree": 8, "order": 8}
    raw["constraints"]["min_window_s"] = BRUTE_STEP_S
    return mission_from_dict(raw, base=os.path.dirname(QUICK_LOOK), path=QUICK_LOOK)


@pytest.fixture(scope="module")
def setup():
    from lunarscope.mission.run import propagate_mission
    from lunarscope.mission.stages import window_job

    mission = _mission()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traj = propagate_mission(mission).trajectory
    return mission, traj, window_job(mission)


def _sep(u, v):
    """Angle (rad) between unit vectors u (M,3) and rows of v (N,3): (M, N)."""
    return np.arccos(np.clip(u @ v.T, -1.0, 1.0))


def _unit(x):
    return x / np.linalg.norm(x, axis=1)[:, None]


def _brute_force(job, traj, u, eclipse_only=False):
    """(hours (M,), windows (M,)) from the mid-points of N equal cells of at most BRUTE_STEP_S
    (every constraint directly); each window boundary is then within half a cell."""
    n = int(np.ceil((job.t_stop - job.t_start) / BRUTE_STEP_S))
    step = (job.t_stop - job.t_start) / n
    t = job.t_start + (np.arange(n) + 0.5) * step
    eph = job.sources.ephemeris
    r = traj.position(t)
    sun = eph.position("sun", "moon", t) - r
    earth = eph.position("earth", "moon", t) - r
    d_m, d_e, d_s = (np.linalg.norm(x, axis=1) for x in (r, earth, sun))
    rho_m = np.arcsin(MOON_RADIUS_KM / d_m)
    rho_e = np.arcsin((EARTH_RADIUS_KM + job.earth_atmosphere_km) / d_e)
    sep_m, sep_e, sep_s = _sep(u, _unit(-r)), _sep(u, _unit(earth)), _sep(u, _unit(sun))
    ok = (sep_m >= rho_m) & (sep_e >= rho_e)
    ok &= sep_m >= rho_m + np.radians(job.moon_limb_deg)
    ok &= sep_e >= rho_e + np.radians(job.earth_limb_deg)
    ok &= sep_s >= np.radians(job.sun_exclusion_deg)
    if eclipse_only:  # umbra of the Moon or the Earth (solid Earth): (b - a) - c >= 0
        a = np.arcsin(SUN_RADIUS_KM / d_s)
        s_hat = _unit(sun)
        um = (rho_m - a) - np.arccos(np.clip(np.sum(s_hat * _unit(-r), axis=1), -1, 1)) >= 0
        ue = (np.arcsin(EARTH_RADIUS_KM / d_e) - a) - np.arccos(np.clip(np.sum(s_hat * _unit(earth), axis=1), -1, 1))
        ok &= um | (ue >= 0)
    starts = np.count_nonzero(np.diff(ok.astype(np.int8), axis=1) == 1, axis=1) + ok[:, 0]
    return ok.sum(axis=1) * step / 3600.0, starts


@pytest.mark.parametrize("eclipse_only", [False, True])
def test_hours_match_brute_force_within_one_step_per_window(setup, eclipse_only):
    _, traj, job = setup
    cov = sky_coverage(job, traj, NSIDE, eclipse_only=eclipse_only, min_window_s=BRUTE_STEP_S)
    assert isinstance(cov, SkyCoverage) and cov.hours.shape == (12 * NSIDE**2,)
    rng = np.random.default_rng(SEED)
    pix = rng.choice(cov.npix, N_DIRECTIONS, replace=False)
    # pixel centres by a second route (lon/lat), not the vectors the sweep used
    import astropy.units as un
    from astropy_healpix import healpix_to_lonlat

    lon, lat = healpix_to_lonlat(pix, NSIDE, order="ring")
    lon, lat = lon.to_value(un.rad), lat.to_value(un.rad)
    u = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=1)
    hours, n_bf = _brute_force(job, traj, u, eclipse_only)
    err_s = np.abs(cov.hours[pix] - hours) * 3600.0
    allowed_s = BRUTE_STEP_S * np.maximum(np.maximum(n_bf, cov.windows[pix]), 1)
    worst = float(np.max(err_s / allowed_s))
    assert worst <= 1.0, f"worst pixel off by {worst:.2f} steps per window"
    # the map is not trivial: some pixels always, some never, most in between
    assert 0 < np.count_nonzero(hours) < N_DIRECTIONS or eclipse_only
    assert np.all(cov.longest_hours <= cov.hours + 1e-12)
    assert np.all(cov.hours <= cov.span_hours + 1e-9)
    assert np.array_equal(cov.windows[pix] > 0, cov.hours[pix] > 0)
    if eclipse_only:
        assert np.max(cov.hours) < 0.5 * cov.span_hours  # umbra is < half of each orbit
        assert np.count_nonzero(hours) > 0


def test_reachable_fraction(setup):
    _, traj, job = setup
    cov = sky_coverage(job, traj, 4)
    assert cov.reachable_fraction(0.0) == 1.0
    assert cov.reachable_fraction(cov.span_hours * 2) == 0.0
    f = cov.reachable_fraction([0.5, 2.0, 6.0])
    assert f.shape == (3,) and np.all(np.diff(f) <= 0)
    assert cov.reachable_fraction(2.0) == pytest.approx(np.mean(cov.hours >= 2.0))
    assert cov.reachable_fraction(1.0, continuous=True) <= cov.reachable_fraction(1.0)
    # the pixel of a direction
    ra, dec = 10.0, -20.0
    from astropy_healpix import healpy as ahp

    assert cov.hours_at(ra, dec) == cov.hours[ahp.ang2pix(4, ra, dec, lonlat=True)]


@pytest.mark.parametrize("nside", [0, 3, 2048, 8.0, True])
def test_bad_nside_names_the_option(nside):
    with pytest.raises(InputError, match="nside"):
        pixel_directions(nside)


def test_pixel_directions_are_the_healpix_ring_centres():
    from astropy_healpix import healpy as ahp

    u = pixel_directions(8)
    assert u.shape == (768, 3)
    np.testing.assert_allclose(np.linalg.norm(u, axis=1), 1.0, atol=1e-15)
    assert np.array_equal(ahp.vec2pix(8, *u.T), np.arange(768))


def test_coverage_fits_is_a_standard_healpix_map(tmp_path):
    from astropy.io import fits

    from lunarscope.io.healpix import read_coverage_fits, write_coverage_fits
    from lunarscope.products import PlanCoverage

    rng = np.random.default_rng(1)
    hours = rng.uniform(0, 100, 12 * 8**2)
    pc = PlanCoverage(
        nside=8,
        ordering="RING",
        span_hours=100.0,
        hours=hours,
        longest_hours=hours / 3,
        constraints={"sun_exclusion_deg": 45.0, "earth_limb_deg": None, "eclipse_only": False},
    )
    path = str(tmp_path / "coverage.fits")
    write_coverage_fits(path, pc, start_utc="2030-01-01T00:00:00.000Z", stop_utc="2030-01-05T04:00:00.000Z")
    assert os.listdir(tmp_path) == ["coverage.fits"]  # no temp file left
    with fits.open(path) as hdul:
        h = hdul[1].header
        assert (h["PIXTYPE"], h["ORDERING"], h["NSIDE"], h["COORDSYS"], h["INDXSCHM"]) == (
            "HEALPIX",
            "RING",
            8,
            "C",
            "IMPLICIT",
        )
        assert (h["TTYPE1"], h["TUNIT1"], h["TTYPE2"], h["TUNIT2"]) == ("HOURS", "h", "LONGEST", "h")
        assert h["LASTPIX"] == 767 and h["SUNEXCL"] == 45.0 and "EARTHLMB" not in h
    back = read_coverage_fits(path)
    np.testing.assert_allclose(back.hours, hours, rtol=1e-7)  # float32
    np.testing.assert_allclose(back.longest_hours, hours / 3, rtol=1e-7)
    hp = pytest.importorskip("healpy")  # the reference reader, where installed
    m = hp.read_map(path, field=(0, 1))
    np.testing.assert_allclose(m[0], hours, rtol=1e-7)
