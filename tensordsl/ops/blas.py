"""Matrix products: Dot (numpy.dot semantics)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl import dtypes
from tensordsl.graph.basic import Apply, Op
from tensordsl.graph.convert import as_tensor_variables
from tensordsl.graph.type import TensorType


class Dot(Op):
    """numpy.dot: inner product of vectors, matrix-vector and matrix-matrix products.

    For N-d inputs it sums over the last axis of `a` and the second-to-last of `b`.
    """

    __props__ = ()

    def make_node(self, a: Any, b: Any) -> Apply:
        a, b = as_tensor_variables(a, b)
        if a.ndim == 0 or b.ndim == 0:
            raise TypeError(f"dot needs tensors of at least 1 dim; got {a!r} ({a.ndim}-d) "
                            f"and {b!r} ({b.ndim}-d); use * for scalars")
        ka = a.type.shape[-1]
        kb = b.type.shape[-2] if b.ndim >= 2 else b.type.shape[0]
        if ka is not None and kb is not None and ka != kb:
            raise ValueError(f"dot: {a!r} has {ka} columns but {b!r} has {kb} rows")
        shape = a.type.shape[:-1] + b.type.shape[:-2] + (b.type.shape[-1:] if b.ndim >= 2 else ())
        dtype = dtypes.upcast(a.dtype, b.dtype)
        return Apply(self, [a, b], [TensorType(dtype, shape)()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        a, b = inputs
        ka = a.shape[-1]
        kb = b.shape[-2] if b.ndim >= 2 else b.shape[0]
        if ka != kb:
            x, y = node.inputs
            raise ValueError(f"dot: shapes {a.shape} ({x!r}) and {b.shape} ({y!r}) are not "
                             f"aligned: {ka} (dim {a.ndim - 1}) != {kb}")
        dtype = node.outputs[0].dtype
        return [np.asarray(np.dot(a.astype(dtype, copy=False), b.astype(dtype, copy=False)))]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        sa, sb = input_shapes
        return [tuple(sa[:-1]) + tuple(sb[:-2]) + (tuple(sb[-1:]) if len(sb) >= 2 else ())]
