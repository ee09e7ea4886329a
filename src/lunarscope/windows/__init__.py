"""Event windows: interval algebra (:class:`Windows`) and the event finder (:func:`find_windows`).

``Windows`` holds sorted, disjoint, closed intervals in TDB seconds; ``find_windows`` finds
where one or M conditions ``g(t) >= 0`` with a stated guarantee (see ``docs/events.md``).
"""

from lunarscope.windows.finder import MIN_TOL_S, Condition, find_windows
from lunarscope.windows.intervals import Windows

__all__ = ["MIN_TOL_S", "Condition", "Windows", "find_windows"]
