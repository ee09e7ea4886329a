"""The demo target catalogue (examples/catalogues/telescope_targets.csv) is well-formed and its
positions agree with independent published values."""

from __future__ import annotations

import csv
import math

import pytest
from plan_fixture import CATALOGUE

TEN_MAS_DEG = 10.0 / 3.6e6
ONE_ARCSEC_DEG = 1.0 / 3600.0
COLUMNS = [
    "name",
    "ra_deg",
    "dec_deg",
    "pm_ra_mas_yr",
    "pm_dec_mas_yr",
    "epoch",
    "class",
    "catalogue",
    "catalogue_id",
    "hp_mag",
    "priority",
    "exposure_s",
    "min_visit_s",
    "visits",
    "data_rate_mbps",
]
# SIMBAD ICRS J2000 positions (sexagesimal as published), for stars propagated from Hipparcos J1991.25.
SIMBAD_J2000 = {
    "Vega": ("18 36 56.33635", "+38 47 01.2802"),
    "Sirius": ("06 45 08.91728", "-16 42 58.0171"),
}
# NED/OpenNGC-independent check for a galaxy: NGC 4151 nucleus (SIMBAD), to 1 arcsec.
NGC4151 = ("12 10 32.58", "+39 24 20.6")


def _rows():
    with open(CATALOGUE, newline="") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def _sexa(ra: str, dec: str) -> tuple[float, float]:
    h, m, s = (float(x) for x in ra.split())
    sign = -1.0 if dec.strip().startswith("-") else 1.0
    d, dm, ds = (abs(float(x)) for x in dec.split())
    return 15.0 * (h + m / 60 + s / 3600), sign * (d + dm / 60 + ds / 3600)


def test_columns_and_ranges():
    rows = _rows()
    assert list(rows[0].keys()) == COLUMNS
    assert 90 <= len(rows) <= 110
    assert len({r["name"] for r in rows}) == len(rows)
    for r in rows:
        assert 0.0 <= float(r["ra_deg"]) < 360.0 and -90.0 <= float(r["dec_deg"]) <= 90.0
        assert 1 <= int(r["priority"]) <= 10 and int(r["visits"]) >= 1
        assert 0 < float(r["min_visit_s"]) <= float(r["exposure_s"]) and float(r["data_rate_mbps"]) > 0
        assert r["epoch"] == "J2000.0"
    classes = {r["class"] for r in rows}
    assert {"spectrophotometric standard", "hot star", "variable star", "AGN Seyfert 1"} <= classes


@pytest.mark.parametrize("name", sorted(SIMBAD_J2000))
def test_star_positions_match_simbad_at_j2000(name):
    row = next(r for r in _rows() if r["name"] == name)
    ra, dec = _sexa(*SIMBAD_J2000[name])
    d_ra = (float(row["ra_deg"]) - ra) * math.cos(math.radians(dec))
    assert math.hypot(d_ra, float(row["dec_deg"]) - dec) <= TEN_MAS_DEG


def test_galaxy_position():
    row = next(r for r in _rows() if r["name"] == "NGC 4151")
    ra, dec = _sexa(*NGC4151)
    d_ra = (float(row["ra_deg"]) - ra) * math.cos(math.radians(dec))
    assert math.hypot(d_ra, float(row["dec_deg"]) - dec) <= ONE_ARCSEC_DEG
