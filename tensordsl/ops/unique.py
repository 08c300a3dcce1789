"""Theano 1.0's Unique op: numpy.unique as a graph node (no gradient, as in Theano)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl.graph.basic import Apply, Op
from tensordsl.graph.convert import as_tensor_variable
from tensordsl.graph.type import TensorType

__all__ = ["Unique"]


class Unique(Op):
    """Unique(return_index, return_inverse, return_counts, axis)(x): the sorted unique
    values of `x` (of the flattened `x` when axis is None), and as asked the index of
    each one's first occurrence, the inverse (x's entries as indices into the unique
    values) and the counts, all int64, in numpy.unique's order."""

    __props__ = ("return_index", "return_inverse", "return_counts", "axis")

    def __init__(self, return_index: bool = False, return_inverse: bool = False,
                 return_counts: bool = False, axis: int | None = None) -> None:
        for name, flag in (("return_index", return_index), ("return_inverse", return_inverse),
                           ("return_counts", return_counts)):
            if not isinstance(flag, (bool, np.bool_)):
                raise TypeError(f"Unique: {name} must be a bool, got {flag!r}")
        if axis is not None and not isinstance(axis, (int, np.integer)):
            raise TypeError(f"Unique: axis must be None or an int, got {axis!r}")
        self.return_index, self.return_inverse = bool(return_index), bool(return_inverse)
        self.return_counts = bool(return_counts)
        self.axis = None if axis is None else int(axis)

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if self.axis is None:
            values = TensorType(x.dtype, (None,))()
        else:
            if not -x.ndim <= self.axis < x.ndim:
                raise ValueError(f"unique: axis {self.axis} is out of range for {x} "
                                 f"({x.ndim} dims)")
            values = TensorType(x.dtype, tuple(None if d == self.axis % x.ndim else s
                                               for d, s in enumerate(x.type.shape)))()
        flags = (self.return_index, self.return_inverse, self.return_counts)
        extra = [TensorType("int64", (None,))() for f in flags if f]
        return Apply(self, [x], [values, *extra])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        (x,) = inputs
        res = np.unique(x, return_index=self.return_index, return_inverse=self.return_inverse,
                        return_counts=self.return_counts, axis=self.axis)
        res = list(res) if isinstance(res, tuple) else [res]
        if self.return_inverse:
            # a vector, as numpy 1.x (and Theano 1.0) return it; numpy 2.0 gave x's shape
            k = 1 + int(self.return_index)
            res[k] = res[k].reshape(-1)
        return [np.asarray(r, dtype=out.dtype) for r, out in zip(res, node.outputs)]
