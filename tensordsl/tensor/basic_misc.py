"""More of Theano 1.0's tensor namespace: largest/smallest, ptp, power, deg2rad/rad2deg,
iround, horizontal_stack/vertical_stack, stacklists, mgrid/ogrid, isclose/allclose,
nonzero/flatnonzero/nonzero_values. Each is Theano's construction from existing ops
(docs/theano_surface.md)."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from tensordsl.config import config
from tensordsl.graph.convert import as_tensor_variable, constant
from tensordsl.tensor import math as tm
from tensordsl.tensor.basic import arange, concatenate, flatten, stack
from tensordsl.tensor.variable import TensorVariable

__all__ = ["largest", "smallest", "ptp", "power", "deg2rad", "rad2deg", "iround",
           "horizontal_stack", "vertical_stack", "stacklists", "mgrid", "ogrid", "isclose",
           "allclose", "nonzero", "flatnonzero", "nonzero_values"]


def largest(*args: Any) -> TensorVariable:
    """The elementwise largest of the arguments (broadcast together)."""
    if not args:
        raise ValueError("largest: needs at least one argument")
    # pairwise (Theano stacks 3 or more, which needs equal shapes; this broadcasts)
    return functools.reduce(tm.maximum, args[1:], as_tensor_variable(args[0]))


def smallest(*args: Any) -> TensorVariable:
    """The elementwise smallest of the arguments (broadcast together)."""
    if not args:
        raise ValueError("smallest: needs at least one argument")
    return functools.reduce(tm.minimum, args[1:], as_tensor_variable(args[0]))


def ptp(a: Any, axis: Any = None) -> TensorVariable:
    """max - min along `axis` (the whole tensor when None), numpy.ptp."""
    a = as_tensor_variable(a)
    return tm.max(a, axis=axis) - tm.min(a, axis=axis)


def power(x: Any, y: Any) -> TensorVariable:
    """x ** y, elementwise (Theano's name)."""
    return tm.pow(x, y)


def deg2rad(x: Any) -> TensorVariable:
    """Degrees to radians: x * pi / 180 (the factor a floatX constant, as Theano)."""
    return as_tensor_variable(x) * constant(np.asarray(np.pi / 180, dtype=config.floatX))


def rad2deg(x: Any) -> TensorVariable:
    """Radians to degrees: x * 180 / pi (the factor a floatX constant, as Theano)."""
    return as_tensor_variable(x) * constant(np.asarray(180 / np.pi, dtype=config.floatX))


def iround(a: Any, mode: str | None = None) -> TensorVariable:
    """round(a, mode) as int64 (mode None: 'half_to_even', Theano 1.0's default)."""
    return tm.cast(tm.round(a, "half_to_even" if mode is None else mode), "int64")


def _stack_2d(args: tuple, axis: int, who: str) -> TensorVariable:
    if len(args) < 2:
        raise ValueError(f"{who}: needs at least 2 matrices, got {len(args)}")
    tensors = [as_tensor_variable(a) for a in args]
    for i, t in enumerate(tensors):
        if t.ndim != 2:
            raise ValueError(f"{who}: argument {i} must be a matrix, got {t.type}")
    return concatenate(tensors, axis=axis)


def horizontal_stack(*args: Any) -> TensorVariable:
    """Matrices side by side (joined along axis 1)."""
    return _stack_2d(args, 1, "horizontal_stack")


def vertical_stack(*args: Any) -> TensorVariable:
    """Matrices one above the other (joined along axis 0)."""
    return _stack_2d(args, 0, "vertical_stack")


def stacklists(arg: Any) -> Any:
    """Nested lists of scalars or tensors as one tensor (stack at every level)."""
    if isinstance(arg, (tuple, list)):
        return stack([stacklists(a) for a in arg])
    return arg


class _NdGrid:
    """mgrid / ogrid: `mgrid[0:5, 0:3]` is the list of dense index grids, `ogrid[...]`
    the open (broadcastable) ones; bounds may be symbolic integer scalars."""

    def __init__(self, sparse: bool) -> None:
        self.sparse = sparse

    def __getitem__(self, key: Any) -> list[TensorVariable]:
        slices = key if isinstance(key, tuple) else (key,)
        for sl in slices:
            if not isinstance(sl, slice) or sl.stop is None:
                raise TypeError(f"{'ogrid' if self.sparse else 'mgrid'}: expected slices "
                                f"with a stop (e.g. [0:5, 0:3]), got {key!r}")
            if isinstance(sl.step, complex):
                raise NotImplementedError("Not implemented for slices whose step is complex")
        ndim = len(slices)
        ranges = [arange(sl.start or 0, sl.stop, sl.step or 1) for sl in slices]
        ranges = [r.reshape(tuple([1] * j + [r.shape[0]] + [1] * (ndim - 1 - j)), ndim=ndim)
                  for j, r in enumerate(ranges)]
        if self.sparse:
            return ranges
        ones = [tm.ones_like(r) for r in ranges]
        grids = []
        for i in range(ndim):
            grid: Any = ranges[i]
            for j in range(ndim):
                if j != i:
                    grid = grid * ones[j]
            grids.append(grid)
        return grids


mgrid = _NdGrid(sparse=False)
ogrid = _NdGrid(sparse=True)


def isclose(a: Any, b: Any, rtol: float = 1.0e-5, atol: float = 1.0e-8,
            equal_nan: bool = False) -> TensorVariable:
    """numpy.isclose: |a - b| <= atol + rtol * |b|, elementwise (bool); infinities are
    close when equal, NaNs only with equal_nan."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    close = tm.le(tm.abs(a - b), atol + rtol * tm.abs(b))
    a_nan, b_nan = tm.isnan(a), tm.isnan(b)
    a_inf, b_inf = tm.isinf(a), tm.isinf(b)
    finite = tm.invert(tm.or_(tm.or_(a_nan, b_nan), tm.or_(a_inf, b_inf)))
    result = tm.or_(tm.and_(close, finite), tm.and_(tm.and_(a_inf, b_inf), tm.eq(a, b)))
    if equal_nan:
        result = tm.or_(result, tm.and_(a_nan, b_nan))
    return result


def allclose(a: Any, b: Any, rtol: float = 1.0e-5, atol: float = 1.0e-8,
             equal_nan: bool = False) -> TensorVariable:
    """Whether every pair is close (isclose), a bool scalar."""
    return tm.all(isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def nonzero(a: Any, return_matrix: bool = False) -> Any:
    """The indices of the non-zero entries: a tuple of int64 vectors, one per dim
    (numpy.nonzero), or the (ndim, count) matrix with return_matrix."""
    from tensordsl.ops.nonzero import Nonzero

    a = as_tensor_variable(a)
    matrix = Nonzero()(a)
    if return_matrix:
        return matrix
    return tuple(matrix[i] for i in range(a.ndim))


def flatnonzero(a: Any) -> TensorVariable:
    """The indices of the non-zero entries of the flattened tensor."""
    a = as_tensor_variable(a)
    if a.ndim == 0:
        raise ValueError("flatnonzero: the input must have at least 1 dim")
    return nonzero(flatten(a), return_matrix=True)[0]


def nonzero_values(a: Any) -> TensorVariable:
    """The non-zero entries of the flattened tensor, in order (differentiable)."""
    a = as_tensor_variable(a)
    return flatten(a)[flatnonzero(a)]
