"""Theano's `theano.scalar` helpers that programs call directly: upcast."""

from __future__ import annotations

from typing import Any

from tensordsl import dtypes
from tensordsl.config import config


def upcast(dtype: Any, *more: Any) -> str:
    """The dtype numpy promotes the given dtypes to, as a string (Theano's scalar.upcast).

    As in Theano, with config.floatX 'float32' (or 'float16') a float64 result that no
    float64 (or float32) input asked for is kept at floatX.
    """
    names = [dtypes.canonical(d) for d in (dtype, *more)]
    out = dtypes.upcast(*names)
    if out == "float64" and "float64" not in names:
        if config.floatX == "float16" and "float32" not in names:
            return "float16"
        if config.floatX == "float32":
            return "float32"
    return out


__all__ = ["upcast"]
