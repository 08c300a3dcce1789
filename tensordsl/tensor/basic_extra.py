"""More of Theano 1.0's tensor.basic: eye, sgn, max_and_argmax, shape_padleft/right,
tensordot and batched_dot (the products are built from existing ops, so they are
differentiable and fuse like any other graph)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tensordsl import dtypes
from tensordsl.config import config
from tensordsl.graph.convert import as_tensor_variable, constant
from tensordsl.ops.extra import Eye
from tensordsl.ops.subtensor import shape_i
from tensordsl.tensor import math as tm
from tensordsl.tensor.basic import dimshuffle, reshape
from tensordsl.tensor.variable import TensorVariable


def _int_scalar(v: Any) -> Any:
    if isinstance(v, (int, np.integer)):
        return constant(int(v), dtype="int64")
    return as_tensor_variable(v)


def eye(n: Any, m: Any = None, k: Any = 0, dtype: Any = None) -> TensorVariable:
    """numpy.eye(n, m, k): ones on the k-th diagonal of an n x m matrix (dtype floatX)."""
    if m is None:
        m = n
    return Eye(dtype or config.floatX)(_int_scalar(n), _int_scalar(m), _int_scalar(k))


def identity_like(x: Any) -> TensorVariable:
    """eye of the shape and dtype of the matrix `x`."""
    x = as_tensor_variable(x)
    return eye(shape_i(x, 0), shape_i(x, 1), 0, dtype=x.dtype)


def tri(N: Any, M: Any = None, k: int = 0, dtype: Any = None) -> TensorVariable:  # noqa: N803
    """numpy.tri: ones at and below the k-th diagonal of an N x M matrix (dtype floatX)."""
    from tensordsl.tensor.basic import arange

    if M is None:
        M = N  # noqa: N806
    rows = dimshuffle(arange(_int_scalar(N)), [0, "x"])
    cols = dimshuffle(arange(_int_scalar(M)), ["x", 0])
    return tm.cast(tm.ge(tm.add(rows, int(k)), cols), dtype or config.floatX)


def tril(m: Any, k: int = 0) -> TensorVariable:
    """numpy.tril: the matrix `m` with the entries above the k-th diagonal zeroed."""
    m = as_tensor_variable(m)
    if m.ndim != 2:
        raise TypeError(f"tril: expected a matrix, got {m!r} ({m.type})")
    return tm.mul(m, tri(shape_i(m, 0), shape_i(m, 1), k, dtype=m.dtype))


def triu(m: Any, k: int = 0) -> TensorVariable:
    """numpy.triu: the matrix `m` with the entries below the k-th diagonal zeroed."""
    m = as_tensor_variable(m)
    if m.ndim != 2:
        raise TypeError(f"triu: expected a matrix, got {m!r} ({m.type})")
    return tm.mul(m, tm.sub(1, tri(shape_i(m, 0), shape_i(m, 1), k - 1, dtype=m.dtype)))


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> TensorVariable:
    """numpy.diagonal (a copy): the diagonal entries, along the last dim."""
    from tensordsl.ops.linalg import ExtractDiag

    return ExtractDiag(offset, axis1, axis2)(a)


def diag(v: Any, k: int = 0) -> TensorVariable:
    """numpy.diag: a vector gives a matrix with it on the k-th diagonal; a matrix (or
    more dims) gives its k-th diagonal."""
    from tensordsl.ops.linalg import AllocDiag

    v = as_tensor_variable(v)
    if v.ndim == 1:
        return AllocDiag(k)(v)
    if v.ndim >= 2:
        return diagonal(v, offset=k)
    raise ValueError(f"diag: the input {v!r} must have at least 1 dim")


def specify_shape(x: Any, shape: Any) -> TensorVariable:
    """`x`, promised to have `shape` (ints or integer scalars): constant entries become
    static sizes, and a different shape at run time raises ShapeMismatchError (a
    ValueError and an AssertionError, which is what Theano raised)."""
    from tensordsl.ops.extra import SpecifyShape
    from tensordsl.tensor.basic import _shape_vector

    x = as_tensor_variable(x)
    if isinstance(shape, (list, tuple)) and len(shape) != x.ndim:
        raise ValueError(f"specify_shape: {x!r} has {x.ndim} dims but the shape {shape!r} has "
                         f"{len(shape)} entries")
    return SpecifyShape()(x, _shape_vector(shape))


def sgn(x: Any) -> TensorVariable:
    """Theano's name for the elementwise sign (-1, 0, 1)."""
    return tm.sign(x)


def max_and_argmax(a: Any, axis: Any = None, keepdims: bool = False) -> list[TensorVariable]:
    """[max(a, axis), argmax(a, axis)]; axis None reduces over everything (the argmax is an
    index into the flattened tensor)."""
    a = as_tensor_variable(a)
    if axis is not None and not isinstance(axis, (int, np.integer)):
        axis = list(axis)
        if len(axis) == a.ndim and sorted(int(x) % a.ndim for x in axis) == list(range(a.ndim)):
            axis = None
        elif len(axis) == 1:
            axis = axis[0]
        else:
            raise NotImplementedError(f"max_and_argmax: argmax over the axes {axis} (not "
                                      f"all of them) is not supported; give one axis or None")
    return [tm.max(a, axis=axis, keepdims=keepdims), tm.argmax(a, axis=axis, keepdims=keepdims)]


def shape_padleft(t: Any, n_ones: int = 1) -> TensorVariable:
    """`t` with `n_ones` broadcastable dims added on the left."""
    t = as_tensor_variable(t)
    return dimshuffle(t, ["x"] * n_ones + list(range(t.ndim)))


def shape_padright(t: Any, n_ones: int = 1) -> TensorVariable:
    """`t` with `n_ones` broadcastable dims added on the right."""
    t = as_tensor_variable(t)
    return dimshuffle(t, list(range(t.ndim)) + ["x"] * n_ones)


def shape_padaxis(t: Any, axis: int) -> TensorVariable:
    """`t` with a broadcastable dim inserted at `axis` (negative counts from the end)."""
    t = as_tensor_variable(t)
    if not -t.ndim - 1 <= axis <= t.ndim:
        raise IndexError(f"shape_padaxis: axis {axis} is out of bounds for a {t.ndim}-d "
                         f"tensor (result has {t.ndim + 1} dims)")
    axis %= t.ndim + 1
    pattern: list[Any] = list(range(t.ndim))
    pattern.insert(axis, "x")
    return dimshuffle(t, pattern)


def _size(x: TensorVariable, dims: Sequence[int]) -> Any:
    """The product of the sizes of `dims` of `x` (a constant when they are static)."""
    static = [x.type.shape[d] for d in dims]
    if all(s is not None for s in static):
        return int(np.prod(static, dtype="int64"))
    total: Any = constant(1, dtype="int64")
    for d in dims:
        total = tm.mul(total, shape_i(x, d))
    return total


def _normalize_axes(a: TensorVariable, b: TensorVariable, axes: Any
                    ) -> tuple[list[int], list[int]]:
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if n < 0 or n > a.ndim or n > b.ndim:
            raise ValueError(f"tensordot: axes={n} needs that many dims in both operands, "
                             f"got {a.ndim}-d and {b.ndim}-d")
        return list(range(a.ndim - n, a.ndim)), list(range(n))
    try:
        axes_a, axes_b = axes
    except (TypeError, ValueError):
        raise ValueError(f"tensordot: axes must be an int or a pair of axis lists, got "
                         f"{axes!r}") from None
    axes_a = [axes_a] if isinstance(axes_a, (int, np.integer)) else list(axes_a)
    axes_b = [axes_b] if isinstance(axes_b, (int, np.integer)) else list(axes_b)
    if len(axes_a) != len(axes_b):
        raise ValueError(f"tensordot: the axis lists {axes_a} and {axes_b} differ in length")
    for who, t, lst in (("a", a, axes_a), ("b", b, axes_b)):
        for ax in lst:
            if not -t.ndim <= int(ax) < t.ndim:
                raise ValueError(f"tensordot: axis {ax} is out of range for {who} "
                                 f"({t.ndim}-d)")
    return [int(x) % a.ndim for x in axes_a], [int(x) % b.ndim for x in axes_b]


def tensordot(a: Any, b: Any, axes: Any = 2) -> TensorVariable:
    """numpy.tensordot: sum products over `axes` (an int n, the last n dims of `a` with the
    first n of `b`, or a pair of axis lists); built as transpose, reshape and dot."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    axes_a, axes_b = _normalize_axes(a, b, axes)
    for x, y in zip(axes_a, axes_b):
        sa, sb = a.type.shape[x], b.type.shape[y]
        if sa is not None and sb is not None and sa != sb:
            raise ValueError(f"tensordot: dim {x} of a (size {sa}) and dim {y} of b (size "
                             f"{sb}) must match")
    free_a = [d for d in range(a.ndim) if d not in axes_a]
    free_b = [d for d in range(b.ndim) if d not in axes_b]
    a2 = reshape(dimshuffle(a, free_a + axes_a), [_size(a, free_a), _size(a, axes_a)])
    b2 = reshape(dimshuffle(b, axes_b + free_b), [_size(b, axes_b), _size(b, free_b)])
    out = tm.dot(a2, b2)
    out_shape = [shape_i(a, d) if a.type.shape[d] is None else a.type.shape[d] for d in free_a]
    out_shape += [shape_i(b, d) if b.type.shape[d] is None else b.type.shape[d]
                  for d in free_b]
    if not out_shape:
        return reshape(out, constant(np.zeros(0, dtype="int64")), ndim=0)
    return reshape(out, out_shape)


def batched_dot(a: Any, b: Any) -> TensorVariable:
    """Theano's batched_dot: for each i along the first (batch) axis, dot(a[i], b[i]).

    A 1-d operand scales the other per batch entry; otherwise the last axis of `a` is
    contracted with axis max(1, b.ndim - 2) of `b`, as Theano 1.0 does.
    """
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim == 0:
        raise TypeError(f"batched_dot: a ({a!r}) must have at least one (batch) axis")
    if b.ndim == 0:
        raise TypeError(f"batched_dot: b ({b!r}) must have at least one (batch) axis")
    if a.ndim == 1:
        return tm.mul(dimshuffle(a, [0] + ["x"] * (b.ndim - 1)), b)
    if b.ndim == 1:
        return tm.mul(a, dimshuffle(b, [0] + ["x"] * (a.ndim - 1)))
    kb = max(1, b.ndim - 2)
    free_a = list(range(1, a.ndim - 1))
    free_b = [d for d in range(1, b.ndim) if d != kb]
    # lay both out as (batch, a's free dims, b's free dims, k) and sum the products over k
    a_x = dimshuffle(a, [0, *free_a] + ["x"] * len(free_b) + [a.ndim - 1])
    b_x = dimshuffle(b, [0] + ["x"] * len(free_a) + free_b + [kb])
    return tm.sum(tm.mul(a_x, b_x), axis=-1, dtype=dtypes.upcast(a.dtype, b.dtype))


def addbroadcast(x: Any, *axes: int) -> TensorVariable:
    """`x` with `axes` made broadcastable (size 1; checked at run time), Theano's."""
    from tensordsl.ops.rebroadcast import Rebroadcast

    return Rebroadcast(*[(axis, True) for axis in axes])(x) if axes else as_tensor_variable(x)


def unbroadcast(x: Any, *axes: int) -> TensorVariable:
    """`x` with `axes` no longer broadcastable (their static size 1 forgotten)."""
    from tensordsl.ops.rebroadcast import Rebroadcast

    return Rebroadcast(*[(axis, False) for axis in axes])(x) if axes else as_tensor_variable(x)


def patternbroadcast(x: Any, broadcastable: Any) -> TensorVariable:
    """`x` with the broadcastable pattern `broadcastable` (one bool per dim)."""
    from tensordsl.ops.rebroadcast import Rebroadcast

    x = as_tensor_variable(x)
    pattern = [bool(b) for b in broadcastable]
    if len(pattern) != x.ndim:
        raise ValueError(f"patternbroadcast: {x} has {x.ndim} dims but the pattern "
                         f"{tuple(broadcastable)} has {len(pattern)} entries")
    if tuple(pattern) == x.broadcastable:
        return x
    return Rebroadcast(*enumerate(pattern))(x)


def tile(x: Any, reps: Any, ndim: int | None = None) -> TensorVariable:
    """`x` repeated `reps` times along each dim (numpy.tile; Theano 1.0's signature).

    reps: an int, a list of ints or integer scalars, or an integer vector (then `ndim`,
    the output's number of dims, is required). The result has max(x.ndim, len(reps))
    dims (or `ndim`): `x` gains leading dims and `reps` leading 1s. Built from alloc and
    reshape, so the gradient sums the copies.
    """
    from tensordsl.tensor.basic import alloc

    x = as_tensor_variable(x)
    if isinstance(reps, (int, np.integer)):
        reps = [int(reps)]
    if isinstance(reps, (tuple, list)):
        parts = [as_tensor_variable(r) for r in reps]
        for r in parts:
            if r.ndim != 0 or not dtypes.is_int(r.dtype):
                raise ValueError(f"tile: reps must be integers, got {reps!r}")
        n_reps = len(parts)
    else:
        vec = as_tensor_variable(reps)
        if vec.ndim != 1 or not dtypes.is_int(vec.dtype):
            raise ValueError(f"tile: reps must be an int, a list of integer scalars or an "
                             f"integer vector, got {vec.type}")
        if ndim is None:
            raise ValueError("tile: if reps is a symbolic vector, ndim must be given")
        n_reps = ndim
        parts = [vec[i] for i in range(ndim)]
    out_ndim = max(x.ndim, n_reps) if ndim is None else ndim
    if out_ndim < x.ndim or out_ndim < n_reps:
        raise ValueError(f"tile: ndim={ndim} is less than x.ndim={x.ndim} or len(reps)="
                         f"{n_reps}")
    parts = [constant(1, dtype="int64")] * (out_ndim - n_reps) + parts
    x = dimshuffle(x, ["x"] * (out_ndim - x.ndim) + list(range(x.ndim)))
    # (r0, s0, r1, s1, ...) copies, then merged per dim
    pattern: list[Any] = []
    for d in range(out_ndim):
        pattern += ["x", d]
    sizes = [x.shape[d] for d in range(out_ndim)]
    copies = alloc(dimshuffle(x, pattern),
                   *[v for d in range(out_ndim) for v in (parts[d], sizes[d])])
    return reshape(copies, [tm.mul(parts[d], sizes[d]) for d in range(out_ndim)],
                   ndim=out_ndim)


def roll(x: Any, shift: Any, axis: int | None = None) -> TensorVariable:
    """numpy.roll: elements shifted by `shift` (an int or integer scalar) along `axis`,
    wrapping around; axis None rolls the flattened tensor (Theano 1.0's signature)."""
    from tensordsl.tensor.basic import flatten, join

    x = as_tensor_variable(x)
    if axis is None:
        if x.ndim > 1:
            return reshape(roll(flatten(x), shift, axis=0), x.shape, ndim=x.ndim)
        axis = 0
    if not -x.ndim <= axis < max(x.ndim, 1):
        raise ValueError(f"roll: axis {axis} is out of range for {x} ({x.ndim} dims)")
    axis %= max(x.ndim, 1)
    # the shift modulo the size: a shift of n or more wraps around
    shift = tm.mod(as_tensor_variable(shift), x.shape[axis])
    front = [slice(None)] * axis + [slice(-shift, None)]
    back = [slice(None)] * axis + [slice(0, -shift)]
    return join(axis, x[tuple(front)], x[tuple(back)])


__all__ = ["eye", "identity_like", "tri", "tril", "triu", "diagonal", "diag", "sgn",
           "specify_shape", "max_and_argmax", "shape_padleft", "shape_padright",
           "shape_padaxis", "tensordot", "batched_dot", "addbroadcast", "unbroadcast",
           "patternbroadcast", "tile", "roll"]
