"""The report of the real fixture plan (conftest.py) in a real browser: headless Chromium loads it
offline, runs its script without errors, and every chart is in the rendered DOM with data marks;
a screenshot is non-blank.

Needs Debian's ``chromium`` (``apt-get install -y chromium``); skipped where /usr/bin/chromium is absent.
"""

from __future__ import annotations

import os
import re
import subprocess
import zlib

import pytest
from chromium import CHROMIUM, run_chromium
from dom import charts, marks, parse

from lunarscope.report import write_report

CHARTS = [
    "orbit",
    "altitude",
    "elements",
    "apsides",
    "evector",
    "beta",
    "groundtrack",
    "timeline",
    "visibility",
    "skymap",
    "coverage",
    "gantt",
    "recorder",
    "downlink",
    "requests",
]

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason="headless Chromium not installed (apt-get install -y chromium)"
)


def _chromium(tmp_path, url: str, *extra: str) -> subprocess.CompletedProcess:
    return run_chromium(tmp_path / "chromium-profile", url, *extra)


def _console_problems(stderr: str) -> list[str]:
    """Console errors, uncaught exceptions and blocked loads as Chromium logs them to stderr."""
    return [
        line
        for line in stderr.splitlines()
        if "Uncaught" in line
        or "ERROR:CONSOLE" in line
        or ("CONSOLE" in line and re.search(r"Error|Refused|Failed to load", line))
    ]


@pytest.fixture(scope="module")
def report_file(tmp_path_factory, plan):
    path = tmp_path_factory.mktemp("report") / "report.html"
    write_report(path, plan)
    return path


def test_report_loads_in_chromium_without_errors(tmp_path, report_file, plan):
    res = _chromium(tmp_path, report_file.as_uri(), "--dump-dom")
    assert res.returncode == 0, res.stderr[-2000:]
    assert _console_problems(res.stderr) == []
    dom_text = res.stdout
    head = re.search(r"<html[^>]*>", dom_text).group(0)
    assert 'data-js-status="ok"' in head, head  # the inline script ran to the end
    assert "data-js-errors" not in head, head
    assert f'data-js-charts="{len(CHARTS)}"' in head
    found = charts(parse(dom_text))
    for name in CHARTS:
        assert name in found and marks(found[name]), name
    assert len(marks(found["skymap"])) == len(plan.targets)


def test_console_check_detects_errors(tmp_path):
    """Negative control: a page with a failing script and a network fetch is caught by the same checks."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><html><body><script>undefinedFunction();</script>"
        "<img src='http://example.invalid/x.png'></body></html>"
    )
    res = _chromium(tmp_path, bad.as_uri(), "--dump-dom")
    assert _console_problems(res.stderr), res.stderr[-2000:]


def _png_size_and_pixels(data: bytes):
    """Width, height and the decompressed scanlines of a PNG (stdlib only)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        n = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + n]
        if kind == b"IHDR":
            width, height = int.from_bytes(body[:4], "big"), int.from_bytes(body[4:8], "big")
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    return width, height, zlib.decompress(idat)


def test_screenshot_is_not_blank(tmp_path, report_file):
    shot = tmp_path / "shot.png"
    res = _chromium(
        tmp_path, report_file.as_uri(), "--hide-scrollbars", "--window-size=1200,2400", f"--screenshot={shot}"
    )
    assert res.returncode == 0 and shot.exists(), res.stderr[-2000:]
    width, height, raw = _png_size_and_pixels(shot.read_bytes())
    assert (width, height) == (1200, 2400)
    # a blank page compresses to almost nothing and has very few distinct byte values
    assert len(shot.read_bytes()) > 50_000
    assert len(set(raw[: 4 * width * 600])) > 64
