"""Sweep fixtures: small sweeps of the quick-look mission (one day). The real Dask cluster is
``tests/dask_cluster.py`` (fixture ``dask_cluster`` in tests/conftest.py)."""

import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
QUICK_LOOK = os.path.join(ROOT, "examples", "quick-look.yaml")


def tiny_sweep(vary, **extra):
    """A sweep dict: quick-look for one day, propagate + windows, the given ``vary``."""
    raw = {"base": QUICK_LOOK, "set": {"duration": "1 d"}, "vary": vary, "stages": ["propagate", "windows"]}
    raw.update(extra)
    return raw
