"""Indexing: Subtensor (basic and integer-array indexing) and IncSubtensor (set/inc).

An index is described by a `spec`, a tuple with one entry per indexed dim:
  "i"                      an integer scalar taken from the next index input,
  "a"                      an integer (or bool) array taken from the next index input,
  ("s", start, stop, step) a slice; each flag is True when that bound is an input.
The index values themselves are inputs (often Constants), so nodes with equal specs
and equal constant inputs merge, and static shapes follow where bounds are constant.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl import dtypes
from tensordsl.graph.basic import Apply, Op, Variable
from tensordsl.graph.convert import as_tensor_variable
from tensordsl.graph.type import TensorType
from tensordsl.ops.shape import static_int

Spec = tuple


def _is_advanced(spec: Spec) -> bool:
    return "a" in spec


def _check_index_inputs(spec: Spec, index_inputs: list[Variable], who: str) -> None:
    it = iter(index_inputs)
    for entry in spec:
        if entry == "i":
            v = next(it)
            if v.ndim != 0 or not dtypes.is_discrete(v.dtype):
                raise TypeError(f"{who}: an integer index must be an integer scalar, got "
                                f"{v!r} ({v.type})")
        elif entry == "a":
            v = next(it)
            if not dtypes.is_discrete(v.dtype):
                raise TypeError(f"{who}: an array index must have an integer or bool dtype, "
                                f"got {v.dtype}")
        else:
            for present in entry[1:]:
                if present:
                    v = next(it)
                    if v.ndim != 0 or not dtypes.is_int(v.dtype):
                        raise TypeError(f"{who}: slice bounds must be integer scalars, got "
                                        f"{v!r} ({v.type})")


def build_index(spec: Spec, values: list[Any]) -> tuple:
    """The numpy index tuple for `spec` given the index input values."""
    it = iter(values)
    index: list[Any] = []
    for entry in spec:
        if entry == "i":
            index.append(int(next(it)))
        elif entry == "a":
            index.append(np.asarray(next(it)))
        else:
            bounds = [int(next(it)) if present else None for present in entry[1:]]
            index.append(slice(*bounds))
    return tuple(index)


def _static_out_shape(x: Variable, spec: Spec, index_inputs: list[Variable]
                      ) -> tuple[int | None, ...]:
    if _is_advanced(spec):
        # numpy decides where advanced dims land; ask it with tiny dummies.
        dummy_x = np.zeros((1,) * x.ndim)
        dummies: list[Any] = []
        for entry, v in zip(_entries_with_inputs(spec), _group_inputs(spec, index_inputs)):
            if entry == "a":
                dummies.append(np.zeros((1,) * v[0].ndim, dtype=v[0].dtype))
            elif entry == "i":
                dummies.append(0)
            else:
                dummies.append(slice(None))
        return (None,) * dummy_x[tuple(dummies)].ndim
    shape: list[int | None] = []
    groups = _group_inputs(spec, index_inputs)
    for d, (entry, inputs) in enumerate(zip(spec, groups)):
        if entry == "i":
            continue
        size = x.type.shape[d]
        bounds: list[Any] = []
        it = iter(inputs)
        known = True
        for present in entry[1:]:
            if present:
                value = static_int(next(it))
                known = known and value is not None
                bounds.append(value)
            else:
                bounds.append(None)
        if size is not None and known:
            shape.append(len(range(*slice(*bounds).indices(size))))
        elif bounds == [None, None, None] or (known and bounds[0] in (None, 0)
                                              and bounds[1] is None and bounds[2] in (None, 1)):
            shape.append(size)
        else:
            shape.append(None)
    shape.extend(x.type.shape[len(spec):])
    return tuple(shape)


def _entries_with_inputs(spec: Spec) -> list[Any]:
    return list(spec)


def _group_inputs(spec: Spec, index_inputs: list[Variable]) -> list[list[Variable]]:
    it = iter(index_inputs)
    groups = []
    for entry in spec:
        n = 1 if entry in ("i", "a") else sum(entry[1:])
        groups.append([next(it) for _ in range(n)])
    return groups


def _count_inputs(spec: Spec) -> int:
    return sum(1 if e in ("i", "a") else sum(e[1:]) for e in spec)


class Subtensor(Op):
    """x[index]: a view for basic indexing, a copy for integer-array indexing."""

    __props__ = ("spec",)

    def __init__(self, spec: Spec) -> None:
        self.spec = tuple(spec)
        self.view_map = {} if _is_advanced(self.spec) else {0: [0]}

    def __str__(self) -> str:
        return f"Subtensor{{{spec_str(self.spec)}}}"

    def make_node(self, x: Any, *index_inputs: Any) -> Apply:
        x = as_tensor_variable(x)
        index_inputs = [as_tensor_variable(i) for i in index_inputs]
        if len(self.spec) > x.ndim:
            raise IndexError(f"too many indices for {x!r}: {len(self.spec)} indices for a "
                             f"{x.ndim}-d tensor")
        if len(index_inputs) != _count_inputs(self.spec):
            raise TypeError(f"{self}: expected {_count_inputs(self.spec)} index inputs, got "
                            f"{len(index_inputs)}")
        _check_index_inputs(self.spec, index_inputs, str(self))
        shape = _static_out_shape(x, self.spec, index_inputs)
        return Apply(self, [x, *index_inputs], [TensorType(x.dtype, shape)()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        x, *values = inputs
        index = build_index(self.spec, values)
        try:
            result = x[index]
        except IndexError as err:
            raise IndexError(f"{node.inputs[0]!r}{spec_str(self.spec, index)}: {err} "
                             f"(shape {x.shape})") from None
        return [np.asarray(result)]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [tuple(shape_i(node.outputs[0], i) for i in range(node.outputs[0].ndim))]


class IncSubtensor(Op):
    """A copy of x with x[index] set to y (`set_instead_of_inc`) or incremented by y."""

    __props__ = ("spec", "set_instead_of_inc", "inplace")

    def __init__(self, spec: Spec, set_instead_of_inc: bool = False, inplace: bool = False
                 ) -> None:
        self.spec = tuple(spec)
        self.set_instead_of_inc = set_instead_of_inc
        self.inplace = inplace
        self.destroy_map = {0: [0]} if inplace else {}

    def __str__(self) -> str:
        kind = "Set" if self.set_instead_of_inc else "Inc"
        return f"{kind}Subtensor{{{spec_str(self.spec)}}}"

    def make_node(self, x: Any, y: Any, *index_inputs: Any) -> Apply:
        x = as_tensor_variable(x)
        y = as_tensor_variable(y)
        index_inputs = [as_tensor_variable(i) for i in index_inputs]
        _check_index_inputs(self.spec, index_inputs, str(self))
        target_ndim = len(_static_out_shape(x, self.spec, index_inputs))
        if y.ndim > target_ndim:
            raise ValueError(f"{self}: the value {y!r} has {y.ndim} dims but x{spec_str(self.spec)}"
                             f" has {target_ndim}")
        if not np.can_cast(y.dtype, x.dtype, "same_kind") and not (
                dtypes.is_discrete(y.dtype) and not dtypes.is_discrete(x.dtype)):
            raise TypeError(f"{self}: cannot store {y.dtype} values into {x!r} of dtype "
                            f"{x.dtype}")
        return Apply(self, [x, y, *index_inputs], [x.type()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        x, y, *values = inputs
        out = x if self.inplace else x.copy()
        index = build_index(self.spec, values)
        try:
            if self.set_instead_of_inc:
                out[index] = y
            elif _is_advanced(self.spec):
                np.add.at(out, index, y)
            else:
                out[index] += y
        except (IndexError, ValueError) as err:
            # an index out of range stays an IndexError (numpy's and Theano's), a value
            # that does not fit the indexed region a ValueError
            error = IndexError if isinstance(err, IndexError) else ValueError
            raise error(f"{self}: cannot {'set' if self.set_instead_of_inc else 'inc'} "
                        f"{node.inputs[0]!r}{spec_str(self.spec, index)} (shape {x.shape}) "
                        f"with a value of shape {np.shape(y)}: {err}") from None
        return [out]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [input_shapes[0]]


def spec_str(spec: Spec, index: tuple | None = None) -> str:
    """Readable index text, e.g. '[i, 1:?:]' (values shown when `index` is given)."""
    if index is not None:
        parts = []
        for v in index:
            if isinstance(v, slice):
                parts.append(":".join("" if b is None else str(b)
                                      for b in (v.start, v.stop, v.step)))
            elif isinstance(v, np.ndarray):
                parts.append(f"array{v.shape}")
            else:
                parts.append(str(v))
        return "[" + ", ".join(parts) + "]"
    parts = []
    for entry in spec:
        if entry in ("i", "a"):
            parts.append("int" if entry == "i" else "array")
        else:
            parts.append(":".join("?" if present else "" for present in entry[1:]))
    return "[" + ", ".join(parts) + "]"


def shape_i(var: Variable, i: int) -> Variable:
    """Symbolic size of dim `i` of `var` (a constant when statically known)."""
    from tensordsl.graph.convert import constant
    from tensordsl.ops.shape import Shape

    static = var.type.shape[i]
    if static is not None:
        return constant(static, dtype="int64")
    return Subtensor(("i",))(Shape()(var), constant(i, dtype="int64"))
