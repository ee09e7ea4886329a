"""Python API conveniences (issue 10): astropy Time into Trajectory, Quantity into sites
(converted once, in __post_init__), one-line reprs, and the layer order as documented."""

from __future__ import annotations

import os
import re

import astropy.units as u
import numpy as np
import pytest
from astropy.time import Time

from lunarscope.errors import InputError
from lunarscope.scheduling.schedule import Activity, Schedule
from lunarscope.sites import EarthStation, LunarSite
from lunarscope.sources import Sources
from lunarscope.time import to_tdb
from lunarscope.trajectory import Trajectory
from lunarscope.windows.compute import WindowSet
from lunarscope.windows.intervals import Windows

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
T0 = 946728069.183926  # 2030-01-01T00:00:00Z, TDB s
#: Longest accepted repr (characters).
REPR_MAX = 200


def _line(t):
    s = np.zeros((t.size, 6))
    s[:, 0] = 2000.0 + (t - T0) * 1e-3
    s[:, 4] = 1.6
    return s


@pytest.fixture(scope="module")
def traj():
    t = T0 + np.arange(0.0, 7200.0, 60.0)
    return Trajectory.from_table(t, _line(t), 3, name="probe", source="test")


def test_trajectory_accepts_astropy_time(traj):
    when = Time(["2030-01-01T00:30:00", "2030-01-01T01:00:00"], scale="utc")
    t = np.asarray(to_tdb(when))
    assert np.array_equal(traj.state(when), traj.state(t))
    assert np.array_equal(traj.position(when), traj.position(t))
    assert traj.state(Time("2030-01-01T00:10:00", scale="tdb")).shape == (1, 6)
    src = Sources.default()
    assert np.array_equal(traj.state_in("MOON_ME", when, src), traj.state_in("MOON_ME", t, src))


def test_sites_accept_quantities():
    st = EarthStation("Tien-Shan", lat_deg=43.0576 * u.deg, lon_deg=76.9715 * u.deg, height_km=2735 * u.m)
    ref = EarthStation("Tien-Shan", 43.0576, 76.9715, 2.735)
    assert type(st.lat_deg) is float and st.height_km == pytest.approx(2.735, abs=1e-12)
    assert np.allclose(st.position_body_km, ref.position_body_km, atol=1e-9)
    site = LunarSite("pole", lat_deg=-1.5488 * u.rad, lon_deg=124.5 * u.deg, height_km=0 * u.km)
    assert site.lat_deg == pytest.approx(np.degrees(-1.5488))
    with pytest.raises(InputError, match="not convertible to deg"):
        EarthStation("x", lat_deg=43 * u.m, lon_deg=0.0, height_km=0.0)
    with pytest.raises(InputError, match="outside"):
        EarthStation("x", lat_deg=2 * u.rad, lon_deg=0.0, height_km=0.0)


def test_reprs_are_one_short_line(traj):
    from lunarscope.mission import load_mission

    m = load_mission(os.path.join(ROOT, "examples", "quick-look.yaml"))
    w = Windows(T0 + np.arange(0.0, 1000.0, 100.0), T0 + np.arange(0.0, 1000.0, 100.0) + 50.0)
    ws = WindowSet(T0, T0 + 3600.0, ["Vega"])
    ws[("target_visible", "Vega")] = w
    sched = Schedule(
        [Activity("observe", T0, T0 + 600.0, target="Vega", request=0)] * 300, scheduler="greedy", status="x" * 1000
    )
    for obj, needle in (
        (m, "Mission('quick-look'"),
        (traj, "Trajectory('probe'"),
        (w, "Windows("),
        (ws, "WindowSet("),
        (m.sources, "Sources("),
        (sched, "Schedule(greedy: "),
    ):
        text = repr(obj)
        assert text.startswith(needle) and "\n" not in text and len(text) < REPR_MAX, text
    assert "300 observe" in repr(sched)
    assert "10 intervals" in repr(w) and "1 subjects, 10 windows" in repr(ws)


def test_design_page_shows_the_layer_order_of_the_package():
    """docs/design.md's layer diagram and lunarscope/__init__.py name the same layers in the
    same order, Sources and the window job included."""
    with open(os.path.join(ROOT, "docs", "design.md"), encoding="utf-8") as fh:
        design = fh.read()
    import lunarscope

    order = re.findall(
        r"\b(sources|ephemeris|frames|dynamics|windows|scheduling|products|mission)\b", design.split("```")[1]
    )
    layers = [x for i, x in enumerate(order) if x not in order[:i]]
    init = [
        x
        for x in re.findall(
            r"\b(sources|ephemeris|frames|dynamics|windows|scheduling|products|mission)\b", lunarscope.__doc__
        )
    ]
    init = [x for i, x in enumerate(init) if x not in init[:i]]
    assert (
        layers == init == ["ephemeris", "frames", "sources", "dynamics", "windows", "scheduling", "products", "mission"]
    )
    assert "WindowJob" in design and "Sources" in design


def test_input_errors_cross_process_boundaries():
    """Plan windows and batches run in worker processes: their errors must pickle intact."""
    import pickle

    from lunarscope.errors import CoverageError, InputError

    for cls in (InputError, CoverageError):
        e = pickle.loads(pickle.dumps(cls("requests[3].exposure_s", "-1 must be > 0")))
        assert type(e) is cls and e.field == "requests[3].exposure_s" and str(e).endswith("must be > 0")
