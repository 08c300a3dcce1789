"""Theano 1.0's tensor.signal.pool: pool_2d, pool_3d, max_pool_2d_same_size and the ops.

Pooling runs over the last 2 (3) dims of a tensor of at least that many dims, so
(batch, channels, rows, cols) images and plain matrices both work.
"""

from __future__ import annotations

import warnings
from typing import Any

from tensordsl.graph.convert import as_tensor_variable
from tensordsl.ops.pool import (
    AveragePoolGrad,
    DownsampleFactorMaxGradGrad,
    MaxPoolGrad,
    Pool,
    PoolBase,
    pool_out_size,
)
from tensordsl.tensor.variable import TensorVariable

PoolGrad = PoolBase

__all__ = ["AveragePoolGrad", "DownsampleFactorMaxGradGrad", "MaxPoolGrad", "Pool", "PoolGrad",
           "max_pool_2d_same_size", "pool_2d", "pool_3d", "pool_out_size"]

IGNORE_BORDER_WARNING = (
    "pool_2d() will have the parameter ignore_border default value changed to True "
    "(currently False). To have consistent behavior with all Theano versions, explicitly "
    "add the parameter ignore_border=True.")


def _renamed(new: Any, old: Any, new_name: str, old_name: str, unset: Any = None) -> Any:
    """Theano 1.0's handling of a deprecated keyword (ds, st, padding)."""
    if old is None:
        return new
    if new not in (None, unset):
        raise ValueError(f"You can't provide a tuple value to both '{new_name}' and "
                         f"'{old_name}'. Please provide a value only to '{new_name}'.")
    warnings.warn(f"DEPRECATION: the '{old_name}' parameter is not going to exist anymore as "
                  f"it is going to be replaced by the parameter '{new_name}'.", stacklevel=3)
    return old


def _pool_nd(nd: int, name: str, input: Any, ws: Any, ignore_border: bool | None,
             stride: Any, pad: Any, mode: str, ds: Any, st: Any, padding: Any
             ) -> TensorVariable:
    ws = _renamed(ws, ds, "ws", "ds")
    if ws is None:
        raise ValueError(f"{name}: you must provide a tuple value for the window size (ws)")
    stride = _renamed(stride, st, "stride", "st")
    pad = _renamed(pad, padding, "pad", "padding", unset=(0,) * nd)
    input = as_tensor_variable(input)
    if input.ndim < nd:
        raise TypeError(f"{name}: input must have at least {nd} dims (pooling runs over the "
                        f"last {nd}), got {input.ndim} ({input.type})")
    if ignore_border is None:
        # Theano 1.0: warn, then pool with ignore_border=False (partial border windows kept)
        warnings.warn(IGNORE_BORDER_WARNING.replace("pool_2d", name), stacklevel=3)
        ignore_border = False
    return Pool(ignore_border, mode=mode, ndim=nd)(input, ws, stride, pad)


def pool_2d(input: Any, ws: Any = None, ignore_border: bool | None = None, stride: Any = None,
            pad: Any = (0, 0), mode: str = "max", ds: Any = None, st: Any = None,
            padding: Any = None) -> TensorVariable:
    """Pool the last two dims of `input` over windows of `ws` = (rows, cols).

    stride defaults to ws (no overlap); pad = (rows, cols) zeros added on both sides
    (needs ignore_border=True and pad < ws). mode: 'max', 'sum', 'average_inc_pad'
    (padding counted in the divisor) or 'average_exc_pad'. ignore_border=False keeps the
    partial windows at the border ((5, 5) with ws=(2, 2) gives (3, 3)); None warns and
    means False, as in Theano 1.0. ds, st and padding are Theano's deprecated spellings.
    """
    return _pool_nd(2, "pool_2d", input, ws, ignore_border, stride, pad, mode, ds, st, padding)


def pool_3d(input: Any, ws: Any = None, ignore_border: bool | None = None, stride: Any = None,
            pad: Any = (0, 0, 0), mode: str = "max", ds: Any = None, st: Any = None,
            padding: Any = None) -> TensorVariable:
    """pool_2d over the last three dims."""
    return _pool_nd(3, "pool_3d", input, ws, ignore_border, stride, pad, mode, ds, st, padding)


def max_pool_2d_same_size(input: Any, patch_size: Any) -> TensorVariable:
    """Keep each (patch_size) patch's maximum where it is and zero the rest (same shape).

    As in Theano, the rows/cols of an incomplete patch at the border become zero.
    """
    input = as_tensor_variable(input)
    if input.ndim < 2:
        raise TypeError(f"max_pool_2d_same_size: input must have at least 2 dims, got "
                        f"{input.ndim} ({input.type})")
    output = Pool(True)(input, patch_size)
    return MaxPoolGrad(True)(input, output, output, patch_size)
