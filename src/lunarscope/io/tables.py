"""CSV tables written atomically (temp file in the same folder, then ``os.replace``)."""

from __future__ import annotations

import io
import os
import sys
import tempfile
from contextlib import contextmanager


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def public_mode(path: str, directory: bool = False) -> None:
    """Give a file made by mkstemp/mkdtemp (0600/0700) the usual permissions under the umask."""
    os.chmod(path, (0o777 if directory else 0o666) & ~_umask())


@contextmanager
def atomic_write(path: str, mode: str = "w", newline: str | None = None, encoding: str = "utf-8"):
    """Open a temp file next to ``path``; on success flush it to disk and rename it over
    ``path`` (so a reader never sees a half-written file), else delete it."""
    folder = os.path.dirname(os.path.abspath(path)) or "."
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, mode, newline=newline, encoding=None if "b" in mode else encoding) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        public_mode(tmp)
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
