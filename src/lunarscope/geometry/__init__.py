"""Pure geometric functions of position vectors (no ephemeris, no time): apparent radii,
separations, limb angles, shadow fractions, elevations. Compiled scalar kernels for
force models plus vectorized forms for event finding."""
