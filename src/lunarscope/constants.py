"""Body constants with their sources (km). GM values live with the ephemeris (DE440) and
with gravity fields, never here."""

#: Sun nominal radius, IAU 2015 Resolution B3 (Prša et al. 2016), km.
SUN_RADIUS_KM = 695700.0
#: Earth equatorial radius, WGS84 (NIMA TR8350.2), km.
EARTH_RADIUS_KM = 6378.137
#: Moon mean radius, IAU WGCCRE 2009 / LOLA datum (Archinal et al. 2011), km.
MOON_RADIUS_KM = 1737.4
#: Astronomical unit, IAU 2012 Resolution B2, km.
AU_KM = 149597870.700
#: Solar radiation pressure at 1 au for a perfectly absorbing surface, N/m^2 (the value
#: Orekit and GMAT use: 4.56e-6 N/m^2; total solar irradiance ~1367 W/m^2 divided by c).
SRP_1AU_N_M2 = 4.56e-6
