"""File input/output: CCSDS Orbit Ephemeris Messages and other exchange formats."""
