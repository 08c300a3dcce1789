"""Elementwise ops (one ScalarOp broadcast over tensors) and DimShuffle."""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl.graph.basic import Apply, Op, Variable
from tensordsl.graph.convert import as_tensor_variable, as_tensor_variables
from tensordsl.graph.type import TensorType
from tensordsl.ops.scalar import ScalarOp


def broadcast_static_shapes(shapes: list[tuple[int | None, ...]], who: str
                            ) -> tuple[int | None, ...]:
    """Static broadcast of same-rank shapes; raises ValueError on a static mismatch."""
    out: list[int | None] = []
    for axis, sizes in enumerate(zip(*shapes)):
        known = {s for s in sizes if s is not None and s != 1}
        if len(known) > 1:
            raise ValueError(f"{who}: dim {axis} has incompatible static sizes {sorted(known)} "
                             f"(shapes {shapes})")
        if known:
            out.append(known.pop())
        elif all(s == 1 for s in sizes):
            out.append(1)
        else:
            out.append(None)
    return tuple(out)


def runtime_broadcast_shape(node: Apply, arrays: list[np.ndarray]) -> tuple[int, ...]:
    """The broadcast shape of `arrays`, or a ValueError naming the offending input."""
    ndim = max((a.ndim for a in arrays), default=0)
    shape = [1] * ndim
    owner = [None] * ndim
    for i, a in enumerate(arrays):
        for axis, size in enumerate(a.shape):
            if size == 1:
                continue
            if shape[axis] == 1:
                shape[axis], owner[axis] = size, i
            elif shape[axis] != size:
                j = owner[axis]
                raise ValueError(
                    f"{node.op}: shapes do not broadcast: input {j} "
                    f"({_describe(node.inputs[j])}) has shape {arrays[j].shape} but input {i} "
                    f"({_describe(node.inputs[i])}) has shape {a.shape} (dim {axis}: "
                    f"{shape[axis]} vs {size})")
    return tuple(shape)


def _describe(var: Variable) -> str:
    """How to name an Elemwise input in errors: look through the rank padding make_node adds."""
    node = var.owner
    if node is not None and isinstance(node.op, DimShuffle):
        order = node.op.new_order
        n_pad = len(order) - node.inputs[0].ndim
        if order == ("x",) * n_pad + tuple(range(node.inputs[0].ndim)):
            return f"{node.inputs[0]!r}, padded to {len(order)} dims"
    return repr(var)


class Elemwise(Op):
    """Apply `scalar_op` elementwise with numpy broadcasting.

    `inplace_pattern` maps an output index to the input whose buffer it overwrites.
    """

    __props__ = ("scalar_op", "inplace_pattern")

    def __init__(self, scalar_op: ScalarOp, inplace_pattern: tuple[tuple[int, int], ...] = ()
                 ) -> None:
        self.scalar_op = scalar_op
        self.inplace_pattern = tuple(inplace_pattern)
        self.destroy_map = {o: [i] for o, i in self.inplace_pattern}

    def __str__(self) -> str:
        name = self.scalar_op.name
        if self.inplace_pattern:
            name += "_inplace"
        return f"Elemwise{{{name}}}"

    def make_node(self, *inputs: Any) -> Apply:
        if len(inputs) != self.scalar_op.nin:
            raise TypeError(f"{self.scalar_op.name} takes {self.scalar_op.nin} inputs, got "
                            f"{len(inputs)}")
        inputs = as_tensor_variables(*inputs)
        ndim = max(v.ndim for v in inputs)
        padded = [pad_left(v, ndim) for v in inputs]
        shape = broadcast_static_shapes([v.type.shape for v in padded], str(self))
        dtype = self.scalar_op.output_dtype(tuple(v.dtype for v in padded))
        return Apply(self, padded, [TensorType(dtype, shape)()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        shape = runtime_broadcast_shape(node, inputs)
        result = self.scalar_op.compute(node.outputs[0].dtype, *inputs)
        if result.shape != shape:  # e.g. `identity` of a broadcast constant
            result = np.broadcast_to(result, shape).copy()
        for out_index, in_index in self.inplace_pattern:
            target = inputs[in_index]
            if target.shape == result.shape and target.dtype == result.dtype \
                    and target.flags.writeable:
                np.copyto(target, result)
                result = target
            del out_index
        return [result]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        from tensordsl.tensor import math as tm

        out = []
        for axis in range(node.outputs[0].ndim):
            sizes = [s[axis] for s, v in zip(input_shapes, node.inputs)
                     if v.type.shape[axis] != 1]
            size = sizes[0] if sizes else 1
            for other in sizes[1:]:
                size = tm.maximum(size, other)
            out.append(size)
        return [tuple(out)]


class DimShuffle(Op):
    """Reorder, drop (size-1) and insert ('x') dimensions: Theano's dimshuffle."""

    __props__ = ("new_order",)
    view_map = {0: [0]}

    def __init__(self, new_order: tuple[int | str, ...]) -> None:
        self.new_order = tuple(new_order)

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        kept = [d for d in self.new_order if d != "x"]
        for d in kept:
            if not isinstance(d, (int, np.integer)) or not 0 <= d < x.ndim:
                raise ValueError(f"dimshuffle{self.new_order}: {d!r} is not a dim of "
                                 f"{x!r} ({x.ndim}-d)")
        if len(set(kept)) != len(kept):
            raise ValueError(f"dimshuffle{self.new_order}: a dim appears twice")
        for d in range(x.ndim):
            if d not in kept and x.type.shape[d] != 1:
                raise ValueError(f"dimshuffle{self.new_order}: cannot drop dim {d} of {x!r}: "
                                 f"its size is not statically 1 ({x.type})")
        shape = tuple(1 if d == "x" else x.type.shape[d] for d in self.new_order)
        return Apply(self, [x], [TensorType(x.dtype, shape)()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        (x,) = inputs
        kept = [d for d in self.new_order if d != "x"]
        dropped = tuple(d for d in range(x.ndim) if d not in kept)
        if any(x.shape[d] != 1 for d in dropped):
            raise ValueError(f"{self}: dims {dropped} of an input of shape {x.shape} must have "
                             f"size 1")
        y = x.reshape([s for d, s in enumerate(x.shape) if d not in dropped]) if dropped else x
        remaining = [d for d in range(x.ndim) if d not in dropped]
        y = y.transpose([remaining.index(d) for d in kept])
        shape = []
        it = iter(y.shape)
        for d in self.new_order:
            shape.append(1 if d == "x" else next(it))
        return [y.reshape(shape)]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        (shape,) = input_shapes
        return [tuple(1 if d == "x" else shape[d] for d in self.new_order)]

    @property
    def is_transpose(self) -> bool:
        """True if this only permutes dims."""
        return "x" not in self.new_order and sorted(self.new_order) == list(
            range(len(self.new_order)))


def pad_left(v: Variable, ndim: int) -> Variable:
    """`v` with broadcastable dims added on the left up to `ndim` dims."""
    if v.ndim == ndim:
        return v
    return DimShuffle(("x",) * (ndim - v.ndim) + tuple(range(v.ndim)))(v)
