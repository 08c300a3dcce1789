"""Gradient rules of the linear-algebra ops (tensordsl.ops.linalg), Theano 1.0's formulas."""

from __future__ import annotations

from tensordsl import dtypes
from tensordsl.gradient.core import NotImplementedGrad, register_grad
from tensordsl.graph.basic import Apply
from tensordsl.ops.linalg import (
    AllocDiag,
    Cholesky,
    Det,
    Eigh,
    EighGrad,
    ExtractDiag,
    MatrixInverse,
    SetDiagonal,
    Solve,
)
from tensordsl.tensor import math as tm


def _float_or_none(var, g):  # noqa: ANN001, ANN202 - a Variable and its gradient
    return g if dtypes.is_float(var.dtype) else None


@register_grad(MatrixInverse)
def _inverse(node: Apply, out_grads: list) -> list:
    # d(X^-1) = -X^-1 dX X^-1, so the gradient is -X^-T gz X^-T
    (gz,) = out_grads
    xi = node.outputs[0]
    return [_float_or_none(node.inputs[0], -tm.dot(tm.dot(xi.T, gz), xi.T))]


@register_grad(Det)
def _det(node: Apply, out_grads: list) -> list:
    (gz,) = out_grads
    (x,) = node.inputs
    return [_float_or_none(x, gz * node.outputs[0] * MatrixInverse()(x).T)]


@register_grad(Eigh)
def _eigh(node: Apply, out_grads: list) -> list:
    (x,) = node.inputs
    w, v = node.outputs
    gw, gv = out_grads
    gw = tm.zeros_like(w) if gw is None else gw
    gv = tm.zeros_like(v) if gv is None else gv
    return [_float_or_none(x, EighGrad(node.op.UPLO)(x, w, v, gw, gv))]


@register_grad(EighGrad)
def _eigh_grad(node: Apply, out_grads: list) -> list:
    return [NotImplementedGrad("the second derivative of eigh is not implemented")] * 5


def _tril(m, k: int = 0):  # noqa: ANN001, ANN202
    from tensordsl.tensor.basic_extra import tril

    return tril(m, k)


def _triu(m, k: int = 0):  # noqa: ANN001, ANN202
    from tensordsl.tensor.basic_extra import triu

    return triu(m, k)


def _diag_part(m):  # noqa: ANN001, ANN202
    """diag(diagonal(m)): m with everything off the diagonal zeroed."""
    return SetDiagonal()(tm.zeros_like(m), ExtractDiag()(m))


@register_grad(Cholesky)
def _cholesky(node: Apply, out_grads: list) -> list:
    """I. Murray, "Differentiation of the Cholesky decomposition" (arXiv:1602.07527), as in
    Theano 1.0's Cholesky.L_op."""
    (dz,) = out_grads
    (x,) = node.inputs
    chol_x = node.outputs[0]
    if not node.op.lower:
        chol_x, dz = chol_x.T, dz.T
    upper = Solve("upper_triangular")

    def conjugate_solve_triangular(outer, inner):  # noqa: ANN001, ANN202
        # L^-T P L^-1 for lower-triangular L
        return upper(outer.T, upper(outer.T, inner.T).T)

    phi = _tril(tm.dot(chol_x.T, dz)) - _diag_part(tm.dot(chol_x.T, dz)) * 0.5
    s = conjugate_solve_triangular(chol_x, phi)
    tri = _tril if node.op.lower else _triu
    return [_float_or_none(x, tri(s + s.T) - _diag_part(s))]


@register_grad(Solve)
def _solve(node: Apply, out_grads: list) -> list:
    (c_bar,) = out_grads
    a, b = node.inputs
    c = node.outputs[0]
    flip = {"lower_triangular": "upper_triangular", "upper_triangular": "lower_triangular"}
    structure = node.op.A_structure
    b_bar = Solve(flip.get(structure, structure), not node.op.lower)(a.T, c_bar)
    a_bar = -tm.outer(b_bar, c) if c.ndim == 1 else -tm.dot(b_bar, c.T)
    if structure == "lower_triangular":
        a_bar = _tril(a_bar)
    elif structure == "upper_triangular":
        a_bar = _triu(a_bar)
    return [_float_or_none(a, a_bar), _float_or_none(b, b_bar)]


@register_grad(ExtractDiag)
def _extract_diag(node: Apply, out_grads: list) -> list:
    (gz,) = out_grads
    (x,) = node.inputs
    op = node.op
    zeros = tm.zeros_like(x, dtype=gz.dtype)
    return [_float_or_none(x, SetDiagonal(op.offset, op.axis1, op.axis2)(zeros, gz))]


@register_grad(SetDiagonal)
def _set_diagonal(node: Apply, out_grads: list) -> list:
    (gz,) = out_grads
    x, values = node.inputs
    op = node.op
    extract = ExtractDiag(op.offset, op.axis1, op.axis2)
    g_x = SetDiagonal(op.offset, op.axis1, op.axis2)(gz, tm.zeros_like(extract(gz)))
    return [_float_or_none(x, g_x), _float_or_none(values, extract(gz))]


@register_grad(AllocDiag)
def _alloc_diag(node: Apply, out_grads: list) -> list:
    (gz,) = out_grads
    return [_float_or_none(node.inputs[0], ExtractDiag(node.op.offset)(gz))]
