"""Theano 1.0's Assert op (theano.tensor.opt.Assert): returns its first input, raising
AssertionError(msg) at run time when a condition is false."""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl.graph.basic import Apply, Op
from tensordsl.graph.convert import as_tensor_variable

__all__ = ["Assert"]


class Assert(Op):
    """Assert(msg)(value, *conds): `value`, once every scalar condition holds."""

    __props__ = ("msg",)
    view_map = {0: [0]}

    def __init__(self, msg: str = "Theano Assert failed!") -> None:
        if not isinstance(msg, str):
            raise TypeError(f"Assert: msg must be a str, got {msg!r}")
        self.msg = msg

    def make_node(self, value: Any, *conds: Any) -> Apply:
        value = as_tensor_variable(value)
        conds = tuple(as_tensor_variable(c) for c in conds)
        for i, c in enumerate(conds):
            if c.ndim != 0:
                raise TypeError(f"Assert: condition {i} ({c}) must be a scalar, got {c.type}")
        return Apply(self, [value, *conds], [value.type()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        value, *conds = inputs
        if not all(bool(c) for c in conds):
            raise AssertionError(self.msg)
        return [value]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [input_shapes[0]]
