"""Compilation modes: which rewrites run (a query over rewrite tags) and which backend.

FAST_COMPILE  merge + constant folding, numpy reference backend
FAST_RUN      every rewrite (tensordsl.rewrite.pipeline.PIPELINE), the C backend
              (numpy, with one warning, when no C compiler is found)
DEBUG_MODE    FAST_RUN's rewrites, run side by side with the un-rewritten reference;
              a difference raises DebugModeError naming the first rewrite that changed
              a value (tensordsl.runtime.debugmode)

`include`/`exclude` hold rewrite tags (canonicalize, stabilize, specialize, fusion,
inplace, merge, constant_folding, or `fast_run` for all of them) or rewrite names.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from tensordsl.config import config


@dataclass(frozen=True)
class Mode:
    """A named pair of (rewrite query, backend); `debug` checks against the reference."""

    name: str
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    backend: str = "numpy"
    debug: bool = False

    def including(self, *tags: str) -> Mode:
        """This mode with more rewrite tags (or rewrite names) enabled."""
        return replace(self, include=self.include + tags,
                       exclude=tuple(t for t in self.exclude if t not in tags))

    def excluding(self, *tags: str) -> Mode:
        """This mode with some rewrite tags (or rewrite names) disabled."""
        return replace(self, exclude=self.exclude + tags)


def _compiled_backend() -> str:
    """"c" when a C compiler is found (config.cxx), else "numpy" with one warning."""
    import shutil
    import warnings

    if shutil.which(config.cxx):
        return "c"
    warnings.warn(f"no C compiler found (config.cxx={config.cxx!r}): FAST_RUN uses the "
                  f"numpy reference backend", stacklevel=2)
    return "numpy"


PREDEFINED: dict[str, Mode] = {
    "FAST_COMPILE": Mode("FAST_COMPILE", include=("merge", "constant_folding"),
                         backend="numpy"),
    "FAST_RUN": Mode("FAST_RUN", include=("fast_run",), backend=_compiled_backend()),
    "DEBUG_MODE": Mode("DEBUG_MODE", include=("fast_run",), backend="numpy", debug=True),
}


def get_mode(mode: Any = None) -> Mode:
    """A Mode from None (config.mode), a name, or a Mode."""
    if mode is None:
        mode = config.mode
    if isinstance(mode, Mode):
        return mode
    if isinstance(mode, str) and mode in PREDEFINED:
        return PREDEFINED[mode]
    raise ValueError(f"unknown mode {mode!r}; known modes: {', '.join(PREDEFINED)}")


def apply_rewrites(fgraph: Any, mode: Mode) -> None:
    """Run the mode's rewrites on `fgraph` in place."""
    if mode.debug:
        from tensordsl.runtime import debugmode

        debugmode.prepare(fgraph)
    if not mode.include:
        return
    from tensordsl.rewrite import rewrite_graph

    rewrite_graph(fgraph, include=mode.include, exclude=mode.exclude, check=mode.debug)


def make_thunk(fgraph: Any, mode: Mode) -> Any:
    """The mode's backend thunk for the rewritten `fgraph` (checked in debug modes)."""
    from tensordsl.backends import get_backend

    backend = get_backend(mode.backend)
    if mode.debug:
        from tensordsl.runtime import debugmode

        return debugmode.make_thunk(fgraph, backend)
    return backend.make_thunk(fgraph)
