"""Orbit design: lifetime maps (``lifetime``); imports dynamics and orbits, never mission."""
