"""Science metrics of a sweep (issue 15 item 7): sky fraction at a depth; the sweep key
``sky_depth``; the science value of SNR requests is SNR-weighted (scheduling.efficiency)."""

import pathlib

import numpy as np
import pytest
import yaml

from lunarscope.errors import InputError
from lunarscope.mission.core import mission_from_dict
from lunarscope.sweep.metrics import METRICS, CaseOutputs, default_metrics
from lunarscope.sweep.spec import _sky_depth

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def quick_case():
    from lunarscope.mission.run import propagate_mission

    raw = yaml.safe_load((ROOT / "examples" / "quick-look.yaml").read_text())
    raw["duration"] = "12 h"
    raw["force_model"]["gravity"] = {"model": "GRGM1200A", "degree": 4, "order": 4}
    m = mission_from_dict(raw, str(ROOT / "examples"))
    return m, propagate_mission(m)


def _fraction(case, **depth):
    m, prop = case
    d = {"mag_ab": 22.0, "snr": 5.0, "band": "NUV", **depth}
    return METRICS["sky_fraction_at_depth"].fn(CaseOutputs(m, prop, settings={"sky_depth": d}))


def test_sky_fraction_falls_with_depth_and_matches_the_coverage(quick_case):
    from lunarscope.mission.instrument import mission_instrument
    from lunarscope.mission.stages import window_job
    from lunarscope.science.coverage import hours_for_depth, sky_coverage

    m, prop = quick_case
    f = [_fraction(quick_case, mag_ab=mag) for mag in (16.0, 22.0, 24.0, 30.0)]
    assert all(0.0 <= x <= 1.0 for x in f)
    assert f == sorted(f, reverse=True) and f[0] > 0.2 and f[-1] == 0.0  # 30 mag needs >> 12 h
    cov = sky_coverage(window_job(m), prop.trajectory, 16)
    need = hours_for_depth(mission_instrument(m), "NUV", 22.0, 5.0)
    assert 0 < need < 12
    assert f[1] == pytest.approx(np.mean(cov.hours >= need))
    assert "sky_fraction_at_depth" not in default_metrics(("propagate", "windows"))


def test_sky_depth_key_checks():
    assert _sky_depth(None) == {"mag_ab": 22.0, "snr": 5.0, "band": "NUV"}
    assert _sky_depth({"mag_ab": 20, "band": "FUV"})["mag_ab"] == 20.0
    for bad, field in [({"depth": 3}, "sky_depth.depth"), ({"snr": 0}, "sky_depth.snr"), ([1], "sky_depth")]:
        with pytest.raises(InputError) as exc:
            _sky_depth(bad)
        assert exc.value.field == field


def test_unknown_band_names_the_key(quick_case):
    with pytest.raises(InputError) as exc:
        _fraction(quick_case, band="Q")
    assert exc.value.field == "sky_depth.band"
