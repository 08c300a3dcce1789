"""Reductions over axes (sum, prod, max, min, all, any) and argmax/argmin."""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl import dtypes
from tensordsl.graph.basic import Apply, Op
from tensordsl.graph.convert import as_tensor_variable
from tensordsl.graph.type import TensorType
from tensordsl.kernel.reductions import REDUCTIONS, reduction


def normalize_axis(axis: Any, ndim: int, who: str) -> tuple[int, ...]:
    """Axis argument (None, int, or sequence; negatives allowed) as a sorted tuple."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)):
        axis = (axis,)
    out = []
    for a in axis:
        a = int(a)
        if not -ndim <= a < ndim:
            raise ValueError(f"{who}: axis {a} is out of range for a {ndim}-d tensor")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{who}: repeated axis in {tuple(axis)}")
    return tuple(sorted(out))


class Reduce(Op):
    """Reduce `axis` of the input with `kind` (a scalar op name: add, mul, maximum...)."""

    __props__ = ("kind", "axis", "dtype")

    def __init__(self, kind: str, axis: tuple[int, ...], dtype: str | None = None) -> None:
        reduction(kind)  # ValueError for an unknown kind
        self.kind = kind
        self.axis = tuple(axis)
        self.dtype = dtype

    def __str__(self) -> str:
        return f"Reduce{{{self.kind}, axis={self.axis}}}"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        axis = normalize_axis(self.axis, x.ndim, str(self))
        if axis != self.axis:
            return Reduce(self.kind, axis, self.dtype).make_node(x)
        if self.dtype is not None:
            out_dtype = self.dtype
        elif REDUCTIONS[self.kind].accumulates:
            out_dtype = dtypes.sum_dtype(x.dtype)
        elif REDUCTIONS[self.kind].logical:
            out_dtype = dtypes.BOOL
        else:
            out_dtype = x.dtype
        shape = tuple(s for d, s in enumerate(x.type.shape) if d not in self.axis)
        return Apply(self, [x], [TensorType(out_dtype, shape)()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        (x,) = inputs
        kind = REDUCTIONS[self.kind]
        out_dtype = node.outputs[0].dtype
        if kind.identity is None and any(x.shape[a] == 0 for a in self.axis):
            raise ValueError(f"{self}: cannot reduce an empty dim (input shape {x.shape}) "
                             f"with {self.kind}: it has no identity")
        kwargs = {"dtype": out_dtype} if kind.accumulates else {}
        with np.errstate(all="ignore"):
            result = kind.numpy(x, axis=self.axis, **kwargs)
        return [np.asarray(result).astype(out_dtype, copy=False)]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        (shape,) = input_shapes
        return [tuple(s for d, s in enumerate(shape) if d not in self.axis)]


class Argmax(Op):
    """Index of the maximum (or minimum, with kind='min') along one axis, or flattened."""

    __props__ = ("axis", "kind")

    def __init__(self, axis: int | None, kind: str = "max") -> None:
        self.axis = axis
        self.kind = kind

    def __str__(self) -> str:
        return f"Arg{self.kind}{{axis={self.axis}}}"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if self.axis is None:
            shape: tuple = ()
        else:
            (axis,) = normalize_axis(self.axis, x.ndim, str(self))
            if axis != self.axis:
                return Argmax(axis, self.kind).make_node(x)
            shape = tuple(s for d, s in enumerate(x.type.shape) if d != axis)
        return Apply(self, [x], [TensorType("int64", shape)()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        (x,) = inputs
        if x.size == 0 or (self.axis is not None and x.shape[self.axis] == 0):
            raise ValueError(f"{self}: attempt to get arg{self.kind} of an empty sequence "
                             f"(input shape {x.shape})")
        fn = np.argmax if self.kind == "max" else np.argmin
        return [np.asarray(fn(x, axis=self.axis), dtype="int64")]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        (shape,) = input_shapes
        if self.axis is None:
            return [()]
        return [tuple(s for d, s in enumerate(shape) if d != self.axis)]
