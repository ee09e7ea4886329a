"""Mission file: the issue-3 example runs as written; bad input names the key, exit 2."""

import copy
import subprocess
import sys

import numpy as np
import pytest
import yaml

from lunarscope.cli.main import main
from lunarscope.errors import InputError
from lunarscope.mission import load_mission, mission_from_dict
from lunarscope.time import to_iso_utc
from lunarscope.trajectory import Trajectory


def lt_iso(t):
    return str(to_iso_utc(t)[0])


EXAMPLE = "examples/elfo-demo.yaml"


def _raw():
    with open(EXAMPLE) as fh:
        return yaml.safe_load(fh)


def test_example_parses_with_elements_in_moon_me_inertial():
    m = load_mission(EXAMPLE)
    assert m.duration_s == pytest.approx(30 * 86400, abs=2e-3)  # 30 d of clock time, in TDB
    assert lt_iso(m.t_stop) == "2030-01-31T00:00:00.000Z"
    assert m.force_model.field.degree_max == 50 and m.force_model.gravity_frame == "MOON_PA"
    r = np.linalg.norm(m.state0_icrf[:3])
    assert r == pytest.approx(6541.4 * 0.4, rel=1e-12)  # starts at periapsis (ta = 0)
    # inclination is measured in MOON_ME axes frozen at the start
    from lunarscope import frames

    rot = frames.rotation("MOON_ME", [m.t_start], m.sources)[0]
    s_me = rot @ m.state0_icrf[:3], rot @ m.state0_icrf[3:]
    h = np.cross(*s_me)
    assert np.degrees(np.arccos(h[2] / np.linalg.norm(h))) == pytest.approx(56.2, abs=1e-9)


def test_elements_in_the_earth_moon_plane():
    """EARTH_MOON_INERTIAL: Ely's ELFO as published (i 56.2 deg to the Earth-Moon orbit plane,
    RAAN 0, argp 90) is the circumlunar demo's orbit, which writes the same orbit in MOON_ME
    axes rounded to 0.01 deg; the elements come back in orbits.planes' EARTH_MOON plane."""
    from lunarscope.orbits.planes import elements_in_plane

    raw = _raw()
    raw["orbit"] = {
        "frame": "EARTH_MOON_INERTIAL",
        "elements": {"a_km": 6541.4, "e": 0.6, "i_deg": 56.2, "raan_deg": 0, "argp_deg": 90, "ta_deg": 0},
    }
    m = mission_from_dict(raw, "examples")
    assert m.orbit_frame == "EARTH_MOON_INERTIAL"
    el = elements_in_plane([m.t_start], m.state0_icrf[None], m.gm_moon, "EARTH_MOON", ephemeris=m.sources.ephemeris)
    assert np.degrees(el[0, 2]) == pytest.approx(56.2, abs=1e-9)
    assert np.degrees(el[0, 4]) == pytest.approx(90.0, abs=1e-9)
    demo = load_mission("examples/circumlunar-telescope.yaml")
    # 0.01 deg of rounding in the demo's MOON_ME angles is ~0.5 km at periapsis (2616 km)
    assert np.linalg.norm(demo.state0_icrf[:3] - m.state0_icrf[:3]) < 1.0


def test_propagate_cli_writes_readable_oem(tmp_path):
    raw = _raw()
    raw["duration"] = "6 h"
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(raw))
    out = tmp_path / "t.oem"
    assert main(["propagate", str(path), "-o", str(out), "--step", "300"]) == 0
    traj = Trajectory.from_oem(str(out))
    assert traj.t_stop - traj.t_start == pytest.approx(6 * 3600, abs=1e-3)
    m = load_mission(str(path))
    assert np.allclose(traj.state([m.t_start])[0], m.state0_icrf, atol=1e-8)


def _mutate(path_keys, value):
    raw = copy.deepcopy(_raw())
    node = raw
    for k in path_keys[:-1]:
        node = node[k]
    if value is KeyError:
        del node[path_keys[-1]]
    else:
        node[path_keys[-1]] = value
    return raw


BAD = [
    (("orbit", "elements", "a_km"), 2000.0, "orbit.elements: periapsis radius 800.0 km"),
    (("orbit", "elements", "e"), 1.2, "orbit.elements.e: 1.2 must be < 1"),
    (("force_model", "gravity", "model"), "LP150Q", "unknown"),
    (("force_model", "gravity", "degree"), 100, "force_model.gravity.degree"),
    (("force_model", "gravity", "frame"), "MOON_XX", "force_model.gravity.frame"),
    (("orbit", "frame"), "EME2000", "orbit.frame"),
    (("orbit",), KeyError, "orbit: is required"),
    (("start",), KeyError, "start: is required"),
    (("orbit", "elements", "i_deg"), KeyError, "orbit.elements.i_deg: is required"),
    (("spacecraft", "mass_kg"), -5, "spacecraft.mass_kg"),
    (("force_model", "third_bodies"), ["earth", "vulcan"], "force_model.third_bodies[1]"),
    (("propagator", "rtol"), "tight", "propagator.rtol"),
    (("orbit", "elements", "bogus"), 1, "orbit.elements.bogus: unknown key"),
]


@pytest.mark.parametrize("keys,value,needle", BAD, ids=[".".join(b[0]) for b in BAD])
def test_bad_mission_names_the_key(keys, value, needle):
    with pytest.raises(InputError) as info:
        mission_from_dict(_mutate(list(keys), value), ".")
    assert needle in str(info.value)


def test_unreadable_gravity_file_and_cli_exit_code(tmp_path):
    bad = tmp_path / "field.tab"
    bad.write_text("this is not a gravity file\n")
    raw = _mutate(["force_model", "gravity"], {"file": str(bad), "degree": 10})
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(raw))
    proc = subprocess.run(
        [sys.executable, "-m", "lunarscope.cli.main", "propagate", str(path), "-o", str(tmp_path / "x.oem")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lunarscope: error: force_model.gravity.file")
    assert not (tmp_path / "x.oem").exists()


def test_not_yaml(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("name: [unclosed\n")
    with pytest.raises(InputError, match="not valid YAML"):
        load_mission(str(path))
