"""Gravity file readers/writers: round trips, format detection, unit handling, bad files."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from lunarscope.errors import InputError
from lunarscope.gravity import (
    GravityField,
    builtin_field,
    detect_format,
    load_field,
    read_sha,
    write_sha,
    write_shadr,
)

SHIPPED_GM_KM3_S2 = 4902.80011526323
SHIPPED_RADIUS_KM = 1738.0
# GRGM1200A C20 (fully normalized), from the PDS file's first data row via cislunar-sim 1.0.1
SHIPPED_C20 = -9.0884339347424299e-05


@pytest.fixture(scope="module")
def grgm():
    return builtin_field("GRGM1200A")


def _same(a: GravityField, b: GravityField):
    assert a.gm_km3_s2 == b.gm_km3_s2
    assert a.radius_km == b.radius_km
    assert (a.degree_max, a.order_max) == (b.degree_max, b.order_max)
    assert np.array_equal(a.C, b.C) and np.array_equal(a.S, b.S)


def test_builtin_field_header(grgm):
    assert grgm.name == "GRGM1200A"
    assert grgm.gm_km3_s2 == SHIPPED_GM_KM3_S2
    assert grgm.radius_km == SHIPPED_RADIUS_KM
    assert (grgm.degree_max, grgm.order_max) == (70, 70)
    assert grgm.frame == "MOON_PA"
    assert "Lemoine" in grgm.source and "gggrx_1200a_sha" in grgm.source
    assert grgm.C[0, 0] == 1.0 and np.all(grgm.C[1] == 0) and np.all(grgm.S[1] == 0)
    assert grgm.C[2, 0] == SHIPPED_C20
    assert not grgm.C.flags.writeable
    with pytest.raises(ValueError):
        grgm.C[2, 0] = 0.0


def test_builtin_unknown_name_lists_known():
    with pytest.raises(InputError, match="GRGM1200A"):
        builtin_field("LP165P")


def test_truncated(grgm):
    t = grgm.truncated(10, 5)
    assert (t.degree_max, t.order_max) == (10, 5)
    assert np.array_equal(t.C[:, :6], grgm.C[:11, :6])
    assert np.all(t.C[:, 6:] == 0) and np.all(t.S[:, 6:] == 0)
    assert t.gm_km3_s2 == grgm.gm_km3_s2 and t.frame == grgm.frame


def test_sha_round_trip_exact(grgm, tmp_path):
    path = write_sha(grgm, tmp_path / "grgm.sha")
    assert detect_format(path) == "sha"
    back = load_field(path)
    _same(back, grgm)
    # header is GM (m^3/s^2), radius (m), degree, order, as Orekit's SHAFormatReader expects
    head = path.read_text().splitlines()[0].split()
    assert float(head[0]) == pytest.approx(SHIPPED_GM_KM3_S2 * 1e9, rel=1e-15)
    assert float(head[1]) == SHIPPED_RADIUS_KM * 1e3
    assert head[2:] == ["70", "70"]


def test_sha_matches_orekit_line_patterns(grgm, tmp_path):
    """Regexes of Orekit 12.2 SHAFormatReader (header and data lines) accept our file."""
    import re

    real = r"[-+]?\d?\.\d+[eEdD][-+]\d\d"
    header = re.compile(r"^\s*" + real + r"\s+" + real + r"\s+\d+\s+\d+\s*$")
    data = re.compile(r"^\s*\d+\s+\d+\s+" + real + r"\s+" + real + r"\s+" + real + r"\s+" + real + r"\s*$")
    lines = write_sha(grgm.truncated(12), tmp_path / "g.sha").read_text().splitlines()
    assert header.match(lines[0])
    assert all(data.match(line) for line in lines[1:])


def test_shadr_round_trip_and_km_header(grgm, tmp_path):
    path = write_shadr(grgm, tmp_path / "g.tab", {"name": "X", "frame": "MOON_ME"})
    assert detect_format(path) == "shadr"
    back = load_field(path)
    _same(back, grgm)
    assert back.frame == "MOON_ME" and back.name == "X"
    assert load_field(path, frame="MOON_PA").frame == "MOON_PA"


def test_sha_metre_and_km_headers_agree(grgm, tmp_path):
    f = grgm.truncated(6)
    p_m = write_sha(f, tmp_path / "m.sha")
    lines = p_m.read_text().splitlines()
    lines[0] = f"{f.gm_km3_s2!r} {f.radius_km!r} 6 6"
    p_km = tmp_path / "km.sha"
    p_km.write_text("\n".join(lines) + "\n")
    _same(read_sha(p_km), read_sha(p_m))


def _unnormalize(n, m):
    return math.sqrt((2 - (m == 0)) * (2 * n + 1) * math.factorial(n - m) / math.factorial(n + m))


def test_icgem_reader_fully_normalized_and_unnormalized(grgm, tmp_path):
    f = grgm.truncated(8)
    for norm in ("fully_normalized", "unnormalized"):
        lines = [
            "product_type gravity_field",
            "modelname GRGMtest",
            f"earth_gravity_constant {f.gm_km3_s2 * 1e9:.16e}",
            f"radius {f.radius_km * 1e3:.16e}",
            "max_degree 8",
            f"norm {norm}",
            "tide_system zero_tide",
            "key n m C S sigmaC sigmaS",
            "end_of_head ===========",
            "gfc 0 0 1.0 0.0 0 0",
        ]
        for n in range(2, 9):
            for m in range(n + 1):
                k = _unnormalize(n, m) if norm == "unnormalized" else 1.0
                lines.append(f"gfc {n} {m} {f.C[n, m] * k:.17e} {f.S[n, m] * k:.17e} 0 0")
        p = tmp_path / f"{norm}.gfc"
        p.write_text("\n".join(lines) + "\n")
        g = load_field(p)
        assert g.name == "GRGMtest" and "zero_tide" in g.source
        assert g.gm_km3_s2 == pytest.approx(f.gm_km3_s2, rel=1e-15)
        assert g.radius_km == f.radius_km
        tol = 0.0 if norm == "fully_normalized" else 1e-14
        assert np.allclose(g.C, f.C, rtol=tol, atol=0) and np.allclose(g.S, f.S, rtol=tol, atol=0)


def test_icgem_time_variable_records_warn(grgm, tmp_path):
    lines = [
        "earth_gravity_constant 4.9e12",
        "radius 1.738e6",
        "max_degree 2",
        "end_of_head",
        "gfct 2 0 -9.0e-05 0 0 0 20100101",
        "trnd 2 0 1e-11 0 0 0",
        "gfc 2 1 0 0 0 0",
        "gfc 2 2 3.4e-05 0 0 0",
    ]
    p = tmp_path / "tv.gfc"
    p.write_text("\n".join(lines) + "\n")
    with pytest.warns(UserWarning, match="time-variable"):
        g = load_field(p)
    assert g.C[2, 0] == -9.0e-05


@pytest.mark.parametrize(
    "content, problem",
    [
        ("", "empty"),
        ("hello world\nthis is not gravity\n", "unknown gravity field format"),
        ("1.738E+03, 4.9E+03, 0.0, 4, 4, 1, 0, 0\n2, 0, -9e-5, 0, 0, 0\n", "truncated"),
        ("1.738E+03, 4.9E+03, 0.0, 2, 2, 1, 0, 0\n2, 0, -9e-5, 0, 0, 0\n2, 1, x, 0, 0, 0\n", "cannot parse"),
        ("4.9E+12 1.738E+06 2 2\n2 0 -9e-5 0 0 0\n2 1 0 0 0 0\n", "missing"),
        ("4.9E+12 1.738E+06 2 2\n2 0 -9e-5 0 0 0\n2 1 0 0 0 0\n2 2 0 0 0 0\n3 0 1 0 0 0\n", "outside header range"),
        ("earth_gravity_constant 4.9e12\nradius 1.738e6\n", "end_of_head"),
    ],
)
def test_bad_files_name_file_and_problem(tmp_path, content, problem):
    p = tmp_path / "bad.dat"
    p.write_text(content)
    with pytest.raises(InputError, match=problem) as info:
        load_field(p)
    assert str(p) in str(info.value)
    assert info.value.field == "force_model.gravity.file"


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_field(tmp_path / "nope.tab")
    p = tmp_path / "bin.tab"
    p.write_bytes(b"\xff\xfe\x00\x81" * 10)
    with pytest.raises(InputError, match="unreadable"):
        load_field(p)


def test_field_validation():
    z = np.zeros((3, 3))
    with pytest.raises(InputError, match="force_model.gravity.gm"):
        GravityField(-1.0, 1738.0, 2, 2, z, z)
    with pytest.raises(InputError, match="must be"):
        GravityField(1.0, 1738.0, 3, 3, z, z)
    bad = z.copy()
    bad[2, 1] = np.nan
    with pytest.raises(InputError, match="NaN"):
        GravityField(1.0, 1738.0, 2, 2, bad, z)


def test_no_runtime_dependency_on_cislunar():
    import lunarscope.gravity as g

    for mod in (g, g.field, g.readers, g.kernel):
        with open(mod.__file__, encoding="utf-8") as fh:
            assert "cislunar" not in fh.read()


def test_warnings_clean_for_static_files(grgm, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_field(write_sha(grgm.truncated(5), tmp_path / "a.sha"))
