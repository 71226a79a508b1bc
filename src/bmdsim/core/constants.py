"""Physical constants (SI). Each with its source.

WGS84: NIMA TR8350.2, 3rd ed. (2000), tables 3.1 and 3.3; EGM96 J2 from the same report.
"""

WGS84_A_M = 6378137.0                       #: semi-major axis
WGS84_F = 1.0 / 298.257223563               #: flattening
WGS84_B_M = WGS84_A_M * (1.0 - WGS84_F)     #: semi-minor axis, 6356752.3142 m
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)        #: first eccentricity squared
WGS84_EP2 = WGS84_E2 / (1.0 - WGS84_E2)     #: second eccentricity squared
GM_EARTH_M3_S2 = 3.986004418e14             #: WGS84 gravitational parameter (with atmosphere)
OMEGA_EARTH_RAD_S = 7.292115e-5             #: WGS84 nominal mean angular velocity
J2_EARTH = 1.08262998905e-3                 #: EGM96 unnormalized C20 = -J2 (TR8350.2 table 5.3)
R_SPHERE_M = 6371000.0                      #: mean radius used for the "sphere" Earth (issue 2 contract)
G0_MPS2 = 9.80665                           #: standard gravity, for specific impulse
NMI_M = 1852.0                              #: international nautical mile
