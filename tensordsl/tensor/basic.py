"""Shape manipulation and tensor creation: reshape, dimshuffle, concatenate, alloc..."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tensordsl import dtypes
from tensordsl.config import config
from tensordsl.graph.convert import as_tensor_variable, constant
from tensordsl.ops.elemwise import DimShuffle
from tensordsl.ops.shape import Alloc, ARange, Join, MakeVector, Reshape, Shape
from tensordsl.ops.subtensor import shape_i
from tensordsl.tensor.math import mul
from tensordsl.tensor.variable import TensorVariable


def shape(x: Any) -> TensorVariable:
    """The shape of `x` as a symbolic int64 vector."""
    return Shape()(as_tensor_variable(x))


def dimshuffle(x: Any, pattern: Sequence[Any]) -> TensorVariable:
    """Reorder dims; 'x' inserts a broadcastable dim; dropped dims must have size 1."""
    x = as_tensor_variable(x)
    pattern = tuple(p if p == "x" else int(p) for p in pattern)
    if pattern == tuple(range(x.ndim)):
        return x
    return DimShuffle(pattern)(x)


def transpose(x: Any, axes: Sequence[int] | None = None) -> TensorVariable:
    """Permute dims (reverse them when `axes` is None)."""
    x = as_tensor_variable(x)
    if axes is None:
        axes = tuple(reversed(range(x.ndim)))
    axes = tuple(int(a) % x.ndim if x.ndim else int(a) for a in axes)
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(f"transpose: {axes} is not a permutation of the {x.ndim} dims of {x!r}")
    return dimshuffle(x, axes)


def _shape_vector(shp: Any) -> TensorVariable:
    if isinstance(shp, TensorVariable):
        if shp.ndim != 1:
            raise TypeError(f"a shape must be a vector, got {shp.type}")
        return shp
    if isinstance(shp, (int, np.integer)):
        shp = (shp,)
    items = list(shp)
    if all(isinstance(s, (int, np.integer)) for s in items):
        return constant(np.asarray(items, dtype="int64").reshape(len(items)))
    parts = [as_tensor_variable(s) for s in items]
    for i, p in enumerate(parts):
        if p.ndim != 0 or not dtypes.is_int(p.dtype):
            raise TypeError(f"shape entry {i} must be an integer scalar, got {p!r} ({p.type})")
    return MakeVector("int64")(*parts)


def reshape(x: Any, newshape: Any, ndim: int | None = None) -> TensorVariable:
    """`x` with a new shape (one entry may be -1); a view when possible."""
    x = as_tensor_variable(x)
    vec = _shape_vector(newshape)
    n = vec.type.shape[0] if ndim is None else ndim
    if n is None:
        raise ValueError("reshape: the length of a symbolic shape must be given as ndim=")
    return Reshape(n)(x, vec)


def flatten(x: Any, ndim: int = 1, outdim: int | None = None) -> TensorVariable:
    """Collapse the trailing dims of `x` so that the result has `ndim` dims."""
    x = as_tensor_variable(x)
    ndim = outdim if outdim is not None else ndim
    if not 1 <= ndim <= max(x.ndim, 1):
        raise ValueError(f"flatten: ndim must be in 1..{max(x.ndim, 1)}, got {ndim}")
    if x.ndim == ndim:
        return x
    lead = [shape_i(x, d) for d in range(ndim - 1)]
    # the trailing size as a product, not -1: numpy cannot infer -1 for 0-size arrays
    static = x.type.shape[ndim - 1:]
    if all(s is not None for s in static):
        rest: Any = int(np.prod(static, dtype="int64"))
    else:
        rest = shape_i(x, ndim - 1)
        for d in range(ndim, x.ndim):
            rest = mul(rest, shape_i(x, d))
    return reshape(x, [*lead, rest])


def concatenate(tensors: Sequence[Any], axis: int = 0) -> TensorVariable:
    """Join tensors along an existing axis."""
    tensors = list(tensors)
    if len(tensors) == 1:
        return as_tensor_variable(tensors[0])
    return Join(axis)(*tensors)


def join(axis: int, *tensors: Any) -> TensorVariable:
    """Theano's spelling of concatenate."""
    return concatenate(tensors, axis)


def stack(tensors: Sequence[Any], axis: int = 0) -> TensorVariable:
    """Join tensors along a new axis."""
    tensors = [as_tensor_variable(t) for t in tensors]
    if not tensors:
        raise ValueError("stack needs at least one tensor")
    ndim = tensors[0].ndim + 1
    if not -ndim <= axis < ndim:
        raise ValueError(f"stack: axis {axis} out of range for {ndim - 1}-d inputs")
    axis %= ndim
    expanded = []
    for t in tensors:
        pattern: list[Any] = list(range(t.ndim))
        pattern.insert(axis, "x")
        expanded.append(dimshuffle(t, pattern))
    return concatenate(expanded, axis)


def alloc(value: Any, *shape: Any) -> TensorVariable:
    """A tensor of `shape` filled with `value` (broadcast)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return Alloc()(value, *[as_tensor_variable(s) if not isinstance(s, (int, np.integer))
                            else constant(int(s), dtype="int64") for s in shape])


def _filled(fill: int, shape: Any, dtype: Any) -> TensorVariable:
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    if isinstance(shape, TensorVariable):
        if shape.ndim != 1 or shape.type.shape[0] is None:
            raise ValueError(f"zeros/ones: the shape {shape!r} ({shape.type}) must be a vector "
                             f"of static length (e.g. x.shape), or give a tuple of sizes")
        shape = [shape[i] for i in range(shape.type.shape[0])]
    return alloc(constant(fill, dtype=dtype or config.floatX), *shape)


def zeros(shape: Any, dtype: Any = None) -> TensorVariable:
    """A tensor of zeros of `shape` (dtype defaults to floatX)."""
    return _filled(0, shape, dtype)


def ones(shape: Any, dtype: Any = None) -> TensorVariable:
    """A tensor of ones of `shape` (dtype defaults to floatX)."""
    return _filled(1, shape, dtype)


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: Any = None) -> TensorVariable:
    """numpy.arange over symbolic or constant bounds."""
    if stop is None:
        start, stop = 0, start
    start, stop, step = (as_tensor_variable(v) if not isinstance(v, (int, np.integer))
                         else constant(int(v), dtype="int64") for v in (start, stop, step))
    if dtype is None:
        dtype = dtypes.upcast(start.dtype, stop.dtype, step.dtype)
        if dtypes.is_discrete(dtype):
            dtype = "int64"
    return ARange(dtypes.canonical(dtype))(start, stop, step)


__all__ = ["shape", "dimshuffle", "transpose", "reshape", "flatten", "concatenate", "join",
           "stack", "alloc", "zeros", "ones", "arange"]
