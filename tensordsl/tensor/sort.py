"""Theano's tensor.sort: sort and argsort along an axis (None: of the flattened tensor)."""

from __future__ import annotations

from typing import Any

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


__all__ = ["sort", "argsort"]
