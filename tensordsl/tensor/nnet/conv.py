"""Theano's old tensor.nnet.conv module: conv2d with image_shape (an alias of the new one).

Only what maps onto the abstract conv: border_mode 'valid' or 'full', a true
convolution (flipped filters), NCHW layout.
"""

from __future__ import annotations

import warnings
from typing import Any

from tensordsl.tensor.nnet.abstract_conv import conv2d as _abstract_conv2d
from tensordsl.tensor.variable import TensorVariable

__all__ = ["conv2d"]


def conv2d(input: Any, filters: Any, image_shape: Any = None, filter_shape: Any = None,
           border_mode: str = "valid", subsample: Any = (1, 1), **kargs: Any
           ) -> TensorVariable:
    """Theano's deprecated nnet.conv.conv2d: 'valid' or 'full' true 2-d convolution.

    Extra keywords of the old implementation (unroll_batch, unroll_kern, ...) are tuning
    knobs there; they are accepted with a warning and ignored.
    """
    if border_mode not in ("valid", "full"):
        raise ValueError(f"nnet.conv.conv2d: border_mode must be 'valid' or 'full', got "
                         f"{border_mode!r}")
    if kargs:
        warnings.warn(f"nnet.conv.conv2d: {sorted(kargs)} are tuning options of Theano's old "
                      f"implementation and are ignored", stacklevel=2)
    return _abstract_conv2d(input, filters, input_shape=image_shape, filter_shape=filter_shape,
                            border_mode=border_mode, subsample=subsample, filter_flip=True)
