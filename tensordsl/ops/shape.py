"""Shape ops: Shape, Reshape, MakeVector, Join (concatenate), Alloc, ARange."""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl import dtypes
from tensordsl.graph.basic import Apply, Constant, Op, Variable
from tensordsl.graph.convert import as_tensor_variable, as_tensor_variables
from tensordsl.graph.type import TensorType


def static_int(var: Variable) -> int | None:
    """The value of a constant integer scalar, or None when it is only known at run time."""
    if isinstance(var, Constant) and var.ndim == 0 and dtypes.is_discrete(var.dtype):
        return int(var.data)
    return None


def _check_int_scalar(var: Variable, what: str) -> None:
    if var.ndim != 0 or not dtypes.is_discrete(var.dtype):
        raise TypeError(f"{what} must be an integer scalar, got {var!r} ({var.type})")


class Shape(Op):
    """The shape of a tensor, as an int64 vector."""

    __props__ = ()

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        return Apply(self, [x], [TensorType("int64", (x.ndim,))()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        return [np.asarray(inputs[0].shape, dtype="int64")]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [(node.inputs[0].ndim,)]


class MakeVector(Op):
    """Stack scalars into a vector of `dtype`."""

    __props__ = ("dtype",)

    def __init__(self, dtype: str) -> None:
        self.dtype = dtype

    def make_node(self, *scalars: Any) -> Apply:
        scalars = as_tensor_variables(*scalars)
        for i, s in enumerate(scalars):
            if s.ndim != 0:
                raise TypeError(f"MakeVector: element {i} ({s!r}) is not a scalar")
        return Apply(self, scalars, [TensorType(self.dtype, (len(scalars),))()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        return [np.array([x.item() for x in inputs], dtype=self.dtype).reshape(len(inputs))]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [(len(node.inputs),)]


class Reshape(Op):
    """Reshape `x` to the `ndim`-long integer vector `shape` (one entry may be -1)."""

    __props__ = ("ndim",)
    view_map = {0: [0]}

    def __init__(self, ndim: int) -> None:
        self.ndim = ndim

    def make_node(self, x: Any, shape: Any) -> Apply:
        x = as_tensor_variable(x)
        shape = as_tensor_variable(shape)
        if shape.ndim != 1 or not dtypes.is_int(shape.dtype):
            raise TypeError(f"reshape: the shape must be an integer vector, got {shape.type}")
        if shape.type.shape[0] not in (None, self.ndim):
            raise ValueError(f"reshape: shape has {shape.type.shape[0]} entries, expected "
                             f"{self.ndim}")
        static: list[int | None] = [None] * self.ndim
        if isinstance(shape, Constant):
            static = [None if s == -1 else int(s) for s in shape.data]
            known = [s for s in x.type.shape]
            if static.count(None) == 1 and all(k is not None for k in known):
                total = int(np.prod(known))
                rest = int(np.prod([s for s in static if s is not None]))
                if rest and total % rest == 0:
                    static[static.index(None)] = total // rest
        elif shape.owner is not None and isinstance(shape.owner.op, MakeVector):
            static = [static_int(s) for s in shape.owner.inputs]
            static = [None if s is None or s < 0 else s for s in static]
        return Apply(self, [x, shape], [TensorType(x.dtype, tuple(static))()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        x, shape = inputs
        target = tuple(int(s) for s in shape)
        try:
            return [x.reshape(target)]
        except ValueError:
            raise ValueError(f"reshape: cannot reshape {node.inputs[0]!r} of shape {x.shape} "
                             f"({x.size} elements) into shape {target}") from None

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        from tensordsl.ops.subtensor import shape_i

        return [tuple(shape_i(node.outputs[0], i) for i in range(self.ndim))]


class Join(Op):
    """Concatenate tensors along `axis`."""

    __props__ = ("axis",)

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def make_node(self, *tensors: Any) -> Apply:
        if not tensors:
            raise ValueError("concatenate needs at least one tensor")
        tensors = as_tensor_variables(*tensors)
        ndim = tensors[0].ndim
        for i, t in enumerate(tensors):
            if t.ndim != ndim:
                raise TypeError(f"concatenate: tensor {i} ({t!r}) has {t.ndim} dims, "
                                f"expected {ndim}")
        if ndim == 0:
            raise TypeError("concatenate: zero-dimensional tensors cannot be concatenated")
        axis = self.axis % ndim if -ndim <= self.axis < ndim else None
        if axis is None:
            raise ValueError(f"concatenate: axis {self.axis} out of range for {ndim}-d inputs")
        if axis != self.axis:
            return Join(axis).make_node(*tensors)
        shape: list[int | None] = []
        for d in range(ndim):
            sizes = [t.type.shape[d] for t in tensors]
            if d == axis:
                shape.append(None if None in sizes else sum(sizes))  # type: ignore[arg-type]
            else:
                known = {s for s in sizes if s is not None}
                if len(known) > 1:
                    raise ValueError(f"concatenate: dim {d} sizes differ: {sorted(known)}")
                shape.append(known.pop() if known else None)
        dtype = dtypes.upcast(*[t.dtype for t in tensors])
        return Apply(self, tensors, [TensorType(dtype, tuple(shape))()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        try:
            return [np.concatenate(inputs, axis=self.axis).astype(node.outputs[0].dtype,
                                                                  copy=False)]
        except ValueError:
            shapes = ", ".join(f"{v!r} {a.shape}" for v, a in zip(node.inputs, inputs))
            raise ValueError(f"concatenate along axis {self.axis}: the inputs' shapes must be "
                             f"equal outside that axis, got {shapes}") from None

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        from tensordsl.tensor import math as tm

        first = list(input_shapes[0])
        total = first[self.axis]
        for s in input_shapes[1:]:
            total = tm.add(total, s[self.axis])
        first[self.axis] = total
        return [tuple(first)]


class Alloc(Op):
    """A tensor of the given shape filled with (a broadcast of) `value`."""

    __props__ = ()

    def make_node(self, value: Any, *shape: Any) -> Apply:
        value = as_tensor_variable(value)
        dims = [as_tensor_variable(s) for s in shape]
        for i, d in enumerate(dims):
            _check_int_scalar(d, f"alloc: dim {i}")
        if value.ndim > len(dims):
            raise ValueError(f"alloc: value has {value.ndim} dims but only {len(dims)} sizes "
                             f"were given")
        static = tuple(static_int(d) for d in dims)
        return Apply(self, [value, *dims], [TensorType(value.dtype, static)()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        value, *dims = inputs
        shape = tuple(int(d) for d in dims)
        try:
            return [np.array(np.broadcast_to(value, shape))]
        except ValueError:
            raise ValueError(f"alloc: a value of shape {value.shape} does not broadcast to "
                             f"shape {shape}") from None

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [tuple(node.inputs[1:])]


class ARange(Op):
    """numpy.arange(start, stop, step) with a fixed dtype."""

    __props__ = ("dtype",)

    def __init__(self, dtype: str) -> None:
        self.dtype = dtype

    def make_node(self, start: Any, stop: Any, step: Any) -> Apply:
        start, stop, step = as_tensor_variables(start, stop, step)
        for what, v in (("start", start), ("stop", stop), ("step", step)):
            if v.ndim != 0:
                raise TypeError(f"arange: {what} must be a scalar, got {v.type}")
        values = [static_int(v) for v in (start, stop, step)]
        size = None
        if None not in values and values[2] != 0:
            size = len(range(*values))  # type: ignore[arg-type]
        return Apply(self, [start, stop, step], [TensorType(self.dtype, (size,))()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        start, stop, step = (x.item() for x in inputs)
        if step == 0:
            raise ValueError("arange: step must not be 0")
        return [np.arange(start, stop, step, dtype=self.dtype)]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        from tensordsl.ops.subtensor import shape_i

        return [(shape_i(node.outputs[0], 0),)]
