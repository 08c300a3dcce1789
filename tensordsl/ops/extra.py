"""Theano's extra ops: Eye, sort/argsort, cumsum/cumprod, repeat, bincount, unravel_index,
fill_diagonal, specify_shape.

Each op's numpy `perform` is the reference; backends without a kernel for them run that
perform. Gradient rules are in `tensordsl.gradient.rules_extra`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl import dtypes
from tensordsl.graph.basic import Apply, Op
from tensordsl.graph.convert import as_tensor_variable
from tensordsl.graph.type import TensorType
from tensordsl.ops.shape import static_int


def check_axis(axis: int | None, ndim: int, who: str) -> int | None:
    """`axis` normalised to 0..ndim-1 (None stays None), or a ValueError naming `who`."""
    if axis is None:
        return None
    if not -max(ndim, 1) <= axis < max(ndim, 1):
        raise ValueError(f"{who}: axis {axis} is out of range for a {ndim}-d input")
    return axis % max(ndim, 1)


class Eye(Op):
    """numpy.eye(n, m, k) with a fixed dtype; n, m, k are integer scalar inputs."""

    __props__ = ("dtype",)

    def __init__(self, dtype: str) -> None:
        self.dtype = dtypes.canonical(dtype)

    def make_node(self, n: Any, m: Any, k: Any) -> Apply:
        n, m, k = (as_tensor_variable(v) for v in (n, m, k))
        for what, v in (("n", n), ("m", m), ("k", k)):
            if v.ndim != 0 or not dtypes.is_int(v.dtype):
                raise TypeError(f"eye: {what} must be an integer scalar, got {v!r} ({v.type})")
        return Apply(self, [n, m, k], [TensorType(self.dtype, (static_int(n), static_int(m)))()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        n, m, k = (int(v) for v in inputs)
        return [np.eye(n, m, k, dtype=self.dtype)]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [(node.inputs[0], node.inputs[1])]


class _AlongAxis(Op):
    """An op applying numpy's `name` along `axis` to a tensor of at least one dim."""

    __props__ = ("axis", "kind")
    name = ""

    def __init__(self, axis: int, kind: str = "quicksort") -> None:
        self.axis, self.kind = axis, kind

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        if x.ndim == 0:
            raise ValueError(f"{self.name}: {x!r} is a scalar; {self.name} needs at least one dim")
        if check_axis(self.axis, x.ndim, self.name) != self.axis:
            raise ValueError(
                f"{self.name}: axis {self.axis} must be normalised to 0..{x.ndim - 1}")
        return Apply(self, [x], [self.out_type(x)()])

    def out_type(self, x: Any) -> TensorType:
        """The result's type for input `x`."""
        return x.type

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [input_shapes[0]]


class Sort(_AlongAxis):
    """numpy.sort along `axis` (an int; sort(x, None) flattens first, in the helper)."""

    name = "sort"

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        return [np.sort(inputs[0], axis=self.axis, kind=self.kind)]


class ArgSort(_AlongAxis):
    """numpy.argsort along `axis`, as int64 indices."""

    name = "argsort"

    def out_type(self, x: Any) -> TensorType:
        """int64 indices of x's shape."""
        return TensorType("int64", x.type.shape)

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        return [np.argsort(inputs[0], axis=self.axis, kind=self.kind).astype("int64")]


class PermuteAlongAxis(Op):
    """numpy.take_along_axis(x, perm, axis) where `perm` holds a permutation along `axis`
    (the gradient of sort: the sorted gradient put back in the input's order)."""

    __props__ = ("axis",)

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def make_node(self, x: Any, perm: Any) -> Apply:
        x, perm = as_tensor_variable(x), as_tensor_variable(perm)
        if perm.ndim != x.ndim or not dtypes.is_int(perm.dtype):
            raise TypeError(f"PermuteAlongAxis: perm must be an integer tensor of {x.ndim} "
                            f"dims, got {perm.type}")
        return Apply(self, [x, perm], [x.type()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        x, perm = inputs
        return [np.take_along_axis(x, perm, axis=self.axis)]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [input_shapes[0]]


class CumOp(Op):
    """numpy.cumsum / numpy.cumprod along `axis` (None: of the flattened input)."""

    __props__ = ("axis", "mode")

    def __init__(self, axis: int | None, mode: str = "add") -> None:
        if mode not in ("add", "mul"):
            raise ValueError(f"CumOp: mode must be 'add' or 'mul', got {mode!r}")
        self.axis, self.mode = axis, mode

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        name = "cumsum" if self.mode == "add" else "cumprod"
        if self.axis is None:
            shape: tuple[int | None, ...] = (None,)
        else:
            if x.ndim == 0 or check_axis(self.axis, x.ndim, name) != self.axis:
                raise ValueError(f"{name}: axis {self.axis} is out of range for {x!r} "
                                 f"({x.ndim}-d)")
            shape = x.type.shape
        # numpy accumulates small integers (and bools) in the platform integer
        dtype = np.cumsum(np.zeros(1, dtype=x.dtype)).dtype.name
        return Apply(self, [x], [TensorType(dtype, shape)()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        fn = np.cumsum if self.mode == "add" else np.cumprod
        return [np.asarray(fn(inputs[0], axis=self.axis), dtype=node.outputs[0].dtype)]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        if self.axis is None:
            from tensordsl.tensor import math as tm

            return [(tm.prod(node.inputs[0].shape),)]
        return [input_shapes[0]]


class Repeat(Op):
    """numpy.repeat(x, repeats, axis): `repeats` an integer scalar or vector input."""

    __props__ = ("axis",)

    def __init__(self, axis: int | None) -> None:
        self.axis = axis

    def make_node(self, x: Any, repeats: Any) -> Apply:
        x, repeats = as_tensor_variable(x), as_tensor_variable(repeats)
        if not dtypes.is_int(repeats.dtype) or repeats.ndim > 1:
            raise TypeError(f"repeat: repeats must be an integer scalar or vector, got "
                            f"{repeats!r} ({repeats.type})")
        if self.axis is None:
            shape: list[int | None] = [None]
        else:
            if check_axis(self.axis, x.ndim, "repeat") != self.axis or x.ndim == 0:
                raise ValueError(f"repeat: axis {self.axis} is out of range for {x!r} "
                                 f"({x.ndim}-d)")
            shape = list(x.type.shape)
            count = static_int(repeats) if repeats.ndim == 0 else None
            size = shape[self.axis]
            shape[self.axis] = None if count is None or size is None else size * count
        return Apply(self, [x, repeats], [TensorType(x.dtype, tuple(shape))()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        x, repeats = inputs
        try:
            return [np.repeat(x, repeats, axis=self.axis)]
        except ValueError as err:
            raise ValueError(f"repeat: cannot repeat {node.inputs[0]!r} (shape {x.shape}) "
                             f"with repeats of shape {repeats.shape} along axis {self.axis}: "
                             f"{err}") from None


class Bincount(Op):
    """numpy.bincount(x, weights, minlength) with a fixed output dtype."""

    __props__ = ("minlength", "dtype", "weighted")

    def __init__(self, minlength: int | None, dtype: str, weighted: bool) -> None:
        self.minlength, self.dtype, self.weighted = minlength, dtype, weighted

    def make_node(self, x: Any, *weights: Any) -> Apply:
        x = as_tensor_variable(x)
        if x.ndim != 1 or not dtypes.is_int(x.dtype):
            raise TypeError(f"bincount: x must be an integer vector, got {x!r} ({x.type})")
        inputs = [x]
        if self.weighted:
            (w,) = weights
            w = as_tensor_variable(w)
            if w.ndim != 1:
                raise TypeError(f"bincount: weights must be a vector, got {w!r} ({w.type})")
            inputs.append(w)
        return Apply(self, inputs, [TensorType(self.dtype, (None,))()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        x = inputs[0]
        w = inputs[1] if self.weighted else None
        if x.size and x.min() < 0:
            raise ValueError(f"bincount: {node.inputs[0]!r} holds a negative value "
                             f"({x.min()}); bincount counts non-negative integers")
        if w is not None and w.shape != x.shape:
            raise ValueError(f"bincount: weights of shape {w.shape} do not match x of shape "
                             f"{x.shape}")
        out = np.bincount(x, weights=w, minlength=self.minlength or 0)
        return [out.astype(self.dtype)]


class UnravelIndex(Op):
    """numpy.unravel_index(indices, dims, order): one int64 output per entry of `dims`."""

    __props__ = ("ndim", "order")

    def __init__(self, ndim: int, order: str = "C") -> None:
        if order not in ("C", "F"):
            raise ValueError(f"unravel_index: order must be 'C' or 'F', got {order!r}")
        self.ndim, self.order = ndim, order

    def make_node(self, indices: Any, dims: Any) -> Apply:
        indices, dims = as_tensor_variable(indices), as_tensor_variable(dims)
        if not dtypes.is_int(indices.dtype):
            raise TypeError(f"unravel_index: indices must be integers, got {indices.type}")
        if dims.ndim != 1 or not dtypes.is_int(dims.dtype):
            raise TypeError(f"unravel_index: dims must be an integer vector, got {dims.type}")
        outs = [TensorType("int64", indices.type.shape)() for _ in range(self.ndim)]
        return Apply(self, [indices, dims], outs)

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        indices, dims = inputs
        if len(dims) != self.ndim:
            raise ValueError(f"unravel_index: dims has {len(dims)} entries, expected "
                             f"{self.ndim}")
        result = np.unravel_index(indices, tuple(int(d) for d in dims), order=self.order)
        return [np.asarray(r, dtype="int64") for r in result]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [input_shapes[0]] * self.ndim


class FillDiagonal(Op):
    """A copy of `a` with its main diagonal set to the scalar `val` (numpy.fill_diagonal)."""

    __props__ = ()

    def make_node(self, a: Any, val: Any) -> Apply:
        a, val = as_tensor_variable(a), as_tensor_variable(val)
        if a.ndim < 2:
            raise TypeError(f"fill_diagonal: a must have at least 2 dims, got {a!r} "
                            f"({a.type})")
        if val.ndim != 0:
            raise TypeError(f"fill_diagonal: val must be a scalar, got {val!r} ({val.type})")
        if dtypes.upcast(a.dtype, val.dtype) != a.dtype:
            raise TypeError(f"fill_diagonal: val of dtype {val.dtype} does not fit into "
                            f"{a!r} of dtype {a.dtype}")
        return Apply(self, [a, val], [a.type()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        a, val = inputs
        if a.ndim > 2 and len(set(a.shape)) > 1:
            raise ValueError(f"fill_diagonal: all dims of a {a.ndim}-d input must be equal, "
                             f"got shape {a.shape}")
        out = a.copy()
        np.fill_diagonal(out, val)
        return [out]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [input_shapes[0]]


class ShapeMismatchError(ValueError, AssertionError):
    """A value's shape is not the one specify_shape promised (Theano raised AssertionError,
    so both except clauses catch it)."""


class SpecifyShape(Op):
    """Returns x, checking at run time that its shape equals the integer vector `shape`;
    constant entries become static sizes of the output type."""

    __props__ = ()
    view_map = {0: [0]}

    def make_node(self, x: Any, shape: Any) -> Apply:
        x, shape = as_tensor_variable(x), as_tensor_variable(shape)
        if shape.ndim != 1 or not dtypes.is_int(shape.dtype):
            raise TypeError(f"specify_shape: shape must be an integer vector, got {shape!r} "
                            f"({shape.type})")
        if shape.type.shape[0] not in (None, x.ndim):
            raise ValueError(f"specify_shape: {x!r} has {x.ndim} dims but the shape has "
                             f"{shape.type.shape[0]} entries")
        from tensordsl.graph.basic import Constant
        from tensordsl.ops.shape import MakeVector

        static = list(x.type.shape)
        if isinstance(shape, Constant):
            entries = [int(s) for s in shape.data]
        elif shape.owner is not None and isinstance(shape.owner.op, MakeVector):
            entries = [static_int(s) for s in shape.owner.inputs]
        else:
            entries = [None] * x.ndim
        for d, (have, want) in enumerate(zip(static, entries)):
            if want is not None and have is not None and have != want:
                raise ValueError(f"specify_shape: dim {d} of {x!r} has static size {have}, "
                                 f"not {want}")
            static[d] = have if want is None else want
        return Apply(self, [x, shape], [TensorType(x.dtype, tuple(static))()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        x, shape = inputs
        want = tuple(int(s) for s in shape)
        if x.shape != want:
            raise ShapeMismatchError(f"specify_shape: {node.inputs[0]!r} has shape {x.shape}, "
                                     f"expected {want}")
        return [x]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [input_shapes[0]]
