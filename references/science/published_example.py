"""The ETC against a published instrument example: HST WFC3/UVIS, Instrument Handbook for
Cycle 22 (Dressel et al. 2014, v6.0), section 9.9.1, Example 1 (inputs and published values in
``tests/data/science/published_wfc3_uvis_example.json``, with what is assumed and why).

Checks: (1) the source count rate against the handbook's pencil-and-paper value 0.1584 e⁻/s;
(2) with the sky + dark per pixel fitted to the handbook's 1-frame ETC exposure (4419 s), the
exposures for 4 and 5 frames (read noise per read) against the ETC's 4936 s and 5089 s.
``tests/science/test_etc.py::test_published_wfc3_uvis_example`` runs the same comparison.

Run (a second):

    python references/science/published_example.py
"""

from __future__ import annotations

import json
import math
import os
import sys
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "src"))
from lunarscope.science import Band, Instrument, exposure_for_snr, flat_fnu, normalized_ab, point_source_rate

DATA = os.path.join(
    os.path.dirname(__file__), "..", "..", "tests", "data", "science", "published_wfc3_uvis_example.json"
)


def wfc3_instrument(doc: dict) -> Instrument:
    """WFC3/UVIS with F555W as the example's numbers describe it."""
    pub, ass = doc["published"], doc["assumed"]
    lo, hi = ass["band_edges_A"]
    band = Band.tophat("F555W", lo, hi, pub["int_QT_dlambda_over_lambda"] / math.log(hi / lo), "F555W-like top-hat")
    p = ass["pixel_scale_arcsec"]
    radius = p * math.sqrt(pub["npix"] / math.pi)  # a circle of the 5x5 box's area
    return Instrument(
        aperture_m=ass["aperture_m"],
        obscuration=ass["obscuration"],
        bands={"F555W": band},
        pixel_scale_arcsec=p,
        psf_fwhm_arcsec=ass["psf_fwhm_arcsec"],
        read_noise_e=pub["read_noise_e"],
        dark_e_s=0.0,  # in the fitted sky + dark
        gain_e_adu=ass["gain_e_adu"],
        full_well_e=ass["full_well_e"],
        aperture_radius_fwhm=radius / ass["psf_fwhm_arcsec"],
        encircled_energy=pub["encircled_energy_5x5"],
        name="HST WFC3/UVIS (handbook example)",
    )


def compare(doc: dict) -> dict:
    """Our count rate, the fitted sky + dark, and our exposures for 1, 4, 5 frames."""
    from scipy.optimize import brentq

    pub = doc["published"]
    inst = wfc3_instrument(doc)
    src = normalized_ab(flat_fnu(), pub["v_mag"] + pub["abnu_correction_mag"], inst.band("F555W"))
    rate = point_source_rate(inst, "F555W", src)

    def exposure(background, reads):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # saturation warnings while bracketing the fit
            return float(
                exposure_for_snr(inst, "F555W", rate, pub["snr"], background, n_reads=reads, quantisation=False)
            )

    t1 = pub["etc_exposure_s"]["1"]
    sky = brentq(lambda b: exposure(b, 1) - t1, 1e-6, 10.0, xtol=1e-12)
    return {
        "count_rate_e_s": rate,
        "fitted_sky_plus_dark_e_s_pix": sky,
        "exposure_s": {n: exposure(sky, int(n)) for n in pub["etc_exposure_s"]},
    }


def main() -> None:
    doc = json.load(open(DATA))
    pub = doc["published"]
    ours = compare(doc)
    print(
        f"count rate: ours {ours['count_rate_e_s']:.4f} e-/s, published {pub['count_rate_e_s']} e-/s "
        f"({100 * (ours['count_rate_e_s'] / pub['count_rate_e_s'] - 1):+.2f} %)"
    )
    print(f"fitted sky + dark: {ours['fitted_sky_plus_dark_e_s_pix']:.4f} e-/s/pixel (from the 1-frame ETC value)")
    for n, t in ours["exposure_s"].items():
        p = pub["etc_exposure_s"][n]
        print(f"{n} frame(s): ours {t:.0f} s, published ETC {p:.0f} s ({100 * (t / p - 1):+.2f} %)")


if __name__ == "__main__":
    main()
