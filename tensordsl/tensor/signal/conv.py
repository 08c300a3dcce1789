"""Theano 1.0's tensor.signal.conv: conv2d of single-channel images.

input is a matrix (one image) or a 3-d tensor (a batch of images), filters a matrix
(one filter) or a 3-d tensor (a stack); the result drops the batch / filter dim that
was not given: (rows, cols), (batch, rows, cols), (nkern, rows, cols) or (batch, nkern,
rows, cols). A true convolution (flipped filters), border_mode 'valid' or 'full', built
on nnet.conv.conv2d as Theano built it on ConvOp.
"""

from __future__ import annotations

from typing import Any

from tensordsl.graph.convert import as_tensor_variable
from tensordsl.tensor.basic import flatten, join, reshape, stack
from tensordsl.tensor.nnet.conv import conv2d as _nnet_conv2d
from tensordsl.tensor.variable import TensorVariable

__all__ = ["conv2d"]


def _shape4(shape: Any, ndim: int, what: str) -> tuple | None:
    """A 4-entry NCHW hint from a 2- or 3-entry shape hint (None stays None)."""
    if shape is None:
        return None
    shape = tuple(shape)
    if len(shape) != ndim:
        raise ValueError(f"signal.conv2d: {what} must have {ndim} entries for a {ndim}-d "
                         f"argument, got {shape!r}")
    return (shape[0] if ndim == 3 else 1, 1, *shape[-2:])


def conv2d(input: Any, filters: Any, image_shape: Any = None, filter_shape: Any = None,
           border_mode: str = "valid", subsample: Any = (1, 1), **kargs: Any
           ) -> TensorVariable:
    """2-d convolution of 2-d / 3-d `input` with 2-d / 3-d `filters` (module docstring)."""
    input, filters = as_tensor_variable(input), as_tensor_variable(filters)
    if input.ndim not in (2, 3):
        raise TypeError(f"signal.conv2d: input must be a matrix or a 3-d tensor, got "
                        f"{input.type}")
    if filters.ndim not in (2, 3):
        raise TypeError(f"signal.conv2d: filters must be a matrix or a 3-d tensor, got "
                        f"{filters.type}")
    bsize = input.shape[0] if input.ndim == 3 else 1
    nkern = filters.shape[0] if filters.ndim == 3 else 1
    input4 = reshape(input, join(0, stack([bsize, 1]), input.shape[-2:]), ndim=4)
    filters4 = reshape(filters, join(0, stack([nkern, 1]), filters.shape[-2:]), ndim=4)
    out = _nnet_conv2d(input4, filters4, image_shape=_shape4(image_shape, input.ndim,
                                                             "image_shape"),
                       filter_shape=_shape4(filter_shape, filters.ndim, "filter_shape"),
                       border_mode=border_mode, subsample=subsample, **kargs)
    # drop the dims the arguments did not have (Theano's flatten of the transpose)
    if input.ndim == 2 and filters.ndim == 2:
        return flatten(out.T, 2).T
    if input.ndim == 2 or filters.ndim == 2:
        return flatten(out.T, 3).T
    return out
