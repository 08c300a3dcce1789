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


class Gemm(Op):
    """BLAS-shaped product: alpha * dot(a, b) + beta * c (the specialised `x @ W + b`).

    Inputs are (c, alpha, a, b, beta): `a` and `b` have 1 or 2 dims (gemm, gemv or a dot
    product), `alpha` and `beta` are scalars, and `c` broadcasts (numpy rules) against
    dot(a, b), e.g. a bias row. Every input has the output dtype, so a backend can call
    BLAS ?gemm/?gemv directly (copying a broadcast `c` into the output first, beta=1).
    The numpy reference computes exactly `alpha * np.dot(a, b) + beta * c`, skipping
    the multiplications by 1 so that alpha = beta = 1 equals `np.dot(a, b) + c`.
    """

    __props__ = ()

    def make_node(self, c: Any, alpha: Any, a: Any, b: Any, beta: Any) -> Apply:
        c, alpha, a, b, beta = as_tensor_variables(c, alpha, a, b, beta)
        dot = Dot().make_node(a, b).outputs[0]
        for what, var in (("c", c), ("alpha", alpha), ("a", a), ("b", b), ("beta", beta)):
            if var.dtype != dot.dtype:
                raise TypeError(f"gemm: {what} ({var!r}) must be {dot.dtype}, got {var.dtype}")
        if a.ndim > 2 or b.ndim > 2:
            raise TypeError(f"gemm: a and b must have 1 or 2 dims, got {a.ndim} and {b.ndim}")
        if alpha.ndim != 0 or beta.ndim != 0:
            raise TypeError("gemm: alpha and beta must be scalars")
        if c.ndim != dot.ndim:
            raise TypeError(f"gemm: c must have {dot.ndim} dims, got {c.ndim}")
        from tensordsl.ops.elemwise import broadcast_static_shapes

        shape = broadcast_static_shapes([dot.type.shape, c.type.shape], "gemm")
        return Apply(self, [c, alpha, a, b, beta], [TensorType(dot.dtype, shape)()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        c, alpha, a, b, beta = inputs
        dtype = node.outputs[0].dtype
        ka, kb = a.shape[-1], (b.shape[-2] if b.ndim >= 2 else b.shape[0])
        if ka != kb:
            raise ValueError(f"gemm: shapes {a.shape} ({node.inputs[2]!r}) and {b.shape} "
                             f"({node.inputs[3]!r}) are not aligned: {ka} != {kb}")
        product = np.asarray(np.dot(a, b))
        if alpha != 1:
            product = alpha * product
        term = c if beta == 1 else beta * c
        return [np.asarray(product + term, dtype=dtype)]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        sc, _, sa, sb, _ = input_shapes
        return _gemm_shape(node, sc, Dot().infer_shape(node, [sa, sb])[0])


def _gemm_shape(node: Apply, sc: tuple, sd: tuple) -> list[tuple]:
    """Broadcast shape of c and dot(a, b) for Gemm.infer_shape."""
    from tensordsl.tensor import math as tm

    c = node.inputs[0]
    return [tuple(d if c.type.shape[i] == 1 else tm.maximum(d, s)
                  for i, (s, d) in enumerate(zip(sc, sd)))]
