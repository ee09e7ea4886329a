"""Earth body-fixed frame ITRF (realized as the ITRS of IERS Conventions 2010, ch. 5).

R(ICRF→ITRF) = W(xp, yp, s′) · R3(ERA) · Q(X, Y, s)ᵀ: CIO-based IAU 2006/2000A
precession–nutation (``erfa.xys06a``, ``erfa.c2ixys``), Earth rotation angle from UT1
(``erfa.era00``) and polar motion (``erfa.pom00``). UT1−UTC and the pole coordinates come
from the IERS tables shipped by ``astropy-iers-data`` (IERS-A ``finals2000A.all``: bulletin A
values and about a year of predictions). GCRS velocity effects (Lorentz contraction between
BCRS and GCRS axes) are not applied, as in SPICE's ITRF93 frame.

Beyond the end of the table (a year or so past the release of astropy-iers-data) lunarscope
holds the last tabulated UT1−UTC and pole values and warns once. UT1−UTC is kept within
±0.9 s by leap seconds, so the Earth-rotation error stays below 0.9 s × 465 m/s ≈ 0.42 km on
the equator, i.e. 1.1 µrad as seen from the Moon — small for contact windows, but such
positions are predictions, not ephemerides.
"""

from __future__ import annotations

import warnings
from functools import lru_cache

import erfa
import numpy as np

from ..time import SECONDS_PER_DAY, _interp_on_nodes, tdb_to_scale_jd, tdb_to_tt_jd
from .rotations import rot

#: Earth rotation angle rate (IERS Conventions 2010, eq. 5.15), rad per UT1 second.
ERA_RATE_RAD_S = 2.0 * np.pi * 1.00273781191135448 / SECONDS_PER_DAY
ARCSEC = np.pi / (180.0 * 3600.0)
#: Node spacing for interpolating the CIP coordinates X, Y, s (smooth; error ≪ 1 µas).
_XYS_NODE_S = 3.0 * 3600.0


@lru_cache(maxsize=1)
def _iers_table():
    """IERS-A table (UT1−UTC, polar motion) from astropy-iers-data, opened offline."""
    from astropy.utils import iers
    from astropy_iers_data import IERS_A_FILE

    iers.conf.auto_download = False
    table = iers.IERS_A.open(IERS_A_FILE)
    mjd = np.asarray(table["MJD"].value, float)
    dut1 = np.asarray(
        table["UT1_UTC"].filled(np.nan).value if hasattr(table["UT1_UTC"], "filled") else table["UT1_UTC"].value, float
    )
    px = np.asarray(
        table["PM_x"].filled(np.nan).value if hasattr(table["PM_x"], "filled") else table["PM_x"].value, float
    )
    py = np.asarray(
        table["PM_y"].filled(np.nan).value if hasattr(table["PM_y"], "filled") else table["PM_y"].value, float
    )
    good = np.isfinite(dut1) & np.isfinite(px) & np.isfinite(py)
    return mjd[good], dut1[good], px[good], py[good]


_WARNED: list = []  # warn once per process about dates beyond the IERS table


def eop(utc_mjd) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """UT1−UTC (s) and pole coordinates xp, yp (rad) at UTC MJDs, linear in the daily table.

    Outside the table the edge values are held (see module docstring) and a warning is given.
    Interpolation across a leap second is done on UT1−UTC with the step removed.
    """
    mjd, dut1, px, py = _iers_table()
    x = np.asarray(utc_mjd, float)
    if (np.any(x > mjd[-1]) or np.any(x < mjd[0])) and not _WARNED:
        _WARNED.append(True)
        warnings.warn(
            "Earth orientation requested outside the IERS table of astropy-iers-data "
            f"(MJD {mjd[0]:.0f}..{mjd[-1]:.0f}); holding the edge UT1-UTC and pole values",
            stacklevel=3,
        )
    # remove leap-second steps so the interpolation is smooth, then restore
    jumps = np.concatenate([[0.0], np.round(np.diff(dut1))])
    steps = np.cumsum(jumps)
    smooth = dut1 - steps
    xc = np.clip(x, mjd[0], mjd[-1])
    idx = np.clip(np.searchsorted(mjd, xc, side="right") - 1, 0, mjd.size - 1)
    d_ut1 = np.interp(xc, mjd, smooth) + steps[idx]
    return d_ut1, np.interp(xc, mjd, px) * ARCSEC, np.interp(xc, mjd, py) * ARCSEC


def _c2i(tt1, tt2):
    def xys(a, b):
        x, y, s = erfa.xys06a(a, b)
        return np.stack([x, y, s], axis=-1)

    v = _interp_on_nodes(xys, tt1, tt2, _XYS_NODE_S)
    return erfa.c2ixys(v[..., 0], v[..., 1], v[..., 2])


def itrf(t, pck_path: str | None = None):
    """(R, dR/dt) ICRF → ITRF at TDB seconds ``t``, each (N,3,3).

    dR/dt keeps only the Earth-rotation term (ERA rate); precession–nutation and polar-motion
    rates are below 1e-11 rad/s, i.e. < 0.1 mm/s at the Earth's surface.
    """
    t = np.atleast_1d(np.asarray(t, float))
    tt1, tt2 = tdb_to_tt_jd(t)
    u1, u2 = tdb_to_scale_jd(t, "UTC")
    utc_mjd = (u1 - 2400000.5) + u2
    dut1, xp, yp = eop(utc_mjd)
    # erfa.utcut1 handles the stretched UTC quasi-JD of leap-second days
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", erfa.ErfaWarning)
        ut1_1, ut1_2 = erfa.utcut1(u1, u2, dut1)
    era = erfa.era00(ut1_1, ut1_2)
    rc2i = _c2i(tt1, tt2)
    rpom = erfa.pom00(xp, yp, erfa.sp00(tt1, tt2))
    r3 = rot(era, 3)
    # dR3/dt for a frame rotation about z at rate w
    c, s = np.cos(era) * ERA_RATE_RAD_S, np.sin(era) * ERA_RATE_RAD_S
    d3 = np.zeros_like(r3)
    d3[:, 0, 0], d3[:, 0, 1], d3[:, 1, 0], d3[:, 1, 1] = -s, c, -c, -s
    r = rpom @ r3 @ rc2i
    dr = rpom @ d3 @ rc2i
    return r, dr
