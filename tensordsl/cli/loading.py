"""Find what the `tensordsl` command works on: `FILE.py:NAME` in a user's script.

The script is run as a module named `__tensordsl_cli__` (so an `if __name__ ==
"__main__":` block does not run), with its printed output captured, and NAME is looked
up in its globals. A name may be a `tensordsl.function` object, a `@tensordsl.compile`
function or a plain Python function (compiled as the decorator would).
"""

from __future__ import annotations

import contextlib
import io
import os
import runpy
import sys
from dataclasses import dataclass
from typing import Any


class UsageError(Exception):
    """A bad command line: unknown file, name, target or a malformed signature (exit 2)."""


@dataclass(frozen=True)
class Spec:
    """One `FILE.py:NAME` argument (names: one or more, comma-separated; none: all)."""

    path: str
    names: tuple[str, ...]


def parse_spec(text: str) -> Spec:
    """`FILE.py:NAME[,NAME...]` or `FILE.py` -> Spec (UsageError when malformed)."""
    path, _, names = text.rpartition(":") if ":" in text else (text, "", "")
    if not path.endswith(".py"):
        raise UsageError(f"expected FILE.py:NAME, got {text!r}")
    if not os.path.isfile(path):
        raise UsageError(f"no such file: {path}")
    parsed = tuple(n.strip() for n in names.split(",") if n.strip())
    for name in parsed:
        if not name.isidentifier():
            raise UsageError(f"{name!r} is not a Python name (in {text!r})")
    return Spec(path, parsed)


_LOADED: dict[str, dict[str, Any]] = {}


def load_script(path: str) -> dict[str, Any]:
    """The globals of the script at `path`, run once per process (its stdout captured)."""
    path = os.path.abspath(path)
    if path not in _LOADED:
        folder = os.path.dirname(path)
        sys.path.insert(0, folder)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                _LOADED[path] = runpy.run_path(path, run_name="__tensordsl_cli__")
        except SystemExit as err:
            raise UsageError(f"{path}: the script called exit({err.code}) while loading") from None
        except ImportError as err:
            raise UsageError(f"cannot load {path}: {type(err).__name__}: {err}") from None
        finally:
            sys.path.remove(folder)
    return _LOADED[path]


def compilable(value: Any) -> bool:
    """A tensordsl.function, a decorated function, or a plain Python function."""
    import inspect

    from tensordsl.frontend import CompiledFunction
    from tensordsl.runtime.function import Function

    return isinstance(value, (Function, CompiledFunction)) or inspect.isfunction(value)


def resolve(spec: Spec) -> list[tuple[str, Any]]:
    """[(name, object)] for a Spec; without names, every tensordsl.function and every
    decorated function of the script (in definition order)."""
    from tensordsl.frontend import CompiledFunction
    from tensordsl.runtime.function import Function

    namespace = load_script(spec.path)
    if not spec.names:
        found = [(n, v) for n, v in namespace.items() if not n.startswith("_")
                 and isinstance(v, (Function, CompiledFunction))]
        if not found:
            raise UsageError(f"{spec.path} defines no tensordsl.function or decorated "
                             f"function; name one with {spec.path}:NAME")
        return found
    out = []
    for name in spec.names:
        if name not in namespace:
            known = sorted(n for n, v in namespace.items() if not n.startswith("_")
                           and compilable(v))
            raise UsageError(f"{spec.path} has no {name!r}; functions there: "
                             f"{', '.join(known) or 'none'}")
        value = namespace[name]
        if not compilable(value):
            raise UsageError(f"{spec.path}:{name} is a {type(value).__name__}, not a "
                             f"function or tensordsl.function")
        out.append((name, value))
    return out
