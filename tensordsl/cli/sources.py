"""Kernel sources of a rewritten FunctionGraph for a target, through the backend seam.

`kernel_sources(fgraph, target)` asks `tensordsl.backends.registry.get_backend(target)
.sources(fgraph)`; before that registry exists it renders the C backend's units (and
the numpy listing) itself. Nothing is compiled or run.
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


TARGETS = ("c", "opencl", "numpy")
EXTENSIONS = {"c": ".c", "opencl": ".cl", "python": ".py"}


def registry() -> Any:
    """The backend registry module, or None before it exists."""
    try:
        from tensordsl.backends import registry as reg
    except ImportError:
        return None
    return reg


def available(target: str) -> tuple[bool, str]:
    """(usable here?, why not) for a target."""
    from tensordsl.testing import target_status

    return target_status(target)


def kernel_sources(fgraph: Any, target: str) -> list[Source]:
    """The source of every kernel `target` runs for `fgraph` (in schedule order)."""
    reg = registry()
    if reg is not None:
        return [Source(s.node, s.entry, s.language, s.text, tuple(s.args))
                for s in reg.get_backend(target).sources(fgraph)]
    if target == "numpy":
        from tensordsl.frontend.render import _numpy_listing

        return [Source("graph", "program", "python", _numpy_listing("program", fgraph), ())]
    if target == "c":
        return [s for node in fgraph.toposort() if (s := _c_source(node)) is not None]
    raise ValueError(f"no sources for target {target!r} before the backend registry exists")


def _c_source(node: Any) -> Source | None:
    from tensordsl.backends.c.lower import lower_node
    from tensordsl.backends.c.lowering import Unsupported
    from tensordsl.backends.c.schedule import ENTRY, _inplace, kernel_source
    from tensordsl.config import config

    if type(node.op).__name__ == "RowBlock":
        from tensordsl.backends.c.render_rowblock import ENTRY as ROWBLOCK
        from tensordsl.backends.c.render_rowblock import render_rowblock

        op = node.op
        text = render_rowblock(op.kernel, op.n_rows_out, op.n_sums, config.openmp)
        return Source(str(op), ROWBLOCK, "c", text, tuple(f"{v!r}: {v.type}" for v in
                                                        node.inputs))
    lowered = lower_node(node)
    if lowered is None:
        return None
    kernel, loaded = lowered
    aliasing = bool(_inplace(node, loaded)) and not kernel.is_reduction
    try:
        text = kernel_source(kernel, check=False, aliasing=aliasing)
    except Unsupported:
        return None
    return Source(str(node.op), ENTRY, "c", text, kernel_args(kernel, node, loaded))


def kernel_args(kernel: Any, node: Any, loaded: list[int]) -> tuple[str, ...]:
    """One line per argument of a C kernel entry: `td_array *aK` inputs, `oK` outputs."""
    args = []
    for k, (i, inp) in enumerate(zip(loaded, kernel.inputs)):
        pattern = ", ".join("1" if b else ":" for b in inp.broadcastable)
        args.append(f"a{k}: td_array* {inp.dtype}[{pattern}] <- input {i} "
                    f"({node.inputs[i]!r})")
    for k, dtype in enumerate(kernel.output_dtypes):
        out = node.outputs[k] if k < len(node.outputs) else None
        shape = f"[{', '.join(':' for _ in range(out.ndim))}]" if out is not None else ""
        args.append(f"o{k}: td_array* {dtype}{shape} -> output {k} (written)")
    return tuple(args)


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
             for s in kernel_sources(compiled.fgraph, target)]
    return "\n".join(parts) or f"/* no node of this graph is compiled for {target} */\n"
