"""Theano 1.0's tensor.extra_ops: cumsum, cumprod, repeat, diff, bincount, unravel_index,
fill_diagonal, unique, to_one_hot, searchsorted, compress, ravel_multi_index (and the
sort helpers it also exported)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl import dtypes
from tensordsl.graph.convert import as_tensor_variable, constant
from tensordsl.ops.extra import Bincount, CumOp, FillDiagonal, Repeat, UnravelIndex, check_axis
from tensordsl.ops.search import RavelMultiIndex, SearchsortedOp
from tensordsl.ops.unique import Unique
from tensordsl.tensor.basic import stack
from tensordsl.tensor.sort import argsort, sort
from tensordsl.tensor.variable import TensorVariable


def _cum(x: Any, axis: int | None, mode: str) -> TensorVariable:
    x = as_tensor_variable(x)
    who = "cumsum" if mode == "add" else "cumprod"
    if axis is not None:
        if x.ndim == 0:
            raise ValueError(f"{who}: axis {axis} given for the scalar {x!r}")
        axis = check_axis(int(axis), x.ndim, who)
    return CumOp(axis, mode)(x)


def cumsum(x: Any, axis: int | None = None) -> TensorVariable:
    """numpy.cumsum: running sums along `axis` (of the flattened tensor when None)."""
    return _cum(x, axis, "add")


def cumprod(x: Any, axis: int | None = None) -> TensorVariable:
    """numpy.cumprod: running products along `axis` (of the flattened tensor when None).
    The gradient is Theano's, which divides by x (so it is undefined where x == 0)."""
    return _cum(x, axis, "mul")


def repeat(x: Any, repeats: Any, axis: int | None = None) -> TensorVariable:
    """numpy.repeat: each element (or slice along `axis`) repeated `repeats` times;
    `repeats` is an integer or an integer vector (one count per entry along `axis`)."""
    x = as_tensor_variable(x)
    if isinstance(repeats, (int, np.integer)):
        repeats = constant(int(repeats), dtype="int64")
    repeats = as_tensor_variable(repeats)
    if axis is not None:
        axis = check_axis(int(axis), x.ndim, "repeat")
        if x.ndim == 0:
            raise ValueError(f"repeat: axis {axis} given for the scalar {x!r}")
    return Repeat(axis)(x, repeats)


def diff(x: Any, n: int = 1, axis: int = -1) -> TensorVariable:
    """numpy.diff: the n-th discrete difference along `axis` (built from slices, so it is
    differentiable for any n and axis)."""
    x = as_tensor_variable(x)
    if x.ndim == 0:
        raise ValueError(f"diff: {x!r} is a scalar; diff needs at least one dim")
    if int(n) < 0:
        raise ValueError(f"diff: order n must be non-negative, got {n}")
    ax = check_axis(int(axis), x.ndim, "diff")
    assert ax is not None
    lead = [slice(None)] * ax
    for _ in range(int(n)):
        x = x[tuple(lead + [slice(1, None)])] - x[tuple(lead + [slice(None, -1)])]
    return x


def bincount(x: Any, weights: Any = None, minlength: int | None = None,
             assert_nonneg: bool = False) -> TensorVariable:
    """numpy.bincount: counts (or summed weights) per value of the non-negative integer
    vector `x`. The dtype is x's (weights' when given), as in Theano 1.0. Negative values
    raise ValueError whatever `assert_nonneg` says (Theano would wrap them around)."""
    x = as_tensor_variable(x)
    if minlength is not None and int(minlength) < 0:
        raise ValueError(f"bincount: minlength must be non-negative, got {minlength}")
    minlength = None if minlength is None else int(minlength)
    if weights is None:
        return Bincount(minlength, x.dtype, False)(x)
    weights = as_tensor_variable(weights)
    return Bincount(minlength, weights.dtype, True)(x, weights)


def unravel_index(indices: Any, dims: Any, order: str = "C") -> tuple[TensorVariable, ...]:
    """numpy.unravel_index: a tuple of int64 index arrays, one per entry of `dims`."""
    indices = as_tensor_variable(indices)
    if isinstance(dims, TensorVariable):
        if dims.ndim != 1 or dims.type.shape[0] is None:
            raise ValueError(f"unravel_index: dims must be a vector of static length, got "
                             f"{dims!r} ({dims.type})")
        ndim = dims.type.shape[0]
    else:
        dims = list(dims) if not isinstance(dims, (int, np.integer)) else [dims]
        ndim = len(dims)
        dims = stack([as_tensor_variable(d) for d in dims]) if any(
            isinstance(d, TensorVariable) for d in dims) else constant(
                np.asarray(dims, dtype="int64").reshape(ndim))
    if ndim == 0:
        raise ValueError("unravel_index: dims must not be empty")
    if not dtypes.is_int(dims.dtype):
        raise TypeError(f"unravel_index: dims must hold integers, got {dims.type}")
    out = UnravelIndex(ndim, order)(indices, dims)
    return tuple(out) if isinstance(out, list) else (out,)


def fill_diagonal(a: Any, val: Any) -> TensorVariable:
    """A copy of `a` (2+ dims, all equal beyond 2) with its main diagonal set to the
    scalar `val`; numpy.fill_diagonal on a copy."""
    a = as_tensor_variable(a)
    val = as_tensor_variable(val, partners=(a.dtype,))
    if dtypes.upcast(a.dtype, val.dtype) != a.dtype:
        raise TypeError(f"fill_diagonal: val {val!r} of dtype {val.dtype} does not fit into "
                        f"{a!r} of dtype {a.dtype}")
    return FillDiagonal()(a, val)


def squeeze(x: Any) -> TensorVariable:
    """`x` without its broadcastable (static size 1) dims."""
    x = as_tensor_variable(x)
    return x.dimshuffle(*[d for d in range(x.ndim) if not x.broadcastable[d]])


def unique(ar: Any, return_index: bool = False, return_inverse: bool = False,
           return_counts: bool = False, axis: int | None = None) -> Any:
    """numpy.unique (Theano 1.0's `Unique` op): the sorted unique values, and as asked
    first indices, the inverse and counts (int64 vectors); one variable, or a list."""
    return Unique(return_index, return_inverse, return_counts, axis)(ar)


def to_one_hot(y: Any, nb_class: Any, dtype: Any = None) -> TensorVariable:
    """Theano 1.0's to_one_hot: row i of the (len(y), nb_class) result is 1 at column
    y[i] and 0 elsewhere; dtype defaults to floatX. y must be an integer vector."""
    from tensordsl.tensor.basic import arange, zeros
    from tensordsl.tensor.subtensor import set_subtensor

    y = as_tensor_variable(y)
    if y.ndim != 1 or not dtypes.is_int(y.dtype):
        raise TypeError(f"to_one_hot: y must be an integer vector, got {y.type}")
    ret = zeros((y.shape[0], nb_class), dtype=dtype)
    return set_subtensor(ret[arange(y.shape[0]), y], 1)


def searchsorted(x: Any, v: Any, side: str = "left", sorter: Any = None) -> TensorVariable:
    """numpy.searchsorted: where the values `v` would go in the sorted vector `x` (int64;
    `sorter` the argsort of an unsorted x)."""
    return SearchsortedOp(side)(x, v, sorter)


def compress(condition: Any, x: Any, axis: int | None = None) -> TensorVariable:
    """numpy.compress: the slices of `x` along `axis` (of the flattened x when None)
    where `condition` is non-zero; Theano's construction (take of flatnonzero)."""
    from tensordsl.tensor.basic import flatten
    from tensordsl.tensor.basic_misc import flatnonzero

    x = as_tensor_variable(x)
    indices = flatnonzero(condition)
    if axis is None:
        return flatten(x)[indices]
    axis = check_axis(int(axis), x.ndim, "compress")
    return x[(slice(None),) * axis + (indices,)]


def ravel_multi_index(multi_index: Any, dims: Any, mode: str = "raise",
                      order: str = "C") -> TensorVariable:
    """numpy.ravel_multi_index: flat int64 indices of the index arrays in `multi_index`
    into an array of shape `dims`."""
    if not isinstance(multi_index, (tuple, list)):
        raise TypeError(f"ravel_multi_index: multi_index must be a tuple of index arrays, got "
                        f"{multi_index!r}")
    if isinstance(dims, (tuple, list)) and all(isinstance(d, (int, np.integer)) for d in dims):
        dims = np.asarray(dims, dtype="int64")
    return RavelMultiIndex(mode, order)(*multi_index, dims)


__all__ = ["cumsum", "cumprod", "repeat", "diff", "bincount", "unravel_index",
           "fill_diagonal", "squeeze", "sort", "argsort", "Unique", "unique", "to_one_hot",
           "searchsorted", "compress", "ravel_multi_index"]
