"""Spherical-harmonic gravity fields (GM, radius and coefficients travel together).

Coefficients are fully normalized with the 4pi ("geodesy") convention, without the
Condon-Shortley phase: Pbar_nm = sqrt((2-d_m0)(2n+1)(n-m)!/(n+m)!) P_nm
(Heiskanen & Moritz 1967, eq. 1-73; Kaula 1966). ``C[n, m]``, ``S[n, m]`` for
0 <= m <= n <= degree_max, zero where m > order_max. C00 = 1 unless the file says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from functools import cached_property

import numpy as np

from lunarscope.errors import InputError
from lunarscope.gravity import kernel as _k

PARALLEL_MIN_TERMS = 20_000_000
"""``acceleration`` spreads the points over all cores once points x (degree+1)^2 reaches this
(~10 ms of one core): below it, thread wake-up and, on busy cores, the scheduler's time slices
cost more than the second core saves (measured: 5000 points at degree 10 ran 10x slower
threaded on a loaded 2-core machine)."""


@dataclass(frozen=True, eq=False)
class GravityField:
    """Immutable spherical-harmonic field.

    gm_km3_s2: GM of the body (km^3/s^2); radius_km: reference radius (km);
    C, S: (degree_max+1, degree_max+1) fully normalized coefficients (read-only arrays);
    frame: name of the body-fixed frame the coefficients are expressed in (e.g. "MOON_PA");
    name: model name; source: free text stating where the numbers came from.
    """

    gm_km3_s2: float
    radius_km: float
    degree_max: int
    order_max: int
    C: np.ndarray
    S: np.ndarray
    frame: str = "MOON_PA"
    name: str = ""
    source: str = ""
    meta: dict = dc_field(default_factory=dict, repr=False)

    def __post_init__(self):
        C = np.array(self.C, dtype=np.float64, order="C", copy=True)
        S = np.array(self.S, dtype=np.float64, order="C", copy=True)
        n = int(self.degree_max)
        mo = int(self.order_max)
        if C.shape != (n + 1, n + 1) or S.shape != (n + 1, n + 1):
            raise InputError(
                "force_model.gravity",
                f"coefficient arrays must be ({n + 1}, {n + 1}) for degree {n}, got {C.shape} and {S.shape}",
            )
        if not (0 <= mo <= n):
            raise InputError("force_model.gravity.order", f"order {mo} must be in [0, {n}]")
        if not (np.isfinite(self.gm_km3_s2) and self.gm_km3_s2 > 0):
            raise InputError("force_model.gravity.gm", f"GM {self.gm_km3_s2} must be > 0 km^3/s^2")
        if not (np.isfinite(self.radius_km) and self.radius_km > 0):
            raise InputError("force_model.gravity.radius", f"radius {self.radius_km} must be > 0 km")
        if not (np.all(np.isfinite(C)) and np.all(np.isfinite(S))):
            raise InputError("force_model.gravity", "coefficients contain NaN or inf")
        # keep only the lower triangle up to order_max
        mask = np.tril(np.ones((n + 1, n + 1), dtype=bool))
        mask[:, mo + 1 :] = False
        C[~mask] = 0.0
        S[~mask] = 0.0
        S[:, 0] = 0.0
        C.setflags(write=False)
        S.setflags(write=False)
        object.__setattr__(self, "C", C)
        object.__setattr__(self, "S", S)
        object.__setattr__(self, "gm_km3_s2", float(self.gm_km3_s2))
        object.__setattr__(self, "radius_km", float(self.radius_km))
        object.__setattr__(self, "degree_max", n)
        object.__setattr__(self, "order_max", mo)
        object.__setattr__(self, "meta", dict(self.meta))

    def truncated(self, degree: int, order: int | None = None) -> GravityField:
        """New field keeping degrees <= ``degree`` and orders <= ``order`` (default = degree)."""
        degree = int(degree)
        order = degree if order is None else int(order)
        if degree < 0 or degree > self.degree_max:
            raise InputError(
                "force_model.gravity.degree",
                f"{degree} is not available: {self.name or 'the field'} goes to degree "
                f"{self.degree_max} (allowed 0..{self.degree_max})",
            )
        if order < 0 or order > min(degree, self.order_max):
            raise InputError(
                "force_model.gravity.order",
                f"{order} is not available: must be in 0..{min(degree, self.order_max)} "
                f"(degree {degree}, file order {self.order_max})",
            )
        return GravityField(
            gm_km3_s2=self.gm_km3_s2,
            radius_km=self.radius_km,
            degree_max=degree,
            order_max=order,
            C=self.C[: degree + 1, : degree + 1],
            S=self.S[: degree + 1, : degree + 1],
            frame=self.frame,
            name=self.name,
            source=self.source,
            meta=self.meta,
        )

    # ---- kernel plumbing -------------------------------------------------------------
    @cached_property
    def recursion(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(alpha, beta, gamma) recursion coefficients for ``kernel`` (computed once)."""
        if self.degree_max > _k.MAX_DEGREE:
            raise InputError(
                "force_model.gravity.degree",
                f"{self.degree_max} exceeds the kernel limit {_k.MAX_DEGREE}; truncate the field",
            )
        arrs = _k.recursion_coefficients(self.degree_max)
        for a in arrs:
            a.setflags(write=False)
        return arrs

    @cached_property
    def packed(self) -> np.ndarray:
        """Packed column coefficients for the acceleration kernels (``kernel.packed_coefficients``,
        computed once per field)."""
        alpha, beta, gamma = self.recursion
        pk = _k.packed_coefficients(self.C, self.S, self.degree_max, self.order_max, alpha, beta, gamma)
        pk.setflags(write=False)
        return pk

    def __getstate__(self):
        # the kernel tables are rebuilt on demand; a degree-1200 field would carry ~80 MB of them
        state = dict(self.__dict__)
        state.pop("recursion", None)
        state.pop("packed", None)
        return state

    def kernel_args(self) -> tuple:
        """Arguments after ``r`` for the njit kernels:
        ``(C, S, gm, R, nmax, mmax, alpha, beta, gamma, packed)``; use as
        ``accel(r, *field.kernel_args())``.
        """
        alpha, beta, gamma = self.recursion
        return (
            self.C,
            self.S,
            self.gm_km3_s2,
            self.radius_km,
            self.degree_max,
            self.order_max,
            alpha,
            beta,
            gamma,
            self.packed,
        )

    # ---- convenience (Python level) ---------------------------------------------------
    def acceleration(self, r_km) -> np.ndarray:
        """Acceleration (km/s^2) at body-fixed position(s) ``r_km`` (3,) or (N, 3)."""
        r = _positions(r_km)
        if r.shape[0] * (self.degree_max + 1) ** 2 >= PARALLEL_MIN_TERMS:
            out = _k.accel_many_parallel(r, *self.kernel_args())
        else:
            out = _k.accel_many(r, *self.kernel_args())
        return out[0] if np.ndim(r_km) == 1 else out

    def acceleration_and_gradient(self, r_km):
        """(a (km/s^2), H = da/dr (1/s^2)) at ``r_km`` (3,) or (N, 3); H is (3,3) or (N,3,3)."""
        r = _positions(r_km)
        a, h = _k.accel_and_gradient_many(r, *self.kernel_args())
        return (a[0], h[0]) if np.ndim(r_km) == 1 else (a, h)

    def potential(self, r_km):
        """Potential V (km^2/s^2, V = GM/r for a point mass) at ``r_km`` (3,) or (N, 3)."""
        r = _positions(r_km)
        v = _k.potential_many(r, *self.kernel_args())
        return float(v[0]) if np.ndim(r_km) == 1 else v


def _positions(r_km) -> np.ndarray:
    r = np.ascontiguousarray(r_km, dtype=np.float64)
    if r.ndim == 1:
        r = r.reshape(1, 3) if r.shape == (3,) else None
    if r is None or r.ndim != 2 or r.shape[1] != 3:
        raise InputError("position", f"expected shape (3,) or (N, 3), got {np.shape(r_km)}")
    if not np.all(np.isfinite(r)) or np.any(np.einsum("ij,ij->i", r, r) == 0.0):
        raise InputError("position", "positions must be finite and non-zero (km)")
    return r
