"""Typed variable constructors: dscalar, fvector, imatrix, ..., and their plurals.

Prefixes give the dtype (b int8, w int16, i int32, l int64, f float32, d float64,
c complex64, z complex128); kinds give the static shape (row is (1, ?), col is (?, 1)).
The generic constructors (`matrix(name, dtype=None)`) default to `config.floatX`.
"""

from __future__ import annotations

from typing import Any

from tensordsl.config import config
from tensordsl.graph.type import TensorType
from tensordsl.tensor.variable import TensorVariable

PREFIX_DTYPES = {
    "b": "int8", "w": "int16", "i": "int32", "l": "int64",
    "f": "float32", "d": "float64", "c": "complex64", "z": "complex128",
}

KIND_SHAPES: dict[str, tuple[int | None, ...]] = {
    "scalar": (),
    "vector": (None,),
    "matrix": (None, None),
    "row": (1, None),
    "col": (None, 1),
    **{f"tensor{n}": (None,) * n for n in range(3, 8)},
}

PLURALS = {"scalar": "scalars", "vector": "vectors", "matrix": "matrices", "row": "rows",
           "col": "cols", **{f"tensor{n}": f"tensor{n}s" for n in range(3, 8)}}


def tensor(dtype: Any = None, shape: tuple[int | None, ...] | None = None,
           name: str | None = None, broadcastable: tuple[bool, ...] | None = None
           ) -> TensorVariable:
    """A symbolic tensor of `dtype` with static `shape` (None = unknown size).

    Theano's spelling `tensor(dtype, broadcastable=(False, True))` is accepted too.
    """
    if shape is None:
        shape = tuple(1 if b else None for b in broadcastable) if broadcastable else ()
    return TensorType(dtype or config.floatX, shape)(name)


def _make_single(kind: str, fixed_dtype: str | None):
    shape = KIND_SHAPES[kind]

    if fixed_dtype is None:
        def constructor(name: str | None = None, dtype: Any = None) -> TensorVariable:
            return TensorType(dtype or config.floatX, shape)(name)
        constructor.__doc__ = f"A symbolic {kind} of `dtype` (default config.floatX)."
    else:
        # Theano: T.dscalar is a TensorType instance; calling it makes a variable whose
        # .type is that very instance
        return TensorType(fixed_dtype, shape)
    return constructor


def _make_plural(kind: str, fixed_dtype: str | None):
    single = _make_single(kind, fixed_dtype)

    def constructor(*names: Any, dtype: Any = None) -> list[TensorVariable]:
        if len(names) == 1 and isinstance(names[0], int):
            names = (None,) * names[0]
        if fixed_dtype is None:
            return [single(n, dtype=dtype) for n in names]
        return [single(n) for n in names]

    constructor.__doc__ = f"One symbolic {kind} per name (or n unnamed ones)."
    return constructor


CONSTRUCTORS: dict[str, Any] = {}
for _kind in KIND_SHAPES:
    CONSTRUCTORS[_kind] = _make_single(_kind, None)
    CONSTRUCTORS[PLURALS[_kind]] = _make_plural(_kind, None)
    for _prefix, _dtype in PREFIX_DTYPES.items():
        CONSTRUCTORS[_prefix + _kind] = _make_single(_kind, _dtype)
        CONSTRUCTORS[_prefix + PLURALS[_kind]] = _make_plural(_kind, _dtype)
for _name, _fn in CONSTRUCTORS.items():
    if not isinstance(_fn, TensorType):
        _fn.__name__ = _fn.__qualname__ = _name
globals().update(CONSTRUCTORS)

__all__ = ["tensor", "PREFIX_DTYPES", "KIND_SHAPES", "PLURALS", *CONSTRUCTORS]
