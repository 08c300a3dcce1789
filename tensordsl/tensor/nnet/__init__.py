"""Neural-network helpers (Theano's tensor.nnet): sigmoid, softmax, relu, cross-entropies,
conv2d (with its gradients in `abstract_conv`, the old API in `conv`)."""

from __future__ import annotations

import warnings
from typing import Any

from tensordsl.graph.convert import as_tensor_variable, constant
from tensordsl.tensor import math as tm
from tensordsl.tensor.basic import alloc, arange
from tensordsl.tensor.nnet import abstract_conv, bn, conv, neighbours  # noqa: F401 (submodules)
from tensordsl.tensor.nnet.abstract_conv import (
    conv2d_grad_wrt_inputs,
    conv3d,  # noqa: F401 (Theano's nnet.conv3d)
)
from tensordsl.tensor.nnet.bn import batch_normalization  # noqa: F401 (Theano's nnet name)
from tensordsl.tensor.nnet.neighbours import (  # noqa: F401 (Theano's nnet names)
    Images2Neibs,
    images2neibs,
    neibs2images,
)
from tensordsl.tensor.variable import TensorVariable

sigmoid = tm.sigmoid  # type: ignore[attr-defined]
softplus = tm.softplus  # type: ignore[attr-defined]


class SoftmaxVectorWarning(UserWarning, DeprecationWarning):
    """Theano 1.0's warning when softmax / logsoftmax pads a vector to a (1, n) row.

    A UserWarning with "DEPRECATION:" in its text, as Theano raises it; also a
    DeprecationWarning, so filters written for either category apply.
    """


def _pad_vector(x: Any, op_name: str, where: str) -> TensorVariable:
    """Theano 1.0's Softmax/LogSoftmax.make_node: float input, a vector becomes a row."""
    x = as_tensor_variable(x)
    if not x.dtype.startswith("float"):
        raise ValueError(f"{where}: x must be a tensor of floats, got {x.type}")
    if x.ndim == 1:
        # Theano 1.0's text (programs filter on it), then what it means here
        warnings.warn(f"DEPRECATION: If x is a vector, {op_name} will not automatically pad "
                      f"x anymore in next releases. If you need it, please do it manually. "
                      f"The vector case is gonna be supported soon and the output will be a "
                      f"vector. (tensordsl returns the (1, n) row, as Theano 1.0 does)",
                      SoftmaxVectorWarning, stacklevel=3)
        x = x.dimshuffle("x", 0)
    return x


def softmax(x: Any, axis: int = -1) -> TensorVariable:
    """exp(x) / sum(exp(x)) along `axis` (rows of a matrix), with the max subtracted.

    As Theano 1.0: x must hold floats (else ValueError); a vector gives a (1, n) row with
    a SoftmaxVectorWarning (programs index the result as a matrix); softmax over a
    broadcastable (size-1) last dim warns. `axis` and more than 2 dims are tensordsl
    extensions (Theano's softmax is row-wise on a matrix).
    """
    x = as_tensor_variable(x)
    if x.ndim >= 1 and x.broadcastable[-1]:
        warnings.warn("The softmax is applied on a dimension of shape 1, which does not "
                      "have a semantic meaning.", stacklevel=2)
    x = _pad_vector(x, "Softmax", "softmax")
    e = tm.exp(x - tm.max(x, axis=axis, keepdims=True))  # type: ignore[attr-defined]
    return e / tm.sum(e, axis=axis, keepdims=True)


def log_softmax(x: Any, axis: int = -1) -> TensorVariable:
    """log(softmax(x)) along `axis`, computed stably (Theano 1.0's `logsoftmax`).

    As Theano 1.0's LogSoftmax: x must hold floats (else ValueError) and a vector gives
    a (1, n) row with a SoftmaxVectorWarning. `axis` is a tensordsl extension.
    """
    x = _pad_vector(x, "LogSoftmax", "log_softmax")
    shifted = x - tm.max(x, axis=axis, keepdims=True)
    return shifted - tm.log(tm.sum(tm.exp(shifted), axis=axis, keepdims=True))  # type: ignore


logsoftmax = log_softmax  # Theano 1.0's name


def relu(x: Any, alpha: Any = 0) -> TensorVariable:
    """max(x, 0), or a leaky ReLU with slope `alpha` below zero."""
    x = as_tensor_variable(x)
    if alpha == 0:
        return tm.maximum(x, 0)
    return tm.switch(tm.gt(x, 0), x, x * alpha)


def elu(x: Any, alpha: Any = 1) -> TensorVariable:
    """Theano 1.0's exponential linear unit: x where x > 0, else alpha * (exp(x) - 1)."""
    x = as_tensor_variable(x)
    return tm.switch(tm.gt(x, 0), x, alpha * tm.expm1(x))  # type: ignore[attr-defined]


# Theano 1.0's (Klambauer et al.'s) SELU constants
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x: Any) -> TensorVariable:
    """Theano 1.0's scaled exponential linear unit: scale * elu(x, alpha) with the
    self-normalizing constants alpha = 1.67326..., scale = 1.05070..."""
    return _SELU_SCALE * elu(x, _SELU_ALPHA)


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


def hard_sigmoid(x: Any) -> TensorVariable:
    """Theano's piecewise-linear sigmoid: clip(0.2 * x + 0.5, 0, 1)."""
    x = as_tensor_variable(x)
    slope = tm.cast(0.2, x.dtype) if x.dtype.startswith("float") else 0.2
    shift = tm.cast(0.5, x.dtype) if x.dtype.startswith("float") else 0.5
    return tm.clip(x * slope + shift, 0, 1)


# Theano 1.0's ultra_fast_sigmoid constants (scalar_sigmoid.py, UltraFastScalarSigmoid)
_UFS_KNEE, _UFS_MID, _UFS_A, _UFS_B, _UFS_TOP = 1.7, 3.0, 0.935409070603099, \
    0.0458812946797165, 0.99505475368673


def ultra_fast_sigmoid(x: Any) -> TensorVariable:
    """Theano's piecewise approximation of sigmoid (max absolute error about 0.0468).

    With u = |x| / 2: z = 1.5u / (1 + u) below 1.7, a line up to 3, then 0.99505...;
    the result is 0.5 * sign(x) * z + 0.5.
    """
    x = as_tensor_variable(x)
    u = tm.abs(x) * 0.5
    z = tm.switch(tm.lt(u, _UFS_KNEE), 1.5 * u / (1.0 + u),
                  tm.switch(tm.lt(u, _UFS_MID), _UFS_A + _UFS_B * (u - _UFS_KNEE), _UFS_TOP))
    z = tm.switch(tm.lt(x, 0), -z, z)
    return tm.cast(0.5 * z + 0.5, x.dtype) if x.dtype.startswith("float") else 0.5 * z + 0.5


def crossentropy_softmax_1hot_with_bias(x: Any, b: Any, y_idx: Any) -> list[TensorVariable]:
    """[nll, softmax(x + b)]: per row, -log softmax(x + b)[i, y_idx[i]] (Theano 1.0)."""
    x, b, y_idx = as_tensor_variable(x), as_tensor_variable(b), as_tensor_variable(y_idx)
    if x.ndim != 2 or b.ndim != 1 or y_idx.ndim != 1:
        raise TypeError(f"crossentropy_softmax_1hot: expected a matrix x, a vector b and an "
                        f"integer vector y_idx, got {x.type}, {b.type}, {y_idx.type}")
    if not y_idx.dtype.startswith(("int", "uint")):
        raise TypeError(f"crossentropy_softmax_1hot: y_idx must hold integer labels, got "
                        f"{y_idx.type}")
    z = x + b.dimshuffle("x", 0)
    logp = log_softmax(z, axis=-1)
    nll = -logp[arange(z.shape[0]), y_idx]
    return [nll, softmax(z, axis=-1)]


def crossentropy_softmax_1hot(x: Any, y_idx: Any) -> list[TensorVariable]:
    """[nll, softmax(x)]: per row, -log softmax(x)[i, y_idx[i]] (Theano 1.0)."""
    x = as_tensor_variable(x)
    if x.ndim != 2:
        raise TypeError(f"crossentropy_softmax_1hot: x must be a matrix, got {x.type}")
    # a zero bias of x's row length (not zeros_like(x[0]): x may have no rows)
    zero = alloc(constant(0, dtype=x.dtype), x.shape[1])
    return crossentropy_softmax_1hot_with_bias(x, zero, y_idx)


def crossentropy_softmax_argmax_1hot_with_bias(x: Any, b: Any, y_idx: Any
                                               ) -> list[TensorVariable]:
    """[nll, softmax(x + b), argmax(x + b, axis=1)] (Theano 1.0)."""
    nll, sm = crossentropy_softmax_1hot_with_bias(x, b, y_idx)
    return [nll, sm, tm.argmax(sm, axis=1)]


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


# Theano 1.0's submodule paths nnet.nnet and nnet.sigm re-export the functions above, so
# they are imported last
from tensordsl.tensor.nnet import nnet, sigm  # noqa: E402, F401
from tensordsl.tensor.nnet.nnet import (  # noqa: E402, F401
    confusion_matrix,
    crossentropy_categorical_1hot,
    h_softmax,
    softmax_with_bias,
    softsign,
)
