"""Theano 1.0's top-k: the ArgTopK op gives the indices of the k largest (kth > 0) or
|k| smallest (kth < 0) entries along an axis; the values are gathered from them
(tensor/sort.py), so their gradient is the gather's."""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl import dtypes
from tensordsl.graph.basic import Apply, Op
from tensordsl.graph.convert import as_tensor_variable
from tensordsl.graph.type import TensorType

__all__ = ["ArgTopK"]


class ArgTopK(Op):
    """(x, kth) -> indices along `axis` of x's |kth| largest (kth > 0, largest first) or
    smallest (kth < 0, smallest first) entries, ties in index order."""

    __props__ = ("axis", "idx_dtype")

    def __init__(self, axis: int = -1, idx_dtype: str = "int64") -> None:
        if not dtypes.is_int(idx_dtype):
            raise ValueError(f"topk: idx_dtype must be an integer dtype, got {idx_dtype!r}")
        self.axis, self.idx_dtype = int(axis), dtypes.canonical(idx_dtype)

    def make_node(self, x: Any, kth: Any) -> Apply:
        x, kth = as_tensor_variable(x), as_tensor_variable(kth)
        if x.ndim == 0:
            raise ValueError("topk: the input must have at least 1 dim")
        if not -x.ndim <= self.axis < x.ndim:
            raise ValueError(f"topk: axis {self.axis} is out of range for {x} ({x.ndim} dims)")
        if kth.ndim != 0 or not dtypes.is_int(kth.dtype):
            raise TypeError(f"topk: kth must be an integer scalar, got {kth.type}")
        shape = list(x.type.shape)
        shape[self.axis % x.ndim] = None
        return Apply(self, [x, kth], [TensorType(self.idx_dtype, tuple(shape))()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        x, kth = inputs
        k = int(kth)
        size = x.shape[self.axis]
        if k == 0:
            raise ValueError("topk: kth cannot be zero")
        if abs(k) > size:
            raise ValueError(f"topk: kth={k} but the axis {self.axis} of the input has only "
                             f"{size} entries")
        # a stable sort of -x (largest first) or x (smallest first)
        order = np.argsort(-x if k > 0 else x, axis=self.axis, kind="stable")
        taken = np.take(order, np.arange(abs(k)), axis=self.axis)
        return [taken.astype(self.idx_dtype, copy=False)]
