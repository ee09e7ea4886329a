"""Time scales: parsing, UTC/TAI/TT/TDB, ISO output, grids, against astropy (ERFA)."""

import datetime as dt

import numpy as np
import pytest
from astropy.time import Time

from lunarscope import time as lt
from lunarscope.errors import InputError

ONE_MICROSECOND = 1e-6
ONE_NANOSECOND = 1e-9


def _astropy_tdb_minus_utc(t):
    j1, j2 = lt._split(t)
    at = Time(j1, j2, format="jd", scale="tdb")
    u = at.utc
    return ((at.jd1 - u.jd1) + (at.jd2 - u.jd2)) * 86400.0


@pytest.mark.parametrize("n", [1500, 20000])  # direct series and node-interpolated paths
def test_tdb_minus_utc_matches_astropy_1972_2049(n):
    rng = np.random.default_rng(n)
    t = rng.uniform(lt.to_tdb("1972-01-01T00:00:00Z"), lt.to_tdb("2049-12-31T23:59:59Z"), n)
    err = np.abs(lt.tdb_minus_utc_s(t) - _astropy_tdb_minus_utc(t))
    print(f"max |TDB-UTC - astropy| over {n} epochs 1972-2049: {err.max():.3e} s")
    assert err.max() <= ONE_MICROSECOND


def test_every_scale_round_trips_and_matches_astropy():
    t = np.array([-8.0e8, 0.0, 5.367e8, 9.46728e8, 1.5e9])
    for scale in ("TDB", "TT", "TAI", "UTC"):
        j1, j2 = lt.tdb_to_scale_jd(t, scale)
        back = lt.scale_jd_to_tdb(j1, j2, scale)
        assert np.abs(back - t).max() < ONE_NANOSECOND * 100
        ref = getattr(Time(*lt._split(t), format="jd", scale="tdb"), scale.lower())
        diff = ((j1 - ref.jd1) + (j2 - ref.jd2)) * 86400.0
        assert np.abs(diff).max() < ONE_MICROSECOND


def test_parse_forms_agree():
    ref = lt.to_tdb(Time("2030-01-01T00:00:00", scale="utc"))
    forms = [
        "2030-01-01T00:00:00Z",
        "2030-01-01 00:00:00",
        "2030-01-01",
        "2030-001T00:00:00",
        dt.datetime(2030, 1, 1),
        dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
        np.datetime64("2030-01-01T00:00:00"),
    ]
    for form in forms:
        assert lt.to_tdb(form) == pytest.approx(ref, abs=ONE_MICROSECOND), form
    arr = lt.to_tdb(["2030-01-01T00:00:00Z", "2030-01-01T00:01:00Z"])
    assert arr.shape == (2,) and arr[1] - arr[0] == pytest.approx(60.0, abs=ONE_MICROSECOND)
    assert np.allclose(
        lt.to_tdb(Time(["2030-01-01", "2030-01-02"], scale="utc")), lt.to_tdb(["2030-01-01", "2030-01-02"])
    )


def test_leap_second_is_a_real_second():
    a = lt.to_tdb("2016-12-31T23:59:59Z")
    b = lt.to_tdb("2016-12-31T23:59:60Z")
    c = lt.to_tdb("2017-01-01T00:00:00Z")
    assert b - a == pytest.approx(1.0, abs=ONE_MICROSECOND)
    assert c - b == pytest.approx(1.0, abs=ONE_MICROSECOND)
    assert lt.to_iso_utc(b)[0] == "2016-12-31T23:59:60.000Z"


def test_iso_output_round_trip_with_milliseconds():
    rng = np.random.default_rng(3)
    t = np.round(rng.uniform(-3e8, 1.5e9, 200))
    text = lt.to_iso_utc(t + 0.123)
    assert all(s.endswith("Z") and len(s) == 24 for s in text)
    assert np.abs(lt.to_tdb(text) - (t + 0.123)).max() < 1e-3


def test_grid_includes_both_ends():
    g = lt.time_grid("2030-01-01", "2030-01-01T00:00:10Z", 3.0)
    assert np.allclose(np.diff(g), [3, 3, 3, 1])


@pytest.mark.parametrize(
    "bad",
    ["2030-02-30", "2030-13-01", "yesterday", "2030-01-01T25:00:00", "2030-01-01T00:00:00+05:00", "2030-400T00:00:00"],
)
def test_malformed_times_name_the_field(bad):
    with pytest.raises(InputError, match="start"):
        lt.to_tdb(bad, "start")


def test_grid_errors():
    with pytest.raises(InputError, match="stop"):
        lt.time_grid("2030-01-02", "2030-01-01", 60)
    with pytest.raises(InputError, match="step"):
        lt.time_grid("2030-01-01", "2030-01-02", 0)


def test_durations():
    assert lt.parse_duration_s("30 d") == 30 * 86400
    assert lt.parse_duration_s("90 min") == 5400
    assert lt.parse_duration_s(45) == 45
    with pytest.raises(InputError, match="duration"):
        lt.parse_duration_s("3 fortnights")


def test_julian_epochs_are_tt():
    assert lt.to_tdb("J2000.0") == pytest.approx(lt.to_tdb(Time("J2000.0", format="jyear_str", scale="tt")), abs=1e-6)
    assert lt.to_tdb("J1991.25") == pytest.approx(lt.to_tdb(Time(1991.25, format="jyear", scale="tt")), abs=1e-6)


def test_grid_steps_are_clock_seconds():
    g = lt.time_grid("2030-01-01T00:00:00Z", "2030-12-31T00:00:00Z", 3600.0)
    labels = lt.to_iso_utc(g)
    assert all(s.endswith(":00:00.000Z") for s in labels)
    assert lt.add_si_seconds(lt.to_tdb("2030-01-01"), 30 * 86400.0) == pytest.approx(lt.to_tdb("2030-01-31"), abs=1e-6)


def test_grid_accepts_astropy_time_and_quantity():
    import astropy.units as u

    g = lt.time_grid(Time("2030-01-01T00:00:00", scale="utc"), Time("2030-01-02T00:00:00", scale="utc"), 1 * u.hour)
    ref = lt.time_grid("2030-01-01T00:00:00Z", "2030-01-02T00:00:00Z", 3600.0)
    assert np.array_equal(g, ref) and len(g) == 25
    assert np.array_equal(lt.time_grid("2030-01-01", "2030-01-02", 60 * u.min), ref)
    assert np.array_equal(lt.time_grid("2030-01-01", "2030-01-02", dt.timedelta(hours=1)), ref)
    with pytest.raises(InputError, match="step"):
        lt.time_grid("2030-01-01", "2030-01-02", 1 * u.m)


def test_grid_size_is_limited():
    with pytest.raises(InputError, match=f"more than the limit of {lt.MAX_GRID_SAMPLES:,}"):
        lt.time_grid("2030-01-01", "2030-01-02", 1e-6)


def test_julian_dates_need_their_scale():
    ref = Time(2462502.5, format="jd", scale="utc")
    assert lt.to_tdb("JD 2462502.5 UTC") == pytest.approx(lt.to_tdb(ref), abs=ONE_MICROSECOND)
    assert lt.to_tdb("MJD 62502.0 UTC") == pytest.approx(lt.to_tdb(ref), abs=ONE_MICROSECOND)
    assert lt.to_tdb("JD 2462502.5 TDB") == pytest.approx(
        lt.to_tdb(Time(2462502.5, format="jd", scale="tdb")), abs=ONE_MICROSECOND
    )
    assert lt.to_tdb("MJD 62502.25 TT") == pytest.approx(
        lt.to_tdb(Time(62502.25, format="mjd", scale="tt")), abs=ONE_MICROSECOND
    )
    assert lt.to_tdb("2000-01-01T12:00:00 TDB") == pytest.approx(0.0, abs=ONE_MICROSECOND)
    for bare in (2462502.5, 20290811, "2462502.5", "JD 2462502.5"):
        with pytest.raises(InputError, match="JD 2462502.5 TDB"):
            lt.mission_time(bare, "start")
    assert lt.mission_time(dt.date(2030, 1, 1), "start") == lt.to_tdb("2030-01-01T00:00:00Z")


def test_echoed_values_are_cut():
    with pytest.raises(InputError) as exc:
        lt.mission_time("x" * 10**6, "start")
    assert len(str(exc.value)) < 400
