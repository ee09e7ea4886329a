"""The target-visibility chart coloured by constraint (issue 16 item 5): visible, behind the
Moon, excluded by another pointing constraint; the three tile the span."""

import pytest
from dom import charts, parse

from lunarscope.report.html import VISIBILITY_COLOURS, _complement, render_report


def test_complement():
    assert _complement([(2.0, 3.0), (1.0, 2.5), (5.0, 6.0)], 0.0, 10.0) == [(0.0, 1.0), (3.0, 5.0), (6.0, 10.0)]
    assert _complement([(-1.0, 11.0)], 0.0, 10.0) == []
    assert _complement([], 0.0, 1.0) == [(0.0, 1.0)]


def test_rows_tile_the_span_with_three_constraint_colours(plan):
    if not any(w.kind == "target_occulted" for w in plan.windows):
        pytest.skip("the fixture computes no occultation windows")
    svg = charts(parse(render_report(plan)))["visibility"]
    legend = {n.all_text() for n in svg.iter() if n.tag == "text"}
    assert {"visible", "behind the Moon", "Sun / Earth / limb exclusion"} <= legend
    span = plan.mission.stop_tdb - plan.mission.start_tdb
    for t in plan.targets:
        vis = [(w.start_tdb, w.stop_tdb) for w in plan.windows if w.kind == "target_visible" and w.subject == t.name]
        occ = [(w.start_tdb, w.stop_tdb) for w in plan.windows if w.kind == "target_occulted" and w.subject == t.name]
        rest = _complement(vis + occ, plan.mission.start_tdb, plan.mission.stop_tdb)
        covered = sum(b - a for a, b in vis) + sum(b - a for a, b in occ) + sum(b - a for a, b in rest)
        # visible and occulted never overlap, so the three add up to the span (up to window rounding)
        assert covered == pytest.approx(span, abs=1e-3 * (len(vis) + len(occ) + 1))
    series = {n.attrs.get("data-series"): n.attrs.get("fill") for n in svg.iter() if n.tag == "g"}
    for name, colour in VISIBILITY_COLOURS.items():
        assert series.get(name) == colour, name
