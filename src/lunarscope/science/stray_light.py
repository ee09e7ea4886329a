"""Stray light from the sunlit Moon and the Earth just outside the field, through the PST.

**PST convention** (Breault 1977, SPIE 107; Fest 2013, *Stray Light Analysis and Control*, SPIE
Press, ch. 1–2): PST(θ) = E_fp(θ) / E_in(θ), the irradiance a source at off-axis angle θ puts on
the focal plane (scattered, spread over the field) over the irradiance it makes at the entrance
aperture, on a plane normal to the source direction. A uniform sky of radiance L puts
E_fp = L · Ω_fp on the focal plane, Ω_fp = π / (4 N²) the projected solid angle of the beam of
focal ratio N (the camera equation; the band throughput applies to both alike). So the stray
light reads as an **equivalent sky radiance** L_eq = PST(θ) · E_in / Ω_fp, and an extended
body of radiance L(ω) contributes L_eq = ∫ PST(θ(ω)) L(ω) dω / Ω_fp. The focal ratio is the
instrument's ``focal_ratio`` when it has one, else ``DEFAULT_FOCAL_RATIO``.

**Moon** (an extended body: from 100 km it spans 2 × 71°): the surface radiance is the
Lommel–Seeliger law L = K μ₀/(μ₀ + μ) Φ(α) (Hapke 2012, *Theory of Reflectance and Emittance
Spectroscopy*, 2nd ed.), μ₀ and μ the cosines of incidence and emission and α the
local phase angle of each surface element. Φ(α) is set so that the disc-integrated Moon seen
from afar follows the lunar V phase curve V(α) = −12.73 + 0.026|α| + 4×10⁻⁹ α⁴ (α in degrees;
Allen 1973, *Astrophysical Quantities*, 3rd ed., as used by Krisciunas & Schaefer 1991, PASP
103, 1033, eq. 9) at the mean Earth–Moon distance: Φ(α) = 10^(−0.4 (V(α) − V(0))) / Ψ_LS(α),
with Ψ_LS(α) = 1 − sin(α/2) tan(α/2) ln cot(α/4) the disc-integrated Lommel–Seeliger phase law;
K puts V(0) at the mean distance. The visible disc is integrated from the spacecraft with a
Gauss–Legendre rule in the emission angle and a uniform rule in azimuth about the nadir
(``MOON_EMISSION_NODES`` × ``MOON_AZIMUTH_NODES``), so the nearest limb is resolved.
Earthshine on the Moon's night side (~1e-4 of sunlight) is left out.

**Earth** (0.95° across from the Moon): a point source of V = 5 log10(r Δ) + V(1, α) with the
phase curve V(1, α) = −3.99 − 1.060e-3 α + 2.054e-4 α² (Mallama, Krobusek & Pavlov 2017,
Icarus 282, 19; Mallama & Hilton 2018, Astron. Comput. 25, 10), r and Δ in AU; zero while the
Moon hides the Earth's centre from the spacecraft.

Magnitudes become radiance at 500 nm with a solar spectral shape: E₅₀₀ = E☉,₅₀₀ 10^(−0.4 (V − V☉)),
V☉ = −26.76 (Willmer 2018, ApJS 236, 47) and E☉,₅₀₀ the shipped solar spectrum at 500 nm. The
Moon (B − V = 0.92 against the Sun's 0.65) and the Earth are not grey; a stated approximation.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numba
import numpy as np

from ..constants import AU_KM, EARTH_MOON_DISTANCE_KM, MOON_RADIUS_KM

#: Focal ratio used to turn the PST into an equivalent sky radiance when the instrument has no
#: ``focal_ratio`` (f/10, a typical small Cassegrain; an assumption, stated in docs/science.md).
DEFAULT_FOCAL_RATIO = 10.0
#: Apparent V magnitude of the Sun at 1 AU (Willmer 2018, ApJS 236, 47, Table 3).
SUN_V_MAG = -26.76
#: Lunar V phase curve at mean distance: V(α) = MOON_V0 + MOON_V1 |α| + MOON_V4 α⁴, α in deg
#: (Allen 1973 via Krisciunas & Schaefer 1991, eq. 9).
MOON_V0_MAG = -12.73
MOON_V1_MAG_PER_DEG = 0.026
MOON_V4_MAG_PER_DEG4 = 4.0e-9
#: Published full-Moon V magnitude at mean distance (Allen's Astrophysical Quantities, 4th ed.
#: 2000; Lane & Irvine 1973, AJ 78, 267: V(1,0) = +0.21), the validation figure.
MOON_FULL_V_MAG = -12.74
#: Earth's V phase curve, V(1, α) = c0 + c1 α + c2 α², α in deg (Mallama et al. 2017).
EARTH_V1_COEFFS = (-3.99, -1.060e-3, 2.054e-4)
#: Quadrature of the visible lunar disc: Gauss–Legendre nodes in emission angle, uniform azimuths.
MOON_EMISSION_NODES = 32
MOON_AZIMUTH_NODES = 64
#: Epochs whose nearest lunar limb is within this angle of the pointing (deg) get a finer
#: quadrature: there the PST changes by orders of magnitude across a few degrees of limb.
REFINE_GAP_DEG = 5.0
#: Node multiplier (per coordinate) of that finer quadrature.
REFINE_FACTOR = 4
#: Points of the tabulated surface phase function Φ(α) (uniform in α, 0.05° apart; Φ is
#: smooth, so linear interpolation errs by < 1e-5 relative).
PHASE_TABLE_SIZE = 3601
#: Points of the PST resampled for the compiled disc integral (uniform in off-axis angle,
#: 0.01° apart; linear interpolation there differs from the log-linear table law by < 0.02 %
#: at the steepest default slope, 1.5 decades per degree).
PST_TABLE_SIZE = 18001
#: Smallest phase angle (deg) in Ψ_LS: ln cot(α/4) diverges at 0 while the product → 0.
_ALPHA_MIN_DEG = 1e-6


def focal_plane_solid_angle_sr(instrument) -> float:
    """Ω_fp = π / (4 N²) (sr), N the instrument's ``focal_ratio`` or ``DEFAULT_FOCAL_RATIO``."""
    n = getattr(instrument, "focal_ratio", None) or DEFAULT_FOCAL_RATIO
    return math.pi / (4.0 * float(n) ** 2)


@lru_cache(maxsize=1)
def solar_irradiance_500nm() -> float:
    """The shipped solar spectrum at 500 nm, 1 AU (W m⁻² µm⁻¹)."""
    from .spectra import W_M2_UM_IN_FLAM, flam, solar_spectrum

    return float(flam(solar_spectrum(), [5000.0])[0]) / W_M2_UM_IN_FLAM


def irradiance_500nm_from_v(v_mag) -> np.ndarray:
    """Irradiance at 500 nm (W m⁻² µm⁻¹) of a source of V magnitude ``v_mag`` with the solar
    spectral shape: E☉,₅₀₀ · 10^(−0.4 (V − V☉))."""
    return solar_irradiance_500nm() * 10.0 ** (-0.4 * (np.asarray(v_mag, float) - SUN_V_MAG))


def v_from_irradiance_500nm(e500) -> np.ndarray:
    """Inverse of :func:`irradiance_500nm_from_v`."""
    return SUN_V_MAG - 2.5 * np.log10(np.asarray(e500, float) / solar_irradiance_500nm())


# ---------------------------------------------------------------------------------- the Moon
def moon_phase_curve_v(alpha_deg) -> np.ndarray:
    """Disc-integrated lunar V magnitude at mean distance vs phase angle (deg), Allen 1973."""
    a = np.abs(np.asarray(alpha_deg, float))
    return MOON_V0_MAG + MOON_V1_MAG_PER_DEG * a + MOON_V4_MAG_PER_DEG4 * a**4


def lommel_seeliger_integral_phase(alpha_deg) -> np.ndarray:
    """Ψ_LS(α) = 1 − sin(α/2) tan(α/2) ln cot(α/4): the disc-integrated Lommel–Seeliger phase
    law normalised to 1 at α = 0 (e.g. Muinonen & Lumme 2015, A&A 584, A23)."""
    a = np.radians(np.clip(np.abs(np.asarray(alpha_deg, float)), _ALPHA_MIN_DEG, 180.0 - _ALPHA_MIN_DEG))
    return 1.0 - np.sin(a / 2) * np.tan(a / 2) * np.log(1.0 / np.tan(a / 4))


def moon_surface_phase(alpha_deg) -> np.ndarray:
    """Φ(α): the per-element phase function that makes the disc integral follow Allen's curve."""
    a = np.asarray(alpha_deg, float)
    target = 10.0 ** (-0.4 * (moon_phase_curve_v(a) - MOON_V0_MAG))
    return target / np.maximum(lommel_seeliger_integral_phase(a), 1e-12)


def moon_surface_scale() -> float:
    """K (W m⁻² sr⁻¹ µm⁻¹ at 500 nm, Sun at 1 AU): at α = 0 every element of the disc has
    L = K/2, so the irradiance at distance D is (K/2) π R² / D² (small-angle disc) = E(V(0))."""
    e_full = irradiance_500nm_from_v(MOON_V0_MAG)
    return 2.0 * e_full * EARTH_MOON_DISTANCE_KM**2 / (math.pi * MOON_RADIUS_KM**2)


def moon_disc_integral(
    r_sc_km, sun_dir, pointing=None, pst=None, n_e: int = MOON_EMISSION_NODES, n_phi: int = MOON_AZIMUTH_NODES
):
    """∫ PST(θ(ω)) L(ω) dω over the visible lunar disc from Moon-centred positions ``r_sc_km``
    (N,3), Sun along ``sun_dir`` (N,3) from the Moon (parallel rays), Sun at 1 AU: W m⁻² µm⁻¹ at
    500 nm. θ is the angle between a view direction ω and ``pointing`` (N,3); ``pst`` is an
    :class:`~lunarscope.science.instrument.Instrument` (its PST table, compiled path) or any
    callable mapping θ (deg, array) to the PST. Without them the integral is the irradiance.

    View directions ω = cos ψ n̂ + sin ψ (cos φ â + sin φ ĉ) about the nadir n̂, with
    d sin ψ = R sin e (e the emission angle at the surface), so dω = (R/d)² sin e cos e / cos ψ de dφ.
    Epochs whose nearest limb lies within ``REFINE_GAP_DEG`` of the pointing are integrated with
    ``REFINE_FACTOR`` × the nodes in each coordinate."""
    r = np.ascontiguousarray(np.atleast_2d(np.asarray(r_sc_km, float)))
    s = np.atleast_2d(np.asarray(sun_dir, float))
    s = np.ascontiguousarray(np.broadcast_to(s / np.linalg.norm(s, axis=1, keepdims=True), r.shape))
    if pointing is None:
        p = np.zeros_like(r)
        p[:, 0] = 1.0
    else:
        p = np.broadcast_to(np.atleast_2d(np.asarray(pointing, float)), r.shape)
        p = np.ascontiguousarray(p / np.linalg.norm(p, axis=1, keepdims=True))
    table = _pst_table(pst)
    if table is None and pst is not None and not callable(pst):
        pst = pst.pst  # an instrument-like object with a ``pst`` method
    d = np.linalg.norm(r, axis=1)
    gap = np.degrees(np.arccos(np.clip(np.einsum("ij,ij->i", p, -r / d[:, None]), -1, 1)))
    gap -= np.degrees(np.arcsin(np.minimum(1.0, MOON_RADIUS_KM / d)))
    fine = (gap < REFINE_GAP_DEG) if pst is not None else np.zeros(len(r), bool)
    out = np.zeros(len(r))
    phase_grid = _phase_table()[1]
    for rows, f in ((~fine, 1), (fine, REFINE_FACTOR)):
        if not rows.any():
            continue
        e, we, phi = _disc_nodes(n_e * f, n_phi * f)
        if table is None and pst is not None:  # a plain callable: numpy path
            out[rows] = _disc_numpy(r[rows], s[rows], p[rows], pst, e, we, phi, phase_grid)
        else:
            fine_pst = table if table is not None else np.ones(2)
            out[rows] = _disc_kernel(
                r[rows], s[rows], p[rows], table is not None, e, we, phi, phase_grid, fine_pst, MOON_RADIUS_KM
            )
    return moon_surface_scale() * out


def _pst_table(pst):
    """The PST of an :class:`Instrument` sampled every 180° / (PST_TABLE_SIZE − 1) (its own
    ``pst`` method, so any interpolation law it has is kept), else None (``pst`` is then a
    plain callable, evaluated at every node)."""
    from .instrument import Instrument

    if isinstance(pst, Instrument):
        return np.ascontiguousarray(pst.pst(np.linspace(0.0, 180.0, PST_TABLE_SIZE)), dtype=float)
    return None


@lru_cache(maxsize=8)
def _disc_nodes(n_e: int, n_phi: int):
    """Gauss–Legendre emission angles e in [0, π/2) with weights (× the uniform azimuth weight),
    and the azimuths φ (uniform, offset by half a step)."""
    x, w = np.polynomial.legendre.leggauss(n_e)
    e = (x + 1.0) * (math.pi / 4.0)
    we = w * (math.pi / 4.0) * (2 * math.pi / n_phi)
    phi = (np.arange(n_phi) + 0.5) * (2 * math.pi / n_phi)
    return e, we, phi


def _frame(rb):
    d = np.linalg.norm(rb)
    nad = -rb / d
    helper = np.array([0.0, 0.0, 1.0]) if abs(nad[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    a = np.cross(nad, helper)
    a /= np.linalg.norm(a)
    return d, nad, a, np.cross(nad, a)


def _disc_numpy(r, s, p, pst, e, we, phi, phase_grid):
    """The disc integral (without K) with a Python PST callable, one epoch at a time."""
    out = np.zeros(len(r))
    E, P = np.meshgrid(e, phi, indexing="ij")
    W = np.broadcast_to(we[:, None], E.shape)
    sin_e, cos_e = np.sin(E), np.cos(E)
    for k in range(len(r)):
        d, nad, a, c = _frame(r[k])
        q = MOON_RADIUS_KM / d
        sin_psi = q * sin_e
        cos_psi = np.sqrt(1.0 - sin_psi**2)
        dom = q * q * sin_e * cos_e / cos_psi * W

        cp, sp = np.cos(P), np.sin(P)
        ws = cos_psi * (nad @ s[k]) + sin_psi * (cp * (a @ s[k]) + sp * (c @ s[k]))
        t = d * cos_psi - MOON_RADIUS_KM * cos_e
        mu0 = (r[k] @ s[k] + t * ws) / MOON_RADIUS_KM
        alpha = np.degrees(np.arccos(np.clip(-ws, -1.0, 1.0)))
        phase = np.interp(alpha, np.linspace(0.0, 180.0, len(phase_grid)), phase_grid)
        val = np.where(mu0 > 0, mu0 / np.maximum(mu0 + cos_e, 1e-300), 0.0) * phase * dom
        wp = cos_psi * (nad @ p[k]) + sin_psi * (cp * (a @ p[k]) + sp * (c @ p[k]))
        theta = np.degrees(np.arccos(np.clip(wp, -1.0, 1.0)))
        out[k] = float(np.sum(val * pst(theta)))
    return out


@numba.njit(cache=True)
def _disc_kernel(r, s, p, use_pst, e, we, phi, phase_grid, pst_fine, radius):  # pragma: no cover - compiled
    """Compiled disc integral (without K): Lommel–Seeliger × Φ(α) × PST(θ) × dω, summed over
    the nodes for each epoch. Φ and the PST are tabulated uniformly in angle on [0°, 180°]
    and interpolated linearly."""
    n = r.shape[0]
    out = np.zeros(n)
    n_phase = phase_grid.shape[0]
    step = 180.0 / (n_phase - 1)
    n_pst = pst_fine.shape[0]
    pst_step = 180.0 / (n_pst - 1)
    deg = 180.0 / np.pi
    cphi = np.cos(phi)
    sphi = np.sin(phi)
    for k in range(n):
        d = np.sqrt(r[k, 0] ** 2 + r[k, 1] ** 2 + r[k, 2] ** 2)
        nad = -r[k] / d
        if abs(nad[2]) < 0.9:
            hx, hy, hz = 0.0, 0.0, 1.0
        else:
            hx, hy, hz = 1.0, 0.0, 0.0
        ax = nad[1] * hz - nad[2] * hy
        ay = nad[2] * hx - nad[0] * hz
        az = nad[0] * hy - nad[1] * hx
        an = np.sqrt(ax * ax + ay * ay + az * az)
        ax, ay, az = ax / an, ay / an, az / an
        cx = nad[1] * az - nad[2] * ay
        cy = nad[2] * ax - nad[0] * az
        cz = nad[0] * ay - nad[1] * ax
        sn = nad[0] * s[k, 0] + nad[1] * s[k, 1] + nad[2] * s[k, 2]
        sa = ax * s[k, 0] + ay * s[k, 1] + az * s[k, 2]
        sc = cx * s[k, 0] + cy * s[k, 1] + cz * s[k, 2]
        pn = nad[0] * p[k, 0] + nad[1] * p[k, 1] + nad[2] * p[k, 2]
        pa = ax * p[k, 0] + ay * p[k, 1] + az * p[k, 2]
        pc = cx * p[k, 0] + cy * p[k, 1] + cz * p[k, 2]
        rs = r[k, 0] * s[k, 0] + r[k, 1] * s[k, 1] + r[k, 2] * s[k, 2]
        q = radius / d
        total = 0.0
        for i in range(e.shape[0]):
            sin_e = np.sin(e[i])
            cos_e = np.cos(e[i])
            sin_psi = q * sin_e
            cos_psi = np.sqrt(1.0 - sin_psi * sin_psi)
            dom = q * q * sin_e * cos_e / cos_psi * we[i]
            t = d * cos_psi - radius * cos_e
            for j in range(phi.shape[0]):
                ws = cos_psi * sn + sin_psi * (cphi[j] * sa + sphi[j] * sc)
                mu0 = (rs + t * ws) / radius
                if mu0 <= 0.0:
                    continue
                ca = min(1.0, max(-1.0, -ws))
                x = np.arccos(ca) * deg / step
                m = min(int(x), n_phase - 2)
                phase = phase_grid[m] + (x - m) * (phase_grid[m + 1] - phase_grid[m])
                val = mu0 / (mu0 + cos_e) * phase * dom
                if use_pst:
                    cp = min(1.0, max(-1.0, cos_psi * pn + sin_psi * (cphi[j] * pa + sphi[j] * pc)))
                    th = np.arccos(cp) * deg
                    x = th / pst_step
                    m = min(int(x), n_pst - 2)
                    val *= pst_fine[m] + (x - m) * (pst_fine[m + 1] - pst_fine[m])
                total += val
        out[k] = total
    return out


@lru_cache(maxsize=1)
def _phase_table():
    """(α deg, Φ(α)) on ``PHASE_TABLE_SIZE`` points uniform in α over [0°, 180°]."""
    alpha = np.linspace(0.0, 180.0, PHASE_TABLE_SIZE)
    return alpha, moon_surface_phase(alpha)


def moon_equivalent_radiance(instrument, r_sc_km, sun_pos_km, pointing_icrf, **quad) -> np.ndarray:
    """Equivalent sky radiance at 500 nm (W m⁻² sr⁻¹ µm⁻¹), shape (N,), of the sunlit Moon seen
    from Moon-centred ``r_sc_km`` (N,3) with the Sun at Moon-centred ``sun_pos_km`` (N,3), the
    telescope along ``pointing_icrf`` (N,3) or (3,): ∫ PST(θ) L dω / Ω_fp × (1 AU / r☉)²."""
    sun = np.atleast_2d(np.asarray(sun_pos_km, float))
    r_sun_au = np.linalg.norm(sun, axis=1) / AU_KM
    integral = moon_disc_integral(r_sc_km, sun, pointing_icrf, instrument, **quad)
    return integral / focal_plane_solid_angle_sr(instrument) / r_sun_au**2


def moon_irradiance_500nm(r_sc_km, sun_pos_km, **quad) -> np.ndarray:
    """Irradiance at 500 nm (W m⁻² µm⁻¹) of the whole visible Moon at Moon-centred ``r_sc_km``
    (the disc integral of L, no PST; Sun distance scaling included). For validation."""
    sun = np.atleast_2d(np.asarray(sun_pos_km, float))
    r_sun_au = np.linalg.norm(sun, axis=1) / AU_KM
    return moon_disc_integral(r_sc_km, sun, **quad) / r_sun_au**2


# ---------------------------------------------------------------------------------- the Earth
def earth_v_mag(r_sun_au, delta_au, alpha_deg) -> np.ndarray:
    """Earth's apparent V magnitude: 5 log10(r Δ) + V(1, α) (Mallama et al. 2017)."""
    a = np.abs(np.asarray(alpha_deg, float))
    c0, c1, c2 = EARTH_V1_COEFFS
    return 5.0 * np.log10(np.asarray(r_sun_au, float) * np.asarray(delta_au, float)) + c0 + c1 * a + c2 * a * a


def earth_irradiance_500nm(r_sc_km, sun_pos_km, earth_pos_km) -> tuple[np.ndarray, np.ndarray]:
    """(irradiance at 500 nm W m⁻² µm⁻¹ (N,), unit direction to the Earth (N,3)) at the spacecraft
    (Moon-centred positions, km); zero while the Moon hides the Earth's centre."""
    r = np.atleast_2d(np.asarray(r_sc_km, float))
    sun = np.atleast_2d(np.asarray(sun_pos_km, float))
    earth = np.atleast_2d(np.asarray(earth_pos_km, float))
    to_earth = earth - r
    delta = np.linalg.norm(to_earth, axis=1)
    u = to_earth / delta[:, None]
    earth_sun = sun - earth
    r_es = np.linalg.norm(earth_sun, axis=1)
    cos_a = np.clip(np.einsum("ij,ij->i", earth_sun, -to_earth) / (r_es * delta), -1.0, 1.0)
    v = earth_v_mag(r_es / AU_KM, delta / AU_KM, np.degrees(np.arccos(cos_a)))
    e = irradiance_500nm_from_v(v)
    # occultation by the Moon: Earth's centre within the Moon's disc, in front of the Earth
    d = np.linalg.norm(r, axis=1)
    rho = np.arcsin(np.minimum(1.0, MOON_RADIUS_KM / d))
    sep = np.arccos(np.clip(np.einsum("ij,ij->i", u, -r / d[:, None]), -1.0, 1.0))
    hidden = (sep < rho) & (delta > np.sqrt(np.maximum(d * d - MOON_RADIUS_KM**2, 0.0)))
    return np.where(hidden, 0.0, e), u


def earth_equivalent_radiance(instrument, r_sc_km, sun_pos_km, earth_pos_km, pointing_icrf) -> np.ndarray:
    """Equivalent sky radiance at 500 nm (W m⁻² sr⁻¹ µm⁻¹), shape (N,), of the Earth through the
    PST: PST(θ_E) E_E / Ω_fp, θ_E the angle between the pointing and the Earth."""
    e, u = earth_irradiance_500nm(r_sc_km, sun_pos_km, earth_pos_km)
    p = np.broadcast_to(np.atleast_2d(np.asarray(pointing_icrf, float)), u.shape)
    p = p / np.linalg.norm(p, axis=1, keepdims=True)
    theta = np.degrees(np.arccos(np.clip(np.einsum("ij,ij->i", u, p), -1.0, 1.0)))
    return instrument.pst(theta) * e / focal_plane_solid_angle_sr(instrument)
