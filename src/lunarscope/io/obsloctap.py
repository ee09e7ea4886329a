"""The plan's observations as an IVOA ObsLocTAP ``ivoa.obsplan`` table (VOTable and CSV).

Standard: IVOA Recommendation "Observation Locator Table Access Protocol" (ObsLocTAP) 1.0,
2021-07-24 (https://www.ivoa.net/documents/ObsLocTAP/), the ``ivoa.obsplan`` table: its 26
columns in its order, with its units (``t_*`` times in MJD, day ``d``; durations in ``s``;
``s_*`` angles in ``deg``, ``s_resolution`` in ``arcsec``; ``em_*`` wavelengths in ``m``) and
UCDs. One row per ``observe`` activity of the plan (one visit).

Filled from the plan: ``t_planning`` (``generated_utc``), ``target_name``, ``obs_id``
(``<request id>/<visit number>``), ``obs_collection`` and ``facility_name`` (the mission
name), ``s_ra``/``s_dec`` (the target's ICRS direction), ``t_min``/``t_max`` (visit start and
stop), ``t_exptime`` and ``t_plan_exptime`` (visit length), ``category`` ``Fixed`` (the plan
fixes each visit's time), ``priority`` 0 (the standard's "will be performed" level; the
request's scientific priority is not this field), ``execution_status`` ``Scheduled`` and
``tracking_type`` ``Sidereal``. The mission file says nothing of the instrument, so
``s_fov``, ``s_resolution``, ``t_resolution``, ``em_min``, ``em_max``, ``em_res_power`` are NaN
and ``s_region``, ``o_ucd``, ``pol_states``, ``instrument_name`` empty and ``pol_xel`` null:
the standard's "not known / not applicable" (NULL).

Time scale: the standard (like ObsCore 1.1, whose ``t_min``/``t_max`` it reuses) says "MJD"
and names no scale. The table uses UTC, the scale of every other lunarscope product, and
says so in the VOTable (a VOTable 1.4 ``TIMESYS`` with ``timescale="UTC"``, referenced by
each ``t_planning``/``t_min``/``t_max`` FIELD) and in the CSV's ``# time scale`` comment line.
MJD = JD − 2400000.5 (the standard's definition); UTC days are taken as 86400 s
(ERFA's quasi-JD convention, as ``lunarscope.time``), printed to 1e-9 d (86 µs).
"""

from __future__ import annotations

import io
import math
import os

import numpy as np

from lunarscope.time import MJD_ZERO_JD, tdb_to_scale_jd, to_tdb

#: Product file names.
VOTABLE_NAME = "obsloctap.vot"
CSV_NAME = "obsloctap.csv"
#: Time scale of t_planning, t_min, t_max (see the module docstring).
TIME_SCALE = "UTC"
#: Digits after the point of MJD values in the CSV (1e-9 d = 86 µs, finer than the 1 ms the
#: plan's UTC text carries).
MJD_DECIMALS = 9

#: (name, unit, UCD, datatype, description) of ivoa.obsplan, in the standard's order.
#: ``datatype``: "double", "int" or "char". t_planning, category, priority, execution_status
#: and tracking_type have no UCD in the standard's table; none is invented here.
COLUMNS = (
    ("t_planning", "d", None, "double", "MJD when this observation was added to or modified in the plan"),
    ("target_name", None, "meta.id;src", "char", "Astronomical object observed, if any"),
    ("obs_id", None, "meta.id", "char", "Observation ID"),
    ("obs_collection", None, "meta.id", "char", "Name of the data collection"),
    ("s_ra", "deg", "pos.eq.ra", "double", "Central right ascension, ICRS"),
    ("s_dec", "deg", "pos.eq.dec", "double", "Central declination, ICRS"),
    ("s_fov", "deg", "phys.angSize;instr.fov", "double", "Diameter (bounds) of the covered region"),
    ("s_region", None, "pos.outline;obs.field", "char", "Sky region covered by the observation"),
    ("s_resolution", "arcsec", "pos.angResolution", "double", "Spatial resolution of data as FWHM"),
    ("t_min", "d", "time.start;obs.exposure", "double", "Start time in MJD"),
    ("t_max", "d", "time.end;obs.exposure", "double", "Stop time in MJD"),
    ("t_exptime", "s", "time.duration;obs.exposure", "double", "Total exposure time"),
    ("t_resolution", "s", "time.resolution", "double", "Temporal resolution FWHM"),
    ("em_min", "m", "em.wl;stat.min", "double", "Start in spectral coordinates"),
    ("em_max", "m", "em.wl;stat.max", "double", "Stop in spectral coordinates"),
    ("em_res_power", None, "spect.resolution", "double", "Spectral resolving power"),
    ("o_ucd", None, "meta.ucd", "char", "UCD of observable (e.g. phot.flux.density, phot.count)"),
    ("pol_states", None, "meta.code;phys.polarization", "char", "Polarization states, NULL if not applicable"),
    ("pol_xel", None, "meta.number", "int", "Number of polarization samples"),
    ("facility_name", None, "meta.id;instr.tel", "char", "Name of the facility used for this observation"),
    ("instrument_name", None, "meta.id;instr", "char", "Name of the instrument used for this observation"),
    ("t_plan_exptime", "s", "time.duration;obs.exposure", "double", "Planned or scheduled exposure time"),
    ("category", None, None, "char", "Observation category: Fixed, Coordinated, Window or Other"),
    ("priority", None, None, "int", "Priority level {0, 1, 2}"),
    ("execution_status", None, None, "char", "Planned, Scheduled, Unscheduled, Performed or Aborted"),
    ("tracking_type", None, None, "char", "Sidereal, Solar-system-object-tracking or Fixed-az-el-transit"),
)
COLUMN_NAMES = tuple(c[0] for c in COLUMNS)
#: Columns whose values are MJD in TIME_SCALE.
MJD_COLUMNS = ("t_planning", "t_min", "t_max")


def mjd_utc(t_tdb) -> np.ndarray:
    """TDB seconds past J2000 → MJD (UTC quasi-JD − 2400000.5, days)."""
    j1, j2 = tdb_to_scale_jd(np.atleast_1d(np.asarray(t_tdb, float)), TIME_SCALE)
    return (j1 - MJD_ZERO_JD) + j2


def obsloctap_rows(plan, request_ids=None) -> list[dict]:
    """One dict per observe activity of ``plan`` (a :class:`lunarscope.products.Plan`), keys
    :data:`COLUMN_NAMES`. ``request_ids``: one id per plan activity (``Schedule.request_ids``;
    ``""`` for non-observations); without it the target name stands for the request."""
    acts = plan.schedule.activities
    if request_ids is not None and len(request_ids) != len(acts):
        raise ValueError(f"request_ids has {len(request_ids)} entries for {len(acts)} activities")
    where = {t.name: (t.ra_deg, t.dec_deg) for t in plan.targets}
    picked = [(k, a) for k, a in enumerate(acts) if a.activity == "observe"]
    if not picked:
        return []
    t_planning = float(mjd_utc(to_tdb(plan.generated_utc.rstrip("Z"), "generated_utc"))[0])
    t0 = mjd_utc([a.start_tdb for _, a in picked])
    t1 = mjd_utc([a.stop_tdb for _, a in picked])
    visits: dict[str, int] = {}
    rows = []
    for (k, a), m0, m1 in zip(picked, t0, t1):
        rid = (request_ids[k] if request_ids is not None else "") or a.target
        visits[rid] = visits.get(rid, 0) + 1
        ra, dec = where.get(a.target, (math.nan, math.nan))
        rows.append(
            {
                "t_planning": t_planning,
                "target_name": a.target,
                "obs_id": f"{rid}/{visits[rid]}",
                "obs_collection": plan.mission.name,
                "s_ra": float(ra),
                "s_dec": float(dec),
                "s_fov": math.nan,
                "s_region": "",
                "s_resolution": math.nan,
                "t_min": float(m0),
                "t_max": float(m1),
                "t_exptime": float(a.duration_s),
                "t_resolution": math.nan,
                "em_min": math.nan,
                "em_max": math.nan,
                "em_res_power": math.nan,
                "o_ucd": "",
                "pol_states": "",
                "pol_xel": None,
                "facility_name": plan.mission.name,
                "instrument_name": "",
                "t_plan_exptime": float(a.duration_s),
                "category": "Fixed",
                "priority": 0,
                "execution_status": "Scheduled",
                "tracking_type": "Sidereal",
            }
        )
    return rows


def obsloctap_table(plan, request_ids=None):
    """The rows of :func:`obsloctap_rows` as an ``astropy.table.Table`` with the standard's
    units, UCDs and descriptions (``meta["ucd"]`` per column); ``pol_xel`` masked (NULL)."""
    from astropy.table import MaskedColumn, Table

    rows = obsloctap_rows(plan, request_ids)
    table = Table(meta={"name": "obsplan", "description": "ivoa.obsplan (IVOA ObsLocTAP 1.0)"})
    for name, unit, ucd, kind, text in COLUMNS:
        values = [r[name] for r in rows]
        if kind == "double":
            col = MaskedColumn(np.array(values, float), name=name, unit=unit, description=text)
        elif kind == "int":
            null = [v is None for v in values]
            data = np.array([0 if v is None else v for v in values], np.int32)
            col = MaskedColumn(data, name=name, mask=np.array(null, bool), description=text)
        else:
            col = MaskedColumn(np.array(values, dtype=str), name=name, description=text)
        col.meta["ucd"] = ucd
        table.add_column(col)
    return table


def votable_bytes(table) -> bytes:
    """``table`` as a VOTable 1.4 document (TABLEDATA) written by astropy, with each column's
    unit and UCD and a UTC ``TIMESYS`` referenced by the MJD columns."""
    from astropy.io.votable.tree import TimeSys, VOTableFile

    vot = VOTableFile.from_table(table)
    vot.version = "1.4"
    resource = vot.resources[0]
    vot_table = resource.tables[0]
    vot_table.name = "obsplan"
    vot_table.ID = "obsplan"
    timesys = TimeSys(
        ID="time_frame",
        timeorigin="MJD-origin",
        timescale=TIME_SCALE,
        refposition="TOPOCENTER",
        config={"version": "1.4", "version_1_4_or_later": True},  # astropy: TIMESYS needs VOTable >= 1.4
    )
    vot.time_systems.append(timesys)
    for field in vot_table.fields:
        name, unit, ucd, kind, text = COLUMNS[COLUMN_NAMES.index(field.name)]
        field.ucd = ucd
        if kind == "char":
            field.arraysize = "*"
        if name in MJD_COLUMNS:
            field.ref = "time_frame"
    buf = io.BytesIO()
    vot.to_xml(buf, tabledata_format="tabledata")
    return buf.getvalue()


def csv_text(table) -> str:
    """``table`` as CSV: one ``#`` comment line naming the standard and time scale, the header
    (the standard's column names), then one line per row; NaN and NULL are empty cells, MJD to
    ``MJD_DECIMALS`` digits, other numbers as Python ``repr``; text cells quoted (RFC 4180) when
    they hold a comma, quote or line break."""
    lines = [
        f"# IVOA ObsLocTAP 1.0 ivoa.obsplan; t_planning, t_min, t_max: MJD ({TIME_SCALE}); "
        "units and UCDs as the standard and obsloctap.vot",
        ",".join(COLUMN_NAMES),
    ]
    for i in range(len(table)):
        cells = []
        for name in COLUMN_NAMES:
            col = table[name]
            v = col[i]
            if np.ma.is_masked(v) or (isinstance(v, float | np.floating) and math.isnan(v)):
                cells.append("")
            elif name in MJD_COLUMNS:
                cells.append(f"{float(v):.{MJD_DECIMALS}f}")
            elif isinstance(v, np.floating):
                cells.append(repr(float(v)))
            elif isinstance(v, np.integer):
                cells.append(str(int(v)))
            else:
                cells.append(_cell(str(v)))
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def write_obsloctap(folder: str, plan, request_ids=None) -> tuple[str, str]:
    """Write :data:`VOTABLE_NAME` and :data:`CSV_NAME` into ``folder`` (``lunarscope plan``
    writes them into its staging folder); returns their paths."""
    table = obsloctap_table(plan, request_ids)
    vot_path = os.path.join(folder, VOTABLE_NAME)
    csv_path = os.path.join(folder, CSV_NAME)
    with open(vot_path, "wb") as fh:
        fh.write(votable_bytes(table))
    with open(csv_path, "w", encoding="utf-8", newline="") as fh:
        fh.write(csv_text(table))
    return vot_path, csv_path


__all__ = [
    "COLUMNS",
    "COLUMN_NAMES",
    "CSV_NAME",
    "VOTABLE_NAME",
    "csv_text",
    "mjd_utc",
    "obsloctap_rows",
    "obsloctap_table",
    "votable_bytes",
    "write_obsloctap",
]
