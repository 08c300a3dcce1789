"""Kernel sources of a rewritten FunctionGraph for a target, through the backend seam:
`tensordsl.backends.registry.get_backend(target).sources(fgraph)`. Nothing is run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Source:
    """One kernel's text (the fields of the seam's KernelSource)."""

    node: str
    entry: str
    language: str
    text: str
    args: tuple[str, ...]


TARGETS = ("c", "opencl", "numpy")  # registry.backend_names(), in dump order
EXTENSIONS = {"c": ".c", "opencl": ".cl", "python": ".py"}


def available(target: str) -> tuple[bool, str]:
    """(usable here?, why not) for a target."""
    from tensordsl.testing import target_status

    return target_status(target)


def kernel_sources(fgraph: Any, target: str, name: str = "graph") -> list[Source]:
    """The source of every kernel `target` runs for `fgraph` (in schedule order), from
    the backend seam: `registry.get_backend(target).sources(fgraph)`."""
    from tensordsl.backends import registry as reg

    return [Source(s.node, s.entry, s.language, s.text, tuple(s.args))
            for s in reg.get_backend(target).sources(fgraph, name)]


def host_nodes(fgraph: Any, target: str, sources: list[Source]) -> list[str]:
    """The nodes `target` runs on the host (numpy perform), as op names."""
    if target == "numpy":
        return []
    compiled = [s.node for s in sources]
    out = []
    for node in fgraph.toposort():
        name = str(node.op)
        if name in compiled:
            compiled.remove(name)
        else:
            out.append(name)
    return out


def function_source(fn: Any, target: str = "c") -> str:
    """The kernel text `target` runs for a `tensordsl.function` (`Function.source`)."""
    from tensordsl.cli.dump import compile_for

    if target not in TARGETS:
        raise ValueError(f"unknown source target {target!r}; use {', '.join(TARGETS)}")
    compiled = compile_for(fn.name or "function", fn, None, target, fn.maker.mode.name)
    parts = [f"/* kernel for {s.node} */\n{s.text}" if s.language != "python" else s.text
             for s in kernel_sources(compiled.fgraph, target, compiled.name)]
    return "\n".join(parts) or f"/* no node of this graph is compiled for {target} */\n"
