"""Build the graph of a parsed function for given argument values (one specialisation).

`build(fn, values)` binds the parameters (arrays and weak scalars as symbolic inputs,
static values as constants), runs the statement builder under numpy's dtype rules,
and returns a `Built`: the outputs as a tree of frontend values plus everything the
compiled function object reports (normalised Python, local types).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

import astunparse

from tensordsl.dtypes import using_cast_policy
from tensordsl.errors import CompileError
from tensordsl.frontend import semantics as S
from tensordsl.frontend.context import BuildContext, Frame
from tensordsl.frontend.statements import FunctionBuilder, parsed
from tensordsl.graph.basic import Variable


@dataclass
class Built:
    """The result of building one specialisation."""

    outputs: Any  # the returned value: a frontend value, or a tuple/list of them
    normalised: str  # the normalised Python (after inlining and SSA)
    local_types: dict[str, str]


def build(fn: Any, values: dict[str, Any]) -> Built:
    """Build `fn`'s graph with parameters bound to `values` (frontend values)."""
    parsed_fn = parsed(fn)
    ctx = BuildContext()
    frame = Frame(parsed_fn, "", None)
    frame.readonly = {id(v) for v in values.values() if isinstance(v, Variable)}
    builder = FunctionBuilder(ctx, frame)
    with using_cast_policy("numpy"), ctx.frame(frame):
        for name, value in values.items():
            builder.bind_param(name, value, None)
        outcome = builder.run()
    if outcome is None or outcome.value is None:
        raise CompileError(f"{parsed_fn.info.qualname} returns nothing: a compiled function "
                           f"must return arrays or numbers")
    tree = parsed_fn.tree
    fdef = ast.FunctionDef(tree.name, tree.args, ctx.emitted or [ast.Pass()], [], None,
                           lineno=0)
    if hasattr(ast.FunctionDef, "type_params"):
        fdef.type_params = []
    return Built(outcome.value, astunparse.unparse(fdef).strip() + "\n", ctx.local_types)


def flatten(tree: Any) -> tuple[list[Any], Any]:
    """The symbolic leaves of an output tree, and a structure to rebuild it."""
    leaves: list[Any] = []

    def walk(node: Any) -> Any:
        if isinstance(node, (tuple, list)):
            return (type(node), [walk(n) for n in node])
        if S.is_symbolic(node):
            leaves.append(node)
            return ("leaf", len(leaves) - 1, isinstance(node, S.Weak))
        return ("static", node)

    return leaves, walk(tree)


def unflatten(structure: Any, results: list[Any], scalars: bool = True) -> Any:
    """Rebuild an output tree from leaf results (0-d results become scalars, as numpy)."""
    kind = structure[0]
    if kind == "static":
        return structure[1]
    if kind == "leaf":
        value = results[structure[1]]
        if scalars and getattr(value, "ndim", 1) == 0:
            return value.item() if structure[2] else value[()]
        return value
    return kind(unflatten(s, results, scalars) for s in structure[1])
