"""Theano 1.0's module path tensor.nnet.nnet: the package's softmax / cross-entropy /
activation functions, and softsign, softmax_with_bias, crossentropy_categorical_1hot
and confusion_matrix (defined here). See docs/theano_surface.md."""

from __future__ import annotations

from typing import Any

from tensordsl import dtypes
from tensordsl.graph.convert import as_tensor_variable
from tensordsl.tensor import math as tm
from tensordsl.tensor.basic import arange, concatenate
from tensordsl.tensor.nnet import (  # noqa: F401 (Theano's names under this path)
    binary_crossentropy,
    categorical_crossentropy,
    crossentropy_softmax_1hot,
    crossentropy_softmax_1hot_with_bias,
    crossentropy_softmax_argmax_1hot_with_bias,
    elu,
    log_softmax,
    logsoftmax,
    relu,
    selu,
    sigmoid_binary_crossentropy,
    softmax,
)
from tensordsl.tensor.variable import TensorVariable

__all__ = ["confusion_matrix", "crossentropy_categorical_1hot", "h_softmax",
           "softmax_with_bias", "softsign"]


def softsign(x: Any) -> TensorVariable:
    """Elementwise x / (1 + |x|) (Theano 1.0's softsign)."""
    x = as_tensor_variable(x)
    return x / (1 + tm.abs(x))


def softmax_with_bias(x: Any, b: Any) -> TensorVariable:
    """softmax(x + b) row by row: x a matrix, b a vector of its row length (Theano's
    SoftmaxWithBias)."""
    x, b = as_tensor_variable(x), as_tensor_variable(b)
    if x.ndim != 2 or b.ndim != 1:
        raise ValueError(f"softmax_with_bias: x must be a matrix and b a vector, got "
                         f"{x.type} and {b.type}")
    return softmax(x + b.dimshuffle("x", 0))


def crossentropy_categorical_1hot(coding_dist: Any, true_one_of_n: Any) -> TensorVariable:
    """-log(coding_dist[i, true_one_of_n[i]]) per row i (Theano's
    CrossentropyCategorical1Hot): a matrix of distributions and integer labels."""
    coding_dist = as_tensor_variable(coding_dist)
    labels = as_tensor_variable(true_one_of_n)
    if coding_dist.ndim != 2:
        raise TypeError(f"crossentropy_categorical_1hot: coding_dist must be a matrix, got "
                        f"{coding_dist.type}")
    if labels.ndim != 1 or not dtypes.is_int(labels.dtype):
        raise TypeError(f"crossentropy_categorical_1hot: true_one_of_n must be an integer "
                        f"vector, got {labels.type}")
    return -tm.log(coding_dist[arange(coding_dist.shape[0]), labels])  # type: ignore


def confusion_matrix(actual: Any, pred: Any) -> list[TensorVariable]:
    """[conf_mat, order] (Theano 1.0): order is the sorted unique labels of both vectors,
    conf_mat[i, j] (int64) counts the samples of actual label order[i] predicted as
    order[j]."""
    from tensordsl.tensor.extra_ops import unique

    actual, pred = as_tensor_variable(actual), as_tensor_variable(pred)
    if actual.ndim != 1:
        raise ValueError("actual must be 1-d tensor variable")
    if pred.ndim != 1:
        raise ValueError("pred must be 1-d tensor variable")
    order = unique(concatenate([actual, pred]))
    one_hot_a = tm.cast(tm.eq(actual.dimshuffle(0, "x"), order), "int64")
    one_hot_p = tm.cast(tm.eq(pred.dimshuffle(0, "x"), order), "int64")
    return [tm.dot(one_hot_a.T, one_hot_p), order]


def h_softmax(x: Any, batch_size: Any, n_outputs: int, n_classes: int,
              n_outputs_per_class: int, W1: Any, b1: Any, W2: Any, b2: Any,  # noqa: N803
              target: Any = None) -> TensorVariable:
    """Theano 1.0's two-level hierarchical softmax.

    The outputs are split into n_classes classes of n_outputs_per_class each:
    p(output) = softmax(x W1 + b1)[class] * softmax(x W2[class] + b2[class])[output in
    class], with W1 (n_in, n_classes), b1 (n_classes,), W2 (n_classes, n_in,
    n_outputs_per_class), b2 (n_classes, n_outputs_per_class). Without `target` the
    result is every output's probability, (batch_size, n_outputs); with an integer
    `target` per row, the probability of that output only, (batch_size,).
    """
    from tensordsl.tensor.basic import reshape
    from tensordsl.tensor.basic_extra import batched_dot, tensordot

    x = as_tensor_variable(x)
    W1, b1, W2, b2 = (as_tensor_variable(v) for v in (W1, b1, W2, b2))  # noqa: N806
    if x.ndim != 2 or W1.ndim != 2 or b1.ndim != 1 or W2.ndim != 3 or b2.ndim != 2:
        raise TypeError(f"h_softmax: expected x, W1 matrices, b1 a vector, W2 3-d and b2 a "
                        f"matrix, got {x.type}, {W1.type}, {b1.type}, {W2.type}, {b2.type}")
    class_probs = softmax(tm.dot(x, W1) + b1)
    if target is None:
        # every class's second-level softmax, weighted by the class probability
        activations = tensordot(x, W2, (1, 1)) + b2
        probs = softmax(reshape(activations, (-1, n_outputs_per_class), ndim=2))
        probs = reshape(probs, (batch_size, n_classes, -1), ndim=3)
        probs = reshape(class_probs.dimshuffle(0, 1, "x") * probs, (batch_size, -1), ndim=2)
        # n_classes * n_outputs_per_class may exceed n_outputs: the extra ones are dropped
        return probs[:, :n_outputs]
    target = as_tensor_variable(target)
    if not dtypes.is_int(target.dtype):
        raise TypeError(f"h_softmax: target must hold integer labels, got {target.type}")
    target = target.flatten()
    classes = target // n_outputs_per_class
    in_class = target % n_outputs_per_class
    rows = arange(x.shape[0])
    activations = batched_dot(x, W2[classes]) + b2[classes]
    probs = softmax(activations)
    return class_probs[rows, classes] * probs[rows, in_class]
