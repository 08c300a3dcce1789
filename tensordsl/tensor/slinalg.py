"""Theano 1.0's tensor.slinalg: cholesky and solve (with the triangular and symmetric
variants); ops in tensordsl/ops/linalg.py, gradients with Theano's formulas."""

from __future__ import annotations

from tensordsl.ops.linalg import Cholesky, Solve

cholesky = Cholesky()
solve = Solve()
solve_lower_triangular = Solve(A_structure="lower_triangular", lower=True)
solve_upper_triangular = Solve(A_structure="upper_triangular", lower=False)
solve_symmetric = Solve(A_structure="symmetric")

__all__ = ["Cholesky", "Solve", "cholesky", "solve", "solve_lower_triangular",
           "solve_upper_triangular", "solve_symmetric"]
