"""Read a CCSDS OEM (KVN) file with Orekit's own parser: an independent reader for our OEMs.

``read_oem(path)`` returns ``(t_tdb, states_km, meta)``: TDB seconds past J2000 (Orekit converts
the file's TIME_SYSTEM), (N, 6) states in km, km/s as written (frame of the file, not
converted), and a list of per-segment metadata dicts. Segments are concatenated.

Self-test (``python references/orekit/read_oem_check.py``): Orekit writes a small OEM of the
polar-orbit initial state propagated by a Keplerian propagator (Moon centre, ICRF, TDB), reads
it back with ``read_oem`` and prints the max difference.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import orekit_setup as osu


def read_oem(path: str | Path):
    """Parse an OEM KVN/XML file with ``ParserBuilder().buildOemParser()``."""
    osu.start()
    from org.orekit.data import DataSource
    from org.orekit.files.ccsds.ndm import ParserBuilder

    oem = ParserBuilder().buildOemParser().parseMessage(DataSource(str(Path(path))))
    times, states, meta = [], [], []
    for seg in oem.getSegments():
        md = seg.getMetadata()
        meta.append(
            {
                "object_name": str(md.getObjectName()),
                "center": str(md.getCenter().getName()),
                "ref_frame": str(md.getReferenceFrame().getName()),
                "time_system": str(md.getTimeSystem()),
                "n": int(seg.getData().getEphemeridesDataLines().size()),
            }
        )
        for pv in seg.getData().getEphemeridesDataLines():
            times.append(osu.tdb_seconds(pv.getDate()))
            p, v = pv.getPosition(), pv.getVelocity()
            states.append((p.getX(), p.getY(), p.getZ(), v.getX(), v.getY(), v.getZ()))
    return np.array(times), np.array(states) / osu.M_PER_KM, meta


def write_test_oem(path: Path, n: int = 20, step_s: float = 60.0):
    """Write an OEM with Orekit's ``OemWriter`` (KVN); returns (t_tdb, states_km) written."""
    osu.start()
    from java.io import FileWriter
    from java.util import ArrayList
    from org.orekit.data import DataContext
    from org.orekit.files.ccsds.definitions import BodyFacade, FrameFacade, TimeSystem
    from org.orekit.files.ccsds.ndm import WriterBuilder
    from org.orekit.files.ccsds.ndm.odm import OdmHeader
    from org.orekit.files.ccsds.ndm.odm.oem import Oem, OemData, OemMetadata, OemSegment
    from org.orekit.files.ccsds.utils.generation import KvnGenerator
    from org.orekit.frames import FramesFactory
    from org.orekit.orbits import CartesianOrbit
    from org.orekit.propagation.analytical import KeplerianPropagator
    from org.orekit.utils import IERSConventions, PVCoordinates

    s0 = osu.polar_initial_state_km()
    epoch = osu.epoch_date()
    frame = osu.moon_icrf_frame()
    mu = osu.GM_MOON_GRGM_KM3_S2 * 1e9
    orbit = CartesianOrbit(PVCoordinates(osu.jvec(s0[:3] * 1e3), osu.jvec(s0[3:] * 1e3)), frame, epoch, mu)
    prop = KeplerianPropagator(orbit)
    data = OemData()
    t, states = [], []
    for k in range(n):
        pv = prop.propagate(epoch.shiftedBy(k * step_s)).getPVCoordinates(frame)
        data.addData(pv, False)
        t.append(osu.tdb_seconds(pv.getDate()))
        p, v = pv.getPosition(), pv.getVelocity()
        states.append((p.getX(), p.getY(), p.getZ(), v.getX(), v.getY(), v.getZ()))
    md = OemMetadata(1)
    md.setObjectName("LUNARSCOPE-TEST")
    md.setObjectID("2030-000A")
    md.setCenter(BodyFacade("MOON", osu.moon()))
    md.setReferenceFrame(FrameFacade.map(FramesFactory.getICRF()))
    md.setTimeSystem(TimeSystem.TDB)
    md.setStartTime(epoch)
    md.setStopTime(epoch.shiftedBy((n - 1) * step_s))
    segments = ArrayList()
    segments.add(OemSegment(md, data, mu))
    header = OdmHeader()
    header.setFormatVersion(3.0)
    header.setOriginator("LUNARSCOPE")
    header.setCreationDate(epoch)
    oem = Oem(header, segments, IERSConventions.IERS_2010, DataContext.getDefault(), mu)
    writer = WriterBuilder().buildOemWriter()
    fw = FileWriter(str(path))
    try:
        gen = KvnGenerator(fw, 0, str(path.name), 86400.0, 0)
        writer.writeMessage(gen, oem)
        gen.close()
    finally:
        fw.close()
    return np.array(t), np.array(states) / osu.M_PER_KM


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "orekit_written.oem"
        t_w, s_w = write_test_oem(path)
        print(path.read_text().splitlines()[0:14])
        t_r, s_r, meta = read_oem(path)
        print(meta)
        print(
            f"read back {len(t_r)} states; max |dt| {np.abs(t_r - t_w).max():.3e} s, "
            f"max |dr| {np.abs(s_r[:, :3] - s_w[:, :3]).max() * 1e6:.3e} mm, "
            f"max |dv| {np.abs(s_r[:, 3:] - s_w[:, 3:]).max() * 1e9:.3e} mm/s"
        )
