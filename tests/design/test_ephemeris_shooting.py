"""A CR3BP orbit carried into the full ephemeris model by multiple shooting: the variational
equations against finite differences, continuity reached on a few revolutions of the 9:2 NRHO,
the stitched trajectory against one free flight from its first state, and ``orbit: {family: ...}``
in a mission file (loads; wrong keys give one InputError naming the key)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from lunarscope.design import ephemeris_shooting as E
from lunarscope.design import families as F
from lunarscope.dynamics.forces import ForceModel
from lunarscope.dynamics.propagator import propagate
from lunarscope.errors import InputError
from lunarscope.gravity import builtin_field
from lunarscope.mission.core import mission_from_dict
from lunarscope.sources import Sources
from lunarscope.time import to_tdb

T0 = float(to_tdb("2030-01-01T00:00:00Z"))


@pytest.fixture(scope="module")
def force_model():
    src = Sources.default()
    fld = builtin_field("GRGM1200A").truncated(8, 8)
    return ForceModel(fld, "MOON_PA", ("earth", "sun"), True, ephemeris=src.ephemeris, moon_pck=src.moon_pck)


@pytest.fixture(scope="module")
def nrho():
    return F.pick("nrho", "L2", "south", period_nd=F.resonance_period_nd("9:2"), option="--resonance")


@pytest.fixture(scope="module")
def two_revs(nrho, force_model):
    return E.ephemeris_orbit(nrho, T0, 2, force_model)


def test_stm_matches_central_differences(nrho, force_model):
    """Φ from the variational equations vs central differences of the flow, over a quarter
    revolution through perilune (the sensitive part)."""
    t, X = E.patch_guess(nrho, T0, 1, force_model.ephemeris)
    x0, t_a, t_b = X[3], t[3], t[5]  # 3/8 → 5/8 of a revolution: perilune in the middle
    args = force_model.args(t_a, t_b)
    _, P = E.flow_with_stm(x0, t_a, t_b, args)
    for j, h in ((0, 1e-3), (2, 1e-3), (4, 1e-7)):
        d = np.zeros(6)
        d[j] = h
        xp, _ = E.flow_with_stm(x0 + d, t_a, t_b, args)
        xm, _ = E.flow_with_stm(x0 - d, t_a, t_b, args)
        fd = (xp - xm) / (2 * h)
        assert np.max(np.abs(fd - P[:, j])) <= 1e-4 * np.max(np.abs(P[:, j]))


def _shooting_args(orb, force_model):
    t = orb.t
    return force_model.args(t[0], t[-1] + E.EPOCH_MARGIN_FRACTION * (t[-1] - t[0]))


def test_variational_arcs_end_where_the_plain_propagator_does(two_revs, force_model):
    """The 42-component arcs take the plain propagator's steps (``STM_TOL_FACTOR``), so the bulk
    solve and the polish see the same jumps, bit for bit. Before, the RMS error norm over 42
    components loosened the step control: up to 4.6e-4 km apart here (the arc through the Moon's
    shadow of 2030-01-10)."""
    t, X = two_revs.t, two_revs.states
    _, F42 = E._jumps(t, X, _shooting_args(two_revs, force_model))
    _, F_plain = E.plain_arcs(t, X, force_model)
    assert np.max(np.abs(F42[:, :3] - F_plain[:, :3])) <= 1e-10  # measured: 0
    assert np.max(np.abs(F42[:, 3:] - F_plain[:, 3:])) <= 1e-13


def test_newton_step_solves_the_linearised_jumps(two_revs, force_model):
    """The minimum-norm Newton step solves the linearised continuity conditions to round-off
    (augmented system). The normal equations J Jᵀ λ = −F it replaced left a relative residual of
    2.6e-4 here and 0.78 at 14 revolutions, which stalled the one-year solve (1.4 km)."""
    t, X = two_revs.t, two_revs.states
    (stms, f0, f1), F = E._jumps(t, X, _shooting_args(two_revs, force_model))
    rng = np.random.default_rng(1)
    target = rng.normal(size=F.shape) * E._SCALE[None, :]  # ~1 km and ~1 µm/s at every patch point
    dx, dt = E._newton_step((stms, f0, f1), target, False)
    assert dt[0] == 0.0  # the first epoch is held
    lin = np.array([stms[k] @ (dx[k] - f0[k] * dt[k]) - dx[k + 1] + f1[k] * dt[k + 1] for k in range(len(stms))])
    rel = np.linalg.norm((lin + target) / E._SCALE) / np.linalg.norm(target / E._SCALE)
    assert rel <= 1e-8


def test_two_revolutions_continuous(two_revs, nrho):
    orb = two_revs
    assert len(orb.t) == 2 * E.PATCHES_PER_REV + 1
    assert orb.t[0] == T0
    assert np.all(np.diff(orb.t) > 0)
    assert orb.max_position_jump_km <= 10 * E.CONTINUITY_POS_TOL_KM
    assert orb.max_velocity_jump_km_s <= 10 * E.CONTINUITY_VEL_TOL_KM_S
    r = np.linalg.norm(orb.trajectory.sample(600.0)[1][:, :3], axis=1)
    # still the 9:2 NRHO: perilune ~3,250 km, apolune ~71,000 km (CR3BP member: 3,249 / 71,222 km)
    assert 3000.0 < r.min() < 3600.0
    assert 65000.0 < r.max() < 76000.0
    # two revolutions take about two CR3BP periods
    assert (orb.t[-1] - orb.t[0]) / 86400.0 == pytest.approx(2 * nrho.period_d, rel=0.05)


def test_stitched_matches_one_free_flight(two_revs, force_model):
    """The stitched trajectory is continuous: one propagation from its first state (no maneuvers)
    stays on it over the two revolutions to 10 m (measured 1.5 m: the jumps are ~1e-7 km, but the free
    flight takes other steps, and through the Moon's shadow of 2030-01-10 the integrator's own error
    is ~3e-5 km, amplified by the unstable NRHO)."""
    orb = two_revs
    flight = propagate(orb.states[0], orb.t[0], orb.t[-1], force_model).trajectory
    tq = np.linspace(orb.t[0], orb.t[-1], 400)
    dr = np.linalg.norm(flight.position(tq) - orb.trajectory.position(tq), axis=1)
    assert dr.max() < 1e-2
    # and the trajectory is the re-propagation between patch points: states at the patches
    assert np.max(np.abs(orb.trajectory.state(orb.t[:-1]) - orb.states[:-1])) < 1e-9


def test_maneuvers_are_the_jumps(two_revs):
    m = two_revs.maneuvers()
    assert len(m) == len(two_revs.t) - 2  # one at each interior patch point
    assert all(mv.frame == "ICRF" for mv in m)
    assert max(np.linalg.norm(mv.dv_kms) for mv in m) <= 10 * E.CONTINUITY_VEL_TOL_KM_S
    assert len(two_revs.maneuvers(t_stop=two_revs.t[3])) == 2


MISSION = {
    "name": "nrho-load",
    "start": "2030-01-01T00:00:00Z",
    "duration": "3 d",
    "orbit": {"family": "nrho", "lagrange": "L2", "branch": "south", "resonance": "9:2"},
    "force_model": {"gravity": {"model": "GRGM1200A", "degree": 8, "order": 8}, "third_bodies": ["earth", "sun"]},
}


def test_mission_with_family_orbit_loads():
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = mission_from_dict(copy.deepcopy(MISSION))
    # no "beyond the sphere of influence ... metres given for km?" for an NRHO (apolune ~71,000 km)
    assert not [w for w in caught if "sphere of influence" in str(w.message)]
    assert m.orbit_frame == "ICRF"
    assert m.t_start == T0
    r = float(np.linalg.norm(m.state0_icrf[:3]))
    assert 65000.0 < r < 76000.0  # starts at the apolune-side crossing
    assert m.maneuvers and all(m.t_start < mv.t < m.t_stop for mv in m.maneuvers)
    assert max(np.linalg.norm(mv.dv_kms) for mv in m.maneuvers) <= 10 * E.CONTINUITY_VEL_TOL_KM_S


def test_dro_mission_loads_far_from_the_moon_and_retrograde():
    """The 2:1 DRO (period half a synodic month) of examples/dro-telescope.yaml, on 3 days: it
    stays ~70,000-107,000 km from the Moon and circles it retrograde relative to the Moon's
    orbit about the Earth (angular momentum against the Earth-Moon orbit normal)."""
    raw = copy.deepcopy(MISSION)
    raw["orbit"] = {"family": "dro", "resonance": "2:1"}
    m = mission_from_dict(raw)
    r = float(np.linalg.norm(m.state0_icrf[:3]))
    assert 60000.0 < r < 120000.0
    moon = np.asarray(m.sources.ephemeris.state("moon", "earth", [m.t_start]), float).reshape(6)
    h_moon = np.cross(moon[:3], moon[3:])
    h_sc = np.cross(m.state0_icrf[:3], m.state0_icrf[3:])
    assert float(h_sc @ h_moon) < 0.0


def _with_orbit(**changes):
    raw = copy.deepcopy(MISSION)
    for k, v in changes.items():
        if v is None:
            raw["orbit"].pop(k, None)
        else:
            raw["orbit"][k] = v
    return raw


@pytest.mark.parametrize(
    ("changes", "key", "text"),
    [
        ({"family": "nrhoo"}, "orbit.family", "must be one of"),
        ({"resonance": 542}, "orbit.resonance", "in quotes"),  # YAML's reading of an unquoted 9:2
        ({"resonance": "9-2"}, "orbit.resonance", "p:q"),
        ({"resonance": None}, "orbit.resonance", "exactly one of"),
        ({"period_d": 6.5}, "orbit.period_d", "exactly one of"),
        ({"resonanse": "9:2"}, "orbit.resonanse", ""),
        ({"lagrange": "L1"}, "orbit.lagrange", "L2"),
        ({"branch": "up"}, "orbit.branch", "north, south"),
        ({"elements": {"a_km": 5000, "e": 0, "i_deg": 90}}, "orbit.family", "not both"),
        ({"family": "dro", "lagrange": "L2", "branch": None}, "orbit.lagrange", "no Lagrange point"),
    ],
)
def test_wrong_family_keys(changes, key, text):
    with pytest.raises(InputError) as exc:
        mission_from_dict(_with_orbit(**changes))
    assert exc.value.field == key
    assert text in str(exc.value)
    assert "\n" not in str(exc.value)


def test_resonance_not_reached():
    """A resonance outside the NRHO part (1:1, a 29.5-day period) names orbit.resonance."""
    with pytest.raises(InputError) as exc:
        mission_from_dict(_with_orbit(resonance="1:1"))
    assert exc.value.field == "orbit.resonance"
    assert "not reached" in str(exc.value)


def test_family_key_without_family():
    raw = copy.deepcopy(MISSION)
    raw["orbit"] = {"frame": "ICRF", "state": {"r_km": [5000, 0, 0], "v_kms": [0, 1.0, 0]}, "resonance": "9:2"}
    with pytest.raises(InputError) as exc:
        mission_from_dict(raw)
    assert exc.value.field == "orbit.resonance"
    assert "family" in str(exc.value)


class _Stop(Exception):
    pass


def _record_stages(monkeypatch, shift_s=0.0, fail=()):
    """Replace the shooting by a stand-in that returns its guess with the last epoch moved by
    ``shift_s`` (raising RuntimeError for horizons, in patch points, listed in ``fail`` the first
    time) and stop at the polish: records (epochs, states) of every stage it was handed."""
    seen = []
    failed = set()

    def fake_shoot(t, X, force_model, **kw):
        seen.append((np.array(t), np.array(X)))
        if len(t) in fail and len(t) not in failed:
            failed.add(len(t))
            raise RuntimeError("not converged (stand-in)")
        t = np.array(t)
        t[1:] += shift_s * np.arange(1, len(t)) / (len(t) - 1)
        return t, np.array(X), np.zeros((len(t) - 1, 6)), 1, None

    def fake_polish(*a, **kw):
        raise _Stop

    monkeypatch.setattr(E, "shoot", fake_shoot)
    monkeypatch.setattr(E, "polish", fake_polish)
    return seen


def test_new_revolutions_converted_at_the_epochs_they_get(nrho, force_model, monkeypatch):
    """When a stage moves its last epoch (the 2:1 DRO's first 8 revolutions: by 25 h), the guess of
    the next revolutions is the CR3BP member converted at the epochs they then have, not the ICRF
    states of the old epochs moved in time (off by the Moon's motion meanwhile; with them the DRO's
    year did not converge beyond 14 revolutions)."""
    p = E.PATCHES_PER_REV
    seen = _record_stages(monkeypatch, shift_s=6 * 3600.0)
    with pytest.raises(_Stop):
        E.ephemeris_orbit(nrho, T0, 3, force_model, chunk_revs=1, grow_revs=1)
    assert [len(t) for t, _ in seen] == [p + 1, 2 * p + 1, 3 * p + 1]
    t1, X1 = seen[1]
    t_new, X_new = E.patch_guess(nrho, seen[0][0][-1] + 6 * 3600.0, 2, force_model.ephemeris)
    assert t1[p] == pytest.approx(seen[0][0][-1] + 6 * 3600.0, abs=1e-6)
    assert np.allclose(t1[p:], t_new[: p + 1], rtol=0, atol=1e-6)
    assert np.allclose(X1[p + 1 :], X_new[1 : p + 1], rtol=0, atol=1e-9)


def test_failed_growth_stage_grows_fewer_revolutions(nrho, force_model, monkeypatch):
    """A growth stage that does not converge is tried again with half the new revolutions; a
    failing first chunk still raises."""
    p = E.PATCHES_PER_REV
    seen = _record_stages(monkeypatch, fail={5 * p + 1})
    with pytest.raises(_Stop):
        E.ephemeris_orbit(nrho, T0, 5, force_model, chunk_revs=1, grow_revs=4)
    assert [(len(t) - 1) // p for t, _ in seen] == [1, 5, 3, 5]
    seen = _record_stages(monkeypatch, fail={p + 1})
    with pytest.raises(RuntimeError):
        E.ephemeris_orbit(nrho, T0, 3, force_model, chunk_revs=1, grow_revs=1)


@pytest.mark.slow
def test_dro_year_continuous(force_model):
    """The 2:1 DRO for 27 revolutions (the station-keeping reference of a year, ~400 d) is continuous
    to the tolerances (it stopped at 216 km / 1.7 m/s beyond 14 revolutions before the new
    revolutions' guess was converted at their own epochs); ~1 min."""
    dro = F.pick("dro", None, None, period_nd=F.resonance_period_nd("2:1"), option="--resonance")
    orb = E.ephemeris_orbit(dro, T0, 27, force_model)
    assert orb.t[-1] - orb.t[0] > 365.25 * 86400.0
    assert orb.max_position_jump_km <= E.CONTINUITY_POS_TOL_KM
    assert orb.max_velocity_jump_km_s <= E.CONTINUITY_VEL_TOL_KM_S
    r = np.linalg.norm(orb.trajectory.sample(3600.0)[1][:, :3], axis=1)
    assert 65000.0 < r.min() and r.max() < 125000.0
