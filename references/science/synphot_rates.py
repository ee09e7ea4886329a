"""Reference count rates from synphot itself, for ``tests/science/test_etc.py``.

Independent of lunarscope's integrals and AB normalisation: every rate here is synphot's own
``Observation(spectrum, bandpass, binset=...).countrate(area=...)`` and every AB normalisation
is synphot's ``SourceSpectrum.normalize(mag * u.ABmag, band=...)``. Only the inputs are shared
with lunarscope: the shipped solar table (``science/data/solar_e490_2014.csv``), the band
tables (edges of ``bands.NAMED_BANDS`` and the efficiencies of ``Instrument.default()``) and
the collecting area π(D/2)²(1−ε²) of the default instrument, which are written into the JSON.

Cases: flat f_ν (AB 18 and 22), blackbodies (5800 K, 20 000 K), a power law f_ν ∝ ν^-1, all
normalised to an AB magnitude in a band (synphot's ``normalize`` with ``wavelengths=binset``: on
a top-hat's own four nodes its trapezoid of a flat f_ν is 1-4 % off), and the Sun at 1 AU scaled by 1e-12, through each
default band; plus the diffuse solar-shape background of radiance 1e-3 W m⁻² sr⁻¹ µm⁻¹ at
500 nm, as e⁻/s per default pixel. AB-normalised shapes are normalised both in the band
observed ("own": all shapes then give the same photon count, by the definition) and in the
default g band ("g": the count in the other bands then tests the spectral shape). The binset is 0.1 Å across each band, fine enough that
synphot's binned integral is exact to < 1e-4 for these smooth spectra.

Run (a few seconds):

    python references/science/synphot_rates.py tests/data/science/synphot_rates.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

import astropy.units as u
import numpy as np
import synphot
from synphot import Observation, SourceSpectrum, SpectralElement, units
from synphot.models import BlackBodyNorm1D, ConstFlux1D, Empirical1D, PowerLawFlux1D

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "src"))
from lunarscope.science import Instrument  # noqa: E402  (inputs only: band tables, area, pixel)
from lunarscope.science.spectra import SOLAR_TABLE  # noqa: E402

#: Bin width of the synphot binset (Å).
BINSET_STEP_A = 0.1
#: Background radiance of the diffuse case at 500 nm (W m⁻² sr⁻¹ µm⁻¹).
RADIANCE_500NM = 1e-3


def solar() -> SourceSpectrum:
    a = np.loadtxt(SOLAR_TABLE, delimiter=",", comments="#", skiprows=8)
    return SourceSpectrum(Empirical1D, points=a[:, 0] * 1e4 * u.AA, lookup_table=a[:, 1] * 0.1 * units.FLAM)


def main(out: str) -> None:
    inst = Instrument.default()
    area_cm2 = math.pi * (inst.aperture_m * 100 / 2) ** 2 * (1 - inst.obscuration**2)
    pix_sr = (inst.pixel_scale_arcsec * math.pi / 180 / 3600) ** 2
    shapes = {
        "flat_ab18": ("ab", 18.0, SourceSpectrum(ConstFlux1D, amplitude=0 * u.ABmag)),
        "flat_ab22": ("ab", 22.0, SourceSpectrum(ConstFlux1D, amplitude=0 * u.ABmag)),
        "bb5800_ab18": ("ab", 18.0, SourceSpectrum(BlackBodyNorm1D, temperature=5800)),
        "bb20000_ab18": ("ab", 18.0, SourceSpectrum(BlackBodyNorm1D, temperature=20000)),
        "pl-1_ab18": (
            "ab",
            18.0,
            SourceSpectrum(PowerLawFlux1D, amplitude=1e-26 * units.FNU, x_0=5000 * u.AA, alpha=-1.0),
        ),
        "sun_1e-12": ("scale", 1e-12, solar()),
    }
    cases = []
    # the normalisation band: "own" (the band observed) or the default instrument's g band
    gb = inst.bands["g"]
    g_bp = SpectralElement(Empirical1D, points=gb.wavelength_A * u.AA, lookup_table=gb.throughput, fill_value=0)
    g_binset = np.arange(gb.wavelength_A[0], gb.wavelength_A[-1] + BINSET_STEP_A, BINSET_STEP_A) * u.AA
    for bname, band in inst.bands.items():
        bp = SpectralElement(Empirical1D, points=band.wavelength_A * u.AA, lookup_table=band.throughput, fill_value=0)
        lo, hi = float(band.wavelength_A[0]), float(band.wavelength_A[-1])
        binset = np.arange(lo, hi + BINSET_STEP_A, BINSET_STEP_A) * u.AA
        for sname, (kind, value, shape) in shapes.items():
            for norm in ("own", "g") if kind == "ab" else ("none",):
                nbp, nbin = (bp, binset) if norm == "own" else (g_bp, g_binset)
                # wavelengths=binset: on a top-hat's own 4 nodes synphot's trapezoid of a flat f_nu
                # is 1-4 % off, which would bias the normalisation of every non-flat shape
                sp = shape.normalize(value * u.ABmag, band=nbp, wavelengths=nbin) if kind == "ab" else shape * value
                obs = Observation(sp, bp, binset=binset, force="taper")
                rate = float(obs.countrate(area=area_cm2 * u.cm**2).value)
                cases.append(
                    {"band": bname, "source": sname, "norm_band": norm, "kind": "point_total", "rate_e_s": rate}
                )
        # diffuse: the Sun's shape with radiance RADIANCE_500NM at 500 nm, per pixel
        sun = solar()
        f500 = float(sun(5000 * u.AA, flux_unit=units.FLAM).value)
        sp = sun * (RADIANCE_500NM * 0.1 / f500 * pix_sr)
        obs = Observation(sp, bp, binset=binset, force="taper")
        rate = float(obs.countrate(area=area_cm2 * u.cm**2).value)
        cases.append(
            {"band": bname, "source": "sun_radiance", "norm_band": "none", "kind": "diffuse_pixel", "rate_e_s": rate}
        )
    doc = {
        "generated_by": "references/science/synphot_rates.py",
        "synphot_version": synphot.__version__,
        "area_cm2": area_cm2,
        "pixel_sr": pix_sr,
        "radiance_500nm_W_m2_sr_um": RADIANCE_500NM,
        "cases": cases,
    }
    with open(out, "w") as fh:
        json.dump(doc, fh, indent=1)
    print(f"{len(cases)} cases -> {out}")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out")
    main(p.parse_args().out)
