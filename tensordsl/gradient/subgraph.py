"""Theano 1.0's gradient.subgraph_grad: gradients of a graph piece by piece (e.g. layer
by layer, or with a gradient known at some variables)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tensordsl.gradient.core import grad
from tensordsl.graph.basic import Variable

__all__ = ["subgraph_grad"]


def subgraph_grad(wrt: list, end: list, start: Mapping | None = None, cost: Any = None,
                  details: bool = False) -> tuple:
    """Gradients with respect to `wrt` and to `end`, treating the `end` variables as
    constants (the gradient stops there).

    start: {variable: its gradient}, known gradients to propagate back from (Theano's
    known_grads); cost: an extra scalar cost. At least one is needed; with both, their
    gradients add. Returns (wrt grads, end grads), and with details also the
    gradients from `start` and from `cost` alone (lists over wrt + end, or None).
    """
    if cost is None and start is None:
        raise ValueError("subgraph_grad: give a cost, a start (known gradients) or both")
    if not isinstance(wrt, list) or not isinstance(end, list):
        raise TypeError("subgraph_grad: wrt and end must be lists of variables")
    if start is not None and not isinstance(start, Mapping):
        raise TypeError(f"subgraph_grad: start must be a dict {{variable: gradient}}, got "
                        f"{type(start).__name__}")
    params: list[Variable] = []
    for v in wrt + end:
        if not any(v is p for p in params):
            params.append(v)
    start_grads = cost_grads = None
    if start is not None:
        start_grads = list(grad(None, params, known_grads=dict(start), consider_constant=end,
                                disconnected_inputs="ignore"))
    if cost is not None:
        cost_grads = list(grad(cost, params, consider_constant=end,
                               disconnected_inputs="ignore"))
    if start_grads is None:
        grads = cost_grads
    elif cost_grads is None:
        grads = start_grads
    else:
        grads = [a + b for a, b in zip(start_grads, cost_grads)]
    by_var = {id(p): g for p, g in zip(params, grads)}  # type: ignore[arg-type]
    wrt_grads = [by_var[id(v)] for v in wrt]
    end_grads = [by_var[id(v)] for v in end]
    if details:
        return wrt_grads, end_grads, start_grads, cost_grads
    return wrt_grads, end_grads
