"""The mission file's ``commanding`` section: when a changed plan can take effect on board.

A command load (a new timeline) reaches the spacecraft only through a contact with a station
marked for uplink, and it takes effect a lead time after the uplink (ground checks, on-board
validation, margin). Keys (docs/mission-file.md, ``commanding``):

* ``uplink_stations``: names from ``stations`` (default: the downlink stations);
* ``lead_time``: duration from the end of the uplink to the moment the load takes effect
  (default 0);
* ``min_contact``: how long a contact must already be open to radiate a load (default 0): the
  uplink ends ``min_contact`` after the contact is available (its start, or the trigger time
  when the contact is already open), and a contact with less than that left is no uplink
  opportunity;
* ``frozen``: the default of ``lunarscope replan --frozen`` (default 0).

For a trigger at ``t`` (TDB s) the earliest time a changed activity may start is
``t_free = max(t + frozen, t_uplink + lead_time)``, ``t_uplink`` the end of the first uplink
opportunity at or after ``t`` (:func:`free_time`; docs/replan.md).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..time import parse_duration_s, short
from .reader import Section

#: Keys of the ``commanding`` section.
COMMANDING_KEYS = {"uplink_stations", "lead_time", "min_contact", "frozen"}
#: A duration written as zero (``0``, ``0 s``, ``0 h``): allowed for the commanding durations.
_ZERO = re.compile(r"\s*0*\.?0*\s*[a-zA-Z]*\s*")


@dataclass(frozen=True)
class Commanding:
    """How command loads reach the spacecraft. Durations in s."""

    uplink_stations: tuple  # station names (resolved: the downlink stations when not given)
    lead_time_s: float = 0.0
    min_contact_s: float = 0.0
    frozen_s: float = 0.0
    #: True when ``uplink_stations`` was written in the file (False: the default list).
    stations_given: bool = False


def duration_or_zero(value, field: str) -> float:
    """A duration in s (``'6 h'``, ``'30 min'``, seconds) that may be zero; InputError naming
    ``field`` for anything else (negative, not a duration)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0:
        return 0.0
    if isinstance(value, str) and _ZERO.fullmatch(value) and any(ch == "0" for ch in value):
        return 0.0
    try:
        return parse_duration_s(value, field)
    except InputError as exc:
        raise InputError(field, f"{short(value)} must be a duration >= 0 like '6 h', '30 min' or '0'") from exc


def parse_commanding(root: Section, observing, operations) -> Commanding:
    """The ``commanding`` section checked against the mission's stations."""
    sec = root.section("commanding", COMMANDING_KEYS)
    known = tuple(s.name for s in observing.stations) if observing is not None else ()
    if sec.has("uplink_stations"):
        names = sec.items("uplink_stations")
        if not names:
            raise InputError("commanding.uplink_stations", "needs at least one station name from stations")
        out = []
        for k, name in enumerate(names):
            if not isinstance(name, str) or str(name) not in known:
                raise InputError(
                    f"commanding.uplink_stations[{k}]",
                    f"unknown station {short(name)}; stations: {', '.join(known) or 'none defined'}",
                )
            out.append(str(name))
        stations, given = tuple(out), True
    else:
        dl = getattr(operations, "downlink_stations", None)
        stations, given = (tuple(dl) if dl is not None else known), False
    values = {}
    for key in ("lead_time", "min_contact", "frozen"):
        values[key] = duration_or_zero(sec.raw[key], f"commanding.{key}") if sec.has(key) else 0.0
    return Commanding(stations, values["lead_time"], values["min_contact"], values["frozen"], given)


def attach(mission, root: Section):
    """Return ``mission`` with ``commanding`` set (called by ``load_mission``); warns when the
    section is written but an uplink station's contacts are not computed (``windows.kinds``,
    ``windows.stations``), since such a station never offers an uplink."""
    import warnings

    comm = parse_commanding(root, mission.observing, mission.operations)
    settings = getattr(mission.observing, "settings", None)
    if root.has("commanding") and settings is not None:
        off = [
            s
            for s in comm.uplink_stations
            if "contact" not in settings.kinds or (settings.stations is not None and s not in settings.stations)
        ]
        if off:
            warnings.warn(
                f"commanding.uplink_stations: no contact windows are computed for {', '.join(off)} "
                "(windows.kinds, windows.stations), so they offer no uplink",
                stacklevel=3,
            )
    return dataclasses.replace(mission, commanding=comm)


def first_uplink(commanding: Commanding, contacts: dict, t: float) -> tuple[float, str] | None:
    """(end of the first uplink at or after ``t``, station) or None when no contact of an
    uplink station leaves ``min_contact_s`` after ``t``. ``contacts``: station name -> (K, 2)
    TDB intervals (``contact`` windows)."""
    best = None
    for name in commanding.uplink_stations:
        iv = np.asarray(contacts.get(name, np.zeros((0, 2))), float).reshape(-1, 2)
        if not len(iv):
            continue
        begin = np.maximum(iv[:, 0], t)
        ok = (iv[:, 1] - begin >= commanding.min_contact_s) & (iv[:, 1] > t)
        if not np.any(ok):
            continue
        t_up = float(begin[ok][0] + commanding.min_contact_s)
        if best is None or t_up < best[0]:
            best = (t_up, name)
    return best


def free_time(commanding: Commanding, contacts: dict, t: float, frozen_s: float | None = None) -> dict:
    """When a plan changed at trigger ``t`` may first differ from the uplinked one:
    ``{"t_free", "t_uplink", "station", "why"}`` with ``t_free = max(t + frozen, t_uplink +
    lead_time)``; ``frozen_s`` overrides ``commanding.frozen_s`` (``--frozen``). None for
    ``t_free`` when no uplink opportunity exists after ``t``."""
    frozen = commanding.frozen_s if frozen_s is None else float(frozen_s)
    up = first_uplink(commanding, contacts, t)
    if up is None:
        return {"t_free": None, "t_uplink": None, "station": None, "why": "no uplink opportunity"}
    t_up, station = up
    by_uplink = t_up + commanding.lead_time_s
    by_frozen = t + frozen
    if by_uplink >= by_frozen:
        why = f"first uplink via {station} ends then + lead time {commanding.lead_time_s:g} s"
    else:
        why = f"trigger + frozen {frozen:g} s (later than the first uplink via {station} + lead time)"
    return {"t_free": max(by_uplink, by_frozen), "t_uplink": t_up, "station": station, "why": why}
