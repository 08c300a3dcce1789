"""A rewritten graph as straight-line Python: one numpy-backend `perform` per line."""

from __future__ import annotations

import ast
from typing import Any

import astunparse

from tensordsl.graph.basic import Constant


def numpy_listing(name: str, fgraph: Any) -> str:
    """`def name(v0, v1, ...):` computing `fgraph` node by node, rendered with astunparse
    (names are generated: nothing the user wrote is pasted into the text)."""
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
    fdef = ast.FunctionDef(_identifier(name), ast.arguments([], args, None, [], [], None, []),
                           body, [], None, lineno=0)
    if hasattr(ast.FunctionDef, "type_params"):
        fdef.type_params = []
    return astunparse.unparse(fdef).strip() + "\n"


def _identifier(text: str) -> str:
    out = "".join(c if c.isalnum() or c == "_" else "_" for c in text).strip("_") or "op"
    return out if not out[0].isdigit() else f"_{out}"


def _op_name(op: Any) -> str:
    return _identifier(str(op))
