"""Lazy conditionals: `ifelse(condition, then_branch, else_branch)`.

Unlike `switch` (elementwise, both sides computed), ifelse computes only the branch
the scalar condition selects. The IfElse op holds each branch as an inner
FunctionGraph; its inputs are the condition and the outer variables the branches
read (graph inputs, shared variables, and anything the condition needs anyway,
which is computed regardless). `perform` runs only the selected inner graph with the
numpy VM, so laziness holds under every backend that can run an op's `perform`.
A subexpression used both inside a branch and elsewhere is computed in both places.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl.graph.basic import Apply, Op, Variable, ancestors
from tensordsl.graph.convert import as_tensor_variable
from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.graph.schedule import InnerGraphOp
from tensordsl.graph.test_value import compute_test_values
from tensordsl.graph.type import TensorType
from tensordsl.innergraph import extract_inner


class IfElse(InnerGraphOp, Op):
    """outputs = then_graph(*inputs) if condition else else_graph(*inputs).

    Node inputs: [condition, *outer]; both inner graphs take `outer` (in that order).
    """

    __props__ = ()

    def __init__(self, then_graph: FunctionGraph, else_graph: FunctionGraph,
                 name: str | None = None) -> None:
        self.then_graph = then_graph
        self.else_graph = else_graph
        self.name = name

    # Each IfElse holds its own graphs: equal only to itself.
    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)

    def __str__(self) -> str:
        return f"IfElse{{{self.name}}}" if self.name else "IfElse"

    def make_node(self, condition: Any, *outer: Any) -> Apply:
        condition = as_tensor_variable(condition)
        outer_vars = [as_tensor_variable(v) for v in outer]
        types = [_join_types(a.type, b.type)
                 for a, b in zip(self.then_graph.outputs, self.else_graph.outputs)]
        return Apply(self, [condition, *outer_vars], [t() for t in types])

    def inner_graphs(self) -> list[FunctionGraph]:
        """The then and else graphs (only the chosen one runs)."""
        return [self.then_graph, self.else_graph]

    def perform_with(self, node: Apply, thunks: list[Any], inputs: list[np.ndarray]
                     ) -> list[np.ndarray]:
        """Run the branch the condition picks, with `thunks` = [then, else]."""
        condition, *outer = inputs
        which = bool(np.asarray(condition).item())
        results = (thunks[0] if which else thunks[1])(outer)
        out = []
        for var, value in zip(node.outputs, results):
            value = np.asarray(value, dtype=var.dtype)
            if any(value is o or np.may_share_memory(value, o) for o in outer):
                value = value.copy()  # outputs never alias the inputs
            out.append(value)
        return out

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        from tensordsl.ops.subtensor import shape_i

        return [tuple(shape_i(o, d) for d in range(o.ndim)) for o in node.outputs]


def _join_types(a: TensorType, b: TensorType) -> TensorType:
    shape = tuple(x if x == y else None for x, y in zip(a.shape, b.shape))
    return TensorType(a.dtype, shape)


def _as_branch(values: Any) -> tuple[list[Variable], bool]:
    if isinstance(values, (list, tuple)):
        return list(values), True
    return [values], False


def _convert_pair(then_v: Any, else_v: Any, i: int) -> tuple[Variable, Variable]:
    """Both branch values as variables of one type (a Python/constant side adapts)."""
    t_is_var, e_is_var = isinstance(then_v, Variable), isinstance(else_v, Variable)
    if t_is_var and not e_is_var:
        else_v = as_tensor_variable(np.asarray(else_v, dtype=then_v.dtype))
    elif e_is_var and not t_is_var:
        then_v = as_tensor_variable(np.asarray(then_v, dtype=else_v.dtype))
    then_v, else_v = as_tensor_variable(then_v), as_tensor_variable(else_v)
    if then_v.dtype != else_v.dtype or then_v.ndim != else_v.ndim:
        raise TypeError(f"ifelse: output {i}: the then branch {then_v!r} ({then_v.type}) and "
                        f"the else branch {else_v!r} ({else_v.type}) must have the same dtype "
                        f"and number of dims; cast one of them")
    return then_v, else_v


def ifelse(condition: Any, then_branch: Any, else_branch: Any, name: str | None = None
           ) -> Any:
    """`then_branch` if the scalar `condition` is true, else `else_branch`; lazily.

    Branches are single variables or lists of the same length (the result has the
    same structure). Only the selected branch is computed at run time.
    """
    condition = as_tensor_variable(condition)
    if condition.ndim != 0:
        raise TypeError(f"ifelse: the condition {condition!r} must be a scalar, got a "
                        f"{condition.ndim}-d tensor ({condition.type})")
    then_list, is_list = _as_branch(then_branch)
    else_list, else_is_list = _as_branch(else_branch)
    if len(then_list) != len(else_list) or is_list != else_is_list:
        raise ValueError(f"ifelse: the then branch has {len(then_list)} outputs and the else "
                         f"branch {len(else_list)}; they must match")
    pairs = [_convert_pair(t, e, i) for i, (t, e) in enumerate(zip(then_list, else_list))]
    then_vars, else_vars = [p[0] for p in pairs], [p[1] for p in pairs]
    node = make_ifelse_node(condition, then_vars, else_vars, name)
    compute_test_values(node)  # Theano's config.compute_test_value (no-op when 'off')
    outs = list(node.outputs)
    return outs if is_list else outs[0]


def make_ifelse_node(condition: Variable, then_vars: list[Variable],
                     else_vars: list[Variable], name: str | None = None) -> Apply:
    """Build the IfElse node; the condition's ancestors are computed outside."""
    computed_anyway = {id(v) for v in ancestors([condition])}

    def is_outer(v: Variable) -> bool:
        return v.owner is None or id(v) in computed_anyway

    _, outer = extract_inner(then_vars + else_vars, [], is_outer)
    then_graph, _ = _inner(then_vars, outer)
    else_graph, _ = _inner(else_vars, outer)
    return IfElse(then_graph, else_graph, name).make_node(condition, *outer)


def _inner(outputs: list[Variable], outer: list[Variable]) -> tuple[FunctionGraph, list]:
    """An inner graph of `outputs` over placeholders for all of `outer` (same order)."""
    outer_ids = {id(v) for v in outer}
    fgraph, hoisted = extract_inner(outputs, [], lambda v: id(v) in outer_ids)
    by_id = {id(v): p for v, p in zip(hoisted, fgraph.inputs)}
    placeholders = [by_id[id(v)] if id(v) in by_id else v.type(name=v.name) for v in outer]
    return FunctionGraph(placeholders, fgraph.outputs, clone=False), hoisted


__all__ = ["IfElse", "ifelse"]
