"""lunarscope: plan and simulate telescopes in orbit around the Moon.

Layers (each imports only the ones above it):
time -> ephemeris -> frames -> gravity/dynamics -> geometry/windows -> scheduling -> mission/products.
Units inside: km, km/s, s, rad; time is float64 TDB seconds past J2000 (see ``lunarscope.time``).
"""

__version__ = "0.1.0"
