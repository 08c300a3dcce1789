"""Theano 1.0's tensor.nlinalg: matrix_inverse, det, eigh, trace, diag, extract_diag,
alloc_diag, matrix_dot, pinv, svd, qr, norm, matrix_power (ops in tensordsl/ops/linalg.py
and linalg_extra.py, gradients with Theano's formulas)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl.graph.convert import as_tensor_variable
from tensordsl.ops.linalg import AllocDiag, Det, Eigh, EighGrad, ExtractDiag, MatrixInverse
from tensordsl.ops.linalg_extra import SVD, MatrixPinv, QRFull
from tensordsl.tensor import math as tm
from tensordsl.tensor.basic_extra import diag
from tensordsl.tensor.variable import TensorVariable

matrix_inverse = MatrixInverse()
det = Det()
extract_diag = ExtractDiag()
alloc_diag = AllocDiag()


def eigh(a: Any, UPLO: str = "L") -> list[TensorVariable]:  # noqa: N803 - Theano's name
    """[w, v] = numpy.linalg.eigh(a, UPLO): ascending eigenvalues and eigenvectors."""
    return Eigh(UPLO)(a)


def trace(X: Any) -> TensorVariable:  # noqa: N803 - Theano's name
    """The sum of the main diagonal of the matrix X."""
    X = as_tensor_variable(X)  # noqa: N806
    if X.ndim != 2:
        raise TypeError(f"trace: expected a matrix, got {X!r} ({X.type})")
    return tm.sum(extract_diag(X))


def matrix_dot(*args: Any) -> TensorVariable:
    """dot(args[0], dot(args[1], ...)) left to right: the product of several matrices."""
    if not args:
        raise TypeError("matrix_dot: needs at least one matrix")
    out = as_tensor_variable(args[0])
    for a in args[1:]:
        out = tm.dot(out, a)
    return out


pinv = MatrixPinv()


def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True) -> Any:
    """numpy.linalg.svd: [U, s, V] (V is numpy's vh), or s alone when not compute_uv."""
    return SVD(full_matrices, compute_uv)(a)


def qr(a: Any, mode: str = "reduced") -> Any:
    """numpy.linalg.qr: [Q, R] ('reduced', 'complete'), R ('r') or [h, tau] ('raw')."""
    return QRFull(mode)(a)


def _is(ord: Any, text: str, number: float) -> bool:  # noqa: A002 - Theano's name
    """Whether `ord` is the order spelled `text` (Theano's) or the number `number`."""
    if isinstance(ord, str):
        return ord == text
    return not isinstance(ord, bool) and ord is not None and ord == number


def norm(x: Any, ord: Any = None) -> TensorVariable:  # noqa: A002 - Theano's name
    """Theano 1.0's norm of a vector or matrix, built from tensor ops (differentiable).

    Vectors: ord None (2-norm), 'inf' / -'inf' (max / min |x|), 0 (the count of
    non-zeros), a number p (sum |x|^p)^(1/p). Matrices: None / 'fro' (Frobenius),
    'inf' / '-inf' (max / min row sum of |x|), 1 / -1 (max / min column sum). np.inf
    may be given for 'inf'.
    """
    x = as_tensor_variable(x)
    if x.ndim == 0:
        raise ValueError("norm: 'axis' entry is out of bounds (x is a scalar)")
    if x.ndim > 2:
        raise NotImplementedError("We don't support norm with ndim > 2")
    ax = tm.abs(x)
    if x.ndim == 1:
        if ord is None:
            return tm.sqrt(tm.sum(tm.sqr(x)))  # type: ignore[attr-defined]
        if _is(ord, "inf", np.inf):
            return tm.max(ax)
        if _is(ord, "-inf", -np.inf):
            return tm.min(ax)
        if isinstance(ord, (int, float, np.integer, np.floating)) and not isinstance(ord, bool):
            if ord == 0:
                return tm.sum(tm.neq(x, 0), dtype="int64")
            return tm.sum(ax ** ord) ** (1.0 / ord)
        raise ValueError(f"Invalid norm order for vectors: {ord!r}")
    if ord is None or (isinstance(ord, str) and ord == "fro"):
        return tm.sqrt(tm.sum(tm.sqr(x)))  # type: ignore[attr-defined]
    if _is(ord, "inf", np.inf):
        return tm.max(tm.sum(ax, axis=1))
    if _is(ord, "-inf", -np.inf):
        return tm.min(tm.sum(ax, axis=1))
    if _is(ord, "1", 1):
        return tm.max(tm.sum(ax, axis=0))
    if _is(ord, "-1", -1):
        return tm.min(tm.sum(ax, axis=0))
    raise ValueError(f"Invalid norm order for matrices: {ord!r}")


def matrix_power(M: Any, n: int) -> TensorVariable:  # noqa: N803 - Theano's name
    """M to the integer power n (n < 0: of the inverse) by repeated squaring."""
    from tensordsl.tensor.basic_extra import eye

    M = as_tensor_variable(M)  # noqa: N806
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"matrix_power: n must be an int, got {n!r}")
    if n < 0:
        M, n = matrix_inverse(M), -n  # noqa: N806
    if n == 0:
        return eye(M.shape[-2], dtype=M.dtype)
    result = z = None
    while n > 0:
        z = M if z is None else tm.dot(z, z)
        n, bit = divmod(n, 2)
        if bit:
            result = z if result is None else tm.dot(result, z)
    return result  # type: ignore[return-value]


__all__ = ["MatrixInverse", "Det", "Eigh", "EighGrad", "ExtractDiag", "AllocDiag",
           "MatrixPinv", "SVD", "QRFull", "matrix_inverse", "det", "eigh", "trace", "diag",
           "extract_diag", "alloc_diag", "matrix_dot", "pinv", "svd", "qr", "norm",
           "matrix_power"]
