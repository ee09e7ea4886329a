"""Orbital elements and orbit-level helpers (Keplerian conversions, mean elements, apsides)."""
