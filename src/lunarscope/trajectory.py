"""``Trajectory``: time-tagged spacecraft states with interpolation, frames and OEM files.

States are Moon-centred, ICRF axes, km and km/s, TDB seconds. A trajectory comes either
from the integrator (its dense output, accurate to the integration tolerance: DOP853's
7th-order continuous extension, or RKN12's degree-10 Hermite polynomial) or from a table of states (an OEM file from lunarscope, GMAT, Orekit or STK),
interpolated with sliding Lagrange polynomials of the file's stated degree.

Times are TDB seconds past J2000, or an astropy ``Time`` (any scale), converted once on entry.
Body-fixed lunar frames need the lunar orientation (``pck``: MoonPCK, path or ``Sources``);
an OEM centred on another body needs the ephemeris — neither is ever defaulted here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import frames
from .constants import MOON_RADIUS_KM
from .errors import InputError
from .time import to_iso_utc

#: Lagrange degree for tabulated states when the file does not say.
DEFAULT_LAGRANGE_DEGREE = 7
#: OEM frame names read as EME2000 (frame bias to ICRF from erfa.bp00, IERS 2003).
_EME2000_NAMES = ("EME2000", "J2000", "EME2000_J2000")


@dataclass(frozen=True)
class _Table:
    """Tabulated states with sliding-window Lagrange interpolation."""

    t: np.ndarray
    states: np.ndarray
    degree: int

    def __call__(self, tq: np.ndarray) -> np.ndarray:
        n = self.t.size
        m = min(self.degree + 1, n)
        idx = np.searchsorted(self.t, tq) - m // 2
        idx = np.clip(idx, 0, n - m)
        win = idx[:, None] + np.arange(m)[None, :]
        tw = self.t[win]
        out = np.zeros((tq.size, self.states.shape[1]))
        for j in range(m):
            w = np.ones(tq.size)
            for k in range(m):
                if k != j:
                    w *= (tq - tw[:, k]) / (tw[:, j] - tw[:, k])
            out += w[:, None] * self.states[win[:, j]]
        return out


@dataclass(frozen=True)
class Trajectory:
    """Spacecraft trajectory about the Moon.

    ``interpolant(t (N,)) -> (N, 6)`` Moon-centred ICRF states over [t_start, t_stop].
    ``nodes``: times the source knows exactly (integrator steps or file epochs).
    """

    interpolant: object
    t_start: float
    t_stop: float
    nodes: np.ndarray
    name: str = "spacecraft"
    source: str = ""
    meta: dict = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        a, b = to_iso_utc([self.t_start, self.t_stop], 0)
        src = f", source={self.source!r}" if self.source else ""
        return f"Trajectory({self.name!r}, {a} .. {b}, {np.size(self.nodes)} nodes{src})"

    # ------------------------------------------------------------------ evaluation
    def _check(self, t) -> np.ndarray:
        if hasattr(t, "jd1") and hasattr(t, "scale"):  # astropy Time
            from .time import to_tdb

            t = to_tdb(t, "time")
        t = np.atleast_1d(np.asarray(t, float))
        tol = 1e-6
        if t.size and (t.min() < self.t_start - tol or t.max() > self.t_stop + tol):
            a, b = to_iso_utc([self.t_start, self.t_stop])
            bad = to_iso_utc([t.min() if t.min() < self.t_start - tol else t.max()])[0]
            raise InputError("time", f"{bad} is outside the trajectory {a} .. {b}")
        return np.clip(t, self.t_start, self.t_stop)

    def state(self, t) -> np.ndarray:
        """Moon-centred ICRF states (N, 6) km, km/s at TDB seconds (or astropy Time) ``t``."""
        return np.asarray(self.interpolant(self._check(t)), float)

    def position(self, t) -> np.ndarray:
        return self.state(t)[:, :3]

    def state_in(self, frame: str, t, pck=None) -> np.ndarray:
        """Moon-centred states in ``frame`` axes (any of ``frames.FRAMES``); ``pck`` (MoonPCK,
        path or Sources) is required for MOON_PA and MOON_ME."""
        t = self._check(t)
        return frames.to_frame(self.interpolant(t), frame, t, pck)

    def altitude_km(self, t, radius_km: float = MOON_RADIUS_KM) -> np.ndarray:
        """Height above the mean lunar sphere (MOON_RADIUS_KM) (km)."""
        return np.linalg.norm(self.position(t), axis=1) - radius_km

    def sample(self, step_s: float) -> tuple[np.ndarray, np.ndarray]:
        """(times, states) every ``step_s`` seconds from start to stop (stop included)."""
        if not step_s > 0:
            raise InputError("step", f"{step_s} must be > 0 s")
        n = int(np.floor((self.t_stop - self.t_start) / step_s + 1e-9))
        t = self.t_start + step_s * np.arange(n + 1)
        if self.t_stop - t[-1] > 1e-6:
            t = np.append(t, self.t_stop)
        return t, self.state(t)

    def elements(self, t, gm_km3_s2: float) -> np.ndarray:
        """Osculating (a, e, i, Ω, ω, ν) in Moon-centred ICRF axes at ``t`` (N, 6)."""
        from .orbits.elements import cartesian_to_keplerian

        return np.column_stack(cartesian_to_keplerian(self.state(t), gm_km3_s2))

    def mean_elements(self, gm_km3_s2: float, step_s: float = 60.0) -> tuple[np.ndarray, np.ndarray]:
        """(times, (N, 5) mean a, e, i, Ω, ω): one-period running averages of the osculating
        elements sampled every ``step_s`` in ICRF axes (see ``orbits.elements.mean_elements``:
        numerical averaging over one Keplerian period, not an analytic theory; NaN within half a
        period of either end). Other planes: :meth:`eccentricity_history`."""
        from .orbits.elements import mean_elements

        t, s = self.sample(step_s)
        return t, mean_elements(t, s, gm_km3_s2)

    def eccentricity_history(self, gm_km3_s2: float, plane: str, pck=None, ephemeris=None, step_s: float = 60.0):
        """Mean eccentricity vector (e cos ω, e sin ω), mean a, i and periapsis altitude in the
        named ``plane`` (``orbits.planes.PLANES``: MOON_ME needs ``pck``, EARTH_MOON needs
        ``ephemeris``), from states every ``step_s``: ``orbits.planes.EccentricityHistory``."""
        from .orbits.planes import eccentricity_vector_history

        t, s = self.sample(step_s)
        return eccentricity_vector_history(t, s, gm_km3_s2, plane, pck, ephemeris)

    # ------------------------------------------------------------------ files
    def write_oem(
        self,
        path: str,
        step_s: float = 60.0,
        object_id: str = "LUNARSCOPE-SC",
        creation_date: str | None = None,
        comments=(),
    ) -> None:
        """Write a CCSDS OEM (KVN) sampled every ``step_s``, Moon-centred ICRF, TDB."""
        from .io.oem import write_oem

        t, s = self.sample(step_s)
        write_oem(
            path,
            t,
            s,
            object_name=self.name,
            object_id=object_id,
            center_name="MOON",
            ref_frame="ICRF",
            time_system="TDB",
            interpolation="LAGRANGE",
            interpolation_degree=DEFAULT_LAGRANGE_DEGREE,
            comments=list(comments),
            creation_date=creation_date,
        )

    @classmethod
    def from_table(
        cls, t, states, degree: int = DEFAULT_LAGRANGE_DEGREE, name="spacecraft", source="table"
    ) -> Trajectory:
        t = np.asarray(t, float)
        states = np.asarray(states, float)
        order = np.argsort(t, kind="stable")
        t, states = t[order], states[order]
        keep = np.concatenate([[True], np.diff(t) > 0])
        t, states = t[keep], states[keep]
        if t.size < 2:
            raise InputError("trajectory", "needs at least two distinct epochs")
        return cls(_Table(t, states, int(degree)), float(t[0]), float(t[-1]), t, name, source)

    @classmethod
    def from_oem(cls, path: str, ephemeris=None) -> Trajectory:
        """Read an OEM (any centre Earth/Moon, frame ICRF/EME2000, any time system).

        ``ephemeris`` (an Ephemeris, e.g. ``sources.ephemeris``) is required when a segment is
        centred on another body than the Moon (TypeError otherwise)."""
        from .ephemeris import Ephemeris
        from .io.oem import read_oem

        segments = read_oem(path)
        ts, ss, degree, name = [], [], DEFAULT_LAGRANGE_DEGREE, "spacecraft"
        for seg in segments:
            meta = {k.upper(): v for k, v in seg.metadata.items()}
            name = meta.get("OBJECT_NAME", name)
            center = str(meta.get("CENTER_NAME", "MOON")).strip().upper()
            ref = str(meta.get("REF_FRAME", "ICRF")).strip().upper()
            t = np.asarray(seg.times_tdb, float)
            s = np.asarray(seg.states, float)[:, :6]
            if ref in _EME2000_NAMES:
                import erfa

                rb = erfa.bp00(2451545.0, 0.0)[0]  # frame bias: r_EME2000 = rb @ r_ICRF
                s = np.concatenate([s[:, :3] @ rb, s[:, 3:] @ rb], axis=1)
            elif ref not in ("ICRF", "GCRF"):
                raise InputError("trajectory", f"{path}: REF_FRAME {ref} is not supported; use ICRF or EME2000")
            if center not in ("MOON", "301"):
                if not isinstance(ephemeris, Ephemeris):
                    raise TypeError(
                        f"{path}: CENTER_NAME {center} needs the ephemeris to move the "
                        "states to the Moon: pass from_oem(path, ephemeris=sources.ephemeris)"
                    )
                eph = ephemeris
                try:
                    s = s + eph.state(center.lower().replace(" ", "_"), "moon", t)
                except InputError:
                    raise InputError("trajectory", f"{path}: CENTER_NAME {center} is not a known body") from None
            deg = meta.get("INTERPOLATION_DEGREE")
            if deg:
                degree = int(float(deg))
            ts.append(t)
            ss.append(s)
        return cls.from_table(np.concatenate(ts), np.concatenate(ss), degree, name, source=str(path))
