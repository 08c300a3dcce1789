"""Small helpers shared by the rewrite modules: building replacement nodes."""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl import dtypes
from tensordsl.graph.basic import Apply, Variable
from tensordsl.graph.convert import constant
from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.ops import scalar as ps
from tensordsl.tensor import math as tm


def op(name: str, *args: Variable) -> Variable:
    """Apply the Elemwise of scalar op `name` to `args`."""
    return tm.elemwise(ps.get(name))(*args)


def as_dtype(var: Variable, dtype: str) -> Variable:
    """`var` cast to `dtype` (itself when it already has it)."""
    return var if var.dtype == dtype else tm.elemwise(ps.Cast(dtype))(var)


def out_of(node: Apply) -> Variable:
    """The single output of `node`."""
    return node.outputs[0]


def const_like(value: Any, var: Variable) -> Variable:
    """A scalar constant of `var`'s dtype, with all dims of size 1 up to `var`'s rank."""
    data = np.asarray(value, dtype=var.dtype).reshape((1,) * var.ndim)
    return constant(data, dtype=var.dtype)


def fill(like: Variable, value: Any, dtype: str) -> Variable:
    """A tensor of `like`'s shape filled with `value` of `dtype` (Theano's second)."""
    return tm.second(like, constant(np.asarray(value, dtype=dtype).reshape((1,) * like.ndim),
                                    dtype=dtype))


def single_client(fgraph: FunctionGraph, var: Variable) -> bool:
    """True when exactly one node uses `var` and it is not a graph output."""
    users = fgraph.clients.get(var, [])
    return len(users) == 1 and users[0][0] != "output"


def is_float(var: Variable) -> bool:
    """True for real floating dtypes."""
    return dtypes.is_float(var.dtype)


def is_int(var: Variable) -> bool:
    """True for integer (not bool) dtypes."""
    return dtypes.is_int(var.dtype)


def same_float_dtype(build: Any) -> Any:
    """A rule body calling `build(x)` only when x is a float and the matched node's result
    keeps x's dtype (a replacement must not change the dtype)."""
    def run(node: Apply, x: Variable, **_: Any) -> Any:
        if not is_float(x) or x.dtype != out_of(node).dtype:
            return None
        return build(x)
    return run
