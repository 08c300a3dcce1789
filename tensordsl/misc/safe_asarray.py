"""Theano 1.0's theano.misc.safe_asarray._asarray."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["_asarray"]


def _asarray(a: Any, dtype: Any, order: str | None = None) -> np.ndarray:
    """numpy.asarray(a, dtype, order), with the result's dtype checked to be exactly
    the one asked for (Theano's guard against numpy's int/int32 aliasing)."""
    if str(dtype) == "floatX":
        from tensordsl.config import config

        dtype = config.floatX
    dtype = np.dtype(dtype)
    rval = np.asarray(a, dtype=dtype, order=order)
    if rval.dtype.num != dtype.num:
        rval = rval.view(dtype)  # the same type under another number (numpy aliases)
    if rval.dtype != dtype:
        raise TypeError(f"_asarray: could not convert to dtype {dtype}, got {rval.dtype}")
    return rval
