"""Theano 1.0's tensor.nnet.neighbours: images2neibs and neibs2images.

The ops and the mode rules are in tensordsl/ops/neighbours.py; see docs/nnet.md.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl.graph.convert import as_tensor_variable
from tensordsl.ops.neighbours import Images2Neibs, Images2NeibsGrad
from tensordsl.tensor.basic import stack
from tensordsl.tensor.variable import TensorVariable

__all__ = ["Images2Neibs", "images2neibs", "neibs2images"]


def images2neibs(ten4: Any, neib_shape: Any, neib_step: Any = None,
                 mode: str = "valid") -> TensorVariable:
    """Every neib_shape patch of 4-d `ten4` (stepping by neib_step, default neib_shape:
    disjoint patches) as a row of a matrix, row-major within the patch; patches of
    image (i, j) in rows, then columns order, images in (i, j) order. mode: 'valid',
    'ignore_borders', 'half', 'full' or 'wrap_centered' (Theano 1.0's modes, spelled out
    in tensordsl/ops/neighbours.py)."""
    return Images2Neibs(mode)(ten4, neib_shape, neib_step)


def neibs2images(neibs: Any, neib_shape: Any, original_shape: Any,
                 mode: str = "valid") -> TensorVariable:
    """The images of shape `original_shape` that images2neibs(images, neib_shape,
    mode=mode) cut into `neibs` (disjoint patches); with 'ignore_borders' the pixels no
    patch covered are 0. Only 'valid' and 'ignore_borders', as in Theano 1.0."""
    if mode not in ("valid", "ignore_borders"):
        raise NotImplementedError(f"neibs2images do not support mode={mode}")
    if isinstance(original_shape, (tuple, list)) and not all(
            isinstance(v, (int, np.integer)) for v in original_shape):
        original_shape = stack([as_tensor_variable(v) for v in original_shape])
    return Images2NeibsGrad(mode)(neibs, neib_shape, neib_shape, original_shape)
