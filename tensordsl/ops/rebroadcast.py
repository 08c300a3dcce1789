"""Theano's Rebroadcast: x, with some dims declared broadcastable (static size 1,
checked at run time) or not (their static size forgotten).

tensordsl's types know a static size per dim; "broadcastable" is a static size of 1.
addbroadcast / unbroadcast / patternbroadcast (tensor/basic_extra.py) build this op.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl.graph.basic import Apply, Op
from tensordsl.graph.convert import as_tensor_variable
from tensordsl.graph.type import TensorType

__all__ = ["Rebroadcast"]


class Rebroadcast(Op):
    """Rebroadcast((dim, flag), ...): dim `dim` of the output is broadcastable (size 1)
    when `flag`, else of unknown size. Theano 1.0's op; a size other than 1 in a dim
    declared broadcastable is a ValueError at run time (at build when static)."""

    __props__ = ("axis",)
    view_map = {0: [0]}

    def __init__(self, *axis: tuple[int, bool]) -> None:
        pairs = []
        for entry in axis:
            if (not isinstance(entry, (tuple, list)) or len(entry) != 2
                    or not isinstance(entry[0], (int, np.integer))
                    or not isinstance(entry[1], (bool, np.bool_))):
                raise TypeError(f"Rebroadcast: each entry must be a (dim, bool) pair, got "
                                f"{entry!r}")
            pairs.append((int(entry[0]), bool(entry[1])))
        self.axis = tuple(sorted(dict(pairs).items()))

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        static = list(x.type.shape)
        for dim, flag in self.axis:
            if not -x.ndim <= dim < x.ndim:
                raise ValueError(f"Rebroadcast: dim {dim} is out of range for {x} "
                                 f"({x.ndim} dims)")
            d = dim % x.ndim
            if flag and static[d] not in (None, 1):
                raise ValueError(f"Rebroadcast: dim {dim} of {x} has static size "
                                 f"{static[d]}, it cannot be made broadcastable")
            if flag:
                static[d] = 1
            elif static[d] == 1:
                static[d] = None
        return Apply(self, [x], [TensorType(x.dtype, tuple(static))()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        (x,) = inputs
        for dim, flag in self.axis:
            if flag and x.shape[dim] != 1:
                raise ValueError(f"Dimension {dim} in Rebroadcast's input was supposed to be "
                                 f"1 (got {x.shape[dim]} instead): {node.inputs[0]}")
        return [x]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [input_shapes[0]]
