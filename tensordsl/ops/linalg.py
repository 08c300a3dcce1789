"""Linear-algebra ops (Theano's nlinalg / slinalg): MatrixInverse, Det, Eigh (and the
op computing its gradient), Cholesky, Solve, ExtractDiag, AllocDiag, SetDiagonal.

numpy/scipy `perform` is the reference and the only implementation (every backend runs
it). Gradient rules are in `tensordsl.gradient.rules_linalg`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg

from tensordsl import dtypes
from tensordsl.graph.basic import Apply, Op, Variable
from tensordsl.graph.convert import as_tensor_variable
from tensordsl.graph.type import TensorType


def _square(x: Any, who: str) -> Variable:
    x = as_tensor_variable(x)
    if x.ndim != 2:
        raise TypeError(f"{who}: expected a matrix, got {x!r} ({x.type})")
    if dtypes.is_complex(x.dtype):
        raise TypeError(f"{who}: complex matrices are not supported, got {x!r} ({x.type})")
    n, m = x.type.shape
    if n is not None and m is not None and n != m:
        raise ValueError(f"{who}: expected a square matrix, got {x!r} of static shape {n}x{m}")
    return x


def _check_square_value(value: np.ndarray, var: Variable, who: str) -> None:
    if value.shape[0] != value.shape[1]:
        raise ValueError(f"{who}: {var!r} must be a square matrix, got shape {value.shape}")


def _out_dtype(*in_dtypes: str) -> str:
    """Float results; integer matrices give float64 (Theano: float_of the inputs)."""
    return dtypes.float_of(*in_dtypes)


class MatrixInverse(Op):
    """numpy.linalg.inv of a square matrix."""

    __props__ = ()

    def make_node(self, x: Any) -> Apply:
        x = _square(x, "matrix_inverse")
        return Apply(self, [x], [TensorType(_out_dtype(x.dtype), x.type.shape)()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        (x,) = inputs
        _check_square_value(x, node.inputs[0], "matrix_inverse")
        return [np.linalg.inv(x).astype(node.outputs[0].dtype, copy=False)]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [input_shapes[0]]


class Det(Op):
    """numpy.linalg.det of a square matrix (a scalar)."""

    __props__ = ()

    def make_node(self, x: Any) -> Apply:
        x = _square(x, "det")
        return Apply(self, [x], [TensorType(_out_dtype(x.dtype), ())()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        (x,) = inputs
        _check_square_value(x, node.inputs[0], "det")
        return [np.asarray(np.linalg.det(x), dtype=node.outputs[0].dtype)]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [()]


class Eigh(Op):
    """numpy.linalg.eigh(x, UPLO): ascending eigenvalues w and eigenvectors v (columns) of
    a symmetric matrix, read from its lower ('L') or upper ('U') triangle."""

    __props__ = ("UPLO",)

    def __init__(self, UPLO: str = "L") -> None:  # noqa: N803 - Theano's argument name
        if UPLO not in ("L", "U"):
            raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
        self.UPLO = UPLO

    def make_node(self, x: Any) -> Apply:
        x = _square(x, "eigh")
        dtype = _out_dtype(x.dtype)
        return Apply(self, [x], [TensorType(dtype, (x.type.shape[0],))(),
                                 TensorType(dtype, x.type.shape)()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        (x,) = inputs
        _check_square_value(x, node.inputs[0], "eigh")
        w, v = np.linalg.eigh(x, self.UPLO)
        dtype = node.outputs[0].dtype
        return [w.astype(dtype, copy=False), v.astype(dtype, copy=False)]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [(input_shapes[0][0],), input_shapes[0]]


class EighGrad(Op):
    """The gradient of Eigh with respect to its input, given (x, w, v, gw, gv): Theano
    1.0's formula, restricted to the triangle eigh reads."""

    __props__ = ("UPLO",)

    def __init__(self, UPLO: str = "L") -> None:  # noqa: N803
        self.UPLO = UPLO

    def make_node(self, x: Any, w: Any, v: Any, gw: Any, gv: Any) -> Apply:
        inputs = [as_tensor_variable(t) for t in (x, w, v, gw, gv)]
        return Apply(self, inputs, [inputs[0].type.clone(dtype=inputs[2].dtype)()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        _, w, v, gw, gv = inputs
        n = w.shape[0]
        g = np.zeros((n, n))
        for i in range(n):
            # the contribution of eigenvalue i and of the change of eigenvector i
            term = v[:, i] * gw[i]
            for m in range(n):
                if m != i:
                    term = term + v[:, m] * (gv[:, i] @ v[:, m]) / (w[i] - w[m])
            g += np.outer(v[:, i], term)
        # eigh reads one triangle: the other's entries have zero gradient, and an
        # off-diagonal entry stands for both symmetric entries
        if self.UPLO == "L":
            out = np.tril(g) + np.triu(g, 1).T
        else:
            out = np.triu(g) + np.tril(g, -1).T
        return [out.astype(node.outputs[0].dtype)]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [input_shapes[0]]


class Cholesky(Op):
    """The Cholesky factor of a symmetric positive-definite matrix (lower by default)."""

    __props__ = ("lower",)

    def __init__(self, lower: bool = True) -> None:
        self.lower = bool(lower)

    def make_node(self, x: Any) -> Apply:
        x = _square(x, "cholesky")
        return Apply(self, [x], [TensorType(_out_dtype(x.dtype), x.type.shape)()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        (x,) = inputs
        _check_square_value(x, node.inputs[0], "cholesky")
        try:
            out = scipy.linalg.cholesky(x, lower=self.lower)
        except np.linalg.LinAlgError as err:
            raise np.linalg.LinAlgError(f"cholesky: {node.inputs[0]!r} is not positive "
                                        f"definite ({err})") from None
        return [out.astype(node.outputs[0].dtype, copy=False)]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [input_shapes[0]]


SOLVE_STRUCTURES = ("general", "symmetric", "lower_triangular", "upper_triangular")


class Solve(Op):
    """x with A x = b (b a vector or a matrix of right-hand sides); A's structure picks
    scipy's solver (a triangular A is read from that triangle only)."""

    __props__ = ("A_structure", "lower")

    def __init__(self, A_structure: str = "general", lower: bool = False) -> None:  # noqa: N803
        if A_structure not in SOLVE_STRUCTURES:
            raise ValueError(f"solve: A_structure must be one of {', '.join(SOLVE_STRUCTURES)}"
                             f", got {A_structure!r}")
        self.A_structure, self.lower = A_structure, bool(lower)

    def make_node(self, a: Any, b: Any) -> Apply:
        a = _square(a, "solve")
        b = as_tensor_variable(b)
        if b.ndim not in (1, 2):
            raise TypeError(f"solve: b must be a vector or a matrix, got {b!r} ({b.type})")
        return Apply(self, [a, b], [TensorType(_out_dtype(a.dtype, b.dtype),
                                               (a.type.shape[1],) + b.type.shape[1:])()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        a, b = inputs
        _check_square_value(a, node.inputs[0], "solve")
        if a.shape[0] != b.shape[0]:
            raise ValueError(f"solve: {node.inputs[0]!r} of shape {a.shape} and "
                             f"{node.inputs[1]!r} of shape {b.shape} do not match")
        if self.A_structure == "lower_triangular":
            out = scipy.linalg.solve_triangular(a, b, lower=True)
        elif self.A_structure == "upper_triangular":
            out = scipy.linalg.solve_triangular(a, b, lower=False)
        elif self.A_structure == "symmetric":
            out = scipy.linalg.solve(a, b, assume_a="sym", lower=self.lower)
        else:
            out = scipy.linalg.solve(a, b)
        return [np.asarray(out, dtype=node.outputs[0].dtype)]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [(input_shapes[0][1],) + tuple(input_shapes[1][1:])]


def _diag_axes(ndim: int, axis1: int, axis2: int, who: str) -> tuple[int, int]:
    a1, a2 = axis1 % ndim if -ndim <= axis1 < ndim else None, \
        axis2 % ndim if -ndim <= axis2 < ndim else None
    if a1 is None or a2 is None or a1 == a2:
        raise ValueError(f"{who}: axis1={axis1} and axis2={axis2} must be two different axes "
                         f"of a {ndim}-d tensor")
    return a1, a2


class ExtractDiag(Op):
    """numpy.diagonal(x, offset, axis1, axis2) as a copy; the diagonal is the last dim."""

    __props__ = ("offset", "axis1", "axis2")

    def __init__(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> None:
        self.offset, self.axis1, self.axis2 = int(offset), int(axis1), int(axis2)

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if x.ndim < 2:
            raise TypeError(f"diagonal: expected a tensor of 2+ dims, got {x!r} ({x.type})")
        a1, a2 = _diag_axes(x.ndim, self.axis1, self.axis2, "diagonal")
        rest = tuple(s for d, s in enumerate(x.type.shape) if d not in (a1, a2))
        n1, n2 = x.type.shape[a1], x.type.shape[a2]
        size = None
        if n1 is not None and n2 is not None:
            k = self.offset
            size = max(0, min(n1 + min(k, 0), n2 - max(k, 0)))
        return Apply(self, [x], [TensorType(x.dtype, rest + (size,))()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        (x,) = inputs
        return [np.diagonal(x, self.offset, self.axis1, self.axis2).copy()]


class SetDiagonal(Op):
    """A copy of x with diagonal(x, offset, axis1, axis2) replaced by `values`, whose last
    dim runs along the diagonal (the gradient of ExtractDiag, and its inverse)."""

    __props__ = ("offset", "axis1", "axis2")

    def __init__(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> None:
        self.offset, self.axis1, self.axis2 = int(offset), int(axis1), int(axis2)

    def make_node(self, x: Any, values: Any) -> Apply:
        x, values = as_tensor_variable(x), as_tensor_variable(values)
        if values.ndim != x.ndim - 1:
            raise TypeError(f"SetDiagonal: values must have {x.ndim - 1} dims, got "
                            f"{values.type}")
        return Apply(self, [x, values], [x.type()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        x, values = inputs
        out = x.copy()
        a1, a2 = _diag_axes(x.ndim, self.axis1, self.axis2, "SetDiagonal")
        n = values.shape[-1]
        rows = np.arange(n) + max(-self.offset, 0)
        cols = np.arange(n) + max(self.offset, 0)
        np.moveaxis(out, (a1, a2), (-2, -1))[..., rows, cols] = values
        return [out]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [input_shapes[0]]


class AllocDiag(Op):
    """numpy.diag(v, offset): a square matrix with the vector v on its offset diagonal."""

    __props__ = ("offset",)

    def __init__(self, offset: int = 0) -> None:
        self.offset = int(offset)

    def make_node(self, v: Any) -> Apply:
        v = as_tensor_variable(v)
        if v.ndim != 1:
            raise TypeError(f"AllocDiag: expected a vector, got {v!r} ({v.type})")
        n = v.type.shape[0]
        size = None if n is None else n + abs(self.offset)
        return Apply(self, [v], [TensorType(v.dtype, (size, size))()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        return [np.diag(inputs[0], self.offset)]
