"""Pieces shared by the random streams (`tensordsl.sandbox.rng_mrg`,
`tensordsl.tensor.shared_randomstreams`): the `undefined_grad` marker and the
checking of `size` arguments.

Random sampling ops have no gradient: Theano 1.0 wraps the distribution parameters
(low/high, avg/std, p, pvals) in `undefined_grad`, so asking for the gradient of a sample
with respect to them raises instead of silently returning the reparameterised value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tensordsl import dtypes
from tensordsl.gradient.core import NotImplementedGrad, register_grad
from tensordsl.graph.basic import Apply, Constant, Op, Variable
from tensordsl.graph.convert import as_tensor_variable, constant
from tensordsl.ops.shape import MakeVector, static_int


class UndefinedGrad(Op):
    """Returns its input unchanged; a gradient through it is undefined (raises)."""

    __props__ = ()
    view_map = {0: [0]}

    def make_node(self, x: Any) -> Apply:
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        return [inputs[0]]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [input_shapes[0]]


@register_grad(UndefinedGrad)
def _undefined_grad_rule(node: Apply, out_grads: list) -> list:
    return [NotImplementedGrad("the gradient through a random sampling op is undefined "
                               "(Theano's undefined_grad)")]


def undefined_grad(x: Any) -> Variable:
    """`x`, whose gradient is undefined: grad() through it raises (a constant stays one)."""
    x = as_tensor_variable(x)
    if isinstance(x, Constant):
        return x  # nothing can depend on a constant: no marker needed
    return UndefinedGrad()(x)


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def size_vector(size: Any, who: str, allow_scalar: bool = True, min_size: int = 1) -> Variable:
    """`size` (an int, a tuple/list of ints and integer scalars, or an integer vector
    variable) as an int64 vector variable; a clear error names `who` otherwise.
    Constant entries must be >= `min_size` (MRG refuses empty samples, as Theano)."""
    if isinstance(size, Variable):
        if not dtypes.is_int(size.dtype):
            raise TypeError(f"{who}: size must hold integers, got {size!r} of dtype {size.dtype}")
        if size.ndim == 0 and allow_scalar:
            return MakeVector("int64")(size)
        if size.ndim != 1:
            raise TypeError(f"{who}: size must be an integer vector (or a tuple of integers), "
                            f"got {size!r} with {size.ndim} dims")
        return size
    if _is_int(size) and allow_scalar:
        size = (size,)
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"{who}: size must be a tuple of ints or a symbolic integer vector, "
                        f"got {type(size).__name__} {size!r:.60}")
    entries = list(size)
    for i, entry in enumerate(entries):
        if _is_int(entry):
            if entry < min_size:
                raise ValueError(f"{who}: the specified size {tuple(size)} contains a "
                                 f"dimension with value < {min_size} (entry {i} is {entry})")
        elif isinstance(entry, Variable):
            if entry.ndim != 0 or not dtypes.is_int(entry.dtype):
                raise TypeError(f"{who}: size entry {i} must be an integer scalar, got "
                                f"{entry!r} ({entry.type})")
        else:
            raise TypeError(f"{who}: size entry {i} must be an int or an integer scalar "
                            f"variable, got {type(entry).__name__} {entry!r:.40}")
    if all(_is_int(e) for e in entries):
        return constant(np.asarray(entries, dtype="int64").reshape(len(entries)))
    return MakeVector("int64")(*entries)


def vector_length(size: Variable, ndim: int | None, who: str) -> int:
    """The number of entries of the size vector (checked against `ndim` when given)."""
    length = size.type.shape[0]
    if ndim is not None:
        if length is not None and length != ndim:
            raise ValueError(f"{who}: ndim={ndim} but size has {length} entries")
        return int(ndim)
    if length is None:
        raise ValueError(f"{who}: the length of the symbolic size {size!r} is not known; "
                         f"pass ndim=")
    return int(length)


def static_sizes(size: Variable, ndim: int) -> tuple[int | None, ...]:
    """The sizes known before run time (None where only the run time knows)."""
    if isinstance(size, Constant):
        return tuple(int(s) if s >= 0 else None for s in size.data.reshape(-1))
    if size.owner is not None and isinstance(size.owner.op, MakeVector):
        known = [static_int(s) for s in size.owner.inputs]
        return tuple(s if s is not None and s >= 0 else None for s in known)
    return (None,) * ndim


def run_time_shape(size: np.ndarray, ndim: int, who: str) -> tuple[int, ...]:
    """The size vector's value as a shape, checked (length, non-negative)."""
    size = np.asarray(size)
    if size.ndim != 1 or size.shape[0] != ndim:
        raise ValueError(f"{who}: size must have {ndim} entries, got {size.tolist()}")
    shape = tuple(int(s) for s in size)
    if any(s < 0 for s in shape):
        raise ValueError(f"{who}: size must be non-negative, got {shape}")
    return shape


def shape_entries(size: Variable, ndim: int) -> tuple[Variable, ...]:
    """The entries of the size vector as symbolic scalars (for infer_shape)."""
    if size.owner is not None and isinstance(size.owner.op, MakeVector):
        return tuple(size.owner.inputs)
    return tuple(size[i] for i in range(ndim))


__all__: Sequence[str] = ["UndefinedGrad", "run_time_shape", "shape_entries", "size_vector",
                          "static_sizes", "undefined_grad", "vector_length"]
