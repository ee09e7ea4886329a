"""Station-keeping policy ``across`` (``lunarscope.design.stationkeeping._across_target``): on a
short, cheap case it holds the box with fewer corrections and less Δv than ``reset``, aims inside
the shrunk box, is deterministic for a seed on any number of workers, and wrong values of the key
/ option are one error naming it. 10×10 field, 5–8 days: seconds each."""

import numpy as np
import pytest
from sk_context import sk_context

from lunarscope.cli.main import main
from lunarscope.design import stationkeeping as sk
from lunarscope.errors import InputError
from lunarscope.mission.core import mission_from_dict

#: Allowed dip of the controlled mean periapsis outside the box (km): the one-orbit mean
#: straddling a burn blends the two orbits (as tests/design/test_stationkeeping.py).
BOX_SLACK_KM = 0.3
BOX = {"periapsis_km": [44, 56]}


def _raw(days="8 d", degree=10, elements=None, bodies=("earth", "sun")):
    return {
        "name": "sk-across",
        "start": "2030-01-01T00:00:00Z",
        "duration": days,
        "orbit": {"frame": "MOON_ME_INERTIAL", "elements": elements or {"a_km": 1787.4, "e": 0.0, "i_deg": 90.0}},
        "force_model": {
            "gravity": {"model": "GRGM1200A", "degree": degree, "order": degree},
            "third_bodies": list(bodies),
        },
        "propagator": {"rtol": 1e-9, "atol_km": 1e-6},
    }


def _ctx(m, policy, box=BOX, **kw):
    return sk_context(m, box, policy, **kw)


@pytest.fixture(scope="module")
def both():
    m = mission_from_dict(_raw())
    return m, {p: sk.simulate(_ctx(m, p), m.state0_icrf) for p in sk.POLICIES}


def test_across_holds_box_with_fewer_corrections_and_less_dv_than_reset(both):
    # 50 km polar orbit, 44-56 km mean-periapsis box, 8 days: reset needs 5 pairs (each back to
    # e = 0, the periapsis falls out again in ~1.4 d); across aims beyond the drift and needs 3
    _, runs = both
    across, reset = runs["across"], runs["reset"]
    assert across.impact is None
    assert np.nanmin(across.hp_km) >= 44.0 - BOX_SLACK_KM
    assert np.nanmax(across.hp_km) <= 56.0 + BOX_SLACK_KM
    assert 1 <= across.corrections < reset.corrections
    assert across.dv_total_mps < reset.dv_total_mps
    assert len(across.targets) == across.corrections and len(reset.targets) == reset.corrections


def test_across_targets_lie_inside_the_shrunk_box_and_off_the_reset_point(both):
    m, runs = both
    ctx = _ctx(m, "across")
    shrunk = sk._shrunk(ctx.box, sk.ACROSS_MARGIN_FRAC)
    assert shrunk.periapsis_km == pytest.approx((45.2, 54.8))
    tx, ty = np.array(runs["across"].targets).T
    assert not sk._outside(shrunk, tx, ty, np.full(tx.shape, ctx.target["a"])).any()
    # reset aims at the start mean e-vector every time; across does not
    assert np.allclose(np.array(runs["reset"].targets), [ctx.target["ex"], ctx.target["ey"]])
    assert np.min(np.hypot(tx - ctx.target["ex"], ty - ctx.target["ey"])) > 1e-4


def test_across_monte_carlo_is_seeded_and_worker_independent():
    m = mission_from_dict(_raw("5 d"))
    ctx = _ctx(m, "across")
    err = sk.Errors.default()
    one = sk.monte_carlo(ctx, m.state0_icrf, err, runs=2, seed=7, workers=1)
    two = sk.monte_carlo(ctx, m.state0_icrf, err, runs=2, seed=7, workers=2)
    assert one == two
    assert all(r["impact"] is None and r["min_hp_km"] >= 44.0 - BOX_SLACK_KM for r in one)


def test_auto_is_across_for_a_circular_orbit_and_reset_for_an_elfo(both):
    m, runs = both
    assert _ctx(m, "auto").policy == "across"
    assert [(b.t, b.dv_kms) for b in runs["auto"].maneuvers] == [(b.t, b.dv_kms) for b in runs["across"].maneuvers]
    el = {"a_km": 5000.0, "e": 0.5, "i_deg": 60.0, "argp_deg": 90.0}
    me = mission_from_dict(_raw("3 d", degree=0, elements=el, bodies=()))
    assert _ctx(me, "auto", box={"periapsis_km": [500, 1500]}).policy == "reset"
    assert sk.DEFAULT_POLICY == "auto"


def test_policy_errors_name_the_key():
    m = mission_from_dict(_raw("1 d"))
    with pytest.raises(InputError, match="station_keeping.policy.*sideways.*reset, across"):
        _ctx(m, "sideways", policy_key="station_keeping.policy")
    # across is for near-circular orbits: an ELFO-like orbit is refused (point-mass Moon, cheap)
    el = {"a_km": 5000.0, "e": 0.5, "i_deg": 60.0, "argp_deg": 90.0}
    me = mission_from_dict(_raw("3 d", degree=0, elements=el, bodies=()))
    with pytest.raises(InputError, match="--policy.*near-circular"):
        _ctx(me, "across", box={"periapsis_km": [500, 1500]}, policy_key="--policy")
    # in a mission file: the section names its key before anything is planned
    raw = _raw("1 d") | {"station_keeping": {"box": BOX, "policy": "sideways"}}
    with pytest.raises(InputError, match="station_keeping.policy"):
        mission_from_dict(raw)
    # a three-body orbit (strategy x_axis_crossing) has no box to cross: the key is refused
    from types import SimpleNamespace

    from lunarscope.mission import station_keeping as msk
    from lunarscope.mission.reader import Section

    doc = {"orbit": {"family": "nrho"}, "station_keeping": {"policy": "across"}}
    with pytest.raises(InputError, match="station_keeping.policy.*x_axis_crossing"):
        msk.parse(Section(doc, ""), SimpleNamespace(raw=doc, t_start=0.0, t_stop=86400.0))


def test_cli_policy_option_error_is_one_line(tmp_path, capsys):
    import yaml

    p = tmp_path / "m.yaml"
    p.write_text(yaml.safe_dump(_raw("1 d")))
    out = tmp_path / "out"
    rc = main(
        ["design", "stationkeeping", str(p), "--box", "periapsis_km: [44, 56]", "--policy", "both", "-o", str(out)]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and err[0].startswith("lunarscope: error: --policy")
    assert "reset, across" in err[0] and not out.exists()
