"""More of Theano 1.0's linear algebra: MatrixPinv, SVD, QRFull (nlinalg) and Expm with
the op computing its gradient (slinalg). numpy/scipy `perform`; gradients in
gradient/rules_linalg_extra.py (pinv: Golub & Pereyra's formula, expm: the adjoint
Frechet derivative; SVD and QR have none, as in Theano 1.0)."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg

from tensordsl import dtypes
from tensordsl.graph.basic import Apply, Op, Variable
from tensordsl.graph.convert import as_tensor_variable
from tensordsl.graph.type import TensorType
from tensordsl.ops.linalg import _check_square_value, _square

__all__ = ["Expm", "ExpmGrad", "MatrixPinv", "QRFull", "SVD"]


def _matrix(x: Any, who: str) -> Variable:
    x = as_tensor_variable(x)
    if x.ndim != 2:
        raise TypeError(f"{who}: expected a matrix, got {x} ({x.type})")
    if dtypes.is_complex(x.dtype):
        raise TypeError(f"{who}: complex matrices are not supported, got {x} ({x.type})")
    return x


def _matrix_type(dtype: str) -> TensorType:
    return TensorType(dtypes.float_of(dtype), (None, None))


class MatrixPinv(Op):
    """numpy.linalg.pinv: the Moore-Penrose pseudo-inverse (n x m of an m x n matrix)."""

    __props__ = ()

    def make_node(self, x: Any) -> Apply:
        x = _matrix(x, "pinv")
        n, m = x.type.shape
        return Apply(self, [x], [TensorType(dtypes.float_of(x.dtype), (m, n))()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        return [np.linalg.pinv(inputs[0]).astype(node.outputs[0].dtype, copy=False)]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        (n, m), = input_shapes
        return [(m, n)]


class SVD(Op):
    """numpy.linalg.svd(x, full_matrices): [U, s, V] (V is numpy's vh), or s alone
    when not compute_uv."""

    __props__ = ("full_matrices", "compute_uv")

    def __init__(self, full_matrices: bool = True, compute_uv: bool = True) -> None:
        self.full_matrices, self.compute_uv = bool(full_matrices), bool(compute_uv)

    def make_node(self, x: Any) -> Apply:
        x = _matrix(x, "svd")
        dtype = dtypes.float_of(x.dtype)
        s = TensorType(dtype, (None,))()
        if not self.compute_uv:
            return Apply(self, [x], [s])
        return Apply(self, [x], [_matrix_type(dtype)(), s, _matrix_type(dtype)()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        res = np.linalg.svd(inputs[0], full_matrices=self.full_matrices,
                            compute_uv=self.compute_uv)
        res = list(res) if self.compute_uv else [res]
        return [np.asarray(r, dtype=o.dtype) for r, o in zip(res, node.outputs)]


class QRFull(Op):
    """numpy.linalg.qr(x, mode): mode 'reduced' / 'complete' give [Q, R], 'r' gives R,
    'raw' gives [h, tau]."""

    __props__ = ("mode",)

    def __init__(self, mode: str = "reduced") -> None:
        if mode not in ("reduced", "complete", "r", "raw"):
            raise ValueError(f"qr: mode must be 'reduced', 'complete', 'r' or 'raw', got "
                             f"{mode!r}")
        self.mode = mode

    def make_node(self, x: Any) -> Apply:
        x = _matrix(x, "qr")
        dtype = dtypes.float_of(x.dtype)
        if self.mode == "r":
            return Apply(self, [x], [_matrix_type(dtype)()])
        second = TensorType(dtype, (None,))() if self.mode == "raw" else _matrix_type(dtype)()
        return Apply(self, [x], [_matrix_type(dtype)(), second])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        res = np.linalg.qr(inputs[0], mode=self.mode)
        res = [res] if self.mode == "r" else list(res)
        return [np.asarray(r, dtype=o.dtype) for r, o in zip(res, node.outputs)]


class Expm(Op):
    """scipy.linalg.expm: the matrix exponential of a square matrix."""

    __props__ = ()

    def make_node(self, x: Any) -> Apply:
        x = _square(x, "expm")
        return Apply(self, [x], [TensorType(dtypes.float_of(x.dtype), x.type.shape)()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        (x,) = inputs
        _check_square_value(x, node.inputs[0], "expm")
        return [scipy.linalg.expm(x).astype(node.outputs[0].dtype, copy=False)]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [input_shapes[0]]


class ExpmGrad(Op):
    """(A, G) -> the gradient of <G, expm(A)> with respect to A: the Frechet derivative
    of expm at A^T in the direction G (scipy.linalg.expm_frechet)."""

    __props__ = ()

    def make_node(self, a: Any, g: Any) -> Apply:
        a, g = as_tensor_variable(a), as_tensor_variable(g)
        return Apply(self, [a, g], [TensorType(dtypes.float_of(a.dtype), a.type.shape)()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        a, g = inputs
        out = scipy.linalg.expm_frechet(a.T, g, compute_expm=False)
        return [np.asarray(out, dtype=node.outputs[0].dtype)]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [input_shapes[0]]
