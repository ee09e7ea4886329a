"""lunarscope: plan and simulate telescopes in orbit around the Moon.

Layers (each imports only the ones before it; see docs/design.md):
time, constants -> ephemeris -> frames -> sources (Sources: SPK, lunar PCK, Earth orientation,
gravity) -> sites, states, geometry -> gravity, dynamics, orbits, trajectory (design) -> windows
(WindowJob) -> science (instrument, ETC, backgrounds, sky coverage) -> scheduling (Problem) -> products (Plan) -> mission (the only reader of a Mission) -> io, report
-> sweep (many mission variants on Dask) -> cli.
Units inside: km, km/s, s, rad; time is float64 TDB seconds past J2000 (see ``lunarscope.time``).
"""

__version__ = "0.1.0"
