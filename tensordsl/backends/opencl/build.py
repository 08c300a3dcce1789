"""Check an OpenCL C program with pycparserext, then build it through pyopencl.

The parse catches renderer bugs with a message quoting the generated line before the
device compiler sees the text. pyopencl's binary cache stays on (programs are cached on
disk per device and source), and built programs are kept per (context, source) for
the process. No -cl-fast-relaxed-math / -cl-mad-enable: results follow IEEE like numpy.
A build failure is a CompileError quoting the generated lines the log points at.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

from tensordsl.backends.c.validate import strip_comments
from tensordsl.errors import CompileError

BUILD_OPTIONS: tuple[str, ...] = ()  # strict IEEE: no fast-math, no mad contraction
_observers: list[Callable[[str], None]] = []
_local = threading.local()
_programs: dict[tuple[int, str], Any] = {}
_kernels: dict[tuple[int, str, str], Any] = {}
_lock = threading.Lock()


def add_observer(fn: Callable[[str], None]) -> None:
    """Call `fn(source)` for every program checked from now on (tests use it)."""
    _observers.append(fn)


def remove_observer(fn: Callable[[str], None]) -> None:
    """Stop calling `fn`."""
    _observers.remove(fn)


def _parser() -> Any:
    parser = getattr(_local, "parser", None)
    if parser is None:
        try:
            from pycparserext.ext_c_parser import OpenCLCParser
        except ImportError:
            raise CompileError("the opencl backend checks programs with pycparserext, "
                               "which is not importable; pip install tensordsl[pocl]"
                               ) from None
        parser = _local.parser = OpenCLCParser()
    return parser


def check_source(source: str) -> None:
    """Parse `source` as OpenCL C; CompileError quoting the offending line if it fails."""
    for fn in list(_observers):
        fn(source)
    from pycparser.c_parser import ParseError

    try:
        _parser().parse(strip_comments(source), "<opencl>")
    except ParseError as err:
        raise CompileError("internal error: the OpenCL renderer produced a program "
                           f"pycparserext cannot parse ({err})"
                           f"{_quote(source, _lines_in(str(err)))}") from None


def _lines_in(text: str) -> list[int]:
    """Line numbers a compiler or parser message points at (`<file>:LINE:COL`)."""
    found = [int(m.group(1)) for m in re.finditer(r":(\d+):\d+", text)]
    return list(dict.fromkeys(found))[:3]


def _quote(source: str, numbers: list[int]) -> str:
    lines = source.splitlines()
    return "".join(f"\n  line {n}: {lines[n - 1].strip()}" for n in numbers
                   if 1 <= n <= len(lines))


def build(context: Any, source: str, device_name: str) -> Any:
    """The built pyopencl Program of `source` (checked first; cached per context)."""
    key = (id(context), source)
    program = _programs.get(key)
    if program is not None:
        return program
    check_source(source)
    import pyopencl as cl

    try:
        program = cl.Program(context, source).build(options=list(BUILD_OPTIONS))
    except cl.Error as err:
        text = str(err)
        raise CompileError(f"OpenCL build failed on {device_name}: "
                           f"{text.strip()[:2000]}{_quote(source, _lines_in(text))}") from None
    with _lock:
        _programs[key] = program
    return program


def kernel(context: Any, source: str, device_name: str, name: str) -> Any:
    """The `name` kernel of the program of `source` (one pyopencl Kernel object per
    program and name: each retrieval would create a new one)."""
    key = (id(context), source, name)
    found = _kernels.get(key)
    if found is None:
        import pyopencl as cl

        found = _kernels[key] = cl.Kernel(build(context, source, device_name), name)
    return found
