"""Write GRGM1200A (degree/order 70) in the SHA layout Orekit's ``SHAFormatReader`` parses.

Source: ``cislunar/physics/data/grgm1200a_degree70.csv`` from the installed ``cislunar-sim``
wheel (columns n, m, C, S; fully normalized; degrees 2..70), GM = 4902.80011526323 km^3/s^2,
reference radius 1738.0 km (Lemoine et al. 2014, GRGM1200A; values as shipped by cislunar-sim).

Layout (Orekit 13 ``SHAFormatReader``, checked by running it, see ``check``):

* line 1: ``GM  R  max_degree  max_order`` with GM in m^3/s^2 and R in m (Orekit takes them as
  SI without conversion); reals must look like ``d.ddddde+XX`` (at most one digit before the
  point, a two-digit exponent),
* every other line: ``n  m  C  S  sigmaC  sigmaS`` (sigmas are not used; written as zero).

C00 = 1 is implied by the reader (it sets it from the header). Degree-1 lines (all zero, the
origin is the centre of mass) are written explicitly so the file does not rely on the reader's
pre-filled defaults for degree 1.

Run: ``python references/orekit/make_sha_file.py`` -> ``tests/data/orekit/grgm1200a_70.sha``
and a read-back check printed by Orekit.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import orekit_setup as osu

DEGREE = 70


def source_csv() -> Path:
    """Path of the GRGM1200A degree-70 CSV inside the installed cislunar-sim wheel."""
    import cislunar

    return Path(cislunar.__file__).resolve().parent / "physics" / "data" / "grgm1200a_degree70.csv"


def read_source() -> np.ndarray:
    """(K, 4) array of n, m, C, S from the cislunar-sim CSV (fully normalized)."""
    data = np.loadtxt(source_csv(), delimiter=",", ndmin=2)
    if data.shape[1] != 4:
        raise ValueError(f"expected 4 columns n,m,C,S, got {data.shape[1]}")
    n = data[:, 0].astype(int)
    expected = sum(k + 1 for k in range(2, DEGREE + 1))
    if n.min() != 2 or n.max() != DEGREE or len(data) != expected:
        raise ValueError(f"expected degrees 2..{DEGREE} complete ({expected} rows), got {len(data)}")
    return data


def _real(x: float) -> str:
    return f"{x:.17e}"


def write_sha(path: Path = osu.SHA_FILE) -> Path:
    """Write the SHA file (SI header) and return its path."""
    data = read_source()
    gm_m3_s2 = osu.GM_MOON_GRGM_KM3_S2 * 1e9
    r_m = osu.R_REF_GRGM_KM * 1e3
    lines = [f"{_real(gm_m3_s2)} {_real(r_m)} {DEGREE} {DEGREE}"]
    zero = _real(0.0)
    for m in (0, 1):
        lines.append(f"1 {m} {zero} {zero} {zero} {zero}")
    for n, m, c, s in data:
        lines.append(f"{int(n)} {int(m)} {_real(c)} {_real(s)} {zero} {zero}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def check(path: Path = osu.SHA_FILE) -> float:
    """Read the file back with Orekit and return the largest |C|,|S| difference (unitless).

    Also asserts GM and R are returned exactly (SI) and prints the check.
    """
    data = read_source()
    provider = osu.load_gravity_provider(path, DEGREE, DEGREE)
    harm = provider.onDate(osu.epoch_date())
    worst = 0.0
    for n, m, c, s in data:
        dc = abs(harm.getNormalizedCnm(int(n), int(m)) - c)
        ds = abs(harm.getNormalizedSnm(int(n), int(m)) - s)
        worst = max(worst, dc, ds)
    c00 = harm.getNormalizedCnm(0, 0)
    gm = provider.getMu()
    r = provider.getAe()
    print(f"Orekit {osu.orekit_version()} SHAFormatReader read-back of {path.name}:")
    print(f"  degree {provider.getMaxDegree()} order {provider.getMaxOrder()} C00 {c00}")
    print(f"  GM {gm!r} m^3/s^2 (expected {osu.GM_MOON_GRGM_KM3_S2 * 1e9!r})")
    print(f"  R  {r!r} m (expected {osu.R_REF_GRGM_KM * 1e3!r})")
    print(f"  C20 {harm.getNormalizedCnm(2, 0)!r}  C22 {harm.getNormalizedCnm(2, 2)!r}")
    print(f"  C10 {harm.getNormalizedCnm(1, 0)} C11 {harm.getNormalizedCnm(1, 1)}")
    print(f"  max |dC|,|dS| over {len(data)} (n,m) pairs: {worst:.3e}")
    assert gm == osu.GM_MOON_GRGM_KM3_S2 * 1e9 and r == osu.R_REF_GRGM_KM * 1e3
    assert provider.getMaxDegree() == DEGREE and provider.getMaxOrder() == DEGREE
    assert c00 == 1.0 and worst == 0.0
    return worst


if __name__ == "__main__":
    out = write_sha()
    print(f"wrote {out} ({out.stat().st_size} bytes)")
    check(out)
