"""Plan the demo (examples/circumlunar-telescope.yaml: 99 catalogue targets, 30 days) with the
greedy solver, through the real pipeline, and save two screenshots of its report: the top of the
page as docs/report.png, and the events timeline, the Gantt and the recorder zoomed by the
report's own script to one UTC day (the middle day of the span; a Gantt bar hovered) as
docs/figures/report-day-zoom.png.

    python tests/report/make_report_screenshot.py [--html OUT.html] [--days 30]

Needs /usr/bin/chromium (apt-get install -y chromium) and Pillow (palette PNG, ≤ 500 KB).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import yaml
from plan_fixture import REPO, STAMP

sys.path.insert(0, os.path.dirname(HERE))
from chromium import run_chromium  # noqa: E402

from lunarscope.mission import mission_from_dict
from lunarscope.mission.plan import run_plan
from lunarscope.report import write_report

OUT_PNG = os.path.join(REPO, "docs", "report.png")
OUT_ZOOM_PNG = os.path.join(REPO, "docs", "figures", "report-day-zoom.png")
DEMO = os.path.join(REPO, "examples", "circumlunar-telescope.yaml")
WIDTH_PX, HEIGHT_PX = 1200, 3400
ZOOM_HEIGHT_PX = 1500
MAX_BYTES = 500_000
#: Shows only the timeline, schedule and recorder sections, zooms them to the middle UTC day
#: through the report's API (window.lunarscopeReport) and hovers a Gantt bar of that day.
ZOOM_SCRIPT = """
<style>header, footer, main > section:not(#timeline):not(#schedule):not(#recorder) { display: none; }</style>
<script>
document.addEventListener('DOMContentLoaded', function () {
  var R = window.lunarscopeReport;
  ['timeline', 'gantt', 'recorder'].forEach(function (n) { R.zoomDay(n); });
  var g = document.querySelector('svg[data-chart="gantt"]'), x0 = parseFloat(g.getAttribute('data-x0'));
  var bars = Array.prototype.filter.call(g.querySelectorAll('[data-series="observe"] rect.mark'), function (r) {
    return parseFloat(r.getAttribute('x')) > x0 + 300 && parseFloat(r.getAttribute('width')) > 8;
  });
  if (bars.length) {
    var b = bars[0].getBoundingClientRect();
    bars[0].dispatchEvent(new MouseEvent('mousemove', { clientX: b.left + 2, clientY: b.top + 4, bubbles: true }));
  }
});
</script>
"""


def _save(shot: str, out: str, scale: float) -> None:
    from PIL import Image

    img = Image.open(shot).convert("RGB")
    img = img.resize((round(img.width * scale), round(img.height * scale)), Image.LANCZOS)
    img.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)
    size = os.path.getsize(out)
    print(f"wrote {out}: {size} bytes")
    if size > MAX_BYTES:
        raise SystemExit(f"{out} is {size} bytes > {MAX_BYTES}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--html", help="also keep the rendered report here")
    ap.add_argument("--days", type=float, default=30.0, help="mission duration (d); the demo's own is 30")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        html = args.html or os.path.join(tmp, "report.html")
        with open(DEMO, encoding="utf-8") as fh:
            raw = yaml.safe_load(fh)
        raw["duration"] = f"{args.days:g} d"
        mission = mission_from_dict(raw, base=os.path.dirname(DEMO), path=DEMO)
        result = run_plan(mission, os.path.join(tmp, "plan"), solver="greedy", generated_utc=STAMP)
        write_report(html, result.plan)
        shot = os.path.join(tmp, "shot.png")
        run_chromium(
            os.path.join(tmp, "profile"),
            "file://" + os.path.abspath(html),
            "--hide-scrollbars",
            f"--window-size={WIDTH_PX},{HEIGHT_PX}",
            f"--screenshot={shot}",
            check=True,
        )
        _save(shot, OUT_PNG, 0.75)
        zoomed = os.path.join(tmp, "zoom.html")
        with open(html, encoding="utf-8") as fh:
            text = fh.read()
        with open(zoomed, "w", encoding="utf-8") as fh:
            fh.write(text.replace("</body>", ZOOM_SCRIPT + "</body>"))
        run_chromium(
            os.path.join(tmp, "profile2"),
            "file://" + os.path.abspath(zoomed),
            "--hide-scrollbars",
            f"--window-size={WIDTH_PX},{ZOOM_HEIGHT_PX}",
            f"--screenshot={shot}",
            check=True,
        )
        _save(shot, OUT_ZOOM_PNG, 0.75)


if __name__ == "__main__":
    main()
