"""jacobian and hessian, built with scan over the rows of the expression (as Theano)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tensordsl.graph.basic import Variable
from tensordsl.graph.convert import as_tensor_variable


def _listed(wrt: Any) -> tuple[list[Variable], bool]:
    if isinstance(wrt, (list, tuple)):
        return [as_tensor_variable(w) for w in wrt], True
    return [as_tensor_variable(wrt)], False


def jacobian(expression: Any, wrt: Any, consider_constant: Sequence[Variable] | None = None,
             disconnected_inputs: str = "raise") -> Any:
    """d expression[i] / d wrt, shaped expression.shape + wrt.shape, per `wrt`.

    `expression` is a vector (a scalar gives the plain gradient). One scan step per
    element of the expression computes that element's gradient.
    """
    from tensordsl.gradient.core import grad
    from tensordsl.scan.basic import scan
    from tensordsl.tensor import basic as tb

    expression = as_tensor_variable(expression)
    wrt_list, is_list = _listed(wrt)
    if expression.ndim == 0:
        grads = grad(expression, wrt_list, consider_constant=consider_constant,
                     disconnected_inputs=disconnected_inputs)
        return grads if is_list else grads[0]
    if expression.ndim != 1:
        raise TypeError(f"jacobian: the expression {expression!r} must be a vector (or a "
                        f"scalar), got a {expression.ndim}-d tensor; flatten it first")

    def row(i: Variable, expr: Variable, *ws: Variable) -> list[Variable]:
        return grad(expr[i], list(ws), consider_constant=consider_constant,
                    disconnected_inputs=disconnected_inputs)

    rows, _ = scan(row, sequences=tb.arange(tb.shape(expression)[0]),
                   non_sequences=[expression, *wrt_list], return_list=True)
    return rows if is_list else rows[0]


def hessian(cost: Any, wrt: Any, consider_constant: Sequence[Variable] | None = None,
            disconnected_inputs: str = "raise") -> Any:
    """The matrix of second derivatives of the scalar `cost` per vector in `wrt`."""
    from tensordsl.gradient.core import grad

    cost = as_tensor_variable(cost)
    if cost.ndim != 0:
        raise TypeError(f"hessian: the cost {cost!r} must be a scalar, got a {cost.ndim}-d "
                        f"tensor")
    wrt_list, is_list = _listed(wrt)
    result = []
    for i, w in enumerate(wrt_list):
        if w.ndim != 1:
            raise TypeError(f"hessian: wrt[{i}] = {w!r} must be a vector, got a {w.ndim}-d "
                            f"tensor")
        g = grad(cost, w, consider_constant=consider_constant,
                 disconnected_inputs=disconnected_inputs)
        result.append(jacobian(g, w, consider_constant=consider_constant,
                               disconnected_inputs=disconnected_inputs))
    return result if is_list else result[0]
