"""Plan the demo (examples/circumlunar-telescope.yaml: 99 catalogue targets) cut to 3 days with
the greedy solver, through the real pipeline, and save its report's screenshot as docs/report.png.

    python tests/report/make_report_screenshot.py [--html OUT.html]

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
DEMO = os.path.join(REPO, "examples", "circumlunar-telescope.yaml")
DEMO_DURATION = "3 d"
WIDTH_PX, HEIGHT_PX = 1200, 3400
MAX_BYTES = 500_000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--html", help="also keep the rendered report here")
    args = ap.parse_args()
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        html = args.html or os.path.join(tmp, "report.html")
        with open(DEMO, encoding="utf-8") as fh:
            raw = yaml.safe_load(fh)
        raw["duration"] = DEMO_DURATION
        raw["description"] = f"{raw['description'].strip()} (Cut to {DEMO_DURATION} for this screenshot.)"
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
        img = Image.open(shot).convert("RGB")
        img = img.resize((img.width * 3 // 4, img.height * 3 // 4), Image.LANCZOS)
        img.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(OUT_PNG, optimize=True)
    size = os.path.getsize(OUT_PNG)
    print(f"wrote {OUT_PNG}: {size} bytes")
    if size > MAX_BYTES:
        raise SystemExit(f"{OUT_PNG} is {size} bytes > {MAX_BYTES}")


if __name__ == "__main__":
    main()
