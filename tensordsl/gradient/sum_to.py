"""Summing a broadcast gradient back to the shape of the variable it belongs to.

Elemwise ops broadcast size-1 dims with numpy's rules, including dims whose size is
only known at run time. The gradient of a broadcast input is the output gradient
summed over the dims the input was broadcast along: where the static shapes say so,
that is a plain Reduce; where only the run-time shapes can tell, it is a `SumToShape`
node (a no-op when the shapes already agree).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl.graph.basic import Apply, Op, Variable
from tensordsl.graph.convert import as_tensor_variable
from tensordsl.graph.type import TensorType


class SumToShape(Op):
    """sum_to_shape(g, like): `g` summed over the leading dims and the dims where `like`
    has size 1, giving an array of like's shape. Only like's shape is read."""

    __props__ = ()

    def make_node(self, g: Any, like: Any) -> Apply:
        g, like = as_tensor_variable(g), as_tensor_variable(like)
        if g.ndim < like.ndim:
            raise TypeError(f"SumToShape: {g!r} has fewer dims ({g.ndim}) than {like!r} "
                            f"({like.ndim})")
        return Apply(self, [g, like], [TensorType(g.dtype, like.type.shape)()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        g, like = inputs
        lead = g.ndim - like.ndim
        axes = tuple(range(lead)) + tuple(
            lead + d for d, size in enumerate(like.shape) if size == 1 and g.shape[lead + d] != 1)
        out = g.sum(axis=axes, keepdims=True, dtype=g.dtype) if axes else g
        out = out.reshape(out.shape[lead:])
        if out.shape != like.shape:
            raise ValueError(f"SumToShape: a gradient of shape {g.shape} does not broadcast "
                             f"from the shape {like.shape} of {node.inputs[1]!r}")
        return [out]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [input_shapes[1]]


def sum_to(g: Variable, like: Variable, same_dims: tuple[int, ...] = ()) -> Variable:
    """`g` (broadcast from `like` by an elementwise op) summed back to like's shape.

    `same_dims` lists dims the caller knows cannot have been broadcast.
    """
    from tensordsl.tensor import math as tm

    lead = g.ndim - like.ndim
    if lead > 0:
        g = tm.sum(g, axis=tuple(range(lead)))
    pairs = list(zip(g.type.shape, like.type.shape))
    static_axes = tuple(d for d, (gs, ls) in enumerate(pairs) if ls == 1 and gs != 1)
    if static_axes:
        g = tm.sum(g, axis=static_axes, keepdims=True)
    ambiguous = any(ls is None and gs != 1 and d not in same_dims
                    for d, (gs, ls) in enumerate(pairs))
    return SumToShape()(g, like) if ambiguous else g
