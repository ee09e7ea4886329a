"""The station-keeping context the design tests build: a mission's orbit, span and force model
with the tests' tolerances (rtol 1e-9, atol 1e-6 km)."""

from lunarscope.design import stationkeeping as sk


def sk_context(m, box, policy, **kw):
    """``stationkeeping.make_context`` for mission ``m``, box mapping ``box`` and ``policy``."""
    return sk.make_context(
        sk.parse_box(box),
        m.state0_icrf,
        m.t_start,
        m.t_stop,
        m.force_model,
        rtol=1e-9,
        atol_km=1e-6,
        policy=policy,
        **kw,
    )
