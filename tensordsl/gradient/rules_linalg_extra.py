"""Gradient rules of MatrixPinv and Expm (tensordsl.ops.linalg_extra)."""

from __future__ import annotations

from tensordsl.gradient.core import NotImplementedGrad, register_grad
from tensordsl.graph.basic import Apply
from tensordsl.ops.linalg_extra import SVD, Expm, ExpmGrad, MatrixPinv, QRFull
from tensordsl.tensor import basic_extra as tbe
from tensordsl.tensor import math as tm


@register_grad(MatrixPinv)
def _pinv(node: Apply, out_grads: list) -> list:
    # Golub & Pereyra (1973), for A of constant rank, with P = pinv(A):
    # -P^T G P^T + (I - A P) G^T P P^T + P^T P G^T (I - P A)
    (g,) = out_grads
    (a,) = node.inputs
    p = node.outputs[0]
    i_rows = tbe.eye(a.shape[0], dtype=p.dtype)
    i_cols = tbe.eye(a.shape[1], dtype=p.dtype)
    dot = tm.dot
    return [-dot(dot(p.T, g), p.T)
            + dot(dot(i_rows - dot(a, p), g.T), dot(p, p.T))
            + dot(dot(dot(p.T, p), g.T), i_cols - dot(p, a))]


@register_grad(Expm)
def _expm(node: Apply, out_grads: list) -> list:
    (g,) = out_grads
    return [ExpmGrad()(node.inputs[0], g)]


@register_grad(SVD, QRFull, ExpmGrad)
def _none(node: Apply, out_grads: list) -> list:
    return [NotImplementedGrad(f"the gradient of {node.op} is not implemented (as in "
                               f"Theano 1.0)") for _ in node.inputs]
