"""Neural-network helpers (Theano's tensor.nnet): sigmoid, softmax, relu, cross-entropies,
conv2d (with its gradients in `abstract_conv`, the old API in `conv`)."""

from __future__ import annotations

import warnings
from typing import Any

from tensordsl.graph.convert import as_tensor_variable
from tensordsl.tensor import math as tm
from tensordsl.tensor.basic import arange
from tensordsl.tensor.nnet import abstract_conv, conv  # noqa: F401 (submodules)
from tensordsl.tensor.nnet.abstract_conv import conv2d_grad_wrt_inputs
from tensordsl.tensor.variable import TensorVariable

sigmoid = tm.sigmoid  # type: ignore[attr-defined]
softplus = tm.softplus  # type: ignore[attr-defined]


def softmax(x: Any, axis: int = -1) -> TensorVariable:
    """exp(x) / sum(exp(x)) along `axis` (rows of a matrix), with the max subtracted."""
    x = as_tensor_variable(x)
    e = tm.exp(x - tm.max(x, axis=axis, keepdims=True))  # type: ignore[attr-defined]
    return e / tm.sum(e, axis=axis, keepdims=True)


def log_softmax(x: Any, axis: int = -1) -> TensorVariable:
    """log(softmax(x)) along `axis`, computed stably."""
    x = as_tensor_variable(x)
    shifted = x - tm.max(x, axis=axis, keepdims=True)
    return shifted - tm.log(tm.sum(tm.exp(shifted), axis=axis, keepdims=True))  # type: ignore


def relu(x: Any, alpha: Any = 0) -> TensorVariable:
    """max(x, 0), or a leaky ReLU with slope `alpha` below zero."""
    x = as_tensor_variable(x)
    if alpha == 0:
        return tm.maximum(x, 0)
    return tm.switch(tm.gt(x, 0), x, x * alpha)


def binary_crossentropy(output: Any, target: Any) -> TensorVariable:
    """-(target * log(output) + (1 - target) * log(1 - output)), elementwise."""
    output, target = as_tensor_variable(output), as_tensor_variable(target)
    log = tm.log  # type: ignore[attr-defined]
    return -(target * log(output) + (1.0 - target) * log(1.0 - output))


def sigmoid_binary_crossentropy(logits: Any, target: Any) -> TensorVariable:
    """binary_crossentropy(sigmoid(logits), target) in the stable logits form."""
    logits, target = as_tensor_variable(logits), as_tensor_variable(target)
    return tm.softplus(logits) - target * logits  # type: ignore[attr-defined]


def categorical_crossentropy(coding_dist: Any, true_dist: Any) -> TensorVariable:
    """-sum(true_dist * log(coding_dist), axis=1); integer labels pick one entry per row."""
    coding_dist, true_dist = as_tensor_variable(coding_dist), as_tensor_variable(true_dist)
    log = tm.log  # type: ignore[attr-defined]
    if true_dist.ndim == coding_dist.ndim:
        return -tm.sum(true_dist * log(coding_dist), axis=coding_dist.ndim - 1)
    if true_dist.ndim == coding_dist.ndim - 1 and true_dist.dtype.startswith(("int", "uint")):
        rows = arange(coding_dist.shape[0])
        return -log(coding_dist[rows, true_dist])
    raise TypeError(f"categorical_crossentropy: true_dist must be a distribution of "
                    f"{coding_dist.ndim} dims or integer labels of {coding_dist.ndim - 1}, "
                    f"got {true_dist.type}")


def conv2d(input: Any, filters: Any, input_shape: Any = None, filter_shape: Any = None,
           border_mode: Any = "valid", subsample: Any = (1, 1), filter_flip: bool = True,
           image_shape: Any = None, filter_dilation: Any = (1, 1), num_groups: int = 1,
           unshared: bool = False, **kwargs: Any) -> TensorVariable:
    """Theano 1.0's tensor.nnet.conv2d: abstract_conv.conv2d, plus `image_shape`.

    image_shape is the deprecated name of input_shape (a warning); other extra keywords
    are the old implementation's tuning options, ignored with a warning.
    """
    if "imshp_logical" in kwargs or "kshp_logical" in kwargs:
        raise ValueError("conv2d: imshp_logical and kshp_logical are not supported; use "
                         "abstract_conv.conv2d_grad_wrt_inputs for a transposed convolution")
    if kwargs:
        warnings.warn(f"conv2d: {sorted(kwargs)} are deprecated and ignored", stacklevel=2)
    if image_shape is not None:
        warnings.warn("The `image_shape` keyword argument to `tensor.nnet.conv2d` is "
                      "deprecated, it has been renamed to `input_shape`.", stacklevel=2)
        if input_shape is not None:
            raise ValueError("conv2d: input_shape and image_shape should not be provided at "
                             "the same time")
        input_shape = image_shape
    return abstract_conv.conv2d(input, filters, input_shape, filter_shape, border_mode,
                                subsample, filter_flip, filter_dilation, num_groups, unshared)


def conv2d_transpose(input: Any, filters: Any, output_shape: Any, filter_shape: Any = None,
                     border_mode: Any = "valid", input_dilation: Any = (1, 1),
                     filter_flip: bool = True, filter_dilation: Any = (1, 1),
                     num_groups: int = 1) -> TensorVariable:
    """The transpose of conv2d (a 'deconvolution'): conv2d_grad_wrt_inputs of `input`.

    output_shape is the full output shape; input_dilation is the stride of the conv2d
    this transposes.
    """
    return conv2d_grad_wrt_inputs(input, filters, output_shape, filter_shape, border_mode,
                                  input_dilation, filter_flip, filter_dilation, num_groups)
