"""Requests in SNR (issue 15 item 6): mission keys, checks at load, the efficiency the
scheduler sees, and the achieved SNR in the plan."""

import io
import pathlib

import numpy as np
import pytest
import yaml

from lunarscope.cli.main import main
from lunarscope.errors import InputError
from lunarscope.mission import load_mission

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _raw(duration="1 d"):
    with open(ROOT / "examples" / "quick-look.yaml") as fh:
        raw = yaml.safe_load(fh)
    raw["duration"] = duration
    raw["force_model"]["gravity"] = {"model": "GRGM1200A", "degree": 8, "order": 8}
    raw["requests"] = [
        {"target": "NGC 4151", "snr": 30, "mag_ab": 19.0, "band": "NUV", "priority": 8},
        {"target": "Vega", "exposure_s": 3000, "min_visit_s": 600, "priority": 5},
        {"target": "NGC 1068", "exposure_s": 3000, "mag_ab": 19.5, "band": "NUV", "priority": 4},
    ]
    return raw


def _write(tmp_path, raw):
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.parametrize(
    "change,field",
    [
        ({"exposure_s": 100}, "requests[0].snr"),  # both exposure_s and snr
        ({"mag_ab": None}, "requests[0].mag_ab"),  # snr without a source
        ({"band": "V-ish"}, "requests[0].band"),  # not a band of the instrument
        ({"band": None}, "requests[0].band"),
        ({"spectrum": "bb:-5"}, "requests[0].spectrum"),
        ({"snr": -3}, "requests[0].snr"),
    ],
)
def test_wrong_snr_requests_name_the_key(tmp_path, change, field):
    raw = _raw()
    for k, v in change.items():
        if v is None:
            raw["requests"][0].pop(k)
        else:
            raw["requests"][0][k] = v
    with pytest.raises(InputError) as exc:
        load_mission(str(_write(tmp_path, raw)))
    assert exc.value.field == field


def test_a_band_without_a_source_is_refused(tmp_path):
    raw = _raw()
    raw["requests"][1]["band"] = "NUV"
    with pytest.raises(InputError) as exc:
        load_mission(str(_write(tmp_path, raw)))
    assert exc.value.field == "requests[1].band"


def test_snr_plan_credits_by_background_and_reports_achieved_snr(tmp_path):
    from lunarscope.mission.plan import run_plan
    from lunarscope.mission.snr_requests import achieved_snr

    m = load_mission(str(_write(tmp_path, _raw())))
    res = run_plan(m, str(tmp_path / "out"), stream=io.StringIO())
    p = res.problem
    assert set(p.snr_models) == {0, 2}
    r0 = p.requests[0]
    assert r0.efficiency is not None and p.requests[2].efficiency is None
    w = r0.efficiency.w
    assert 0 < w.min() <= w.max() <= 1.0
    assert w.max() == pytest.approx(1.0, abs=1e-9) or not len(p.usable_windows[0])
    # T reaches the requested SNR at the best background in sub-exposures of one grid cell
    model = p.snr_models[0]
    bg_best = model.background[np.isclose(w, w.max())].min()
    dt = model.read_s  # min(grid step, the one exposure reaching the SNR)
    assert 0 < dt <= model.t_grid[1] - model.t_grid[0] + 1e-9
    assert float(model.snr_of(dt, bg_best)) ** 2 * r0.exposure_s / dt == pytest.approx(30.0**2, rel=1e-9)
    reqs = {q.request: q for q in res.plan.schedule.requests}
    q0 = reqs[p.request_names[0]]
    visits = [(a.start, a.stop) for a in res.schedule.of_kind("observe") if a.request == 0]
    assert q0.snr_requested == 30.0
    assert q0.snr_achieved == pytest.approx(achieved_snr(model, visits), abs=1e-3)
    # co-added SNR² against the scheduler's credit: equal up to the partial cells at visit ends
    credit = r0.efficiency.counted(*np.array(visits).T).sum() / r0.exposure_s if visits else 0.0
    assert q0.snr_achieved**2 / 30.0**2 == pytest.approx(credit, rel=0.05, abs=1e-9)
    q2 = reqs[p.request_names[2]]
    assert q2.snr_requested is None and q2.snr_achieved is not None
    assert reqs[p.request_names[1]].snr_achieved is None


def test_snr_columns_in_requests_csv(tmp_path):
    out = tmp_path / "out"
    assert main(["plan", str(_write(tmp_path, _raw("12 h"))), "-o", str(out)]) == 0
    lines = (out / "requests.csv").read_text().splitlines()
    head = lines[0].split(",")
    assert head[-2:] == ["snr_requested", "snr_achieved"]
    ngc = next(line for line in lines[1:] if line.startswith("NGC 4151"))
    assert ngc.split(",")[-2] == "30"


def test_focal_ratio_key_reaches_the_stray_light(tmp_path):
    from lunarscope.science.stray_light import focal_plane_solid_angle_sr

    raw = _raw()
    raw["instrument"] = {"focal_ratio": 5.0}
    m = load_mission(str(_write(tmp_path, raw)))
    assert m.instrument.focal_ratio == 5.0
    assert focal_plane_solid_angle_sr(m.instrument) == pytest.approx(np.pi / (4 * 25.0))
    raw["instrument"] = {"focal_ratio": 0}
    with pytest.raises(InputError) as exc:
        load_mission(str(_write(tmp_path, raw)))
    assert exc.value.field == "instrument.focal_ratio"
