"""Explicit frontend state: scopes, frames (one per inlined function) and the build context.

`BuildContext` lives for one graph build (one specialisation); it holds the inlining
stack (to report where an inlined function was called from, and to reject recursion),
the normalised Python statements emitted so far, the type of every local, and which
values are views of which arrays (to reject writes that would alias).
`Frame` is one function being built: its scope, SSA counters and read-only values.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tensordsl.frontend.source import ParsedFunction

_MISSING = object()


@dataclass(eq=False)
class Poison:
    """A name assigned on only one side of a data-dependent `if`."""

    name: str


@dataclass
class Scope:
    """Names -> values, and names -> their current SSA name in the normalised Python."""

    values: dict[str, Any] = field(default_factory=dict)
    ssa: dict[str, str] = field(default_factory=dict)

    def copy(self) -> Scope:
        """An independent copy (for one branch of an `if`)."""
        return Scope(dict(self.values), dict(self.ssa))


@dataclass
class Frame:
    """One function being built (the compiled function, or one inlined into it)."""

    parsed: ParsedFunction
    prefix: str  # prefix of SSA names in the normalised Python ('' for the root)
    call_site: str | None  # 'file:line' of the call that inlined this frame
    scope: Scope = field(default_factory=Scope)
    readonly: set[int] = field(default_factory=set)  # ids of the caller's arrays

    def lookup_global(self, name: str) -> Any:
        """A global, closure or builtin value of this function (static), or _MISSING."""
        fn = self.parsed.fn
        if fn.__closure__ is not None and name in fn.__code__.co_freevars:
            cell = fn.__closure__[fn.__code__.co_freevars.index(name)]
            with contextlib.suppress(ValueError):
                return cell.cell_contents
        if name in fn.__globals__:
            return fn.__globals__[name]
        return getattr(builtins, name, _MISSING)


@dataclass
class BuildContext:
    """State of one graph build, shared by every frame."""

    frames: list[Frame] = field(default_factory=list)
    emitted: list[ast.stmt] = field(default_factory=list)
    local_types: dict[str, str] = field(default_factory=dict)
    view_base: dict[int, tuple[Any, Any]] = field(default_factory=dict)  # id -> (view, base)
    counters: dict[str, int] = field(default_factory=dict)
    branch_depth: int = 0

    def fresh(self, name: str) -> str:
        """A new SSA name derived from `name`."""
        n = self.counters.get(name, 0) + 1
        self.counters[name] = n
        return f"{name}_{n}"

    def inlined_from(self) -> list[str]:
        """Call sites of the frames on the stack, innermost first."""
        return [f.call_site for f in reversed(self.frames) if f.call_site]

    @contextlib.contextmanager
    def frame(self, frame: Frame) -> Iterator[Frame]:
        """Push `frame` for the duration of a `with` block (a scope guard)."""
        self.frames.append(frame)
        try:
            yield frame
        finally:
            self.frames.pop()

    @contextlib.contextmanager
    def capture(self) -> Iterator[list[ast.stmt]]:
        """Collect the normalised statements emitted inside the block into a new list."""
        saved, self.emitted = self.emitted, []
        self.branch_depth += 1
        try:
            yield self.emitted
        finally:
            self.emitted = saved
            self.branch_depth -= 1

    def root_of(self, value: Any) -> Any:
        """The array `value` is a view of (itself when it is not a view)."""
        while id(value) in self.view_base:
            value = self.view_base[id(value)][1]
        return value

    def mark_view(self, view: Any, base: Any) -> None:
        """Record that `view` shares memory with `base` (numpy would return a view)."""
        if view is not base:
            self.view_base[id(view)] = (view, base)
