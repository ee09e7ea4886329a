"""Tests of lunarscope.io.oem (CCSDS 502.0-B-3 OEM, KVN).

Independent reference for time scales: astropy.time (its own UTC/leap-second code;
TDB - TT from the same Fairhead & Bretagnon series at the geocentre).
"""

import os
from pathlib import Path

import numpy as np
import pytest
from astropy.time import Time

from lunarscope.errors import InputError
from lunarscope.io.oem import format_epoch, parse_epoch, read_oem, write_oem

DATA = Path(__file__).parent / "data"
HALF_MICROSECOND_S = 0.5e-6
TIME_CONVERSION_TOL_S = 1e-6  # lunarscope.time vs astropy; float64 seconds near 1e9 resolve ~0.1 µs
POSITION_PRINT_TOL_KM = 0.5e-9 + 1e-12  # half of the printed 1e-9 km plus float noise
VELOCITY_PRINT_TOL_KMS = 0.5e-12 + 1e-15
CREATION = "2026-11-26T12:00:00.000"


def astropy_tdb_seconds(text, scale):
    tdb = Time(text, scale=scale.lower(), precision=9).tdb
    return (tdb.jd1 - 2451545.0) * 86400.0 + tdb.jd2 * 86400.0


def _history(n=50, t0=8.5e8, step=60.0):
    rng = np.random.default_rng(7)
    t = t0 + step * np.arange(n) + rng.uniform(0.0, 1.0, n)
    x = np.column_stack([rng.uniform(-5000, 5000, (n, 3)), rng.uniform(-2, 2, (n, 3))])
    return t, x


# ------------------------------------------------------------------------ time helpers


@pytest.mark.parametrize(
    "text,scale",
    [
        ("2016-12-31T23:59:60.500000", "UTC"),
        ("2017-01-01T00:00:00.000000", "UTC"),
        ("2030-06-15T03:04:05.123456", "UTC"),
        ("2026-11-26T12:00:00.000001", "TAI"),
        ("2026-11-26T12:00:00.000001", "TT"),
        ("2000-01-01T12:00:00.000000", "TDB"),
    ],
)
def test_epoch_conversion_matches_astropy(text, scale):
    got = parse_epoch(text, scale)
    assert abs(got - astropy_tdb_seconds(text, scale)) < TIME_CONVERSION_TOL_S
    assert format_epoch(got, scale) == text
    if scale == "TDB" and text.startswith("2000-01-01T12"):
        assert got == 0.0


def test_day_of_year_epochs():
    assert parse_epoch("2024-366T23:59:00.5", "TT") == parse_epoch("2024-12-31T23:59:00.5", "TT")
    assert parse_epoch("2025-001T00:00:00", "UTC") == parse_epoch("2025-01-01T00:00:00", "UTC")
    with pytest.raises(InputError, match="bad epoch"):
        parse_epoch("2025-366T00:00:00", "UTC")  # 2025 has 365 days
    with pytest.raises(InputError, match="bad epoch"):
        parse_epoch("2025-02-30T00:00:00", "UTC")


# ------------------------------------------------------------------------------- write


@pytest.mark.parametrize("time_system", ["TDB", "UTC", "TT", "TAI"])
def test_round_trip(tmp_path, time_system):
    t, x = _history()
    path = tmp_path / "a.oem"
    write_oem(
        path,
        t,
        x,
        "LUNARSCOPE-1",
        "2026-999A",
        time_system=time_system,
        comments=["round trip test"],
        creation_date=CREATION,
    )
    (seg,) = read_oem(path)
    assert seg.metadata["TIME_SYSTEM"] == time_system
    assert np.max(np.abs(seg.times_tdb - t)) <= HALF_MICROSECOND_S + 1e-7
    assert np.max(np.abs(seg.states[:, :3] - x[:, :3])) <= POSITION_PRINT_TOL_KM
    assert np.max(np.abs(seg.states[:, 3:] - x[:, 3:])) <= VELOCITY_PRINT_TOL_KMS
    assert seg.accelerations is None
    assert seg.comments == ["round trip test"]
    assert seg.header["CCSDS_OEM_VERS"] == "3.0" and seg.header["CREATION_DATE"] == CREATION
    # writing what was read gives the same bytes (the printed values are a fixed point)
    path2 = tmp_path / "b.oem"
    write_oem(
        path2,
        seg.times_tdb,
        seg.states,
        "LUNARSCOPE-1",
        "2026-999A",
        time_system=time_system,
        comments=["round trip test"],
        creation_date=CREATION,
    )
    assert path.read_bytes() == path2.read_bytes()


def test_header_layout_and_reproducibility(tmp_path):
    t, x = _history(n=3)
    p1, p2 = tmp_path / "1.oem", tmp_path / "2.oem"
    for p in (p1, p2):
        write_oem(p, t, x, "SAT", "2026-999A", interpolation="LAGRANGE", interpolation_degree=9, creation_date=CREATION)
    assert p1.read_bytes() == p2.read_bytes()
    lines = p1.read_text().splitlines()
    assert lines[0] == "CCSDS_OEM_VERS = 3.0"
    keys = [ln.split(" = ")[0] for ln in lines if " = " in ln]
    assert keys == [
        "CCSDS_OEM_VERS",
        "CREATION_DATE",
        "ORIGINATOR",
        "OBJECT_NAME",
        "OBJECT_ID",
        "CENTER_NAME",
        "REF_FRAME",
        "TIME_SYSTEM",
        "START_TIME",
        "USEABLE_START_TIME",
        "USEABLE_STOP_TIME",
        "STOP_TIME",
        "INTERPOLATION",
        "INTERPOLATION_DEGREE",
    ]
    assert "CENTER_NAME = MOON" in lines and "REF_FRAME = ICRF" in lines
    assert "INTERPOLATION = LAGRANGE" in lines and "INTERPOLATION_DEGREE = 9" in lines
    data = lines[lines.index("META_STOP") + 2 :]
    assert len(data) == 3
    epoch, *vals = data[0].split()
    assert epoch == format_epoch(t[0], "TDB") and len(vals) == 6
    assert len(epoch) == len("2026-11-26T12:00:00.000000")
    assert all(len(v.split(".")[1]) == 9 for v in vals[:3])
    assert all(len(v.split(".")[1]) == 12 for v in vals[3:])
    # no temporary files left behind
    assert sorted(os.listdir(tmp_path)) == ["1.oem", "2.oem"]


def test_utc_leap_second_written(tmp_path):
    t0 = parse_epoch("2016-12-31T23:59:59", "UTC")
    t = t0 + np.arange(3.0)
    x = np.tile([1838.0, 0, 0, 0, 1.6, 0], (3, 1))
    write_oem(tmp_path / "l.oem", t, x, "S", "I", time_system="UTC", creation_date=CREATION)
    text = (tmp_path / "l.oem").read_text()
    assert "2016-12-31T23:59:60.000000 " in text
    assert "2017-01-01T00:00:00.000000 " in text


def test_atomic_write_keeps_old_file_on_failure(tmp_path, monkeypatch):
    t, x = _history(n=3)
    path = tmp_path / "keep.oem"
    path.write_text("old contents\n")

    def boom(src, dst):
        raise OSError("disk full")

    import lunarscope.io.tables as tables

    monkeypatch.setattr(tables.os, "replace", boom)
    with pytest.raises(OSError):
        write_oem(path, t, x, "S", "I", creation_date=CREATION)
    assert path.read_text() == "old contents\n"
    assert os.listdir(tmp_path) == ["keep.oem"]


def test_write_input_errors(tmp_path):
    t, x = _history(n=3)
    p = tmp_path / "e.oem"
    with pytest.raises(InputError, match="times_tdb"):
        write_oem(p, t[::-1], x, "S", "I")
    with pytest.raises(InputError, match="states_km_kms"):
        write_oem(p, t, x[:, :5], "S", "I")
    with pytest.raises(InputError, match="time_system"):
        write_oem(p, t, x, "S", "I", time_system="GPS")
    with pytest.raises(InputError, match="interpolation"):
        write_oem(p, t, x, "S", "I", interpolation="SPLINE")
    with pytest.raises(InputError, match="object_name"):
        write_oem(p, t, x, "two\nlines", "I")
    with pytest.raises(InputError, match="comments"):
        write_oem(p, t, x, "S", "I", comments=["a\nb"])
    assert not p.exists()


# -------------------------------------------------------------------------------- read


def test_read_orekit_style_sample():
    segs = read_oem(DATA / "orekit_style_two_segments_utc.oem")
    assert len(segs) == 2
    s1, s2 = segs
    assert s1.header["ORIGINATOR"] == "OREKIT" and s1.header["MESSAGE_ID"] == "LS-SAMPLE-0001"
    assert s1.metadata["OBJECT_NAME"] == "KZCN LUNAR TELESCOPE"
    assert s1.metadata["INTERPOLATION_DEGREE"] == "5"
    assert s1.comments[0].startswith("Hand-written sample")
    assert "first arc, before the manoeuvre" in s1.comments
    assert "data in km and km/s" in s1.comments
    assert s2.comments == ["second arc, after a 1 m/s prograde burn"]
    # epochs straddle the leap second: 1 s apart in TDB, 23:59:60 included
    np.testing.assert_allclose(np.diff(s1.times_tdb), 1.0, rtol=0, atol=TIME_CONVERSION_TOL_S)
    for k, text in enumerate(["2016-12-31T23:59:58", "2016-12-31T23:59:60", "2017-01-01T00:00:01"]):
        idx = [0, 2, 4][k]
        assert abs(s1.times_tdb[idx] - astropy_tdb_seconds(text, "UTC")) < TIME_CONVERSION_TOL_S
    np.testing.assert_array_equal(s1.states[1], [1837.999274349, 1.633230522, 0.0, -0.001451238, 1.633230172, 0.0])
    assert s1.accelerations is None
    assert s2.states.shape == (3, 6) and s2.accelerations.shape == (3, 3)
    np.testing.assert_array_equal(s2.accelerations[0], [-2.6698e-03, -9.4887e-06, 0.0])
    assert s2.states[2, 4] == 1.6314
    assert s2.times_tdb[0] == s1.times_tdb[-1]
    assert s1.tdb("STOP_TIME") == s1.times_tdb[-1]


def test_read_gmat_style_sample():
    (seg,) = read_oem(DATA / "gmat_style_utc.oem")
    assert seg.header["CCSDS_OEM_VERS"] == "1.0"
    assert seg.metadata["CENTER_NAME"] == "Luna" and seg.metadata["INTERPOLATION"] == "Lagrange"
    assert seg.states.shape == (3, 6)
    assert seg.states[1, 2] == 97.837
    ref = [astropy_tdb_seconds(f"2024-03-01T00:0{m}:00", "UTC") for m in range(3)]
    np.testing.assert_allclose(seg.times_tdb, ref, rtol=0, atol=TIME_CONVERSION_TOL_S)


def test_read_day_of_year_tai_sample():
    (seg,) = read_oem(DATA / "doy_tai.oem")
    ref = astropy_tdb_seconds("2024-12-31T23:59:00.5", "TAI")
    assert abs(seg.times_tdb[0] - ref) < TIME_CONVERSION_TOL_S
    np.testing.assert_allclose(np.diff(seg.times_tdb), 60.0, rtol=0, atol=1e-6)
    assert seg.header["CREATION_DATE"] == "2025-060T12:00:00"


GOOD = DATA / "gmat_style_utc.oem"


def _variant(tmp_path, old, new, count=1):
    text = GOOD.read_text()
    assert old in text
    p = tmp_path / "bad.oem"
    p.write_text(text.replace(old, new, count))
    return p


def test_read_errors(tmp_path):
    p = _variant(tmp_path, "CCSDS_OEM_VERS = 1.0\n", "")
    with pytest.raises(InputError, match="CCSDS_OEM_VERS") as exc:
        read_oem(p)
    assert str(p) in str(exc.value)
    p = _variant(tmp_path, "1.837738805000000e+03", "1.83773880500000x")
    with pytest.raises(InputError, match="line 20: bad data line"):
        read_oem(p)
    p = _variant(tmp_path, "   0.000000000000000e+00   9.105680000000000e-02", "")
    with pytest.raises(InputError, match="line 19: bad data line"):
        read_oem(p)
    p = _variant(tmp_path, "TIME_SYSTEM          = UTC", "TIME_SYSTEM          = GPS")
    with pytest.raises(InputError, match="TIME_SYSTEM 'GPS' is not supported"):
        read_oem(p)
    p = _variant(tmp_path, "OBJECT_ID            = SatId\n", "")
    with pytest.raises(InputError, match="lacks OBJECT_ID"):
        read_oem(p)
    p = _variant(tmp_path, "META_STOP\n", "")
    with pytest.raises(InputError, match="META_STOP"):
        read_oem(p)
    p = _variant(tmp_path, "2024-03-01T00:02:00.000   1.836", "2024-03-01T00:00:30.000   1.836")
    with pytest.raises(InputError, match="line 21: epochs must increase"):
        read_oem(p)
    p = _variant(tmp_path, "2024-03-01T00:01:00.000   1.837", "2024-03-01 00:01:00   1.837")
    with pytest.raises(InputError, match="line 20"):
        read_oem(p)
    p = tmp_path / "x.xml"
    p.write_text('<?xml version="1.0"?>\n<oem id="CCSDS_OEM_VERS" version="3.0"/>\n')
    with pytest.raises(InputError, match="XML"):
        read_oem(p)
    p = tmp_path / "empty.oem"
    p.write_text("\n\n")
    with pytest.raises(InputError, match="empty"):
        read_oem(p)
    with pytest.raises(InputError, match="cannot read"):
        read_oem(tmp_path / "missing.oem")
    p = tmp_path / "csv.oem"
    p.write_text("time,x,y,z\n0,1,2,3\n")
    with pytest.raises(InputError, match="not a CCSDS OEM"):
        read_oem(p)


def test_read_real_orekit_output():
    """A file written by Orekit 13 (make_orekit_oem.py beside it), leap second included."""
    (seg,) = read_oem(DATA / "orekit_generated_utc.oem")
    ref = np.loadtxt(DATA / "orekit_generated_utc_reference.csv", delimiter=",")
    tt = Time(2451545.0, ref[:, 0] / 86400.0, format="jd", scale="tt")
    tdb_ref = (tt.tdb.jd1 - 2451545.0) * 86400.0 + tt.tdb.jd2 * 86400.0
    assert seg.metadata["REF_FRAME"] == "EME2000" and seg.metadata["TIME_SYSTEM"] == "UTC"
    np.testing.assert_allclose(seg.times_tdb, tdb_ref, rtol=0, atol=1e-6)
    np.testing.assert_allclose(seg.states, ref[:, 1:], rtol=1e-15, atol=0)
