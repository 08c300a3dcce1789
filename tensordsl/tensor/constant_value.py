"""Theano 1.0's get_scalar_constant_value: the value of a scalar known while the graph
is built (a constant, a static size, or ops applied to such values), else
NotScalarConstantError."""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl.graph.basic import Constant, Variable
from tensordsl.ops.elemwise import Elemwise
from tensordsl.ops.shape import Shape
from tensordsl.ops.subtensor import Subtensor

__all__ = ["EmptyConstantError", "NotScalarConstantError", "get_scalar_constant_value"]


class NotScalarConstantError(Exception):
    """The variable is not a scalar whose value is known while the graph is built."""


class EmptyConstantError(NotScalarConstantError):
    """The constant is an empty array."""


def _scalar(data: np.ndarray, what: Any) -> np.ndarray:
    if data.size == 0:
        raise EmptyConstantError(f"{what} is an empty constant")
    if data.size != 1:
        raise NotScalarConstantError(f"{what} holds {data.size} values, not one")
    return np.asarray(data.reshape(()))


def _fold(v: Variable, elemwise: bool, depth: int) -> np.ndarray:
    """v's value, computed from constants and static sizes, or NotScalarConstantError."""
    if isinstance(v, Constant):
        return v.data
    node = v.owner
    if node is None or depth <= 0:
        raise NotScalarConstantError(f"{v} is not a constant")
    if isinstance(node.op, Shape):
        static = node.inputs[0].type.shape
        if None in static:
            raise NotScalarConstantError(f"the shape of {node.inputs[0]} is not static")
        return np.asarray(static, dtype="int64")
    source = node.inputs[0].owner if node.inputs else None
    if isinstance(node.op, Subtensor) and source is not None and isinstance(source.op, Shape):
        # x.shape[i]: the static sizes, -1 where unknown (refused if selected)
        sizes = np.asarray([-1 if s is None else s for s in source.inputs[0].type.shape],
                           dtype="int64")
        picked = node.op.perform(node, [sizes, *[_fold(i, elemwise, depth - 1)
                                                 for i in node.inputs[1:]]])[0]
        if (np.asarray(picked) < 0).any():
            raise NotScalarConstantError(f"{v} is a size of {source.inputs[0]} known only at "
                                         f"run time")
        return picked
    if isinstance(node.op, Elemwise) and not elemwise:
        raise NotScalarConstantError(f"{v} is an elementwise result (elemwise=False)")
    if getattr(node.op, "destroy_map", None) or not hasattr(node.op, "perform"):
        raise NotScalarConstantError(f"{v} cannot be folded")
    values = [_fold(i, elemwise, depth - 1) for i in node.inputs]
    return node.op.perform(node, values)[v.index]


def get_scalar_constant_value(orig_v: Any, elemwise: bool = True,
                              only_process_constants: bool = False,
                              max_recur: int = 10) -> np.ndarray:
    """The value (a 0-d array) of a scalar known now: a number, a one-element array or
    constant, or (unless only_process_constants) a graph of at most `max_recur` levels
    over constants and static sizes, evaluated with the ops' numpy `perform`
    (through elementwise ops only when `elemwise`). Else NotScalarConstantError."""
    if orig_v is None:
        raise NotScalarConstantError("None is not a constant")
    if isinstance(orig_v, (bool, int, float, complex, np.number, np.bool_)):
        return np.asarray(orig_v)
    if isinstance(orig_v, np.ndarray):
        return _scalar(orig_v, "the array")
    if isinstance(orig_v, Constant):
        return _scalar(orig_v.data, orig_v)
    if not isinstance(orig_v, Variable) or only_process_constants:
        raise NotScalarConstantError(f"{orig_v!s} is not a constant")
    return _scalar(np.asarray(_fold(orig_v, elemwise, max_recur)), orig_v)
