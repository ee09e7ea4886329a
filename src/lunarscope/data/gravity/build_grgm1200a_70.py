"""Build ``GRGM1200A_70.tab`` (shipped with lunarscope) from the cislunar-sim wheel.

Run once, offline, by a maintainer (cislunar-sim is NOT a lunarscope dependency)::

    pip install cislunar-sim==1.0.1
    python src/lunarscope/data/gravity/build_grgm1200a_70.py

Input: ``cislunar/physics/data/grgm1200a_degree70.csv`` (columns n, m, C, S; fully
normalized; degrees 2..70; C00 and degree 1 absent), a slice of the PDS file
``gggrx_1200a_sha.tab``. Output: SHADR-like text with ``# key: value`` comment lines.
"""

from __future__ import annotations

import hashlib
import sys
from importlib import metadata, resources
from pathlib import Path

import numpy as np

GM_KM3_S2 = 4902.80011526323  # GRGM1200A header GM (km^3/s^2)
RADIUS_KM = 1738.0  # GRGM1200A reference radius (km)
DEGREE = 70
OUT = Path(__file__).with_name("GRGM1200A_70.tab")


def main() -> None:
    ref = resources.files("cislunar") / "physics" / "data" / "grgm1200a_degree70.csv"
    raw_bytes = ref.read_bytes()
    sha = hashlib.sha256(raw_bytes).hexdigest()
    raw = np.loadtxt(ref.open("r"), delimiter=",", dtype=np.float64)
    n = raw[:, 0].astype(int)
    m = raw[:, 1].astype(int)
    assert n.min() == 2 and n.max() == DEGREE and len(n) == (DEGREE + 1) * (DEGREE + 2) // 2 - 3
    version = metadata.version("cislunar-sim")

    head = [
        "# name: GRGM1200A",
        "# source: GRGM1200A lunar gravity field (Lemoine et al. 2014, GRL 41, 3382, "
        "doi:10.1002/2014GL060027; Goossens et al.), NASA PDS Geosciences Node file "
        "gggrx_1200a_sha.tab, truncated to degree and order 70",
        f"# source_values: cislunar-sim {version} wheel, cislunar/physics/data/"
        f"grgm1200a_degree70.csv (sha256 {sha}), copied by build_grgm1200a_70.py",
        "# units: radius km, GM km^3/s^2, coefficients dimensionless",
        "# normalization: fully normalized (4pi geodesy normalization, no Condon-Shortley phase)",
        "# frame: MOON_PA",
        "# frame_note: Moon principal-axes frame of the DE430 lunar libration solution (DE430 PA)",
        "# c00_degree1: C00 = 1 and degree 1 = 0 (origin at the centre of mass)",
        "# layout: PDS SHADR: radius, GM, sigma GM, degree, order, normalization state, "
        "ref lon, ref lat; then n, m, C, S, sigma C, sigma S (sigmas not carried: 0)",
    ]
    lines = list(head)
    lines.append(f"{RADIUS_KM:.16E}, {GM_KM3_S2:.16E}, {0.0:.16E}, {DEGREE:5d}, {DEGREE:5d}, 1, {0.0:.16E}, {0.0:.16E}")
    zero = f"{0.0:.16E}"
    for i in range(len(n)):
        lines.append(f"{n[i]:5d},{m[i]:5d},{raw[i, 2]:.16E},{raw[i, 3]:.16E},{zero},{zero}")
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sys.stdout.write(f"wrote {OUT} ({len(n)} rows)\n")  # a maintainer's script: its one line of output


if __name__ == "__main__":
    main()
