"""Parse every generated C unit with pycparser before it is compiled.

Generated units include no headers, so pycparser sees exactly the text gcc compiles
(less its comments, which pycparser leaves to the preprocessor, and the one GNU
attribute the renderer writes, `__attribute__((noinline))`, which pycparser's C99
grammar lacks). A
parse failure is an internal error (a renderer bug): `CompileError` quoting the
offending line. Observers (used by the tests) see every unit that was checked.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

from tensordsl.errors import CompileError

_observers: list[Callable[[str], None]] = []
_local = threading.local()


def add_observer(fn: Callable[[str], None]) -> None:
    """Call `fn(source)` for every unit validated from now on."""
    _observers.append(fn)


def remove_observer(fn: Callable[[str], None]) -> None:
    """Stop calling `fn`."""
    _observers.remove(fn)


def _parser():  # pycparser builds its tables once per parser; keep one per thread
    parser = getattr(_local, "parser", None)
    if parser is None:
        from pycparser import CParser

        parser = _local.parser = CParser()
    return parser


def check_source(source: str, unit: str = "<kernel>") -> None:
    """Parse `source` as C99; raise CompileError showing the offending line if it fails."""
    for fn in list(_observers):
        fn(source)
    from pycparser.c_parser import ParseError

    parser = _parser()
    try:
        parser.parse(parseable(source), unit)
    except ParseError as err:
        raise CompileError(_describe(str(err), source, _next_token_line(parser))) from None


def _next_token_line(parser: object) -> int | None:
    """The line of the token the parser stopped at (when its message has no line)."""
    try:
        return parser._peek().lineno  # type: ignore[attr-defined]
    except Exception:  # private API of pycparser: best effort only
        return None


def parseable(source: str) -> str:
    """`source` as pycparser reads it: comments and `__attribute__((noinline))` blanked
    (line and column numbers kept)."""
    return strip_comments(source).replace(NOINLINE, " " * len(NOINLINE))


def strip_comments(source: str) -> str:
    """`source` with /* comments */ blanked (line numbers kept): the preprocessor's job,
    which pycparser leaves to cpp. Generated comments never contain string literals."""
    return _COMMENT.sub(lambda m: "\n" * m.group(0).count("\n") or " ", source)


_COMMENT = re.compile(r"/\*.*?\*/", re.S)
NOINLINE = "__attribute__((noinline))"  # blanked (columns kept) before parsing


def _describe(message: str, source: str, fallback_line: int | None) -> str:
    match = re.search(r":(\d+):(\d+)?", message)
    lines = source.splitlines()
    where = ""
    number = int(match.group(1)) if match else fallback_line
    if number is not None:
        if 1 <= number <= len(lines):
            where = f"\n  line {number}: {lines[number - 1].strip()}"
    return (f"internal error: the C renderer produced a unit pycparser cannot parse "
            f"({message}){where}")
