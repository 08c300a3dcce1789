"""Canonicalisation: algebraic identities that simplify without changing values.

numpy's result is the spec; docs/rewrites.md lists the IEEE corner (NaN, inf, -0.0)
of every rule. Rules whose exactness depends on the dtype check it here: `x*0` and
`x-x` become zeros only for integers (for floats, inf*0 and inf-inf are NaN).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl.graph.basic import Apply, Constant
from tensordsl.graph.convert import constant
from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.ops.elemwise import DimShuffle, Elemwise
from tensordsl.ops.reduce import Reduce
from tensordsl.ops.shape import Reshape, Shape
from tensordsl.ops.subtensor import Subtensor
from tensordsl.rewrite.engine import register
from tensordsl.rewrite.patterns import C, E, rule, scalar_constant
from tensordsl.rewrite.util import as_dtype, fill, is_float, is_int, op, out_of, single_client
from tensordsl.tensor.basic import dimshuffle

CANON = ("canonicalize", "fast_run")


def _keep(node: Apply, x: Any) -> Any:
    """`x` in the node's output dtype (numpy computes `x op identity` in that dtype)."""
    return as_dtype(x, out_of(node).dtype)


def _zeros(node: Apply, x: Any) -> Any:
    return fill(x, 0, out_of(node).dtype)


def _float_only(build: Any) -> Any:
    def guarded(node: Apply, x: Any) -> Any:
        return build(node, x) if is_float(out_of(node)) else None
    return guarded


def _int_only(build: Any) -> Any:
    def guarded(node: Apply, x: Any) -> Any:
        return build(node, x) if is_int(out_of(node)) else None
    return guarded


# -- identities: (name, pattern, builder) --------------------------------------------------
IDENTITIES = [
    ("add_zero", E("add", "x", C(0)), _keep),
    ("sub_zero", E("sub", "x", C(0)), _keep),
    ("mul_one", E("mul", "x", C(1)), _keep),
    ("div_one", E("true_div", "x", C(1)), _keep),
    ("neg_neg", E("neg", E("neg", "x")), _keep),
    ("pow_one", E("pow", "x", C(1)), _keep),
    ("pow_zero", E("pow", "x", C(0)), lambda node, x: fill(x, 1, out_of(node).dtype)),
    ("pow_two", E("pow", "x", C(2)), lambda node, x: op("sqr", _keep(node, x))),
    ("pow_three", E("pow", "x", C(3)),
     lambda node, x: op("mul", op("sqr", _keep(node, x)), _keep(node, x))),
    ("pow_four", E("pow", "x", C(4)), lambda node, x: op("sqr", op("sqr", _keep(node, x)))),
    ("pow_half", E("pow", "x", C(0.5)), _float_only(lambda node, x: op("sqrt", _keep(node, x)))),
    ("pow_minus_one", E("pow", "x", C(-1)),
     _float_only(lambda node, x: op("reciprocal", _keep(node, x)))),
    ("mul_zero_int", E("mul", "x", C(0)), _int_only(lambda node, x: _zeros(node, x))),
    ("sub_self_int", E("sub", "x", "x"), _int_only(lambda node, x: _zeros(node, x))),
]


def _checked(build: Any) -> Any:
    """Builders must keep the dtype (a wrong one is declined, never forced)."""
    def run(node: Apply, **env: Any) -> Any:
        new = build(node, env["x"])
        if new is None or new.dtype != out_of(node).dtype:
            return None
        return new
    return run


for _name, _pattern, _build in IDENTITIES:
    rule(_name, CANON, _pattern, _checked(_build))


# -- constants collected in add/mul chains -----------------------------------------------
@register(*CANON, tracks=(Elemwise,))
def collect_constants(fgraph: FunctionGraph, node: Apply) -> Any:
    """(x op c1) op c2 -> x op (c1 op c2) for op in add, mul (a*2*3 -> a*6)."""
    name = getattr(node.op.scalar_op, "name", None)
    if name not in ("add", "mul") or node.op.inplace_pattern:
        return None
    out = out_of(node)
    for inner, c2 in (node.inputs, node.inputs[::-1]):
        v2 = scalar_constant(c2)
        if v2 is None or inner.owner is None or inner.owner.op != node.op \
                or inner.dtype != out.dtype or not single_client(fgraph, inner):
            continue
        for x, c1 in (inner.owner.inputs, inner.owner.inputs[::-1]):
            v1 = scalar_constant(c1)
            if v1 is None or x.dtype != out.dtype or scalar_constant(x) is not None:
                continue
            combined = _combine(name, v1, v2, out.dtype)
            if combined is None:
                continue
            return [op(name, x, constant(combined.reshape((1,) * out.ndim), dtype=out.dtype))]
    return None


def _combine(name: str, v1: Any, v2: Any, dtype: str) -> np.ndarray | None:
    a, b = np.asarray(v1, dtype=dtype), np.asarray(v2, dtype=dtype)
    with np.errstate(all="ignore"):
        value = np.add(a, b) if name == "add" else np.multiply(a, b)
    if value.dtype.kind == "f":
        if not np.isfinite(value) or (name == "mul" and value == 0 and a != 0 and b != 0):
            return None  # overflow/underflow would change what the chain computes
    return np.asarray(value, dtype=dtype)


# -- dimshuffle and reshape chains ---------------------------------------------------------
def _compose(outer: tuple, inner: tuple) -> tuple:
    return tuple("x" if o == "x" else inner[o] for o in outer)


@register(*CANON, tracks=(DimShuffle,))
def dimshuffle_chain(fgraph: FunctionGraph, node: Apply) -> Any:
    """DimShuffle(DimShuffle(x)) -> one DimShuffle (double transpose -> x)."""
    order = node.op.new_order
    x = node.inputs[0]
    if x.owner is not None and isinstance(x.owner.op, DimShuffle):
        order = _compose(order, x.owner.op.new_order)
        x = x.owner.inputs[0]
    elif order != tuple(range(x.ndim)):
        return None
    return [dimshuffle(x, order)]


@register(*CANON, tracks=(Reshape,))
def reshape_chain(fgraph: FunctionGraph, node: Apply) -> Any:
    """Reshape(Reshape(x, s1), s2) -> Reshape(x, s2)."""
    x, shape = node.inputs
    if x.owner is None or not isinstance(x.owner.op, Reshape):
        return None
    return [node.op(x.owner.inputs[0], shape)]


# -- reductions ------------------------------------------------------------------------------
@register(*CANON, tracks=(Reduce,))
def reduce_of_reduce(fgraph: FunctionGraph, node: Apply) -> Any:
    """sum(sum(x, a), b) -> sum(x, a + b) (same kind, same accumulator dtype)."""
    inner = node.inputs[0]
    if inner.owner is None or not isinstance(inner.owner.op, Reduce):
        return None
    iop, oop = inner.owner.op, node.op
    if iop.kind != oop.kind or inner.dtype != out_of(node).dtype \
            or not single_client(fgraph, inner):
        return None
    x = inner.owner.inputs[0]
    remaining = [d for d in range(x.ndim) if d not in iop.axis]
    axis = tuple(sorted(set(iop.axis) | {remaining[b] for b in oop.axis}))
    new = Reduce(oop.kind, axis, out_of(node).dtype)(x)
    return [new] if new.dtype == out_of(node).dtype else None


# -- shapes known statically ---------------------------------------------------------------
@register(*CANON, "constant_folding", tracks=(Shape, Subtensor))
def static_shape(fgraph: FunctionGraph, node: Apply) -> Any:
    """shape(x) and shape(x)[i] become constants where x's sizes are static."""
    if isinstance(node.op, Shape):
        shape = node.inputs[0].type.shape
        if None in shape:
            return None
        return [constant(np.asarray(shape, dtype="int64").reshape(len(shape)))]
    src, *index = node.inputs
    if node.op.spec != ("i",) or src.owner is None or not isinstance(src.owner.op, Shape) \
            or not isinstance(index[0], Constant):
        return None
    dims = src.owner.inputs[0].type.shape
    i = int(index[0].data)
    if not -len(dims) <= i < len(dims) or dims[i] is None:
        return None
    return [constant(np.asarray(dims[i], dtype="int64"))]


def _shape_source(var: Any) -> Any:
    """An input of an Elemwise with the output's shape (the others have only size-1 dims)."""
    node = var.owner
    if node is None or not isinstance(node.op, Elemwise):
        return None
    wide = [v for v in node.inputs if any(s != 1 for s in v.type.shape)]
    if len(wide) == 1 and wide[0].ndim == var.ndim:
        return wide[0]
    return None


@register(*CANON, tracks=(Shape,))
def shape_through_elemwise(fgraph: FunctionGraph, node: Apply) -> Any:
    """shape(f(x, c)) -> shape(x) when only x can have dims larger than 1 (so f need not
    be computed before its shape is known, and x's value need not stay alive)."""
    source = _shape_source(node.inputs[0])
    return None if source is None else [Shape()(source)]


@register(*CANON, tracks=(Subtensor,))
def shape_i_through_reduce(fgraph: FunctionGraph, node: Apply) -> Any:
    """shape(reduce(x, axis))[i] -> shape(x)[j], j the i-th kept axis of x."""
    src, *index = node.inputs
    if node.op.spec != ("i",) or src.owner is None or not isinstance(src.owner.op, Shape) \
            or not isinstance(index[0], Constant):
        return None
    reduced = src.owner.inputs[0]
    if reduced.owner is None or not isinstance(reduced.owner.op, Reduce):
        return None
    x = reduced.owner.inputs[0]
    kept = [d for d in range(x.ndim) if d not in reduced.owner.op.axis]
    i = int(index[0].data)
    if not 0 <= i < len(kept):
        return None
    return [Subtensor(("i",))(Shape()(x), constant(kept[i], dtype="int64"))]
