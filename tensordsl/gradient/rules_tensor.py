"""Gradient rules of the non-elementwise ops: reductions, dot, shape ops, indexing."""

from __future__ import annotations

from typing import Any

from tensordsl import dtypes
from tensordsl.gradient.core import NotImplementedGrad, register_connection, register_grad
from tensordsl.gradient.sum_to import SumToShape, sum_to
from tensordsl.graph.basic import Apply, Variable
from tensordsl.graph.convert import constant
from tensordsl.ops.blas import Dot
from tensordsl.ops.fused import FusedElemwise
from tensordsl.ops.reduce import Argmax, Reduce
from tensordsl.ops.shape import Alloc, ARange, Join, MakeVector, Reshape, Shape
from tensordsl.ops.subtensor import IncSubtensor, Subtensor, shape_i
from tensordsl.tensor import basic as tb
from tensordsl.tensor import math as tm


def _only_first(node: Apply) -> list[bool]:
    return [True] + [False] * (len(node.inputs) - 1)


# Shape, index and size inputs carry no gradient.
register_connection(Shape, lambda node: [False])
register_connection(ARange, lambda node: [False] * 3)
register_connection(Reshape, _only_first)
register_connection(Alloc, _only_first)
register_connection(Subtensor, _only_first)
register_connection(IncSubtensor, lambda node: [True, True] + [False] * (len(node.inputs) - 2))
register_connection(SumToShape, lambda node: [True, False])
register_connection(Argmax, lambda node: [True])


@register_grad(Shape, ARange)
def _no_grad(node: Apply, out_grads: list) -> list:
    return [None] * len(node.inputs)


@register_grad(Argmax)
def _argmax(node: Apply, out_grads: list) -> list:
    return [None]  # piecewise constant: zero, as in Theano


def _restore_axes(g: Variable, axis: tuple[int, ...], ndim: int) -> Variable:
    """Re-insert the reduced `axis` of an `ndim`-d input as broadcastable dims."""
    it = iter(range(g.ndim))
    return tb.dimshuffle(g, ["x" if d in axis else next(it) for d in range(ndim)])


@register_grad(Reduce)
def _reduce(node: Apply, out_grads: list) -> list:
    (gz,) = out_grads
    (x,) = node.inputs
    kind, axis = node.op.kind, node.op.axis
    if kind in ("and_", "or_"):
        return [None]
    gz_b = _restore_axes(gz, axis, x.ndim)
    if kind == "add":
        return [tm.second(x, gz_b)]  # gz broadcast to x's shape (Theano's fill)
    out_b = _restore_axes(node.outputs[0], axis, x.ndim)
    if kind in ("maximum", "minimum"):
        # every element equal to the extremum gets the gradient, as Theano's max
        return [tm.mul(tm.cast(tm.eq(x, out_b), gz.dtype), gz_b)]
    return [tm.mul(gz_b, _prod_partials(x, axis))]


def _prod_partials(x: Variable, axis: tuple[int, ...]) -> Variable:
    """d prod(x) / dx elementwise, exact when x holds zeros (Theano's approach)."""
    zero, one = constant(0, dtype=x.dtype), constant(1, dtype=x.dtype)
    is_zero = tm.eq(x, zero)
    n_zeros = tm.sum(is_zero, axis=axis, keepdims=True)
    prod_nonzero = tm.prod(tm.switch(is_zero, one, x), axis=axis, keepdims=True)
    no_zero = tm.true_div(prod_nonzero, tm.switch(is_zero, one, x))
    single = tm.switch(is_zero, prod_nonzero, zero)
    return tm.switch(tm.eq(n_zeros, 0), no_zero,
                     tm.switch(tm.eq(n_zeros, 1), single, tm.zeros_like(x)))


@register_grad(Dot)
def _dot(node: Apply, out_grads: list) -> list:
    (gz,) = out_grads
    a, b = node.inputs
    if b.ndim > 2:
        msg = "the gradient of dot is implemented for a 1-d or 2-d second operand only"
        return [NotImplementedGrad(msg), NotImplementedGrad(msg)]
    if a.ndim > 2:  # np.dot(a, b) contracts a's last dim: a matrix product over a's rows
        rows = tb.reshape(a, (-1, shape_i(a, a.ndim - 1)), ndim=2)
        if b.ndim == 1:
            return [tm.mul(gz.dimshuffle(*range(gz.ndim), "x"), b),
                    tm.dot(tb.transpose(rows), tb.reshape(gz, (-1,), ndim=1))]
        gz_rows = tb.reshape(gz, (-1, shape_i(b, 1)), ndim=2)
        return [tm.dot(gz, tb.transpose(b)), tm.dot(tb.transpose(rows), gz_rows)]
    if a.ndim == 1 and b.ndim == 1:
        return [tm.mul(gz, b), tm.mul(gz, a)]
    if a.ndim == 2 and b.ndim == 1:
        return [tm.outer(gz, b), tm.dot(tb.transpose(a), gz)]
    if a.ndim == 1 and b.ndim == 2:
        return [tm.dot(b, gz), tm.outer(a, gz)]
    return [tm.dot(gz, tb.transpose(b)), tm.dot(tb.transpose(a), gz)]


@register_grad(Reshape)
def _reshape(node: Apply, out_grads: list) -> list:
    (gz,) = out_grads
    x = node.inputs[0]
    return [tb.reshape(gz, tb.shape(x), ndim=x.ndim), None]


@register_grad(Join)
def _join(node: Apply, out_grads: list) -> list:
    (gz,) = out_grads
    axis = node.op.axis
    grads: list[Any] = []
    start: Any = constant(0, dtype="int64")
    for t in node.inputs:
        stop = tm.add(start, shape_i(t, axis))
        index = tuple([slice(None)] * axis + [slice(start, stop)])
        grads.append(gz[index])
        start = stop
    return grads


@register_grad(Alloc)
def _alloc(node: Apply, out_grads: list) -> list:
    (gz,) = out_grads
    value = node.inputs[0]
    return [sum_to(gz, value)] + [None] * (len(node.inputs) - 1)


@register_grad(MakeVector)
def _make_vector(node: Apply, out_grads: list) -> list:
    (gz,) = out_grads
    return [gz[i] for i in range(len(node.inputs))]


@register_grad(Subtensor)
def _subtensor(node: Apply, out_grads: list) -> list:
    (gz,) = out_grads
    x, *index = node.inputs
    zeros = tm.zeros_like(x, dtype=gz.dtype)
    return [IncSubtensor(node.op.spec)(zeros, gz, *index)] + [None] * len(index)


@register_grad(IncSubtensor)
def _inc_subtensor(node: Apply, out_grads: list) -> list:
    (gz,) = out_grads
    x, y, *index = node.inputs
    spec = node.op.spec
    if node.op.set_instead_of_inc:
        gx = IncSubtensor(spec, set_instead_of_inc=True)(gz, constant(0, dtype=gz.dtype),
                                                         *index)
    else:
        gx = gz
    gy = sum_to(Subtensor(spec)(gz, *index), y)
    return [gx, gy] + [None] * len(index)


@register_grad(SumToShape)
def _sum_to_shape(node: Apply, out_grads: list) -> list:
    (gz,) = out_grads
    g = node.inputs[0]
    return [tm.second(g, gz), None]


@register_grad(FusedElemwise)
def _fused(node: Apply, out_grads: list) -> list:
    return [NotImplementedGrad("FusedElemwise nodes are made by rewrites after grad; take "
                               "gradients of the unrewritten graph")] * len(node.inputs)


def _is_float(v: Variable) -> bool:
    return dtypes.is_float(v.dtype)
