"""Theano 1.0's tensor.slinalg: cholesky and solve (with the triangular and symmetric
variants), expm, kron; ops in tensordsl/ops/linalg.py, gradients with Theano's formulas."""

from __future__ import annotations

from typing import Any

from tensordsl.graph.convert import as_tensor_variable
from tensordsl.ops.linalg import Cholesky, Solve
from tensordsl.ops.linalg_extra import Expm, ExpmGrad
from tensordsl.tensor.basic import dimshuffle, reshape
from tensordsl.tensor.variable import TensorVariable

cholesky = Cholesky()
solve = Solve()
solve_lower_triangular = Solve(A_structure="lower_triangular", lower=True)
solve_upper_triangular = Solve(A_structure="upper_triangular", lower=False)
solve_symmetric = Solve(A_structure="symmetric")

expm = Expm()


def kron(a: Any, b: Any) -> TensorVariable:
    """The Kronecker product (scipy.linalg.kron for matrices; numpy.kron's rule when the
    dims differ: the smaller is padded with leading dims). The inputs' dims must sum to
    3 or more, as in Theano. Built from outer / reshape / dimshuffle (differentiable)."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim + b.ndim <= 2:
        raise TypeError(f"kron: inputs dimensions must sum to 3 or more. You passed "
                        f"{a.ndim} and {b.ndim}.")
    nd = max(a.ndim, b.ndim)
    a = dimshuffle(a, ["x"] * (nd - a.ndim) + list(range(a.ndim)))
    b = dimshuffle(b, ["x"] * (nd - b.ndim) + list(range(b.ndim)))
    # a[i...] * b[j...] with axes (a0, b0, a1, b1, ...), then each pair merged
    pa: list[Any] = []
    pb: list[Any] = []
    for d in range(nd):
        pa += [d, "x"]
        pb += ["x", d]
    prod = dimshuffle(a, pa) * dimshuffle(b, pb)
    return reshape(prod, [a.shape[d] * b.shape[d] for d in range(nd)], ndim=nd)


__all__ = ["Cholesky", "Solve", "Expm", "ExpmGrad", "cholesky", "solve",
           "solve_lower_triangular", "solve_upper_triangular", "solve_symmetric", "expm",
           "kron"]
