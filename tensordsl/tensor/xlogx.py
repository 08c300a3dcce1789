"""Theano's tensor.xlogx: x * log(x) and x * log(y) with the 0 * log(0) = 0 convention."""

from __future__ import annotations

from typing import Any

from tensordsl.graph.convert import as_tensor_variables
from tensordsl.tensor import math as tm
from tensordsl.tensor.variable import TensorVariable


def xlogx(x: Any) -> TensorVariable:
    """x * log(x), with 0 where x == 0 (and a finite gradient there)."""
    (x,) = as_tensor_variables(x)
    zero = tm.eq(x, 0)
    # log of 1 where x is 0 keeps both the value and the gradient free of 0 * -inf
    return tm.switch(zero, 0, x * tm.log(tm.switch(zero, 1, x)))  # type: ignore[attr-defined]


def xlogy0(x: Any, y: Any) -> TensorVariable:
    """x * log(y), with 0 where x == 0 (whatever y is)."""
    x, y = as_tensor_variables(x, y)
    zero = tm.eq(x, 0)
    return tm.switch(zero, 0, x * tm.log(tm.switch(zero, 1, y)))  # type: ignore[attr-defined]


__all__ = ["xlogx", "xlogy0"]
