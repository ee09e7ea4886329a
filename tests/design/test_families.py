"""CR3BP periodic-orbit families: every member periodic and Jacobi-conserving, the 9:2 NRHO against
the published Gateway orbit, analytic small-amplitude limits, bifurcations, member picking."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lunarscope.design import families as F
from lunarscope.dynamics import cr3bp
from lunarscope.errors import InputError

CASES = [
    ("lyapunov", "L1", None),
    ("lyapunov", "L2", None),
    ("halo", "L1", "north"),
    ("halo", "L2", "south"),
    ("nrho", "L2", "south"),
    ("dro", None, None),
]
#: Members per family in these tests (the CLI default is 100).
N_MEMBERS = 10


@pytest.fixture(scope="module")
def families():
    return {c: F.family(*c, members=N_MEMBERS) for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(v for v in c if v))
def test_every_member_periodic_and_conserving(families, case):
    fam = families[case]
    assert len(fam.members) == N_MEMBERS
    for m in fam.members:
        assert m.jacobi_drift <= F.JACOBI_DRIFT_MAX_ND
        assert m.periodicity_error <= F.PERIODICITY_MAX_ND
        assert m.state0[1] == 0.0 and m.state0[3] == 0.0 and m.state0[5] == 0.0
        # symplectic monodromy: eigenvalues in reciprocal pairs, one trivial pair at +1
        assert abs(np.linalg.det(m.monodromy) - 1.0) < 1e-6 * np.max(np.abs(m.monodromy)) ** 2
        assert m.stability_index >= 1.0 - 1e-9
    if case[2] is not None:
        south = case[2] == "south"
        assert all((m.apolune_z_km < 0) == south for m in fam.members)


def test_nrho_9_2_against_published(families):
    """Lee 2019 (NTRS 20190030294): the 9:2 NRHO, perilune radius ≈ 3,200–3,400 km, apolune ≈
    70,000 km, period ≈ 6.56 d (2/9 of the synodic month), apolune south of the Earth–Moon plane."""
    raws = families[("nrho", "L2", "south")].raw
    m = F.pick("nrho", "L2", "south", period_nd=F.resonance_period_nd("9:2"), option="--resonance", raws=raws)
    assert m.period_d == pytest.approx(2.0 / 9.0 * cr3bp.SYNODIC_MONTH_D, rel=F.PICK_RTOL)
    assert 3200.0 <= m.perilune_km <= 3400.0
    assert m.apolune_km == pytest.approx(70000.0, rel=0.03)
    assert m.apolune_z_km < 0.0
    assert m.jacobi_drift <= F.JACOBI_DRIFT_MAX_ND and m.periodicity_error <= F.PERIODICITY_MAX_ND
    north = F.pick("nrho", "L2", "north", period_nd=F.resonance_period_nd("9:2"), option="--resonance", raws=raws)
    assert north.apolune_z_km == pytest.approx(-m.apolune_z_km, rel=1e-12)
    assert north.state0[2] == -m.state0[2]
    # the NRHO part was traced by multiple shooting
    assert all(r.shooter.n_seg == F.NRHO_SEGMENTS for r in raws)


def test_unreached_resonance_names_the_option(families):
    raws = families[("nrho", "L2", "south")].raw
    with pytest.raises(InputError, match="--resonance.*not reached"):
        F.pick("nrho", "L2", "south", period_nd=F.resonance_period_nd("2:1"), option="--resonance", raws=raws)  # 14.8 d
    with pytest.raises(InputError, match="--resonance"):
        F.resonance_period_nd("9/2")


def test_lyapunov_small_amplitude_limit(families):
    """The smallest Lyapunov orbit (A = 1e-3, 384 km) has the linear planar period 2π/ω (Richardson 1980)."""
    mu = cr3bp.MU_EARTH_MOON
    for point in ("L1", "L2"):
        c2 = cr3bp.collinear_c2(mu, point)
        w = math.sqrt((2.0 - c2 + math.sqrt(9.0 * c2 * c2 - 8.0 * c2)) / 2.0)
        first = families[("lyapunov", point, None)].members[0]
        assert first.period_nd == pytest.approx(2 * math.pi / w, rel=2e-4)  # O(A²) at A = 380 km: 8e-5


def test_dro_small_radius_limit_and_stability(families):
    """A small DRO is nearly a retrograde Kepler orbit: in the rotating frame T ≈ 2π/(n + 1),
    n = sqrt(μ/d³); DROs in this range are stable (ν = 1)."""
    mu = cr3bp.MU_EARTH_MOON
    fam = families[("dro", None, None)]
    first = fam.members[0]
    d = first.state0[0] - (1 - mu)
    assert first.period_nd == pytest.approx(2 * math.pi / (math.sqrt(mu / d**3) + 1.0), rel=2e-3)
    assert all(abs(m.stability_index - 1.0) < 1e-6 for m in fam.members)


def test_halo_bifurcation_flagged_on_lyapunov_family():
    """The L1 Lyapunov family has a tangent bifurcation (a pair through +1) where the halo family
    starts: the flagged member pair brackets the first halo's period."""
    lyap = F.family("lyapunov", "L1", members=40)
    halo_first = F.family("halo", "L1", "north", members=2).members[0]
    k = next(i for i, m in enumerate(lyap.members) if m.bifurcation == "tangent")
    lo, hi = sorted((lyap.members[k - 1].period_nd, lyap.members[k].period_nd))
    assert lo - 1e-3 <= halo_first.period_nd <= hi + 1e-3


def test_pick_by_az_and_jacobi(families):
    raws = families[("halo", "L2", "south")].raw
    m = F.pick("halo", "L2", "south", az_km=30000.0, option="--az-km", raws=raws)
    assert m.az_km == pytest.approx(30000.0, rel=1e-6)
    m2 = F.pick("halo", "L2", "south", jacobi=m.jacobi, option="--jacobi", raws=raws)
    assert m2.jacobi == pytest.approx(m.jacobi, abs=1e-11)
    with pytest.raises(InputError, match="--az-km"):
        F.pick("halo", "L2", "south", az_km=1e6, option="--az-km", raws=raws)


@pytest.mark.parametrize(
    "args, field",
    [
        (("dro", "L1", None), "--lagrange"),
        (("halo", "L3", None), "--lagrange"),
        (("halo", "L1", "up"), "--branch"),
        (("nrho", "L1", None), "--lagrange"),
        (("lyapunov", "L1", "north"), "--branch"),
        (("torus", "L1", None), "family"),
    ],
)
def test_bad_arguments(args, field):
    with pytest.raises(InputError) as e:
        F.family(*args, members=3)
    assert e.value.field == field


def test_multiple_and_single_shooting_agree(families):
    """The NRHO part runs on multiple shooting; a member corrected there is the orbit single shooting
    finds from the same crossing (same x0 held), to the correction tolerance."""
    from lunarscope.design.cr3bp_correct import Shooter

    mu = cr3bp.MU_EARTH_MOON
    raw = families[("nrho", "L2", "south")].raw[3]
    ms = raw.shooter
    assert ms.n_seg == F.NRHO_SEGMENTS
    s0, th = ms.initial_state(raw.X), ms.half_period(raw.X)
    ss = Shooter(mu, spatial=True, n_seg=1)
    X, _ = ss.correct_fixed(ss.pack(s0 + np.array([0, 0, 1e-6, 0, 1e-6, 0]), th * (1 + 1e-6)), 0)
    assert np.max(np.abs(ss.initial_state(X) - s0)) < 1e-10
    assert ss.half_period(X) == pytest.approx(th, abs=1e-10)
