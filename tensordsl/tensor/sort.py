"""Theano's tensor.sort: sort and argsort along an axis (None: of the flattened tensor),
and Theano 1.0's topk / argtopk / topk_and_argtopk."""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl.graph.convert import as_tensor_variable
from tensordsl.ops.extra import ArgSort, Sort, check_axis
from tensordsl.tensor.basic import flatten
from tensordsl.tensor.variable import TensorVariable

_KINDS = ("quicksort", "mergesort", "heapsort", "stable")


def _prepare(a: Any, axis: int | None, kind: str, order: Any, who: str
             ) -> tuple[TensorVariable, int]:
    if order is not None:
        raise ValueError(f"{who}: order= applies to structured arrays, which tensors are not")
    if kind not in _KINDS:
        raise ValueError(f"{who}: kind must be one of {', '.join(_KINDS)}, got {kind!r}")
    a = as_tensor_variable(a)
    if axis is None:
        return flatten(a) if a.ndim != 1 else a, 0
    if a.ndim == 0:
        raise ValueError(f"{who}: {a!r} is a scalar; give axis=None or a tensor of 1+ dims")
    return a, check_axis(int(axis), a.ndim, who)  # type: ignore[return-value]


def sort(a: Any, axis: int | None = -1, kind: str = "quicksort", order: Any = None
         ) -> TensorVariable:
    """numpy.sort(a, axis, kind): a sorted copy; differentiable (the gradient is permuted
    back to the input's order)."""
    a, ax = _prepare(a, axis, kind, order, "sort")
    return Sort(ax, kind)(a)


def argsort(a: Any, axis: int | None = -1, kind: str = "quicksort", order: Any = None
            ) -> TensorVariable:
    """numpy.argsort(a, axis, kind): int64 indices that sort `a` along `axis`."""
    a, ax = _prepare(a, axis, kind, order, "argsort")
    return ArgSort(ax, kind)(a)


def _topk_indices(x: Any, kth: Any, axis: int, sorted: bool, idx_dtype: str,  # noqa: A002
                  who: str) -> tuple[TensorVariable, TensorVariable]:
    from tensordsl.ops.topk import ArgTopK

    if not isinstance(sorted, (bool, np.bool_)):
        raise TypeError(f"{who}: sorted must be a bool, got {sorted!r}")
    if isinstance(kth, (int, np.integer)) and int(kth) == 0:
        raise ValueError(f"{who}: kth cannot be zero")
    x = as_tensor_variable(x)
    return x, ArgTopK(axis, idx_dtype)(x, kth)


def _take_along(x: TensorVariable, idx: TensorVariable, axis: int) -> TensorVariable:
    """x's entries at `idx` along `axis` (numpy.take_along_axis), by advanced indexing
    with an arange grid on every other axis (so the gradient is the indexing's)."""
    from tensordsl.tensor.basic import arange, dimshuffle

    axis %= x.ndim
    index: list[Any] = []
    for d in range(x.ndim):
        if d == axis:
            index.append(idx)
        else:
            pattern = ["x"] * x.ndim
            pattern[d] = 0
            index.append(dimshuffle(arange(x.shape[d]), pattern))
    return x[tuple(index)]


def argtopk(x: Any, kth: Any, axis: int = -1, sorted: bool = True,  # noqa: A002
            idx_dtype: str = "int64") -> TensorVariable:
    """The indices of the kth largest entries of x along `axis` (kth < 0: the |kth|
    smallest), Theano 1.0's argtopk; largest (or smallest) first. Theano's CPU op left
    the order unspecified with sorted=False; any order satisfies that, so both are
    sorted here."""
    _, idx = _topk_indices(x, kth, axis, sorted, idx_dtype, "argtopk")
    return idx


def topk(x: Any, kth: Any, axis: int = -1, sorted: bool = True,  # noqa: A002
         idx_dtype: str = "int64") -> TensorVariable:
    """The kth largest entries of x along `axis` (kth < 0: the |kth| smallest), Theano
    1.0's topk; differentiable (the gradient goes back to the entries taken)."""
    return topk_and_argtopk(x, kth, axis, sorted, idx_dtype)[0]


def topk_and_argtopk(x: Any, kth: Any, axis: int = -1, sorted: bool = True,  # noqa: A002
                     idx_dtype: str = "int64") -> tuple[TensorVariable, TensorVariable]:
    """(topk(...), argtopk(...)) of one sort."""
    x, idx = _topk_indices(x, kth, axis, sorted, idx_dtype, "topk")
    return _take_along(x, idx, axis), idx


__all__ = ["sort", "argsort", "topk", "argtopk", "topk_and_argtopk"]
