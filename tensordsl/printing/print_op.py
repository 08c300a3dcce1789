"""Theano's printing.Print: an identity op that prints its value each time it runs."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from tensordsl.gradient.core import register_grad
from tensordsl.graph.basic import Apply, Op
from tensordsl.graph.convert import as_tensor_variable


class Print(Op):
    """`Print("message")(x)` returns x and, whenever the compiled function computes it,
    prints `message attr = value` for each attribute in `attrs` (Theano's format: the
    default attrs=("__str__",) prints `message __str__ = [1. 2.]`). Attributes that are
    methods are called. `global_fn(op, value)` replaces the printing, as in Theano.
    The gradient passes through unchanged.
    """

    __props__ = ("message", "attrs")
    view_map = {0: [0]}

    def __init__(self, message: str = "", attrs: Sequence[str] = ("__str__",),
                 global_fn: Any = None) -> None:
        self.message = str(message)
        self.attrs = tuple(str(a) for a in attrs)
        self.global_fn = global_fn

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        (x,) = inputs
        if self.global_fn is not None:
            self.global_fn(self, x)
            return [x]
        for attr in self.attrs:
            value = getattr(x, attr)
            if callable(value):
                value = value()
            print(self.message, attr, "=", value, file=sys.stdout)
        return [x]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [input_shapes[0]]


@register_grad(Print)
def _print_grad(node: Apply, out_grads: list) -> list:
    return [out_grads[0]]
