"""Science model: instrument, bands, spectra and the exposure-time calculator (``etc``).

Backgrounds at the spacecraft's place and time (``background``: zodiacal light, Moon and Earth
stray light through the PST, diffuse galactic light); sky coverage maps (``coverage``).
Layer: after ``windows``, before ``scheduling`` (docs/design.md). Synthetic photometry goes
through ``synphot``, offline: the solar spectrum and the named bands ship with the package
(``science/data``, ``bands.NAMED_BANDS``). Formulas and sources: docs/science.md.
"""

from .background import background_radiance, background_rate
from .bands import NAMED_BANDS, Band
from .coverage import SkyCoverage, hours_for_depth, sky_coverage
from .etc import exposure_for_snr, noise_budget, point_source_rate, snr, surface_brightness_rate
from .instrument import Instrument
from .spectra import (
    ab_magnitude,
    blackbody,
    flat_fnu,
    from_table,
    normalized_ab,
    parse_spectrum,
    power_law,
    solar_spectrum,
)

__all__ = [
    "NAMED_BANDS",
    "Band",
    "Instrument",
    "SkyCoverage",
    "ab_magnitude",
    "background_radiance",
    "background_rate",
    "blackbody",
    "exposure_for_snr",
    "flat_fnu",
    "from_table",
    "hours_for_depth",
    "noise_budget",
    "normalized_ab",
    "parse_spectrum",
    "point_source_rate",
    "power_law",
    "snr",
    "sky_coverage",
    "solar_spectrum",
    "surface_brightness_rate",
]
