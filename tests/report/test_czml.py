"""CZML export: packets load with czml3's pydantic models; positions and epochs round-trip; the
plan's mission.czml (real pipeline, conftest.py) colours exactly the plan's eclipse windows."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lunarscope import time as lstime
from lunarscope.errors import InputError
from lunarscope.io.czml import czml_document, czml_dumps, write_czml
from lunarscope.products import PlanWindow

czml3_core = pytest.importorskip("czml3.core")

ONE_MM_KM = 1e-6
ONE_US = 1e-6  # s
START = "2030-03-01T00:00:00Z"


def _window(kind: str, subject: str, start_utc: str, stop_utc: str) -> PlanWindow:
    a, b = (float(lstime.to_tdb(x)) for x in (start_utc, stop_utc))
    return PlanWindow(
        kind=kind, subject=subject, start_tdb=a, stop_tdb=b, start_utc=start_utc, stop_utc=stop_utc, duration_s=b - a
    )


@pytest.fixture(scope="module")
def case():
    t0 = float(lstime.to_tdb(START))
    t = t0 + np.arange(0.0, 2 * 86400.0, 120.0) + 0.123456  # odd start: epoch string is rounded
    ang = 2 * np.pi * (t - t0) / 7200.0
    moon = np.stack(
        [384400.0 * np.cos((t - t0) / 2.36e6), 384400.0 * np.sin((t - t0) / 2.36e6), np.full_like(t, 1000.0)], -1
    )
    sc = moon + np.stack([2000 * np.cos(ang), 2000 * np.sin(ang), 100 * np.sin(ang)], -1)
    windows = [
        _window("umbra", "moon", "2030-03-01T01:00:00.000Z", "2030-03-01T01:40:00.000Z"),
        _window("penumbra", "moon", "2030-03-01T00:59:00.000Z", "2030-03-01T01:00:00.000Z"),
        _window("contact", "Kashi", "2030-03-01T03:00:00.000Z", "2030-03-01T05:00:00.000Z"),
        _window("contact", "Kashi", "2030-03-02T03:00:00.000Z", "2030-03-02T05:00:00.000Z"),
        _window("target_visible", "Vega", "2030-03-01T03:00:00.000Z", "2030-03-02T05:00:00.000Z"),
    ]
    packets = czml_document("LS-1", t, sc, moon, utc_decimals=3, windows=windows)
    return t, sc, moon, windows, packets


def test_packets_validate_with_czml3(case):
    *_, packets = case
    models = [czml3_core.Packet.model_validate(p) for p in packets]
    doc = czml3_core.Document(packets=models)
    again = json.loads(doc.to_json())
    assert [p["id"] for p in again] == ["document", "spacecraft", "moon", "earth", "contact/Kashi"]
    clock = again[0]["clock"]
    assert clock["interval"].split("/")[0] == clock["currentTime"] and clock["multiplier"] > 0
    assert packets[1]["position"]["referenceFrame"] == "INERTIAL"
    assert packets[1]["position"]["interpolationAlgorithm"] == "LAGRANGE"
    assert packets[1]["position"]["interpolationDegree"] == 5
    assert "path" in packets[1] and packets[1]["availability"] == clock["interval"]


def test_czml3_rejects_a_broken_packet():
    """Control: the model check above is able to fail."""
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        czml3_core.Packet.model_validate(
            {"id": "x", "position": {"cartesian": [0.0, 1.0], "cartographicDegrees": [1.0, 2.0, 3.0]}}
        )


@pytest.mark.parametrize("which", ["spacecraft", "moon"])
def test_positions_and_times_round_trip(case, which):
    """Read back through czml3 and astropy: epoch + offsets give the input TDB epochs to 1 µs and
    the positions to 1 mm."""
    import astropy.units as u
    from astropy.time import Time

    t, sc, moon, _, packets = case
    model = czml3_core.Packet.model_validate(json.loads(czml_dumps(packets))[1 if which == "spacecraft" else 2])
    pos = json.loads(model.to_json())["position"]
    flat = np.asarray(pos["cartesian"], float).reshape(-1, 4)
    epoch = Time(pos["epoch"].replace("Z", ""), scale="utc")
    j2000 = Time("2000-01-01T12:00:00", scale="tdb")
    # CZML offsets are elapsed SI seconds: add them on the TAI scale, then express in TDB.
    back = np.array([((epoch + dt * u.s).tdb - j2000).sec for dt in flat[::97, 0]])
    assert np.max(np.abs(back - t[::97])) <= ONE_US
    ref = sc if which == "spacecraft" else moon
    assert np.max(np.abs(flat[:, 1:] / 1000.0 - ref)) <= ONE_MM_KM
    assert pos["epoch"] == str(lstime.to_iso_utc(t[0])[0])


def test_eclipse_colours_and_contact_intervals(case):
    *_, windows, packets = case
    colours = packets[1]["point"]["color"]
    assert [c["interval"] for c in colours[1:]] == [
        "2030-03-01T00:59:00.000Z/2030-03-01T01:00:00.000Z",
        "2030-03-01T01:00:00.000Z/2030-03-01T01:40:00.000Z",
    ]
    contact = packets[-1]
    assert contact["availability"] == [
        "2030-03-01T03:00:00.000Z/2030-03-01T05:00:00.000Z",
        "2030-03-02T03:00:00.000Z/2030-03-02T05:00:00.000Z",
    ]
    assert contact["polyline"]["positions"]["references"] == ["spacecraft#position", "earth#position"]


def test_deterministic_and_atomic_write(tmp_path, case):
    t, sc, moon, windows, packets = case
    again = czml_document("LS-1", t, sc, moon, utc_decimals=3, windows=windows)
    assert czml_dumps(again) == czml_dumps(packets)
    path = tmp_path / "plan.czml"
    write_czml(path, packets)
    assert path.read_text() == czml_dumps(packets)
    broken = json.loads(czml_dumps(packets))
    broken[1]["position"]["cartesian"][1] = float("nan")
    with pytest.raises(ValueError):
        write_czml(path, broken)
    assert path.read_text() == czml_dumps(packets)  # old file untouched
    assert [p.name for p in tmp_path.iterdir()] == ["plan.czml"]


def test_input_errors(case):
    t, sc, moon, *_ = case
    with pytest.raises(InputError, match="sc_pos_earth_icrf_km"):
        czml_document("x", t, sc[:-1], moon)
    with pytest.raises(InputError, match="t_tdb"):
        czml_document("x", t[::-1], sc, moon)
    with pytest.raises(InputError, match="moon_pos_earth_icrf_km"):
        czml_document("x", t, sc, np.full_like(moon, np.nan))


@pytest.mark.parametrize("decimals", [0, 3, 6])
def test_epoch_is_the_instant_its_text_names(case, decimals):
    """The epoch text is t[0] rounded on the UTC calendar; offsets count from that instant
    (checked with astropy, which parses the text independently)."""
    import astropy.units as u
    from astropy.time import Time

    t, sc, moon, *_ = case
    pos = czml_document("LS-1", t, sc, moon, utc_decimals=decimals)[1]["position"]
    epoch = Time(pos["epoch"].replace("Z", ""), scale="utc")
    j2000 = Time("2000-01-01T12:00:00", scale="tdb")
    assert abs((epoch.tdb - j2000).sec - t[0]) <= 0.5 * 10.0**-decimals + ONE_US
    assert pos["epoch"] == str(lstime.to_iso_utc(t[0], decimals)[0])
    first = pos["cartesian"][0]  # elapsed SI seconds from the epoch to t[0]
    assert abs(((epoch + first * u.s).tdb - j2000).sec - t[0]) <= ONE_US


def test_plan_czml_shows_the_plan_windows(plan_run):
    """mission.czml of the real plan: czml3 loads it; the spacecraft point is grey/orange exactly
    in the plan's umbra/penumbra windows and each station's line of sight is available exactly
    in its contact windows (read from the typed plan by attribute)."""
    out, result = plan_run
    plan = result.plan
    packets = json.loads((out / "mission.czml").read_text())
    for p in packets:
        czml3_core.Packet.model_validate(p)
    colours = packets[1]["point"]["color"][1:]
    shadows = sorted((w.start_utc, w.stop_utc, w.kind) for w in plan.windows if w.kind in ("umbra", "penumbra"))
    assert len(shadows) >= 2
    assert [(c["interval"], c["rgba"]) for c in colours] == [
        (f"{a}/{b}", [120, 120, 120, 255] if k == "umbra" else [255, 140, 0, 255]) for a, b, k in shadows
    ]
    stations = sorted({w.subject for w in plan.windows if w.kind == "contact"})
    contact = {p["id"]: p for p in packets if p["id"].startswith("contact/")}
    assert sorted(contact) == [f"contact/{s}" for s in stations]
    for s in stations:
        assert contact[f"contact/{s}"]["availability"] == sorted(
            f"{w.start_utc}/{w.stop_utc}" for w in plan.windows if w.kind == "contact" and w.subject == s
        )
