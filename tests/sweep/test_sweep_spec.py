"""Sweep files: case generation (grid, sobol, lhs, random) and validation before any work."""

import pytest
from sweep_helpers import tiny_sweep

from lunarscope.errors import InputError
from lunarscope.sweep import Sweep, sweep_from_dict


def test_grid_ranges_include_both_ends_and_first_key_varies_slowest():
    spec = sweep_from_dict(
        tiny_sweep({"orbit.elements.i_deg": {"from": 40, "to": 90, "step": 25}, "orbit.elements.raan_deg": [0, 90]})
    )
    assert spec.dimensions[0].values == (40, 65, 90)
    values = spec.case_values()
    assert spec.n_cases() == len(values) == 6
    assert values[:3] == [
        {"orbit.elements.i_deg": 40, "orbit.elements.raan_deg": 0},
        {"orbit.elements.i_deg": 40, "orbit.elements.raan_deg": 90},
        {"orbit.elements.i_deg": 65, "orbit.elements.raan_deg": 0},
    ]


def test_float_range_reaches_its_end_despite_rounding():
    spec = sweep_from_dict(tiny_sweep({"orbit.elements.e": {"from": 0.0, "to": 0.3, "step": 0.1}}))
    assert spec.dimensions[0].values == (0.0, 0.1, 0.2, 0.3)
    spec = sweep_from_dict(tiny_sweep({"orbit.elements.e": {"from": 0.0, "to": 0.35, "step": 0.1}}))
    assert spec.dimensions[0].values[-1] == 0.3  # `to` not on the grid: the last step below it


@pytest.mark.parametrize("method", ["sobol", "lhs", "random"])
def test_sampling_is_deterministic_in_its_seed_and_inside_the_ranges(method):
    vary = {"orbit.elements.i_deg": {"from": 40, "to": 90}, "orbit.elements.raan_deg": [0, 90, 180]}
    a = sweep_from_dict(tiny_sweep(vary, sample={"method": method, "n": 16, "seed": 3})).case_values()
    b = sweep_from_dict(tiny_sweep(vary, sample={"method": method, "n": 16, "seed": 3})).case_values()
    c = sweep_from_dict(tiny_sweep(vary, sample={"method": method, "n": 16, "seed": 4})).case_values()
    assert a == b and a != c and len(a) == 16
    assert all(40 <= v["orbit.elements.i_deg"] <= 90 for v in a)
    assert {v["orbit.elements.raan_deg"] for v in a} <= {0, 90, 180}
    if method != "random":  # space-filling: every list value is drawn among 16 points
        assert {v["orbit.elements.raan_deg"] for v in a} == {0, 90, 180}


def test_a_sampled_range_with_step_snaps_to_its_grid():
    vary = {"orbit.elements.i_deg": {"from": 40, "to": 90, "step": 10}}
    vals = sweep_from_dict(tiny_sweep(vary, sample={"method": "lhs", "n": 12, "seed": 0})).case_values()
    assert {v["orbit.elements.i_deg"] for v in vals} <= {40, 50, 60, 70, 80, 90}


def test_wrong_value_names_the_case_and_the_mission_key():
    sweep = Sweep.from_dict(tiny_sweep({"orbit.elements.e": [0.6, 1.2]}))
    with pytest.raises(InputError) as exc:
        sweep.cases()
    assert exc.value.field == "case 1: orbit.elements.e"
    assert "must be < 1" in str(exc.value) and "orbit.elements.e=1.2" in str(exc.value)


def test_wrong_path_names_the_case_and_the_key_with_a_suggestion():
    sweep = Sweep.from_dict(tiny_sweep({"orbit.elements.i_dg": [40]}))
    with pytest.raises(InputError, match=r"case 0: orbit\.elements\.i_dg: unknown key; did you mean 'i_deg'"):
        sweep.cases()
    with pytest.raises(InputError, match=r"case 0: stations\[7\]\.min_elevation_deg: index \[7\]"):
        Sweep.from_dict(tiny_sweep({"stations[7].min_elevation_deg": [5]})).cases()


@pytest.mark.parametrize(
    "change, field",
    [
        ({"bogus": 1}, "bogus"),
        ({"vary": {"orbit.elements.i_deg": {"from": 40, "to": 90}}}, "vary.orbit.elements.i_deg.step"),
        ({"vary": {"orbit.elements.i_deg": {"from": 90, "to": 40, "step": 5}}}, "vary.orbit.elements.i_deg.to"),
        ({"vary": {"orbit..i_deg": [1]}}, "vary.orbit..i_deg"),
        ({"stages": ["windows"]}, "stages"),
        ({"metrics": ["science_value"]}, "metrics[0]"),
        ({"metrics": ["eclipse_fractoin"]}, "metrics[0]"),
        ({"sample": {"method": "sobol", "n": 0}}, "sample.n"),
        ({"sample": "halton"}, "sample"),
        ({"base": "missing.yaml"}, "base"),
    ],
)
def test_sweep_file_errors_name_the_key(change, field):
    raw = tiny_sweep({"orbit.elements.i_deg": [40]})
    raw.update(change)
    with pytest.raises(InputError) as exc:
        sweep_from_dict(raw)
    assert exc.value.field == field


def test_case_key_follows_the_resolved_case():
    a = Sweep.from_dict(tiny_sweep({"orbit.elements.i_deg": [40, 50]})).cases()
    b = Sweep.from_dict(tiny_sweep({"orbit.elements.i_deg": [50, 60]})).cases()
    assert a[1].key == b[0].key and a[0].key != a[1].key
    assert a[1].mission["orbit"]["elements"]["i_deg"] == 50 and a[1].mission["duration"] == "1 d"


def test_example_sweep_file_reads():
    import os

    from sweep_helpers import ROOT

    sweep = Sweep.from_yaml(os.path.join(ROOT, "examples", "sweep-elfo.yaml"))
    assert len(sweep.spec.case_values()) == 12
    study = Sweep.from_yaml(os.path.join(ROOT, "examples", "sweep-circumlunar-orbit.yaml"))
    assert study.spec.n_cases() == 144 and study.spec.report["best"] == "visible_fraction_mean"
