"""Equations of motion and their numerical integration (compiled numba kernels)."""
