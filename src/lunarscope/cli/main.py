"""Entry point: ``lunarscope <job> ...``.

Wrong user input (``InputError``, a bad option) prints one line ``lunarscope: error: ...`` on
standard error and exits with code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import InputError

#: Subcommand modules; each has ``add_parser(subparsers)`` and ``run(args) -> int``.
_COMMANDS = ("ephem", "propagate", "windows", "schedule", "plan", "replan", "sweep", "design", "etc", "background")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit code 2
        sys.stderr.write(f"lunarscope: error: {_one_line(message)} (see '{self.prog} --help')\n")
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    from importlib import import_module

    parser = _Parser(prog="lunarscope", description="Plan and simulate telescopes in lunar orbit.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="JOB")
    for name in _COMMANDS:
        try:
            module = import_module(f"lunarscope.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"lunarscope.cli.{name}":
                continue
            raise
        module.add_parser(sub)
    return parser


#: Longest error or warning line printed (characters); a message echoing a huge user value
#: is cut here as a last guard (the readers already cut echoed values to ~80 characters).
MAX_MESSAGE_CHARS = 1000


def _one_line(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 3] + "..."


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    return f"lunarscope: warning: {_one_line(message)}\n"


def main(argv: list[str] | None = None) -> int:
    import warnings

    warnings.formatwarning = _one_line_warning
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from .. import __version__

        print(__version__)
        return 0
    if not args.command:
        parser.print_help()
        return 2
    from .sigint import watch

    try:
        with watch():  # a Ctrl-C dropped inside a ctypes callback is raised again
            return int(args.run(args) or 0)
    except InputError as exc:
        sys.stderr.write(f"lunarscope: error: {_one_line(str(exc))}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("lunarscope: interrupted\n")
        return 130


def entry() -> None:
    """The console script: ``main()``, then exit. After Ctrl-C (exit 130) every ``finally`` has
    already run (staging folders removed), so the process ends at once with ``os._exit``
    instead of waiting for an abandoned solver thread or a slow interpreter shutdown."""
    import os

    try:
        code = main()
    except KeyboardInterrupt:  # Ctrl-C while parsing arguments or importing
        sys.stderr.write("lunarscope: interrupted\n")
        code = 130
    if code == 130:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
