"""Specialisation: replace general forms by faster equivalent ones.

x @ W + b -> Gemm (one BLAS call with beta), W - lr * (x.T @ g) -> Gemm (alpha = -lr),
sum(x * y) over vectors -> dot,
division by a shape-derived scalar (mean) -> multiplication by its reciprocal,
x * x -> sqr(x), 1 / x -> reciprocal(x), 1 / sqrt(x) -> rsqrt(x).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl.graph.basic import Apply, Constant, Variable
from tensordsl.graph.convert import constant
from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.ops.blas import Dot, Gemm
from tensordsl.ops.elemwise import DimShuffle, Elemwise
from tensordsl.ops.reduce import Reduce
from tensordsl.ops.shape import Shape
from tensordsl.rewrite.engine import register
from tensordsl.rewrite.patterns import C, E, R, match, rule
from tensordsl.rewrite.util import is_float, op, out_of, same_float_dtype, single_client

SPEC = ("specialize", "fast_run")


RULES = [
    ("mul_self_to_sqr", E("mul", "x", "x"), lambda x: op("sqr", x)),
    ("one_over_to_reciprocal", E("true_div", C(1), "x"), lambda x: op("reciprocal", x)),
    ("reciprocal_sqrt_to_rsqrt", E("reciprocal", E("sqrt", "x")), lambda x: op("rsqrt", x)),
]
for _name, _pattern, _build in RULES:
    rule(_name, SPEC, _pattern, same_float_dtype(_build))


@register(*SPEC, tracks=(Elemwise,))
def dot_plus_to_gemm(fgraph: FunctionGraph, node: Apply) -> Any:
    """dot(a, b) + c -> Gemm(c, 1, a, b, 1) when every dtype agrees (BLAS needs that)."""
    if getattr(node.op.scalar_op, "name", None) != "add" or node.op.inplace_pattern:
        return None
    out = out_of(node)
    for d, c in (node.inputs, node.inputs[::-1]):
        if d.owner is None or not isinstance(d.owner.op, Dot) or not single_client(fgraph, d):
            continue
        a, b = d.owner.inputs
        if not is_float(out) or {a.dtype, b.dtype, c.dtype, d.dtype} != {out.dtype} \
                or a.ndim > 2 or b.ndim > 2:
            continue
        one = constant(1, dtype=out.dtype)
        return [Gemm()(c, one, a, b, one)]
    return None


def _scaled_dot(fgraph: FunctionGraph, var: Variable) -> tuple[float, Variable] | None:
    """(k, dot) when `var` is `dot(a, b)` or `k * dot(a, b)` (either order) with `k` a
    constant of one element, each used only there; else None."""
    if var.owner is None or not single_client(fgraph, var):
        return None
    if isinstance(var.owner.op, Dot):
        return 1.0, var
    if not isinstance(var.owner.op, Elemwise) or var.owner.op.inplace_pattern \
            or getattr(var.owner.op.scalar_op, "name", None) != "mul" \
            or len(var.owner.inputs) != 2:
        return None
    for k, d in (var.owner.inputs, var.owner.inputs[::-1]):
        value = _one_constant(k)
        if value is not None and d.owner is not None and isinstance(d.owner.op, Dot) \
                and single_client(fgraph, d) and k.dtype == d.dtype:
            return value, d
    return None


def _one_constant(var: Variable) -> float | None:
    """The value of a one-element constant, or of a DimShuffle of one (not folded yet)."""
    if var.owner is not None and isinstance(var.owner.op, DimShuffle):
        var = var.owner.inputs[0]
    if isinstance(var, Constant) and np.size(var.data) == 1:
        return float(np.asarray(var.data).item())
    return None


@register(*SPEC, "gemm_update", tracks=(Elemwise,))  # C backend only (pipeline.py)
def dot_axpy_to_gemm(fgraph: FunctionGraph, node: Apply) -> Any:
    """c - k * dot(a, b) -> Gemm(c, -k, a, b, 1), and c + k * dot(a, b) -> Gemm(c, k, a,
    b, 1) (k a one-element constant): the SGD update `W - lr * (x.T @ g)` as one BLAS
    call accumulating into the new value, no product buffer and no separate update pass.
    c must have the product's dims (no broadcasting that would change the result's rank)."""
    name = getattr(node.op.scalar_op, "name", None)
    if name not in ("add", "sub") or node.op.inplace_pattern or len(node.inputs) != 2:
        return None
    out = out_of(node)
    if not is_float(out):
        return None
    pairs = [(node.inputs[0], node.inputs[1], -1.0 if name == "sub" else 1.0)]
    if name == "add":
        pairs.append((node.inputs[1], node.inputs[0], 1.0))
    for c, term, sign in pairs:
        found = _scaled_dot(fgraph, term)
        if found is None or (name == "add" and found[0] == 1.0 and term is found[1]):
            continue  # a plain dot(a, b) + c is dot_plus_to_gemm's
        k, d = found
        a, b = d.owner.inputs
        if {a.dtype, b.dtype, c.dtype, d.dtype} != {out.dtype} or a.ndim > 2 \
                or b.ndim > 2 or c.ndim != d.ndim:
            continue
        alpha = constant(np.asarray(sign * k, dtype=out.dtype), dtype=out.dtype)
        one = constant(1, dtype=out.dtype)
        return [Gemm()(c, alpha, a, b, one)]
    return None


@register(*SPEC, tracks=(Reduce,))
def sum_of_product_to_dot(fgraph: FunctionGraph, node: Apply) -> Any:
    """sum(x * y) over two float vectors -> dot(x, y).

    Like Theano, this assumes the vectors have equal lengths: a length-1 vector that the
    unspecialised graph would broadcast at run time makes dot raise a ValueError.
    Statically broadcastable (length-1) vectors are left alone.
    """
    env: dict[str, Any] = {}
    if not match(R("add", E("mul", "x", "y")), out_of(node), env):
        return None
    x, y, prod = env["x"], env["y"], node.inputs[0]
    out = out_of(node)
    if x.ndim != 1 or not is_float(out) or {x.dtype, y.dtype, prod.dtype} != {out.dtype} \
            or x.type.shape[0] == 1 or y.type.shape[0] == 1 or not single_client(fgraph, prod):
        return None
    return [Dot()(x, y)]


def _shape_derived(var: Variable, depth: int = 16) -> bool:
    """True when `var` depends on no input value, only on constants and shapes."""
    if isinstance(var, Constant):
        return True
    if var.owner is None or depth == 0:
        return False
    if isinstance(var.owner.op, Shape):
        return True
    return all(_shape_derived(v, depth - 1) for v in var.owner.inputs)


@register(*SPEC, tracks=(Elemwise,))
def mean_to_mul(fgraph: FunctionGraph, node: Apply) -> Any:
    """x / n -> x * (1/n) for a scalar n computed from shapes (mean = sum * (1/n))."""
    if getattr(node.op.scalar_op, "name", None) != "true_div" or node.op.inplace_pattern:
        return None
    x, n = node.inputs
    out = out_of(node)
    if not is_float(out) or x.dtype != out.dtype or n.dtype != out.dtype \
            or any(s != 1 for s in n.type.shape) or not _shape_derived(n):
        return None
    return [op("mul", x, op("reciprocal", n))]
