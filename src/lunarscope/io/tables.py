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


def write_text(path: str | None, text: str, option: str = "-o") -> None:
    """Write ``text`` atomically to ``path``, or to standard output when ``path`` is None or '-'.
    A failed write (no space, no permission) is an InputError naming ``option``."""
    if path in (None, "-"):
        sys.stdout.write(text)
        return
    try:
        with atomic_write(path, newline="") as fh:
            fh.write(text)
    except OSError as exc:
        from ..errors import InputError
        from ..time import short

        raise InputError(option, f"cannot write {short(str(path))}: {exc.strerror or exc}") from None


def _probe_folder(folder: str, option: str, shown: str) -> None:
    """Create and remove a temp file in ``folder``: the only sure test of writability (root
    passes os.access on read-only mounts and /proc)."""
    from ..errors import InputError

    try:
        fd, tmp = tempfile.mkstemp(prefix=".lunarscope-probe.", dir=folder)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise InputError(option, f"cannot write in {shown}: {exc.strerror or exc}") from None


def _check_parent(path: str, option: str) -> None:
    """The folder that will hold ``path`` exists and is writable (InputError naming ``option``)."""
    from ..errors import InputError
    from ..time import short

    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InputError(
            option,
            f"{short(folder)} is not a folder" if os.path.exists(folder) else f"folder {short(folder)} does not exist",
        )
    _probe_folder(folder, option, short(folder))


def check_output_file(path: str | None, option: str = "-o") -> None:
    """Refuse an output file location before any work: a folder, a device, a missing or
    unwritable folder. ``None`` / ``'-'`` (standard output) pass."""
    from ..errors import InputError
    from ..time import short

    if path in (None, "-"):
        return
    shown = short(str(path))
    if os.path.isdir(path):
        raise InputError(option, f"{shown} is a folder; give a file name")
    if os.path.exists(path) and not os.path.isfile(path):
        raise InputError(option, f"{shown} is not a regular file (a device or FIFO); give a file name")
    _check_parent(path, option)


def check_output_folder(path: str, option: str = "-o") -> None:
    """Refuse an output folder location before any work: an existing file, a missing parent,
    an unwritable place."""
    from ..errors import InputError
    from ..time import short

    shown = short(str(path))
    if os.path.exists(path) and not os.path.isdir(path):
        raise InputError(option, f"{shown} exists and is not a folder")
    if os.path.isdir(path):
        _probe_folder(path, option, shown)
        return
    _check_parent(path, option)
