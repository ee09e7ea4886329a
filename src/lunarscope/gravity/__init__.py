"""Lunar gravity fields: coefficient files, the shipped GRGM1200A field, and the compiled
spherical-harmonic kernel (``lunarscope.gravity.kernel``).

Typical use::

    from lunarscope.gravity import builtin_field
    field = builtin_field("GRGM1200A").truncated(50, 50)
    a_km_s2 = field.acceleration(r_moon_pa_km)           # (3,) or (N, 3)

From numba code call the kernels with ``field.kernel_args()``::

    from lunarscope.gravity.kernel import accel
    a = accel(r, *field.kernel_args())
"""

from lunarscope.gravity.field import GravityField
from lunarscope.gravity.readers import (
    BUILTIN_FIELDS,
    builtin_field,
    detect_format,
    load_field,
    read_icgem,
    read_sha,
    read_shadr,
    write_sha,
    write_shadr,
)

__all__ = [
    "BUILTIN_FIELDS",
    "GravityField",
    "builtin_field",
    "detect_format",
    "load_field",
    "read_icgem",
    "read_sha",
    "read_shadr",
    "write_sha",
    "write_shadr",
]
