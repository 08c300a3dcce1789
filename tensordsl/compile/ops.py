"""Theano 1.0's theano.compile.ops.as_op: a Python function on numpy arrays as an Op.

    @as_op(itypes=[T.dmatrix], otypes=[T.dvector])
    def row_norms(m):
        return np.sqrt((m ** 2).sum(axis=1))

The op runs the function on the host in every backend (the C backend's schedule
falls back to `perform` for ops it has no rule for). As in Theano it has no gradient;
`infer_shape(node, input_shapes)`, when given, is the op's `infer_shape` (Theano's
API; tensordsl's compiler computes shapes by running the graph, so it is there for code
that calls it).
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tensordsl.graph.basic import Apply, Op
from tensordsl.graph.op_compat import make_node_from_types
from tensordsl.graph.type import TensorType

__all__ = ["FromFunctionOp", "as_op"]


def _types(types: Any, what: str) -> tuple[TensorType, ...]:
    types = tuple(types) if isinstance(types, (list, tuple)) else (types,)
    for t in types:
        if not isinstance(t, TensorType):
            raise TypeError(f"as_op: {what} must be TensorTypes (e.g. T.dmatrix), got {t!r}")
    return types


class FromFunctionOp(Op):
    """The Op that `as_op` builds around `fn` (compared by the function itself)."""

    __props__ = ("fn", "itypes", "otypes", "infer_shape_fn")

    def __init__(self, fn: Callable, itypes: Sequence[TensorType], otypes: Sequence[TensorType],
                 infer_shape: Callable | None = None) -> None:
        self.fn = fn
        self.itypes, self.otypes = _types(itypes, "itypes"), _types(otypes, "otypes")
        self.infer_shape_fn = infer_shape
        self.__name__ = getattr(fn, "__name__", type(self).__name__)

    def __str__(self) -> str:
        return f"FromFunctionOp{{{self.__name__}}}"

    __repr__ = __str__

    def make_node(self, *inputs: Any) -> Apply:
        if len(inputs) != len(self.itypes):
            raise TypeError(f"{self}: expected {len(self.itypes)} inputs, got {len(inputs)}")
        return make_node_from_types(self, self.itypes, self.otypes, inputs)

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        outs = self.fn(*inputs)
        if not isinstance(outs, (list, tuple)):
            outs = [outs]
        if len(outs) != len(self.otypes):
            raise ValueError(f"{self}: the function returned {len(outs)} values for "
                             f"{len(self.otypes)} otypes")
        return [out.type.filter(v, name=f"output {i} of {self}", allow_downcast=True)
                for i, (v, out) in enumerate(zip(outs, node.outputs))]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        if self.infer_shape_fn is None:
            raise NotImplementedError(f"{self}: as_op was given no infer_shape")
        return list(self.infer_shape_fn(node, input_shapes))

    def __reduce__(self) -> tuple:
        # as Theano: by reference to the module-level name the decorator bound to this op
        mod, name = getattr(self.fn, "__module__", None), getattr(self.fn, "__qualname__", "")
        try:
            obj = _load_back(mod, name)
        except (ImportError, KeyError, AttributeError, TypeError):
            obj = None
        if obj is not self:
            raise pickle.PicklingError(f"{self}: as_op ops pickle by reference to "
                                       f"{mod}.{name}, which is not this op (decorate a "
                                       f"module-level function)")
        return (_load_back, (mod, name))


def _load_back(mod: str, name: str) -> Any:
    """The object `mod.name` (a dotted name inside the module)."""
    import importlib

    obj: Any = importlib.import_module(mod)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def as_op(itypes: Any, otypes: Any, infer_shape: Callable | None = None) -> Callable:
    """Decorator: the function becomes an Op taking inputs of `itypes` and returning
    outputs of `otypes` (Theano 1.0's as_op)."""
    itypes, otypes = _types(itypes, "itypes"), _types(otypes, "otypes")
    if infer_shape is not None and not callable(infer_shape):
        raise TypeError(f"as_op: infer_shape must be callable, got {infer_shape!r}")

    def decorator(fn: Callable) -> FromFunctionOp:
        return FromFunctionOp(fn, itypes, otypes, infer_shape)

    return decorator
