"""Gradient rules of the extra ops (tensordsl.ops.extra), with Theano 1.0's formulas."""

from __future__ import annotations

from typing import Any

from tensordsl import dtypes
from tensordsl.gradient.core import NotImplementedGrad, register_connection, register_grad
from tensordsl.graph.basic import Apply, Variable
from tensordsl.graph.convert import constant
from tensordsl.ops.assert_op import Assert
from tensordsl.ops.extra import (
    ArgSort,
    Bincount,
    CumOp,
    Eye,
    FillDiagonal,
    PermuteAlongAxis,
    Repeat,
    Sort,
    SpecifyShape,
    UnravelIndex,
)
from tensordsl.ops.rebroadcast import Rebroadcast
from tensordsl.ops.subtensor import shape_i
from tensordsl.tensor import basic as tb
from tensordsl.tensor import math as tm

register_connection(Eye, lambda node: [False] * 3)
register_connection(UnravelIndex, lambda node: [False, False])
register_connection(PermuteAlongAxis, lambda node: [True, False])
register_connection(Repeat, lambda node: [True, False])
register_connection(Bincount, lambda node: [False] + [True] * (len(node.inputs) - 1))


@register_grad(Eye, UnravelIndex)
def _no_grad(node: Apply, out_grads: list) -> list:
    return [None] * len(node.inputs)


@register_grad(ArgSort)
def _argsort(node: Apply, out_grads: list) -> list:
    return [None]  # piecewise constant: zero, as in Theano


@register_grad(Sort)
def _sort(node: Apply, out_grads: list) -> list:
    (gz,) = out_grads
    (x,) = node.inputs
    if not dtypes.is_float(x.dtype):
        return [None]
    op = ArgSort(node.op.axis, node.op.kind)
    ranks = ArgSort(node.op.axis)(op(x))  # where each input entry went in the sorted output
    return [PermuteAlongAxis(node.op.axis)(gz, ranks)]


@register_grad(PermuteAlongAxis)
def _permute(node: Apply, out_grads: list) -> list:
    (gz,) = out_grads
    _, perm = node.inputs
    axis = node.op.axis
    return [PermuteAlongAxis(axis)(gz, ArgSort(axis)(perm)), None]


def _reverse(x: Variable, axis: int) -> Variable:
    return x[tuple([slice(None)] * axis + [slice(None, None, -1)])]


@register_grad(CumOp)
def _cumop(node: Apply, out_grads: list) -> list:
    (gz,) = out_grads
    (x,) = node.inputs
    if not dtypes.is_float(x.dtype) and not dtypes.is_complex(x.dtype):
        return [None]
    axis = 0 if node.op.axis is None else node.op.axis
    if node.op.mode == "mul":  # Theano: cumsum((fx * gz) reversed) reversed / x
        gz = tm.mul(node.outputs[0], gz)
    g = _reverse(CumOp(axis, "add")(_reverse(gz, axis)), axis)
    if node.op.axis is None:
        g = tb.reshape(g, tb.shape(x), ndim=x.ndim)
    if node.op.mode == "mul":
        g = tm.true_div(g, x)
    return [g]


@register_grad(Repeat)
def _repeat(node: Apply, out_grads: list) -> list:
    (gz,) = out_grads
    x, repeats = node.inputs
    if not dtypes.is_float(x.dtype):
        return [None, None]
    if repeats.ndim != 0:
        return [NotImplementedGrad("repeat: the gradient with a vector of repeats is not "
                                   "implemented (as in Theano 1.0); use a scalar"), None]
    axis = x.ndim if node.op.axis is None else node.op.axis + 1
    shape: list[Any] = [shape_i(x, d) for d in range(x.ndim)]
    shape.insert(axis, repeats)
    return [tm.sum(tb.reshape(gz, shape), axis=axis), None]


@register_grad(Bincount)
def _bincount(node: Apply, out_grads: list) -> list:
    (gz,) = out_grads
    if not node.op.weighted:
        return [None]
    x, w = node.inputs
    return [None, tm.cast(gz[x], w.dtype) if dtypes.is_float(w.dtype) else None]


@register_grad(FillDiagonal)
def _fill_diagonal(node: Apply, out_grads: list) -> list:
    (gz,) = out_grads
    a, val = node.inputs
    off_diag = FillDiagonal()(gz, constant(0, dtype=gz.dtype))
    # the diagonal's gradient sum, for any number of dims (Theano: matrices only)
    g_val = tm.sum(tm.sub(gz, off_diag))
    return [off_diag if dtypes.is_float(a.dtype) else None,
            tm.cast(g_val, val.dtype) if dtypes.is_float(val.dtype) else None]


register_connection(SpecifyShape, lambda node: [True, False])


@register_grad(SpecifyShape)
def _specify_shape(node: Apply, out_grads: list) -> list:
    (gz,) = out_grads
    return [gz, None]


@register_grad(Rebroadcast)
def _rebroadcast(node: Apply, out_grads: list) -> list:
    # Theano's: the gradient gets back the input's broadcastable pattern on those dims
    (gz,) = out_grads
    x = node.inputs[0]
    return [Rebroadcast(*[(d, x.broadcastable[d]) for d, _ in node.op.axis])(gz)]


# Assert passes the gradient to its value; the conditions get none (Theano's)
register_connection(Assert, lambda node: [True] + [False] * (len(node.inputs) - 1))


@register_grad(Assert)
def _assert(node: Apply, out_grads: list) -> list:
    return [out_grads[0]] + [None] * (len(node.inputs) - 1)
