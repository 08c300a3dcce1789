"""Theano 1.0's Nonzero op: the indices of the non-zero entries of a tensor as an
(ndim, count) int64 matrix (numpy.nonzero stacked); no gradient (indices)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl.graph.basic import Apply, Op
from tensordsl.graph.convert import as_tensor_variable
from tensordsl.graph.type import TensorType

__all__ = ["Nonzero"]


class Nonzero(Op):
    """x -> int64 matrix (x.ndim, number of non-zero entries), numpy.nonzero's order."""

    __props__ = ()

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if x.ndim == 0:
            raise ValueError(f"nonzero: {x} is a scalar; nonzero needs at least 1 dim")
        return Apply(self, [x], [TensorType("int64", (x.ndim, None))()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        (x,) = inputs
        rows = np.nonzero(x)
        if not rows:
            return [np.zeros((x.ndim, 0), dtype="int64")]
        return [np.vstack(rows).astype("int64", copy=False)]
