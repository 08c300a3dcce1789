"""Theano 1.0's tensor.nlinalg: matrix_inverse, det, eigh, trace, diag, extract_diag,
alloc_diag, matrix_dot (ops in tensordsl/ops/linalg.py, gradients with Theano's formulas)."""

from __future__ import annotations

from typing import Any

from tensordsl.graph.convert import as_tensor_variable
from tensordsl.ops.linalg import AllocDiag, Det, Eigh, EighGrad, ExtractDiag, MatrixInverse
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


__all__ = ["MatrixInverse", "Det", "Eigh", "EighGrad", "ExtractDiag", "AllocDiag",
           "matrix_inverse", "det", "eigh", "trace", "diag", "extract_diag", "alloc_diag",
           "matrix_dot"]
