"""Kernel text of a specialisation for `CompiledFunction.source(target)`.

'numpy': the rewritten graph as straight-line Python (one numpy-backend `perform` per
line); 'c', 'opencl': the source of every kernel that backend compiles for the graph.
The texts come from the backend registry (`Backend.sources`), through the runtime.
"""

from __future__ import annotations

import re
from typing import Any

from tensordsl.runtime.mode import kernel_sources, target_names


def graph_source(compiled: Any, spec: Any, target: str) -> str:
    """The kernel text of `spec` for `target` (a backend name)."""
    if target not in target_names():
        raise ValueError(f"unknown source target {target!r}; use 'python' or one of "
                         f"{', '.join(target_names())}")
    if spec.function is None:
        return "# no symbolic outputs: the result is a constant\n"
    return function_source(spec.function, target, compiled.__name__)


def function_source(function: Any, target: str, name: str = "graph") -> str:
    """The kernel texts `target` compiles for a Function's rewritten graph, joined."""
    sources = kernel_sources(function.maker.fgraph, target, name)
    if target == "numpy":
        return sources[0].text
    comment = "//" if target == "opencl" else "/*"
    end = "" if target == "opencl" else " */"
    if not sources:
        return f"{comment} no node of this graph was lowered to {target}: it runs numpy " \
               f"perform{end}\n"
    return "\n".join(f"{comment} kernel for {_safe(s.node)}{end}\n{s.text}" for s in sources)


def _safe(text: str) -> str:
    """An op's name made safe for a comment line (no user text can close the comment)."""
    return re.sub(r"[^A-Za-z0-9_{},.=()+\- ]", "_", text)[:120]
