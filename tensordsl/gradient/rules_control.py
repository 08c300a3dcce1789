"""Gradient rules of the control-flow ops with inner graphs: IfElse (Scan: rules_scan).

The vector-Jacobian product of an inner graph is taken by cloning it over fresh
stand-ins for its outer inputs, calling `grad` with the output gradients as
`known_grads`, and substituting the real outer variables afterwards; the stand-ins
keep outer inputs that depend on each other from being counted twice.
"""

from __future__ import annotations

from typing import Any

from tensordsl import dtypes
from tensordsl.config import config
from tensordsl.gradient.core import grad, register_connection, register_grad
from tensordsl.graph.basic import Apply, Constant, Variable, clone_graph, toposort
from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.graph.test_value import compute_test_values, fill_test_values, test_values_off
from tensordsl.ifelse import IfElse, make_ifelse_node
from tensordsl.tensor import math as tm


def inner_vjp(fgraph: FunctionGraph, actual_inputs: list[Variable], out_grads: list[Any],
              given: list[Variable | None] | None = None) -> list[Variable | None]:
    """Gradients wrt each inner input of `fgraph` applied to `actual_inputs` (None: zero).

    `given` (optional, one per inner output): the already computed value of that output
    for these inputs (a Scan's stored state at the step); the gradient graph reads it
    instead of recomputing the output's node (see `_given_outputs`)."""
    # built over placeholders without test values: none computed here; the result,
    # re-attached to `actual_inputs`, gets them below (config.compute_test_value)
    mode = config.compute_test_value
    with test_values_off():
        return _inner_vjp(fgraph, actual_inputs, out_grads, mode, given)


def _given_outputs(fgraph: FunctionGraph, memo: dict[Variable, Variable],
                   given: list[Variable | None] | None, grads: list[Variable]
                   ) -> dict[Variable, Variable]:
    """{variable of the gradient graph: given value} for the inner outputs whose value is
    given: the cloned output itself and any node of the gradient graph that computes it
    again (same op on the same inputs: tanh's and sigmoid's rules rebuild `f(x)` rather
    than read the output). The value must have the output's dtype, rank and size-1 dims."""
    if not given:
        return {}
    keys: dict[tuple, Variable] = {}
    for out, value in zip(fgraph.outputs, given):
        out = memo.get(out, out)
        if value is None or out.owner is None or not _same_kind(out, value):
            continue
        owner = out.owner
        keys[(owner.op, tuple(map(id, owner.inputs)), owner.outputs.index(out))] = value
    found: dict[Variable, Variable] = {}
    for node in toposort(grads):
        for idx, var in enumerate(node.outputs):
            value = keys.get((node.op, tuple(map(id, node.inputs)), idx))
            if value is not None:
                found[var] = value
    return found


def _same_kind(out: Variable, value: Variable) -> bool:
    """Whether `value` can stand for `out`: tensors of one dtype and rank, and size 1 in
    the same dims (broadcasting must not change)."""
    shape_o, shape_v = getattr(out.type, "shape", None), getattr(value.type, "shape", None)
    if shape_o is None or shape_v is None or out.dtype != value.dtype:
        return False
    return len(shape_o) == len(shape_v) and all((a == 1) == (b == 1)
                                                for a, b in zip(shape_o, shape_v))


def _inner_vjp(fgraph: FunctionGraph, actual_inputs: list[Variable], out_grads: list[Any],
               mode: str, given: list[Variable | None] | None = None
               ) -> list[Variable | None]:
    standins = [v.type(name=v.name) for v in fgraph.inputs]
    memo = clone_graph(fgraph.outputs, replace=dict(zip(fgraph.inputs, standins)))
    known: dict[Variable, Variable] = {}
    for out, g in zip(fgraph.outputs, out_grads):
        out = memo.get(out, out)
        if g is None or isinstance(out, Constant) or not dtypes.is_float(out.dtype):
            continue
        known[out] = g if out not in known else tm.add(known[out], g)
    wanted = [i for i, v in enumerate(standins) if dtypes.is_float(v.dtype)]
    if not known or not wanted:
        return [None] * len(standins)
    grads = grad(None, [standins[i] for i in wanted], known_grads=known,
                 disconnected_inputs="ignore", return_disconnected="None")
    present = [g for g in grads if g is not None]
    replace = dict(zip(standins, actual_inputs))
    replace.update(_given_outputs(fgraph, memo, given, present))
    back = clone_graph(present, replace=replace)
    result: list[Variable | None] = [None] * len(standins)
    for i, g in zip(wanted, grads):
        result[i] = None if g is None else back.get(g, g)
    with config.change_flags(compute_test_value=mode):
        fill_test_values(result)
    return result


register_connection(IfElse, lambda node: [False] + [True] * (len(node.inputs) - 1))


@register_grad(IfElse)
def ifelse_grad(node: Apply, out_grads: list) -> list:
    """The gradient of each outer input is chosen by the same condition, lazily."""
    condition, *outer = node.inputs
    then_g = inner_vjp(node.op.then_graph, outer, out_grads)
    else_g = inner_vjp(node.op.else_graph, outer, out_grads)
    picked = [i for i, (t, e) in enumerate(zip(then_g, else_g)) if t is not None or e is not None]
    if not picked:
        return [None] * len(node.inputs)
    then_vals = [_or_zeros(then_g[i], outer[i]) for i in picked]
    else_vals = [_or_zeros(else_g[i], outer[i]) for i in picked]
    chosen_node = make_ifelse_node(condition, then_vals, else_vals)
    compute_test_values(chosen_node)  # config.compute_test_value (no-op when 'off')
    chosen = chosen_node.outputs
    result: list[Any] = [None] * len(node.inputs)
    for i, g in zip(picked, chosen):
        result[1 + i] = g
    return result


def _or_zeros(g: Variable | None, like: Variable) -> Variable:
    return tm.zeros_like(like) if g is None else tm.cast(g, like.dtype)
