"""Dtype rules: the one place that decides what dtype an operation returns.

Two cast policies exist (``config.cast_policy``):

* ``theano`` (default for the symbolic API) follows Theano 1.0: a Python int constant
  takes the smallest of int8..int64 holding it; a Python float takes float32 when
  float32 holds it exactly, else float64 (with floatX=float32 every Python float is
  float32); float functions of int8/int16/bool give float32 and of wider ints give
  float64; int/int true division gives floatX; comparisons give bool; integer sums
  give int64.
* ``numpy`` (NEP 50, used by the ``@compile`` decorator) returns exactly what the
  plain numpy call returns: Python scalars are weak and take the partner's dtype.

Tensor/tensor promotion is numpy's array promotion under both policies.

The policy in force is `cast_policy()`: the one a graph builder set with
`using_cast_policy` (a context variable, so two threads building graphs at once each see
their own), else the `cast_policy` flag.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

import numpy as np

from tensordsl.config import config

_POLICY: contextvars.ContextVar[str | None] = contextvars.ContextVar("cast_policy",
                                                                     default=None)


def cast_policy() -> str:
    """The cast policy of the graph being built: 'theano' or 'numpy'."""
    return _POLICY.get() or config.cast_policy


@contextlib.contextmanager
def using_cast_policy(policy: str) -> Iterator[None]:
    """Build graphs under `policy` in this thread/context only (the decorator's numpy
    rules), without touching the process-wide flag."""
    if policy not in ("theano", "numpy"):
        raise ValueError(f"cast policy must be 'theano' or 'numpy', got {policy!r}")
    token = _POLICY.set(policy)
    try:
        yield
    finally:
        _POLICY.reset(token)

BOOL = "bool"
INT_DTYPES = ("int8", "int16", "int32", "int64")
UINT_DTYPES = ("uint8", "uint16", "uint32", "uint64")
FLOAT_DTYPES = ("float16", "float32", "float64")
COMPLEX_DTYPES = ("complex64", "complex128")
ALL_DTYPES = (BOOL,) + INT_DTYPES + UINT_DTYPES + FLOAT_DTYPES + COMPLEX_DTYPES

# Theano's `upgrade_to_float`: what a float-valued function of an integer returns.
_THEANO_FLOAT_OF = {
    "bool": "float32", "int8": "float32", "int16": "float32", "uint8": "float32",
    "uint16": "float32", "int32": "float64", "int64": "float64", "uint32": "float64",
    "uint64": "float64",
}


def is_int(dtype: str) -> bool:
    """True for signed and unsigned integer dtypes (not bool)."""
    return dtype in INT_DTYPES or dtype in UINT_DTYPES


def is_discrete(dtype: str) -> bool:
    """True for bool and integer dtypes."""
    return dtype == BOOL or is_int(dtype)


def is_float(dtype: str) -> bool:
    """True for real floating dtypes."""
    return dtype in FLOAT_DTYPES


def is_complex(dtype: str) -> bool:
    """True for complex dtypes."""
    return dtype in COMPLEX_DTYPES


def canonical(dtype: object) -> str:
    """The dtype's name as a string ('float64'), accepting numpy dtypes and types."""
    name = np.dtype(dtype).name  # type: ignore[call-overload]
    if name not in ALL_DTYPES:
        raise TypeError(f"unsupported dtype {name!r}; supported: {', '.join(ALL_DTYPES)}")
    return name


def upcast(*dtypes: str) -> str:
    """numpy's array/array promotion of the given dtypes."""
    return np.result_type(*[np.dtype(d) for d in dtypes]).name


def float_of(*dtypes: str) -> str:
    """Dtype of a float-valued function (exp, log, sqrt, true division...) of `dtypes`."""
    if cast_policy() == "numpy":
        return np.result_type(*[np.dtype(d) for d in dtypes], np.float16).name
    return upcast(*[_THEANO_FLOAT_OF.get(d, d) for d in dtypes])


def true_div_dtype(a: str, b: str) -> str:
    """Dtype of a / b."""
    if is_discrete(a) and is_discrete(b):
        return config.floatX if cast_policy() == "theano" else "float64"
    return float_of(a, b)


def no_bool_upcast(*in_dtypes: str) -> str:
    """Dtype of //, % and ** : numpy has no bool loop for them and computes bools in int8."""
    out = upcast(*in_dtypes)
    return "int8" if out == BOOL and cast_policy() == "numpy" else out


def sub_dtype(a: str, b: str) -> str:
    """Dtype of a - b; numpy refuses to subtract bools (use xor), so the numpy policy does."""
    if cast_policy() == "numpy" and a == BOOL and b == BOOL:
        raise TypeError("numpy boolean subtract is not supported; use xor (^) instead")
    return upcast(a, b)


def round_dtype(dtype: str, keeps_bool: bool = True) -> str:
    """Dtype of floor/ceil/trunc/round: numpy 2 keeps integer (and, except for round,
    bool) dtypes; Theano 1.0 returns a float."""
    if cast_policy() == "numpy" and (is_int(dtype) or (keeps_bool and dtype == BOOL)):
        return dtype
    return float_of(dtype)


def bool_unary_dtype(name: str, dtype: str) -> str:
    """Dtype of neg/sign/sqr of `dtype`: numpy refuses -bool and sign(bool) and squares
    bools in int8; Theano keeps the dtype."""
    if cast_policy() == "numpy" and dtype == BOOL:
        if name == "sqr":
            return "int8"
        raise TypeError(f"numpy does not support {name} of a bool tensor; use invert (~)")
    return dtype


def sum_dtype(dtype: str) -> str:
    """Dtype of sum/prod of a tensor of `dtype` (integer sums accumulate in 64 bits)."""
    if dtype == BOOL or dtype in INT_DTYPES:
        return "int64"
    if dtype in UINT_DTYPES:
        return "uint64"
    return dtype


def mean_dtype(dtype: str) -> str:
    """Dtype of mean/var/std of a tensor of `dtype`."""
    return "float64" if is_discrete(dtype) else dtype


def python_scalar_dtype(value: bool | int | float | complex, partners: tuple[str, ...] = ()) -> str:
    """Dtype of a Python scalar constant combined with tensors of dtypes `partners`."""
    if cast_policy() == "numpy":
        if partners:
            return np.result_type(*[np.dtype(d) for d in partners], value).name
        return np.asarray(value).dtype.name  # numpy's default int/float/complex
    if isinstance(value, (bool, np.bool_)):
        return BOOL
    if isinstance(value, int):
        for dtype in INT_DTYPES:
            info = np.iinfo(dtype)
            if info.min <= value <= info.max:
                return dtype
        return "uint64" if 0 <= value <= np.iinfo("uint64").max else _too_big(value)
    if isinstance(value, float):
        if cast_policy() == "numpy":
            return "float64"
        if config.floatX == "float32":
            return "float32"
        with np.errstate(over="ignore"):  # 1e300 overflows float32: not exact, float64
            exact = float(np.float32(value)) == value or value != value
        exact = exact or abs(value) == float("inf")
        return "float32" if exact else "float64"
    if isinstance(value, complex):
        return "complex128"
    raise TypeError(f"expected a Python number, got {type(value).__name__}")


def _too_big(value: int) -> str:
    raise OverflowError(f"integer constant {value} does not fit in 64 bits")
