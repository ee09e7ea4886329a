"""Physical constants with their sources, one place each. GM values live with the ephemeris
(DE440) and with gravity fields, never here (the mass ratio below is quoted from DE440)."""

#: Sun nominal radius, IAU 2015 Resolution B3 (Prša et al. 2016), km.
SUN_RADIUS_KM = 695700.0
#: Earth equatorial radius, WGS84 (NIMA TR8350.2), km.
EARTH_RADIUS_KM = 6378.137
#: Moon mean radius, IAU WGCCRE 2009 / LOLA datum (Archinal et al. 2011), km.
MOON_RADIUS_KM = 1737.4
#: Astronomical unit, IAU 2012 Resolution B2, km.
AU_KM = 149597870.700
#: Speed of light in vacuum, IAU 2009 defining constant (= SI definition of the metre), km/s.
SPEED_OF_LIGHT_KM_S = 299792.458
#: Seconds per day of 86400 SI seconds (IAU; the unit of Julian dates in every time scale), s.
SECONDS_PER_DAY = 86400.0
#: Solar radiation pressure at 1 au for a perfectly absorbing surface, N/m^2 (the value
#: Orekit and GMAT use: 4.56e-6 N/m^2; total solar irradiance ~1367 W/m^2 divided by c).
SRP_1AU_N_M2 = 4.56e-6
#: Mean Earth–Moon distance (semi-major axis of the lunar orbit), km (Williams & Boggs,
#: NASA Moon Fact Sheet: 384,400 km).
EARTH_MOON_DISTANCE_KM = 384400.0
#: Moon/Earth mass ratio GM_Moon/GM_Earth of DE440 (Park et al. 2021, Table 8:
#: 4902.800118 / 398600.435507).
MOON_EARTH_MASS_RATIO = 4902.800118 / 398600.435507
#: Radius of the Moon's sphere of influence w.r.t. the Earth, Laplace's
#: r_SOI = a_EM (m_Moon/m_Earth)^(2/5) (Vallado 2013, eq. 12-6), ≈ 66,100 km.
MOON_SOI_RADIUS_KM = EARTH_MOON_DISTANCE_KM * MOON_EARTH_MASS_RATIO**0.4
