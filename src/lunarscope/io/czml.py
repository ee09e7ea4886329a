"""CZML documents for CesiumJS: the spacecraft and the Moon around the Earth.

Format: CZML (Cesium Language), https://github.com/AnalyticalGraphicsInc/czml-writer/wiki/CZML-Guide.
A document is a JSON list of packets; the first has ``id == "document"`` and the clock.

* Positions are Earth-centred ICRF, written as ``referenceFrame: "INERTIAL"`` (Cesium's inertial
  frame is the ICRF) Cartesian metres, sampled with an ``epoch`` (ISO-8601 UTC) and offsets in
  seconds. Cesium adds offsets to a ``JulianDate`` as elapsed SI seconds (it keeps TAI inside),
  so the offsets written here are TAI seconds since the epoch, computed from TDB with
  :mod:`lunarscope.time` (not TDB differences, which drift from TAI by up to ~1.7 ms).
* Interpolation: LAGRANGE, degree 5 (the CZML default is linear).
* Values are rounded to 1 mm (``POSITION_DECIMALS_M``) and offsets to 1 µs, so output is
  byte-deterministic for the same input.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np

from lunarscope import time as lstime
from lunarscope.constants import MOON_RADIUS_KM, SECONDS_PER_DAY
from lunarscope.errors import InputError
from lunarscope.io.tables import atomic_write
from lunarscope.products import PlanWindow

CZML_VERSION = "1.0"
KM_TO_M = 1000.0
POSITION_DECIMALS_M = 3  # 1 mm
OFFSET_DECIMALS_S = 6  # 1 µs
INTERPOLATION_DEGREE = 5
MOON_RADIUS_M = MOON_RADIUS_KM * KM_TO_M

#: RGBA colours of the spacecraft point: sunlit, penumbra, umbra.
SUNLIT_RGBA = [255, 220, 0, 255]
PENUMBRA_RGBA = [255, 140, 0, 255]
UMBRA_RGBA = [120, 120, 120, 255]
CONTACT_RGBA = [0, 200, 255, 200]


def _offsets_tai_s(epoch_tdb: float, t_tdb: np.ndarray) -> np.ndarray:
    """Elapsed TAI (SI) seconds from ``epoch_tdb`` to each of ``t_tdb`` (two-part JD differences)."""
    a1, a2 = lstime.tdb_to_scale_jd(np.concatenate([[epoch_tdb], t_tdb]), "TAI")
    return ((a1[1:] - a1[0]) + (a2[1:] - a2[0])) * SECONDS_PER_DAY


def _sampled(epoch: str, offsets: np.ndarray, pos_km: np.ndarray) -> list[float]:
    """Flatten to CZML ``[t0, x0, y0, z0, t1, ...]`` with offsets in s and positions in m."""
    out: list[float] = []
    pos_m = np.round(np.asarray(pos_km, float) * KM_TO_M, POSITION_DECIMALS_M)
    offs = np.round(offsets, OFFSET_DECIMALS_S)
    for t, (x, y, z) in zip(offs.tolist(), pos_m.tolist()):
        out.extend((t, x, y, z))
    return out


def _check_positions(name: str, pos, n: int) -> np.ndarray:
    arr = np.asarray(pos, float)
    if arr.shape != (n, 3):
        raise InputError(name, f"must have shape ({n}, 3) to match t_tdb, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise InputError(name, "contains non-finite values")
    return arr


def _window_intervals(windows: Sequence[PlanWindow], kinds: Sequence[str]) -> list[tuple[str, str, str, str]]:
    """(start_utc, stop_utc, kind, subject) of the windows whose kind is in ``kinds``, sorted."""
    rows = []
    for w in windows or ():
        if w.kind in kinds:
            rows.append((w.start_utc, w.stop_utc, w.kind, w.subject))
    rows.sort()
    return rows


def _utc_epoch(t_tdb: float, decimals: int) -> tuple[str, float]:
    """``t_tdb`` rounded to 10^-decimals s on the UTC calendar: the ISO-8601 text
    (:func:`lunarscope.time.to_iso_utc`) and the TDB instant that text names, found from the same
    rounded calendar fields (``time.utc_calendar`` → ``time.utc_calendar_to_tdb``), so no text is parsed back."""
    text = str(lstime.to_iso_utc(t_tdb, decimals)[0])
    return text, float(lstime.utc_calendar_to_tdb(*lstime.utc_calendar([t_tdb], decimals))[0])


def czml_document(
    name: str,
    t_tdb,
    sc_pos_earth_icrf_km,
    moon_pos_earth_icrf_km,
    utc_decimals: int = 3,
    windows: Sequence[PlanWindow] | None = None,
) -> list[dict]:
    """CZML packets: document (clock), spacecraft (sampled INERTIAL position, path, label),
    Moon (sampled position, MOON_RADIUS_KM sphere) and, with ``windows``, eclipse colouring of the
    spacecraft point and one line-of-sight polyline packet per ground station contact set.

    ``t_tdb``: (N,) TDB seconds past J2000, increasing; positions (N, 3) km, Earth-centred ICRF;
    ``utc_decimals``: decimals of the UTC seconds in the clock and epoch text;
    ``windows``: the plan's :class:`~lunarscope.products.PlanWindow` list (kind, subject,
    start_utc, stop_utc are read): umbra/penumbra and contact are used.
    """
    t = np.asarray(t_tdb, float)
    if t.ndim != 1 or t.size < 2:
        raise InputError("t_tdb", "needs at least two epochs in a 1-D array")
    if not np.all(np.diff(t) > 0):
        raise InputError("t_tdb", "epochs must be strictly increasing")
    sc = _check_positions("sc_pos_earth_icrf_km", sc_pos_earth_icrf_km, t.size)
    moon = _check_positions("moon_pos_earth_icrf_km", moon_pos_earth_icrf_km, t.size)

    # Offsets count from the instant the (rounded) epoch text names, not from t[0].
    start, epoch_tdb = _utc_epoch(t[0], utc_decimals)
    stop = str(lstime.to_iso_utc(t[-1], utc_decimals)[0])
    span = f"{start}/{stop}"
    offsets = _offsets_tai_s(epoch_tdb, t)
    interp = {"interpolationAlgorithm": "LAGRANGE", "interpolationDegree": INTERPOLATION_DEGREE}

    document = {
        "id": "document",
        "name": str(name),
        "version": CZML_VERSION,
        "clock": {
            "interval": span,
            "currentTime": start,
            "multiplier": 60,
            "range": "LOOP_STOP",
            "step": "SYSTEM_CLOCK_MULTIPLIER",
        },
    }
    point: dict = {"pixelSize": 8, "color": {"rgba": SUNLIT_RGBA}}
    shadows = _window_intervals(windows, ("umbra", "penumbra"))
    if shadows:
        # Interval list: default sunlit colour over the span, then eclipses (later intervals win).
        colour = [{"interval": span, "rgba": SUNLIT_RGBA}]
        for s0, s1, kind, _subject in shadows:
            colour.append({"interval": f"{s0}/{s1}", "rgba": UMBRA_RGBA if kind == "umbra" else PENUMBRA_RGBA})
        point["color"] = colour
    spacecraft = {
        "id": "spacecraft",
        "name": str(name),
        "availability": span,
        "description": "Spacecraft, Earth-centred ICRF (Cesium INERTIAL)",
        "position": {"epoch": start, "referenceFrame": "INERTIAL", "cartesian": _sampled(start, offsets, sc), **interp},
        "point": point,
        "label": {
            "text": str(name),
            "pixelOffset": {"cartesian2": [12, 0]},
            "fillColor": {"rgba": [255, 255, 255, 255]},
            "font": "12pt sans-serif",
        },
        "path": {
            "show": True,
            "width": 1.5,
            "resolution": 60,
            "leadTime": 0,
            "trailTime": 7200,
            "material": {"solidColor": {"color": {"rgba": [255, 220, 0, 180]}}},
        },
    }
    moon_packet = {
        "id": "moon",
        "name": "Moon",
        "availability": span,
        "position": {
            "epoch": start,
            "referenceFrame": "INERTIAL",
            "cartesian": _sampled(start, offsets, moon),
            **interp,
        },
        "ellipsoid": {
            "radii": {"cartesian": [MOON_RADIUS_M] * 3},
            "material": {"solidColor": {"color": {"rgba": [170, 170, 170, 255]}}},
        },
        "label": {"text": "Moon", "pixelOffset": {"cartesian2": [12, 0]}},
    }
    packets = [document, spacecraft, moon_packet]
    contacts = _window_intervals(windows, ("contact",))
    if contacts:
        stations = sorted({subject for *_, subject in contacts})
        packets.append(
            {
                "id": "earth",
                "name": "Earth centre",
                "position": {"referenceFrame": "INERTIAL", "cartesian": [0.0, 0.0, 0.0]},
            }
        )
        for station in stations:
            intervals = [f"{s0}/{s1}" for s0, s1, _k, subj in contacts if subj == station]
            packets.append(
                {
                    "id": f"contact/{station}",
                    "name": f"Contact {station}",
                    "availability": intervals,
                    "polyline": {
                        "positions": {"references": ["spacecraft#position", "earth#position"]},
                        "width": 1,
                        "arcType": "NONE",
                        "material": {"solidColor": {"color": {"rgba": CONTACT_RGBA}}},
                    },
                }
            )
    return packets


def czml_dumps(packets: list[dict]) -> str:
    """Deterministic JSON text of a CZML document (fixed separators, keys in insertion order)."""
    return json.dumps(packets, separators=(",", ":"), ensure_ascii=False, allow_nan=False) + "\n"


def write_czml(path, packets: list[dict]) -> None:
    """Write the packets as one JSON list atomically (temp file in the same folder + os.replace)."""
    text = czml_dumps(packets)
    with atomic_write(str(path), newline="") as fh:
        fh.write(text)
