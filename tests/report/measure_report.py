"""Size and load time of report files in headless Chromium (offline), for docs/report.md.

    python tests/report/measure_report.py BEFORE.html AFTER.html [--runs 5]

Each file is loaded ``--runs`` times, the files alternating (so a change in the machine's load
hits all alike). Per load: the navigation entry's ``domContentLoadedEventEnd`` and
``performance.now()`` at the load event (ms from navigation start: parsing, layout of the inline
SVG, the inline script's set-up), the first contentful paint, the set-up time of the report's
script alone, the number of elements, and the script's status. Prints the medians and the file sizes.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from chromium import run_chromium  # noqa: E402

#: Inserted after <body>: the first DOMContentLoaded listener, before the report's own.
START = """<script>document.addEventListener('DOMContentLoaded', function () { window.lsT0 = performance.now(); });</script>"""
#: Appended before </body>: records the load figures on <html> for --dump-dom to show; its
#: DOMContentLoaded listener runs after the report script's set-up, so the difference to START's
#: is the set-up time of the report's script (toolbars, zoom state, tables paged).
PROBE = """<script>
document.addEventListener('DOMContentLoaded', function () {
  document.documentElement.setAttribute('data-m-setup', (performance.now() - window.lsT0).toFixed(1));
});
window.addEventListener('load', function () {
  var n = performance.getEntriesByType('navigation')[0], root = document.documentElement;
  root.setAttribute('data-m-dcl', n.domContentLoadedEventEnd.toFixed(1));
  root.setAttribute('data-m-load', performance.now().toFixed(1));
  var p = performance.getEntriesByType('paint').filter(function (e) { return e.name === 'first-contentful-paint'; });
  root.setAttribute('data-m-fcp', p.length ? p[0].startTime.toFixed(1) : '-1');
  root.setAttribute('data-m-nodes', String(document.getElementsByTagName('*').length));
});
</script>"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("reports", nargs="+")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    results: dict[str, list[dict]] = {r: [] for r in args.reports}
    with tempfile.TemporaryDirectory() as tmp:
        pages = {}
        for k, path in enumerate(args.reports):
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
            pages[path] = os.path.join(tmp, f"r{k}.html")
            with open(pages[path], "w", encoding="utf-8") as fh:
                fh.write(text.replace("<body>", "<body>" + START, 1).replace("</body>", PROBE + "</body>"))
        for run in range(args.runs):
            for k, path in enumerate(args.reports):
                res = run_chromium(os.path.join(tmp, f"p{run}-{k}"), "file://" + pages[path], "--dump-dom")
                head = re.search(r"<html[^>]*>", res.stdout).group(0)
                a = dict(re.findall(r'(data-[\w-]+)="([^"]*)"', head))
                results[path].append(a)
    for path, rows in results.items():
        med = {k: statistics.median(float(r[f"data-m-{k}"]) for r in rows) for k in ("dcl", "load", "fcp", "setup")}
        status = {r.get("data-js-status", "none") + ("" if "data-js-errors" not in r else " errors") for r in rows}
        print(
            f"{path}: {os.path.getsize(path):,} bytes, {rows[0]['data-m-nodes']} elements; median of {len(rows)}: "
            f"DOMContentLoaded {med['dcl']:.0f} ms, load {med['load']:.0f} ms, first paint {med['fcp']:.0f} ms, "
            f"script set-up {med['setup']:.0f} ms; "
            f"script {'/'.join(sorted(status))}"
        )


if __name__ == "__main__":
    main()
