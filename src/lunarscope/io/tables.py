"""CSV tables written atomically (temp file in the same folder, then ``os.replace``)."""

from __future__ import annotations

import io
import os
import sys
import tempfile
from contextlib import contextmanager


@contextmanager
def atomic_write(path: str, mode: str = "w", newline: str | None = None):
    """Open a temp file next to ``path``; on success rename it over ``path``, else delete it."""
    folder = os.path.dirname(os.path.abspath(path)) or "."
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, mode, newline=newline) as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def format_rows(header: list[str], columns: list, formats: list[str]) -> str:
    """CSV text: a header line and one line per row; ``formats`` are str.format specs per column."""
    buf = io.StringIO()
    buf.write(",".join(header) + "\n")
    for row in zip(*columns):
        buf.write(",".join(("" if v is None else format(v, f)) for v, f in zip(row, formats)) + "\n")
    return buf.getvalue()


def write_text(path: str | None, text: str) -> None:
    """Write ``text`` atomically to ``path``, or to standard output when ``path`` is None or '-'."""
    if path in (None, "-"):
        sys.stdout.write(text)
        return
    with atomic_write(path, newline="") as fh:
        fh.write(text)
