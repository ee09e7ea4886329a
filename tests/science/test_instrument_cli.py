"""The mission file's ``instrument:`` section and ``lunarscope etc`` (good and bad inputs)."""

import os
import subprocess
import sys

import numpy as np
import pytest
import yaml

from lunarscope.cli.main import main
from lunarscope.errors import InputError
from lunarscope.mission.instrument import mission_instrument, parse_instrument
from lunarscope.science import Instrument, exposure_for_snr, flat_fnu, normalized_ab

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
QUICK_LOOK = os.path.join(ROOT, "examples", "quick-look.yaml")

INSTRUMENT = {
    "name": "test telescope",
    "aperture_m": 0.3,
    "obscuration": 0.3,
    "pixel_scale_arcsec": 1.5,
    "psf_fwhm_arcsec": 3.0,
    "aperture_radius_fwhm": 0.8,
    "read_noise_e": 4.0,
    "dark_e_s": 0.01,
    "gain_e_adu": 2.0,
    "full_well_e": 80000,
    "bands": {
        "NUV": {"named": "ULTRASAT", "efficiency": 0.3},
        "blue": {"lo_A": 3500, "hi_A": 4500, "efficiency": 0.5},
        "mine": {"file": "mine.csv"},
    },
    "pst": {"off_axis_deg": [0, 1, 10, 90], "values": [1, 1e-3, 1e-6, 1e-9]},
}


def _mission_file(tmp_path, instrument=INSTRUMENT):
    raw = yaml.safe_load(open(QUICK_LOOK))
    if instrument is not None:
        raw["instrument"] = instrument
    (tmp_path / "mine.csv").write_text("wavelength_A,throughput\n2000,0\n2001,0.2\n2500,0.2\n2501,0\n")
    path = tmp_path / "mission.yaml"
    path.write_text(yaml.safe_dump(raw))
    return str(path)


def test_instrument_section_is_read_with_every_key(tmp_path):
    _mission_file(tmp_path)
    inst = parse_instrument(INSTRUMENT, str(tmp_path))
    assert inst.name == "test telescope" and inst.aperture_m == 0.3 and inst.full_well_e == 80000
    assert set(inst.bands) == {"NUV", "blue", "mine"}
    assert inst.band("nuv").throughput.max() == pytest.approx(0.3)
    assert inst.band("blue").support_A == pytest.approx((3499.5, 4500.5))
    assert inst.band("mine").throughput.max() == pytest.approx(0.2)
    assert inst.aperture_radius_arcsec == pytest.approx(2.4)
    np.testing.assert_allclose(inst.pst([0.0, 10.0, 50.0]), [1.0, 1e-6, 10 ** (-6 - 3 * 40 / 80)])
    # keys left out take the default's values
    part = parse_instrument({"aperture_m": 0.5})
    d = Instrument.default()
    assert part.read_noise_e == d.read_noise_e and set(part.bands) == set(d.bands)


def test_mission_without_instrument_gets_the_default_only_where_science_is_used(tmp_path):
    from lunarscope.mission import load_mission

    m = load_mission(_mission_file(tmp_path, None))
    assert m.instrument is None
    assert mission_instrument(m).name == Instrument.default().name
    m2 = load_mission(_mission_file(tmp_path))
    assert m2.instrument.name == "test telescope"


@pytest.mark.parametrize(
    "patch, field, words",
    [
        ({"aperture_m": -1}, "instrument.aperture_m", "> 0"),
        ({"aperture_m": 40_000}, "instrument.aperture_m", "<= 50"),
        ({"obscuration": 1.0}, "instrument.obscuration", "<= 0.99"),
        ({"read_noise_e": "low"}, "instrument.read_noise_e", "number"),
        ({"encircled_energy": 1.5}, "instrument.encircled_energy", "<= 1"),
        ({"aperture": 0.3}, "instrument.aperture", "unknown key; did you mean 'aperture_m'"),
        ({"bands": {}}, "instrument.bands", "at least one band"),
        ({"bands": {"X": {"named": "GALEX_XUV"}}}, "instrument.bands.X.named", "not a named band"),
        ({"bands": {"X": {"named": "GALEX_NUV", "efficiency": 1.5}}}, "instrument.bands.X.efficiency", "<= 1"),
        ({"bands": {"X": {"named": "GALEX_NUV", "lo_A": 2000}}}, "instrument.bands.X", "exactly one of"),
        ({"bands": {"X": {"lo_A": 2000, "hi_A": 1000}}}, "instrument.bands.X.hi_A", "above lo_A"),
        ({"bands": {"X": {"file": "missing.csv"}}}, "instrument.bands.X.file", "missing.csv"),
        ({"pst": {"off_axis_deg": [0, 10], "values": [1, 0]}}, "instrument.pst", "(0, 1]"),
        ({"pst": {"off_axis_deg": [10, 0], "values": [1, 1e-3]}}, "instrument.pst", "increase"),
        ({"pst": {"off_axis_deg": [0, 10, 20], "values": [1, 1e-3]}}, "instrument.pst", "as many values"),
    ],
)
def test_bad_instrument_keys_name_the_key(tmp_path, patch, field, words):
    raw = {k: v for k, v in INSTRUMENT.items() if k != "bands"} | patch
    with pytest.raises(InputError) as err:
        parse_instrument(raw, str(tmp_path))
    assert err.value.field == field, str(err.value)
    assert words in str(err.value)


def test_etc_cli_prints_every_term_and_the_exposure(tmp_path, capsys):
    path = _mission_file(tmp_path)
    assert main(["etc", path, "--mag-ab", "18", "--band", "NUV", "--snr", "50"]) == 0
    out = capsys.readouterr().out
    for word in ("source", "zodiacal", "dark", "read noise", "exposure for SNR 50"):
        assert word in out, out
    inst = parse_instrument(INSTRUMENT, str(tmp_path))
    src = normalized_ab(flat_fnu(), 18.0, inst.band("NUV"))
    from lunarscope.cli.etc import DARK_SKY_RADIANCE_500NM
    from lunarscope.science import surface_brightness_rate

    sky = float(surface_brightness_rate(inst, "NUV", DARK_SKY_RADIANCE_500NM))
    expect = float(exposure_for_snr(inst, "NUV", src, 50.0, sky))
    assert f"{expect:.6g} s" in out
    assert main(["etc", path, "--mag-ab", "21", "--band", "blue", "--exposure-s", "600", "--spectrum", "bb:9000"]) == 0
    assert "SNR after 600 s" in capsys.readouterr().out


@pytest.mark.parametrize(
    "extra, words",
    [
        (["--band", "V", "--snr", "5"], "--band: 'V' is not a band of the instrument"),
        (["--band", "NUV", "--snr", "0"], "--snr"),
        (["--band", "NUV", "--exposure-s", "inf"], "--exposure-s"),
        (["--band", "NUV", "--snr", "5", "--spectrum", "bb:hot"], "--spectrum"),
        (["--band", "NUV", "--snr", "5", "--target", "Vega"], "give --target and --at together"),
        (["--band", "NUV", "--snr", "5", "--target", "Nope", "--at", "2030-01-02T00:00:00Z"], "--target: 'Nope'"),
        (["--band", "NUV", "--snr", "5", "--target", "Vega", "--at", "2040-01-01T00:00:00Z"], "--at"),
        (["--band", "NUV", "--snr", "5", "--n-reads", "0"], "--n-reads"),
        (["--band", "NUV"], "one of the arguments --snr --exposure-s is required"),
    ],
)
def test_etc_cli_bad_inputs_one_line_exit_2(tmp_path, capsys, extra, words):
    path = _mission_file(tmp_path)
    try:
        code = main(["etc", path, "--mag-ab", "18", *extra])
    except SystemExit as exc:  # argparse errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("lunarscope: error: ") and err.count("\n") == 1, err
    assert words in err, err
    assert "Traceback" not in err


def test_etc_cli_bad_instrument_in_the_mission_file(tmp_path, capsys):
    path = _mission_file(tmp_path, {"aperture_m": "big"})
    assert main(["etc", path, "--mag-ab", "18", "--band", "NUV", "--snr", "5"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lunarscope: error: instrument.aperture_m:") and err.count("\n") == 1


def test_etc_real_command_line_with_target_and_time(tmp_path):
    """The installed console entry, with --target/--at (backgrounds toward the target when
    science.background exists, the documented dark-sky default otherwise)."""
    path = _mission_file(tmp_path)
    cmd = [sys.executable, "-m", "lunarscope.cli.main", "etc", path, "--mag-ab", "18", "--band", "NUV"]
    cmd += ["--exposure-s", "600", "--target", "Vega", "--at", "2030-01-01T06:00:00Z"]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "SNR after 600 s" in res.stdout and "source" in res.stdout and "zodiacal" in res.stdout
    assert "Traceback" not in res.stderr
