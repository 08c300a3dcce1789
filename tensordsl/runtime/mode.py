"""Compilation modes: which rewrites run (a query over rewrite tags) and which backend.

FAST_COMPILE  merge + constant folding, numpy reference backend
FAST_RUN      every rewrite (tensordsl.rewrite.pipeline.PIPELINE), the backend of
              config.device: 'cpu' -> C (numpy, with one warning, when no C compiler
              is found), 'opencl[:P:D]' -> OpenCL (backends.registry.resolve)
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
    backend: str | None = "numpy"  # None: config.device's, resolved when compiling
    debug: bool = False

    def including(self, *tags: str) -> Mode:
        """This mode with more rewrite tags (or rewrite names) enabled."""
        return replace(self, include=self.include + tags,
                       exclude=tuple(t for t in self.exclude if t not in tags))

    def excluding(self, *tags: str) -> Mode:
        """This mode with some rewrite tags (or rewrite names) disabled."""
        return replace(self, exclude=self.exclude + tags)


PREDEFINED: dict[str, Mode] = {
    "FAST_COMPILE": Mode("FAST_COMPILE", include=("merge", "constant_folding"),
                         backend="numpy"),
    "FAST_RUN": Mode("FAST_RUN", include=("fast_run",), backend=None),
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


def backend_name(mode: Mode) -> str:
    """The backend `mode` compiles with (its own, else config.device's)."""
    from tensordsl.backends.registry import resolve

    return resolve(mode.backend)


def apply_rewrites(fgraph: Any, mode: Mode, inner: bool = False) -> None:
    """Run the mode's rewrites on `fgraph` in place; stages only some backends use
    (rowblock) run when the mode's backend asks for them. An `inner` graph (of scan or
    ifelse) is not rewritten in place: its inputs may be views of the caller's arrays."""
    if mode.debug and not inner:
        from tensordsl.runtime import debugmode

        debugmode.prepare(fgraph)
    if not mode.include:
        return
    from tensordsl.backends.registry import get_backend
    from tensordsl.rewrite import rewrite_graph
    from tensordsl.rewrite.pipeline import BACKEND_STAGES

    wanted = get_backend(backend_name(mode)).stages
    exclude = mode.exclude + tuple(s for s in BACKEND_STAGES if s not in wanted)
    if inner:
        exclude += ("inplace", "inplace_update")
    rewrite_graph(fgraph, include=mode.include, exclude=exclude, check=mode.debug)


def rewritten_inner(inner: Any, mode: Mode) -> Any:
    """A copy of an inner graph (scan's step, an ifelse branch) rewritten with `mode`."""
    graph, _ = inner.clone()
    apply_rewrites(graph, mode, inner=True)
    return graph


def make_thunk(fgraph: Any, mode: Mode) -> Any:
    """The mode's backend Schedule for the rewritten `fgraph` (checked in debug modes).
    Inner graphs of scan and ifelse nodes are rewritten with the same mode and compiled
    by the same backend."""
    from tensordsl.backends.registry import check_available
    from tensordsl.graph.schedule import InnerCompiler

    backend = check_available(backend_name(mode))
    compile_inner = InnerCompiler(lambda graph: rewritten_inner(graph, mode),
                                  lambda graph: backend.make_thunk(graph, compile_inner))

    if mode.debug:
        from tensordsl.runtime import debugmode

        return debugmode.make_thunk(fgraph, backend)
    return backend.make_thunk(fgraph, compile_inner)


def target_mode(target: str | None, mode: Any = None) -> Mode:
    """The Mode compiling for `target` (a backend name; None: config.device's), from
    `mode` (default FAST_RUN; the numpy target defaults to FAST_COMPILE's rewrites).
    Raises CompileError when the target cannot run here, with the reason."""
    from tensordsl.backends.registry import check_available, resolve

    name = resolve(target)
    check_available(name)
    default = "FAST_COMPILE" if name == "numpy" and target is not None else "FAST_RUN"
    return replace(get_mode(mode or default), backend=name)


def target_names() -> tuple[str, ...]:
    """Every registered backend name (numpy, c, opencl, ...)."""
    from tensordsl.backends.registry import backend_names

    return backend_names()


def kernel_sources(fgraph: Any, target: str, name: str = "graph") -> list[Any]:
    """The KernelSource records the `target` backend compiles for the rewritten `fgraph`."""
    from tensordsl.backends.registry import check_available

    return check_available(target).sources(fgraph, name)
