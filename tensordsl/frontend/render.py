"""Kernel text of a specialisation for `CompiledFunction.source(target)`.

'numpy': the rewritten graph as straight-line Python (one numpy-backend `perform` per
line), rendered with astunparse. 'c': the C source of every kernel the C backend
compiles for the graph.
"""

from __future__ import annotations

import ast
from typing import Any

import astunparse

from tensordsl.errors import CompileError
from tensordsl.graph.basic import Constant


def graph_source(compiled: Any, spec: Any, target: str) -> str:
    """The kernel text of `spec` for `target` ('numpy' or 'c')."""
    if spec.function is None:
        return "# no symbolic outputs: the result is a constant\n"
    if target == "numpy":
        return _numpy_listing(compiled.__name__, spec.function.maker.fgraph)
    if target == "c":
        return _c_source(compiled, spec)
    raise ValueError(f"unknown source target {target!r}; use 'python', 'numpy' or 'c'")


def _c_source(compiled: Any, spec: Any) -> str:
    """The C units of every kernel the C backend compiled for this specialisation."""
    try:
        from tensordsl.backends.c import make_thunk
        from tensordsl.backends.c.schedule import kernel_source
    except ImportError as err:
        raise CompileError(f"source('c'): the C backend is not available ({err})") from None
    thunk = spec.function.thunk
    if compiled.target != "c":
        thunk = make_thunk(spec.function.maker.fgraph)
    parts = []
    for fn, node, _ins, _outs, is_compiled in getattr(thunk, "steps", []):
        if is_compiled:
            parts.append(f"/* kernel for {node.op} */\n{kernel_source(fn.__self__.kernel)}")
    if not parts:
        return "/* no node of this graph was lowered to C: it runs numpy perform */\n"
    return "\n".join(parts)


def _numpy_listing(name: str, fgraph: Any) -> str:
    names: dict[Any, str] = {}

    def ref(var: Any) -> ast.expr:
        if isinstance(var, Constant):
            data = var.data
            return ast.Constant(data.item() if data.ndim == 0 else f"<const {data.shape}>")
        if var not in names:
            names[var] = f"v{len(names)}"
        return ast.Name(names[var], ast.Load())

    args = [ast.arg(ref(v).id, None) for v in fgraph.inputs]  # type: ignore[attr-defined]
    body: list[ast.stmt] = []
    for node in fgraph.toposort():
        call = ast.Call(ast.Name(_op_name(node.op), ast.Load()),
                        [ref(v) for v in node.inputs], [])
        targets = [ast.Name(ref(v).id, ast.Store()) for v in node.outputs]  # type: ignore
        target: ast.expr = targets[0] if len(targets) == 1 else ast.Tuple(targets, ast.Store())
        body.append(ast.Assign([target], call, lineno=0))
    outs = [ref(v) for v in fgraph.outputs]
    body.append(ast.Return(outs[0] if len(outs) == 1 else ast.Tuple(outs, ast.Load())))
    fdef = ast.FunctionDef(name, ast.arguments([], args, None, [], [], None, []), body, [],
                           None, lineno=0)
    if hasattr(ast.FunctionDef, "type_params"):
        fdef.type_params = []
    return astunparse.unparse(fdef).strip() + "\n"


def _op_name(op: Any) -> str:
    text = str(op)
    return "".join(c if c.isalnum() or c == "_" else "_" for c in text).strip("_") or "op"
