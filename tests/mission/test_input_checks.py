"""Mission-file input checks of issue 10: explicit time forms, unknown keys in targets,
catalogue request columns honoured, warnings for orbits and window kinds, checks before work."""

import pathlib
import time
import warnings

import pytest
import yaml

from lunarscope.cli.main import main
from lunarscope.errors import InputError
from lunarscope.mission import load_mission
from lunarscope.time import to_tdb

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _raw():
    with open(ROOT / "examples" / "quick-look.yaml") as fh:
        raw = yaml.safe_load(fh)
    raw["duration"] = "6 h"
    raw["orbit"]["frame"] = "ICRF"
    raw["force_model"]["gravity"] = {"model": "GRGM1200A", "degree": 4, "order": 4}
    return raw


def _write(tmp_path, raw, name="m.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.parametrize(
    "text",
    [
        "JD 2462502.5 UTC",
        "MJD 62502 UTC",
        "2030-01-01T00:00:00Z",
        "2030-01-01T00:01:09.184 TT",
        "JD 2462502.500800740 TDB",
    ],
)
def test_explicit_time_forms_are_accepted(tmp_path, text):
    raw = _raw()
    raw["start"] = text
    m = load_mission(str(_write(tmp_path, raw)))
    assert m.t_start == pytest.approx(to_tdb("2030-01-01T00:00:00Z"), abs=1e-3)


@pytest.mark.parametrize(
    "key, value",
    [("start", 2462502.5), ("start", 20290811), ("targets.0.epoch", 2451545.0), ("engineering.0.first", 946728000)],
)
def test_bare_numbers_are_not_times(tmp_path, key, value):
    raw = _raw()
    node = raw
    parts = key.split(".")
    for p in parts[:-1]:
        node = node[int(p)] if isinstance(node, list) else node[p]
    node[parts[-1]] = value
    with pytest.raises(InputError, match=rf"{parts[-1]}: bare number .*JD 2462502.5 TDB"):
        load_mission(str(_write(tmp_path, raw)))


def test_inline_target_typo_is_refused(tmp_path):
    raw = _raw()
    raw["targets"][0]["exposure"] = raw["targets"][0].pop("exposure_s")
    with pytest.raises(InputError, match=r"targets\[0\]\.exposure: unknown key; did you mean 'exposure_s'"):
        load_mission(str(_write(tmp_path, raw)))


def test_description_must_be_text(tmp_path):
    raw = _raw()
    raw["description"] = {"a": 1}
    with pytest.raises(InputError, match="description: .* must be text"):
        load_mission(str(_write(tmp_path, raw)))


def test_catalogue_request_columns_reach_the_problem(tmp_path):
    """cadence_h, valid_from and valid_to from catalogue columns were silently dropped."""
    from lunarscope.mission.scheduling_problem import build_problem

    (tmp_path / "cat.csv").write_text(
        "name,ra_deg,dec_deg,exposure_s,cadence_h,valid_from,valid_to,vmag\n"
        "Vega,279.2347,38.7837,600,2,2030-01-01T01:00:00Z,2030-01-01T05:00:00Z,0.03\n"
        "Mira,34.8366,-2.9776,900,,,,6.5\n"
    )
    raw = _raw()
    raw["targets"] = {"catalogue": "cat.csv"}
    m = load_mission(str(_write(tmp_path, raw)))
    assert m.observing.targets[0].extra["vmag"] == 0.03  # extra columns kept
    problem = build_problem(m, {})
    vega = next(r for r in problem.requests if r.target == "Vega")
    mira = next(r for r in problem.requests if r.target == "Mira")
    assert vega.cadence_s == 7200.0
    a, b = vega.validity
    assert a == pytest.approx(to_tdb("2030-01-01T01:00:00Z"), abs=1e-6)
    assert b == pytest.approx(to_tdb("2030-01-01T05:00:00Z"), abs=1e-6)
    assert mira.cadence_s is None


def test_catalogue_typo_column_is_refused(tmp_path):
    (tmp_path / "cat.csv").write_text("name,ra_deg,dec_deg,exposure,cadence_hr\nVega,279.2,38.8,600,2\n")
    raw = _raw()
    raw["targets"] = {"catalogue": "cat.csv"}
    with pytest.raises(InputError, match="did you mean 'exposure_s'"):
        load_mission(str(_write(tmp_path, raw)))


@pytest.mark.parametrize(
    "orbit, key",
    [
        ({"frame": "ICRF", "elements": {"a_km": 6541400, "e": 0.6, "i_deg": 56.2}}, "orbit.elements.a_km"),
        ({"frame": "ICRF", "state": {"r_km": [3000.0, 0, 0], "v_kms": [0, 2.0, 0]}}, "orbit.state"),
    ],
)
def test_orbit_leaving_the_moon_is_warned(tmp_path, orbit, key):
    raw = _raw()
    raw["orbit"] = orbit
    with pytest.warns(UserWarning, match=key.replace(".", r"\.")):
        load_mission(str(_write(tmp_path, raw)))


def test_lunar_orbit_gives_no_warning(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_mission(str(_write(tmp_path, _raw())))


def test_kinds_without_target_visible_warn(tmp_path):
    raw = _raw()
    raw["windows"] = {"kinds": ["umbra", "contact"]}
    with pytest.warns(UserWarning, match="windows.kinds: without target_visible none of the 5 requests"):
        load_mission(str(_write(tmp_path, raw)))


def test_unknown_downlink_station_fails_before_any_work(tmp_path, capsys):
    raw = _raw()
    raw["downlink"] = {"stations": ["Goldstone"]}
    path = _write(tmp_path, raw)
    load_mission(str(_write(tmp_path, _raw(), "warm.yaml")))  # imports and caches out of the timing
    t0 = time.perf_counter()
    rc = main(["plan", str(path), "-o", str(tmp_path / "out")])
    elapsed = time.perf_counter() - t0
    err = capsys.readouterr().err
    assert rc == 2 and "downlink.stations[0]: unknown station 'Goldstone'" in err
    assert "propagate" not in err and elapsed < 1.0
    assert not (tmp_path / "out").exists()


def test_schedule_windows_of_another_mission_is_named(tmp_path, capsys):
    (tmp_path / "w.csv").write_text(
        "kind,subject,start_utc,stop_utc,duration_s\n"
        "contact,Goldstone,2030-01-01T01:00:00.000Z,2030-01-01T02:00:00.000Z,3600\n"
    )
    rc = main(
        ["schedule", str(_write(tmp_path, _raw())), "-o", str(tmp_path / "s.csv"), "--windows", str(tmp_path / "w.csv")]
    )
    assert rc == 2 and "not a station of this mission" in capsys.readouterr().err


def test_alias_bomb_and_deep_nesting_are_one_line(tmp_path):
    from lunarscope.mission.reader import MAX_MISSION_NODES

    bomb = (
        "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(f"a{k}: &a{k} [{', '.join([f'*a{k - 1}'] * 10)}]\n" for k in range(1, 7))
        + "start: *a6\n"
    )
    (tmp_path / "bomb.yaml").write_text(bomb)
    with pytest.raises(InputError, match=f"more than {MAX_MISSION_NODES:,} values"):
        load_mission(str(tmp_path / "bomb.yaml"))
    (tmp_path / "deep.yaml").write_text("name: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(InputError, match="nests deeper"):
        load_mission(str(tmp_path / "deep.yaml"))
    (tmp_path / "tag.yaml").write_text("name: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(InputError) as exc:
        load_mission(str(tmp_path / "tag.yaml"))
    assert "\n" not in str(exc.value) and "python/object" in str(exc.value)
