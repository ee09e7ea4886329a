"""Periodic-orbit families of the Earth–Moon CR3BP: planar Lyapunov (L1, L2), halo (L1, L2,
north and south), the NRHO part of the L2 halo family, distant retrograde orbits (DROs).

Each family is traced by pseudo-arclength continuation of symmetric periodic orbits
(:mod:`lunarscope.design.cr3bp_correct`) from a seed:

* Lyapunov: the linear planar oscillation about the collinear point (Richardson 1980,
  Celest. Mech. 22, 241: x = −A cos ωt, y = kA sin ωt with ω² = (2 − c₂ + √(9c₂² − 8c₂))/2,
  k = (ω² + 1 + 2c₂)/(2ω)), amplitude ``SEED_AMPLITUDE_ND``, corrected at fixed x₀;
* halo: the member of the Lyapunov family where the out-of-plane pair of the monodromy matrix
  reaches +1 (trace of its z–ż block = 2; the halo bifurcation), located by bisection along the
  family, then pushed out of plane by ``HALO_SEED_Z_ND`` and corrected at fixed z₀;
* NRHO: the L2 halo continued (multiple shooting, ``NRHO_SEGMENTS``) over the perilune range of
  ``NRHO_PERILUNE_RANGE_KM`` (Zimovan, Howell & Davis 2017, "Near rectilinear halo orbits and
  their application in cis-lunar space", 3rd IAA Conf. Dynamics and Control of Space Systems);
  halo continuation switches to multiple shooting by itself where single shooting fails;
* DRO: a retrograde circular orbit about the Moon of radius ``DRO_SEED_RADIUS_KM`` as seen in the
  rotating frame (ẏ₀ = −(√(μ/d) + d)), corrected at fixed x₀.

Per member: the monodromy matrix M (one period with the state-transition matrix), its
eigenvalues, the stability index ν = ½(|λ_max| + 1/|λ_max|) (Howell 1984), perilune and apolune
(km from the Moon's centre, refined on the dense output), Az = the true max |z| (km), the Jacobi
constant and its drift over the period, and the periodicity error |φ(T; s₀) − s₀|∞. A bifurcation
is flagged where, between neighbouring members, a non-trivial pair's λ + 1/λ crosses +2
(``tangent``: a pair reaching +1) or −2 (``period-doubling``), i.e. a stability index crosses 1 or
a pair crosses the unit circle. ``south`` = the apolune lies below the Earth–Moon plane (z < 0);
members of the other branch are the mirror images z → −z.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq, minimize_scalar

from ..constants import MOON_RADIUS_KM
from ..dynamics import cr3bp
from ..errors import InputError
from .cr3bp_correct import NotConverged, Shooter, half_period_guess

FAMILIES = ("halo", "nrho", "dro", "lyapunov")
#: Seed amplitude of a Lyapunov orbit about L1/L2, nondimensional (≈ 380 km).
SEED_AMPLITUDE_ND = 1e-3
#: Out-of-plane push from the bifurcating Lyapunov orbit to the first halo, nondimensional (≈ 190 km).
HALO_SEED_Z_ND = 5e-4
#: Radius of the seed DRO about the Moon, km.
DRO_SEED_RADIUS_KM = 5000.0
#: DRO family end: the far x-axis crossing beyond this distance from the Moon, km.
DRO_MAX_CROSSING_KM = 100_000.0
#: Families end where the perilune falls below this altitude above the mean lunar radius, km.
MIN_PERILUNE_ALTITUDE_KM = 100.0
#: NRHO part of the L2 halo family: perilune radius range, km (Zimovan, Howell & Davis 2017).
NRHO_PERILUNE_RANGE_KM = (1850.0, 17350.0)
#: Multiple-shooting segments per half period in the NRHO part.
NRHO_SEGMENTS = 4
#: Continuation step (pseudo-arclength, nondimensional): first, smallest, largest.
DS_FIRST_ND = 1e-3
DS_MIN_ND = 1e-7
DS_MAX_ND = 2e-2
#: Most continuation steps for one family.
MAX_CONTINUATION_STEPS = 3000
#: Lyapunov families end at this period (nondimensional, ≈ 26 d), before they wrap the Moon.
LYAPUNOV_MAX_PERIOD_ND = 6.0
#: Samples per half period for perilune/apolune/Az (each extremum is then refined).
SAMPLES_PER_HALF_PERIOD = 1500
#: Acceptance limits of every member (nondimensional): Jacobi drift over one period and
#: periodicity error |φ(T) − s₀|∞ (issue 17 item 3).
JACOBI_DRIFT_MAX_ND = 1e-12
PERIODICITY_MAX_ND = 1e-10
#: A member picked by period / Jacobi / Az matches the target to this relative tolerance.
PICK_RTOL = 1e-10
#: Non-trivial pairs: the two eigenvalues closest to +1 are the trivial pair (periodicity, Jacobi).
_TRIVIAL = 2


@dataclass
class Member:
    """One periodic orbit. ``state0``: the x–z plane crossing on the apolune side (nondimensional
    rotating frame), ``period_nd``, its monodromy etc. (module docstring); km values from l*."""

    state0: np.ndarray
    period_nd: float
    jacobi: float
    monodromy: np.ndarray
    eigenvalues: np.ndarray
    stability_index: float
    pair_sums: tuple  # λ + 1/λ of the two non-trivial pairs (real parts, sorted)
    perilune_km: float
    apolune_km: float
    apolune_z_km: float
    az_km: float
    jacobi_drift: float
    periodicity_error: float
    bifurcation: str = ""

    @property
    def period_d(self) -> float:
        return cr3bp.period_days(self.period_nd)


@dataclass
class Family:
    """Members in continuation order, and what the run did."""

    kind: str
    lagrange: str | None
    branch: str | None
    members: list
    mu: float
    notes: list = field(default_factory=list)
    raw: list = field(default_factory=list)  # the continuation steps (for pick(raws=...))


@dataclass
class _Raw:
    X: np.ndarray
    t: np.ndarray
    s: float  # arclength from the family start
    shooter: Shooter
    rp_km: float
    ra_km: float
    az_km: float
    far_km: float  # distance from the Moon of the far x-axis crossing (DRO end)


# ------------------------------------------------------------------ geometry of one orbit


def _moon_distance(states, mu):
    return np.sqrt((states[:, 0] - 1.0 + mu) ** 2 + states[:, 1] ** 2 + states[:, 2] ** 2)


def _half_arc_geometry(shooter: Shooter, X, mu, samples=400):
    """(perilune km, apolune km, max |z| km, far crossing km) from the half period (a symmetric
    orbit's other half is its mirror image, same distances and |z|)."""
    th = shooter.half_period(X)
    s0 = shooter.initial_state(X)
    arc = cr3bp.propagate(s0, th, mu)
    tq = np.linspace(0.0, th, samples)
    ys = np.vstack([arc(tq)[:, :6], arc.y[:, :6]])
    d = _moon_distance(ys, mu)
    far = max(abs(s0[0] - 1.0 + mu), abs(arc.y_end[0] - 1.0 + mu))
    L = cr3bp.L_STAR_KM
    return float(d.min() * L), float(d.max() * L), float(np.abs(ys[:, 2]).max() * L), float(far * L)


def _refine(arc, tq, f, i, kind):
    """Refine an extremum of f(state) near sample i of times tq on the dense output."""
    lo, hi = tq[max(i - 1, 0)], tq[min(i + 1, len(tq) - 1)]
    sgn = 1.0 if kind == "min" else -1.0
    res = minimize_scalar(
        lambda t: sgn * f(arc(np.array([t]))[0]), bounds=(lo, hi), method="bounded", options={"xatol": 1e-13}
    )
    t_best = float(res.x)
    return t_best, arc(np.array([t_best]))[0]


def _pair_sums(eig):
    """λ + 1/λ (real parts) of the two non-trivial pairs, sorted."""
    s = eig + 1.0 / eig
    order = np.argsort(np.abs(s - 2.0))
    rest = np.sort(np.real(s[order[_TRIVIAL:]]))
    return (float(0.5 * (rest[0] + rest[1])), float(0.5 * (rest[2] + rest[3])))


def evaluate_member(state0, period_nd, mu=cr3bp.MU_EARTH_MOON) -> Member:
    """Monodromy, stability and geometry of the periodic orbit through ``state0`` (6,)."""
    s0 = np.asarray(state0, float)
    arc = cr3bp.propagate(s0, float(period_nd), mu, stm=True)
    ye = arc.y_end
    M = ye[6:].reshape(6, 6).copy()
    eig = np.linalg.eigvals(M)
    lmax = float(np.max(np.abs(eig)))
    nu = 0.5 * (lmax + 1.0 / lmax)
    c = cr3bp.jacobi(arc.y[:, :6], mu)
    c0 = float(cr3bp.jacobi(s0, mu))
    tq = np.linspace(0.0, float(period_nd), 2 * SAMPLES_PER_HALF_PERIOD)
    ys = arc(tq)[:, :6]
    d = _moon_distance(ys, mu)
    moon_d = lambda s: math.sqrt((s[0] - 1.0 + mu) ** 2 + s[1] ** 2 + s[2] ** 2)  # noqa: E731
    _, sp = _refine(arc, tq, moon_d, int(np.argmin(d)), "min")
    _, sa = _refine(arc, tq, moon_d, int(np.argmax(d)), "max")
    _, sz = _refine(arc, tq, lambda s: abs(s[2]), int(np.argmax(np.abs(ys[:, 2]))), "max")
    L = cr3bp.L_STAR_KM
    return Member(
        state0=s0.copy(),
        period_nd=float(period_nd),
        jacobi=c0,
        monodromy=M,
        eigenvalues=eig,
        stability_index=nu,
        pair_sums=_pair_sums(eig),
        perilune_km=moon_d(sp) * L,
        apolune_km=moon_d(sa) * L,
        apolune_z_km=float(sa[2] * L),
        az_km=abs(float(sz[2])) * L,
        jacobi_drift=float(np.max(np.abs(c - c0))),
        periodicity_error=float(np.max(np.abs(ye[:6] - s0))),
    )


def _member_from_X(shooter: Shooter, X, mu, kind="halo") -> Member:
    """The member of X, reported at one of its two x–z plane crossings: for DROs the one beyond the
    Moon (x > 1 − μ), otherwise the one farther from the Moon (the apolune side)."""
    s0 = shooter.initial_state(X)
    th = shooter.half_period(X)
    s_half = cr3bp.propagate(s0, th, mu).y_end[:6].copy()
    s_half[[1, 3, 5]] = 0.0  # on the plane, perpendicular (to the correction tolerance)
    if kind == "dro":
        use_half = s_half[0] > s0[0]
    else:
        d0 = math.hypot(s0[0] - 1.0 + mu, s0[2])
        d1 = math.hypot(s_half[0] - 1.0 + mu, s_half[2])
        use_half = d1 > d0
    return evaluate_member(s_half if use_half else s0, 2.0 * th, mu)


def mirror(m: Member) -> Member:
    """The z → −z image of a member (same period, Jacobi, stability; other branch)."""
    s = m.state0.copy()
    s[2] = -s[2]
    s[5] = -s[5]
    S = np.diag([1.0, 1.0, -1.0, 1.0, 1.0, -1.0])
    return Member(
        s,
        m.period_nd,
        m.jacobi,
        S @ m.monodromy @ S,
        m.eigenvalues,
        m.stability_index,
        m.pair_sums,
        m.perilune_km,
        m.apolune_km,
        -m.apolune_z_km,
        m.az_km,
        m.jacobi_drift,
        m.periodicity_error,
        m.bifurcation,
    )


def flag_bifurcations(members) -> None:
    """Set ``bifurcation`` on each member where a non-trivial λ + 1/λ crossed ±2 since the previous one."""
    for prev, cur in zip(members[:-1], members[1:]):
        tags = []
        for a, b in zip(prev.pair_sums, cur.pair_sums):
            if (a - 2.0) * (b - 2.0) < 0.0:
                tags.append("tangent")
            if (a + 2.0) * (b + 2.0) < 0.0:
                tags.append("period-doubling")
        cur.bifurcation = "+".join(tags)


# ------------------------------------------------------------------ seeds


def _lyapunov_seed(mu, point):
    xl = cr3bp.lagrange_points(mu)[point][0]
    c2 = cr3bp.collinear_c2(mu, point)
    w = math.sqrt((2.0 - c2 + math.sqrt(9.0 * c2 * c2 - 8.0 * c2)) / 2.0)
    k = (w * w + 1.0 + 2.0 * c2) / (2.0 * w)
    A = SEED_AMPLITUDE_ND
    # the crossing farther from the Moon: Earth side of L1, far side of L2
    x0 = xl - A if point == "L1" else xl + A
    s0 = np.array([x0, 0.0, 0.0, 0.0, (k * A * w) if point == "L1" else -(k * A * w), 0.0])
    sh = Shooter(mu, spatial=False)
    X = sh.pack(s0, half_period_guess(s0, mu))
    X, _ = sh.correct_fixed(X, 0)
    t = sh.tangent(X)
    # grow the amplitude: x0 moves away from the point
    if t[0] * (x0 - xl) < 0.0:
        t = -t
    return sh, X, t


def _dro_seed(mu):
    d = DRO_SEED_RADIUS_KM / cr3bp.L_STAR_KM
    s0 = np.array([1.0 - mu + d, 0.0, 0.0, 0.0, -(math.sqrt(mu / d) + d), 0.0])
    sh = Shooter(mu, spatial=False)
    X = sh.pack(s0, half_period_guess(s0, mu))
    X, _ = sh.correct_fixed(X, 0)
    t = sh.tangent(X)
    if t[0] < 0.0:  # grow: x0 moves away from the Moon
        t = -t
    return sh, X, t


def _vertical_trace(shooter, X, mu):
    s0 = shooter.initial_state(X)
    arc = cr3bp.propagate(s0, shooter.half_period(X) * 2.0, mu, stm=True)
    M = arc.y_end[6:].reshape(6, 6)
    return float(M[2, 2] + M[5, 5])


def _halo_seed(mu, point, progress=None):
    """First halo member next to the Lyapunov bifurcation (z₀ > 0) and its tangent."""
    sh, X, t = _lyapunov_seed(mu, point)
    f_prev = _vertical_trace(sh, X, mu) - 2.0
    ds = DS_FIRST_ND
    for _ in range(MAX_CONTINUATION_STEPS):
        try:
            Xn, it = sh.step(X, t, ds)
        except NotConverged:
            ds /= 2.0
            if ds < DS_MIN_ND:
                break
            continue
        f = _vertical_trace(sh, Xn, mu) - 2.0
        if f_prev * f < 0.0:
            Xa, ta = X, t
            g = lambda d, Xa=Xa, ta=ta: _vertical_trace(sh, sh.step(Xa, ta, d)[0], mu) - 2.0  # noqa: E731
            d_bif = brentq(g, 0.0, ds, xtol=1e-12)
            Xb = sh.step(Xa, ta, d_bif)[0]
            sp = Shooter(mu, spatial=True)
            s0 = sh.initial_state(Xb)
            s0[2] = HALO_SEED_Z_ND
            Xs = sp.pack(s0, sh.half_period(Xb))
            Xs, _ = sp.correct_fixed(Xs, 2)
            ts = sp.tangent(Xs)
            if ts[sp.index_of(2)] < 0.0:
                ts = -ts
            return sp, Xs, ts
        X, t, f_prev = Xn, sh.tangent(Xn, t), f
        if it <= 3:
            ds = min(ds * 1.5, DS_MAX_ND)
    raise RuntimeError(f"no halo bifurcation found on the {point} Lyapunov family")


# ------------------------------------------------------------------ continuation


def _to_multiple(shooter: Shooter, X, t, n_seg, mu):
    ms = Shooter(mu, shooter.spatial, n_seg)
    Xm = ms.pack(shooter.initial_state(X), shooter.half_period(X))
    Xm, _ = ms.correct_fixed(Xm, 0)
    # orient the new tangent like the old one in the shared components (x0, z0, ...; half period)
    tm = ms.tangent(Xm)
    ref = float(np.dot(tm[: ms.nk], t[: shooter.nk]) + tm[-1] * n_seg * t[-1])
    if ref < 0.0:
        tm = -tm
    return ms, Xm, tm


def _continue(kind, shooter, X, t, mu, stop, progress=None, switch=None, max_steps=MAX_CONTINUATION_STEPS):
    """Raw members from X along t until ``stop(raw)`` is true. ``switch(raw)`` → number of
    segments to change to (multiple shooting) or None. Single shooting that fails to converge at
    the smallest step switches to multiple shooting (``NRHO_SEGMENTS``) once."""
    raws = []
    s = 0.0
    geo = _half_arc_geometry(shooter, X, mu)
    raws.append(_Raw(X, t, s, shooter, *geo))
    ds = DS_FIRST_ND
    switched = False
    for _ in range(max_steps):
        r = raws[-1]
        if switch is not None and r.shooter.n_seg == 1:
            n_seg = switch(r)
            if n_seg:
                sh, Xm, tm = _to_multiple(r.shooter, r.X, r.t, n_seg, mu)
                raws[-1] = _Raw(Xm, tm, r.s, sh, r.rp_km, r.ra_km, r.az_km, r.far_km)
                r = raws[-1]
                switched = True
        try:
            Xn, it = r.shooter.step(r.X, r.t, ds)
        except NotConverged:
            ds /= 2.0
            if ds < DS_MIN_ND:
                if r.shooter.n_seg == 1 and not switched:
                    sh, Xm, tm = _to_multiple(r.shooter, r.X, r.t, NRHO_SEGMENTS, mu)
                    raws[-1] = _Raw(Xm, tm, r.s, sh, r.rp_km, r.ra_km, r.az_km, r.far_km)
                    switched = True
                    ds = DS_FIRST_ND
                    continue
                break
            continue
        tn = r.shooter.tangent(Xn, r.t)
        geo = _half_arc_geometry(r.shooter, Xn, mu)
        raw = _Raw(Xn, tn, r.s + ds, r.shooter, *geo)
        if stop(raw):  # the first orbit past the family's end is not kept
            break
        raws.append(raw)
        if progress is not None:
            progress(len(raws))
        if it <= 3:
            ds = min(ds * 1.5, DS_MAX_ND)
        elif it >= 6:
            ds = max(ds / 2.0, DS_MIN_ND)
    return raws


def check_args(kind, lagrange, branch):
    """InputError (naming the CLI option) for a family / Lagrange point / branch that do not go together."""
    if kind not in FAMILIES:
        raise InputError("family", f"{kind!r} is not one of {', '.join(FAMILIES)}")
    if kind == "dro":
        if lagrange is not None:
            raise InputError("--lagrange", "DROs circle the Moon and belong to no Lagrange point; leave it out")
        if branch is not None:
            raise InputError("--branch", "DROs are planar; north/south applies to halo and nrho only")
        return
    if lagrange is None:
        raise InputError("--lagrange", f"is required for the {kind} family: give L1 or L2")
    if lagrange not in ("L1", "L2"):
        raise InputError("--lagrange", f"{lagrange!r}: give L1 or L2 for the {kind} family")
    if kind == "nrho" and lagrange != "L2":
        raise InputError("--lagrange", "the NRHO part is computed for the L2 halo family only; give L2")
    if kind == "lyapunov" and branch is not None:
        raise InputError("--branch", "Lyapunov orbits are planar; north/south applies to halo and nrho only")
    if branch not in (None, "north", "south"):
        raise InputError("--branch", f"{branch!r}: give north or south")


def raw_family(kind, lagrange=None, branch=None, mu=cr3bp.MU_EARTH_MOON, progress=None):
    """Continuation of one family: list of raw members (internal; see :func:`family`)."""
    check_args(kind, lagrange, branch)
    rp_min = MOON_RADIUS_KM + MIN_PERILUNE_ALTITUDE_KM
    if kind == "lyapunov":
        sh, X, t = _lyapunov_seed(mu, lagrange)
        stop = lambda r: r.rp_km < rp_min or r.shooter.half_period(r.X) * 2 > LYAPUNOV_MAX_PERIOD_ND  # noqa: E731
        return _continue(kind, sh, X, t, mu, stop, progress)
    if kind == "dro":
        sh, X, t = _dro_seed(mu)
        return _continue(kind, sh, X, t, mu, lambda r: r.far_km > DRO_MAX_CROSSING_KM, progress)
    sh, X, t = _halo_seed(mu, lagrange)
    if kind == "halo":
        return _continue(kind, sh, X, t, mu, lambda r: r.rp_km < rp_min, progress)
    lo, hi = NRHO_PERILUNE_RANGE_KM
    raws = _continue(
        kind, sh, X, t, mu, lambda r: r.rp_km < lo, progress, switch=lambda r: NRHO_SEGMENTS if r.rp_km < hi else None
    )
    return [r for r in raws if lo <= r.rp_km <= hi]


def _resample(raws, n, mu):
    """n members evenly spaced in arclength between the first and last raw member."""
    if len(raws) < 2 or n <= 1:
        return [(raws[0].shooter, raws[0].X)]
    # arclength is comparable only within one shooter; resample each stretch in proportion
    s0, s1 = raws[0].s, raws[-1].s
    targets = np.linspace(s0, s1, n)
    out = []
    k = 0
    for st in targets:
        while k + 1 < len(raws) - 1 and raws[k + 1].s <= st:
            k += 1
        r = raws[k]
        ds = st - r.s
        if ds <= 1e-15:
            out.append((r.shooter, r.X))
            continue
        if raws[k + 1].shooter is not r.shooter:
            nearest = r if ds < raws[k + 1].s - st else raws[k + 1]
            out.append((nearest.shooter, nearest.X))
            continue
        try:
            X, _ = r.shooter.step(r.X, r.t, ds)
        except NotConverged:
            X = r.X
        out.append((r.shooter, X))
    return out


def family(kind, lagrange=None, branch=None, members=100, mu=cr3bp.MU_EARTH_MOON, progress=None) -> Family:
    """``members`` orbits of one family, evenly spaced in pseudo-arclength along it.

    ``kind`` in FAMILIES; ``lagrange`` "L1"/"L2" (not for DROs); ``branch`` "north"/"south"
    (halo, nrho; default south). ``progress(stage, done, total)`` (total None while continuing)."""
    if not isinstance(members, int) or members < 2:
        raise InputError("--members", f"{members!r}: need an integer >= 2")
    check_args(kind, lagrange, branch)
    cb = None if progress is None else (lambda n: progress("continuation", n, None))
    raws = raw_family(kind, lagrange, branch, mu, cb)
    if not raws:
        raise RuntimeError(f"the {kind} continuation produced no member")
    picks = _resample(raws, members, mu)
    out = []
    for i, (sh, X) in enumerate(picks):
        out.append(_orient(_member_from_X(sh, X, mu, kind), kind, branch))
        if progress is not None:
            progress("members", i + 1, len(picks))
    flag_bifurcations(out)
    fam = Family(kind, lagrange, _branch_of(kind, branch), out, mu, raw=raws)
    fam.notes.append(f"{len(raws)} continuation steps; {sum(r.shooter.n_seg > 1 for r in raws)} with multiple shooting")
    return fam


def _branch_of(kind, branch):
    if kind in ("halo", "nrho"):
        return branch or "south"
    return None


def _orient(m: Member, kind, branch):
    b = _branch_of(kind, branch)
    if b is None:
        return m
    south = m.apolune_z_km < 0.0
    return m if south == (b == "south") else mirror(m)


# ------------------------------------------------------------------ picking one member


def resonance_period_nd(text: str) -> float:
    """'p:q' (p revolutions in q synodic months) → nondimensional period q/p × 29.530589 d."""
    try:
        p, q = (int(v) for v in str(text).split(":"))
    except ValueError:
        raise InputError("--resonance", f"{text!r} is not p:q with whole numbers, e.g. 9:2") from None
    if p <= 0 or q <= 0:
        raise InputError("--resonance", f"{text!r}: p and q must be positive")
    return q / p * cr3bp.SYNODIC_MONTH_D * 86400.0 / cr3bp.T_STAR_S


def pick(
    kind,
    lagrange=None,
    branch=None,
    *,
    period_nd=None,
    jacobi=None,
    az_km=None,
    option="--period-d",
    mu=cr3bp.MU_EARTH_MOON,
    progress=None,
    raws=None,
) -> Member:
    """The family member with the given period (nondimensional), Jacobi constant or Az (true max
    |z|, km): a root search on the pseudo-arclength between the two continuation steps that bracket
    it (the first such bracket along the family). InputError naming ``option`` when the family does
    not reach the value."""
    given = [v is not None for v in (period_nd, jacobi, az_km)]
    if sum(given) != 1:
        raise InputError(option, "give exactly one of period, Jacobi constant or Az")
    if raws is None:
        cb = None if progress is None else (lambda n: progress("continuation", n, None))
        raws = raw_family(kind, lagrange, branch, mu, cb)
    if period_nd is not None:
        target, name = float(period_nd), "period"

        def value(sh, X):
            return 2.0 * sh.half_period(X)
    elif jacobi is not None:
        target, name = float(jacobi), "Jacobi constant"

        def value(sh, X):
            return float(cr3bp.jacobi(sh.initial_state(X), mu))
    else:
        target, name = float(az_km), "Az"

        def value(sh, X):
            return _half_arc_geometry(sh, X, mu, samples=SAMPLES_PER_HALF_PERIOD)[2]

    vals = [value(r.shooter, r.X) for r in raws]
    for k in range(len(raws) - 1):
        a, b = vals[k] - target, vals[k + 1] - target
        if a == 0.0:
            return _orient(_member_from_X(raws[k].shooter, raws[k].X, mu, kind), kind, branch)
        if a * b < 0.0 and raws[k + 1].shooter is raws[k].shooter:
            r = raws[k]
            span = raws[k + 1].s - r.s
            d = brentq(
                lambda ds, r=r: value(r.shooter, r.shooter.step(r.X, r.t, ds)[0]) - target,
                0.0,
                span,
                xtol=1e-15,
                rtol=4 * np.finfo(float).eps,
                maxiter=200,
            )
            X = r.shooter.step(r.X, r.t, d)[0]
            return _orient(_member_from_X(r.shooter, X, mu, kind), kind, branch)
    lo, hi = min(vals), max(vals)
    fmt = _format_value(name, lo, hi, target)
    raise InputError(option, fmt)


def _format_value(name, lo, hi, target):
    if name == "period":
        f = cr3bp.period_days
        return f"period {f(target):.4f} d is not reached by this family (its periods span {f(lo):.4f} .. {f(hi):.4f} d)"
    if name == "Az":
        return f"Az {target:g} km is not reached by this family (its max |z| spans {lo:.1f} .. {hi:.1f} km)"
    return f"Jacobi constant {target:.6f} is not reached by this family (it spans {lo:.6f} .. {hi:.6f})"
