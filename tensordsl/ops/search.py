"""Theano 1.0's SearchsortedOp and RavelMultiIndex: numpy.searchsorted and
numpy.ravel_multi_index as ops (integer results, no gradient, as in Theano)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl import dtypes
from tensordsl.graph.basic import Apply, Op
from tensordsl.graph.convert import as_tensor_variable
from tensordsl.graph.type import TensorType

__all__ = ["RavelMultiIndex", "SearchsortedOp"]


class SearchsortedOp(Op):
    """(x, v[, sorter]) -> numpy.searchsorted(x, v, side, sorter): int64 of v's shape."""

    __props__ = ("side",)

    def __init__(self, side: str = "left") -> None:
        if side not in ("left", "right"):
            raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
        self.side = side

    def make_node(self, x: Any, v: Any, sorter: Any = None) -> Apply:
        x, v = as_tensor_variable(x), as_tensor_variable(v)
        if x.ndim != 1:
            raise TypeError(f"searchsorted: x must be a vector, got {x.type}")
        inputs = [x, v]
        if sorter is not None:
            sorter = as_tensor_variable(sorter)
            if sorter.ndim != 1 or not dtypes.is_int(sorter.dtype):
                raise TypeError(f"searchsorted: sorter must be an integer vector, got "
                                f"{sorter.type}")
            inputs.append(sorter)
        return Apply(self, inputs, [TensorType("int64", v.type.shape)()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        x, v, *sorter = inputs
        out = np.searchsorted(x, v, side=self.side, sorter=sorter[0] if sorter else None)
        return [np.asarray(out, dtype="int64")]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [input_shapes[1]]


class RavelMultiIndex(Op):
    """(*multi_index, dims) -> numpy.ravel_multi_index(multi_index, dims, mode, order)."""

    __props__ = ("mode", "order")

    def __init__(self, mode: str = "raise", order: str = "C") -> None:
        if mode not in ("raise", "wrap", "clip"):
            raise ValueError(f"ravel_multi_index: mode must be 'raise', 'wrap' or 'clip', got "
                             f"{mode!r}")
        if order not in ("C", "F"):
            raise ValueError(f"ravel_multi_index: order must be 'C' or 'F', got {order!r}")
        self.mode, self.order = mode, order

    def make_node(self, *inputs: Any) -> Apply:
        *index, dims = (as_tensor_variable(v) for v in inputs)
        if not index:
            raise TypeError("ravel_multi_index: needs at least one index array")
        for i, v in enumerate(index):
            if not dtypes.is_int(v.dtype):
                raise TypeError(f"ravel_multi_index: multi_index[{i}] must be integers, got "
                                f"{v.type}")
        if dims.ndim != 1 or not dtypes.is_int(dims.dtype):
            raise TypeError(f"ravel_multi_index: dims must be an integer vector, got "
                            f"{dims.type}")
        return Apply(self, [*index, dims], [TensorType("int64", index[0].type.shape)()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        *index, dims = inputs
        if len(dims) != len(index):
            raise ValueError(f"ravel_multi_index: dims has {len(dims)} entries for "
                             f"{len(index)} index arrays")
        out = np.ravel_multi_index(tuple(index), tuple(int(d) for d in dims), mode=self.mode,
                                   order=self.order)
        return [np.asarray(out, dtype="int64")]
