"""Headless Chromium for the report tests (Debian's ``chromium``): one command line, offline."""

import os
import subprocess

CHROMIUM = "/usr/bin/chromium"
#: Longest wait for one browser run (s).
BROWSER_TIMEOUT_S = 120
#: No network of any kind (every host resolves to nothing), no first-run or background work.
HEADLESS_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)
HAVE_CHROMIUM = os.path.exists(CHROMIUM)


def run_chromium(profile_dir, url: str, *extra: str, check: bool = False) -> subprocess.CompletedProcess:
    """Open ``url`` in headless Chromium with its own profile in ``profile_dir``; console
    messages on stderr; ``extra`` flags such as ``--dump-dom`` or ``--screenshot=PATH``."""
    os.makedirs(profile_dir, exist_ok=True)
    cmd = [CHROMIUM, *HEADLESS_FLAGS, f"--user-data-dir={profile_dir}", "--enable-logging=stderr", "--v=0"]
    return subprocess.run([*cmd, *extra, url], capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S, check=check)
