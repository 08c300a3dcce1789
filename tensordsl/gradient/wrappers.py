"""Identity ops that only change the gradient (Theano's zero_grad, disconnected_grad,
grad_clip, grad_scale), and the Lop/Rop products built from `grad`."""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl.gradient.core import (
    NotImplementedGrad,
    grad,
    register_connection,
    register_grad,
)
from tensordsl.graph.basic import Apply, Op, Variable, clone_graph
from tensordsl.graph.convert import as_tensor_variable
from tensordsl.tensor import math as tm


class GradientWrapper(Op):
    """Returns its input unchanged; its gradient is zero / disconnected / clipped /
    scaled (`kind`), with `low`/`high` the clip bounds or `low` the scale factor."""

    __props__ = ("kind", "low", "high")
    view_map = {0: [0]}

    def __init__(self, kind: str, low: float | None = None, high: float | None = None) -> None:
        if kind not in ("zero", "disconnected", "clip", "scale", "undefined"):
            raise ValueError(f"GradientWrapper: unknown kind {kind!r}")
        self.kind, self.low, self.high = kind, low, high

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        return [inputs[0]]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [input_shapes[0]]


register_connection(GradientWrapper, lambda node: [node.op.kind != "disconnected"])


@register_grad(GradientWrapper)
def _wrapper_grad(node: Apply, out_grads: list) -> list:
    (gz,) = out_grads
    op = node.op
    if op.kind in ("zero", "disconnected"):
        return [None]
    if op.kind == "undefined":
        return [NotImplementedGrad(f"the gradient through undefined_grad({node.inputs[0]}) "
                                   f"is undefined")]
    if op.kind == "clip":
        return [tm.clip(gz, op.low, op.high)]
    return [tm.mul(gz, op.low)]


def zero_grad(x: Any) -> Variable:
    """`x`, but gradients flowing through it are zero (still connected)."""
    return GradientWrapper("zero")(x)


def consider_constant(x: Any) -> Variable:
    """Theano's deprecated consider_constant: `x` with a zero gradient (zero_grad), and
    Theano's warning to use zero_grad() or disconnected_grad() instead."""
    import warnings

    warnings.warn("consider_constant() is deprecated, use zero_grad() or "
                  "disconnected_grad() instead.", stacklevel=2)
    return zero_grad(x)


def undefined_grad(x: Any) -> Variable:
    """`x`, whose gradient is undefined: an error if a gradient through it is needed
    (Theano's undefined_grad)."""
    return GradientWrapper("undefined")(x)


def disconnected_grad(x: Any) -> Variable:
    """`x`, treated as a constant by grad (wrt beneath it becomes disconnected)."""
    return GradientWrapper("disconnected")(x)


def grad_clip(x: Any, lower_bound: float, upper_bound: float) -> Variable:
    """`x`, with the gradient flowing through it clipped to [lower_bound, upper_bound]."""
    if lower_bound > upper_bound:
        raise ValueError(f"grad_clip: lower_bound {lower_bound} > upper_bound {upper_bound}")
    return GradientWrapper("clip", float(lower_bound), float(upper_bound))(x)


def grad_scale(x: Any, multiplier: float) -> Variable:
    """`x`, with the gradient flowing through it multiplied by `multiplier`."""
    return GradientWrapper("scale", float(multiplier))(x)


def Lop(f: Any, wrt: Any, eval_points: Any, consider_constant: Any = None,
        disconnected_inputs: str = "raise") -> Any:
    """Vector-Jacobian product: eval_points^T * (d f / d wrt), same structure as wrt."""
    fs = f if isinstance(f, (list, tuple)) else [f]
    points = eval_points if isinstance(eval_points, (list, tuple)) else [eval_points]
    if len(fs) != len(points):
        raise ValueError(f"Lop: {len(fs)} expressions but {len(points)} eval_points")
    known: dict[Variable, Any] = {}
    for fi, p in zip(fs, points):
        fi = as_tensor_variable(fi)
        known[fi] = p if fi not in known else tm.add(known[fi], p)
    return grad(None, wrt, consider_constant=consider_constant, known_grads=known,
                disconnected_inputs=disconnected_inputs)


def Rop(f: Any, wrt: Any, eval_points: Any) -> Any:
    """Jacobian-vector product (d f / d wrt) * eval_points, by transposing a Lop.

    With u a stand-in cotangent, Lop(f, wrt, u) = J^T u is linear in u, so
    d/du sum(J^T u * v) = J v; u is then replaced by zeros (the result cannot depend
    on it)."""
    wrt_list = wrt if isinstance(wrt, (list, tuple)) else [wrt]
    points = eval_points if isinstance(eval_points, (list, tuple)) else [eval_points]
    if len(wrt_list) != len(points):
        raise ValueError(f"Rop: {len(wrt_list)} wrt variables but {len(points)} eval_points")
    fs = f if isinstance(f, (list, tuple)) else [f]
    fs = [as_tensor_variable(fi) for fi in fs]
    standins = [fi.type(f"u_{i}") for i, fi in enumerate(fs)]
    lops = Lop(fs, list(wrt_list), standins, disconnected_inputs="ignore")
    total = tm.sum(tm.mul(lops[0], points[0]))
    for g, p in zip(lops[1:], points[1:]):
        total = tm.add(total, tm.sum(tm.mul(g, p)))
    rops = grad(total, standins, disconnected_inputs="ignore")
    memo = clone_graph(rops, replace={u: tm.zeros_like(fi) for u, fi in zip(standins, fs)})
    result = [memo.get(r, r) for r in rops]
    return result if isinstance(f, (list, tuple)) else result[0]
