"""Neural-network helpers (Theano's tensor.nnet): sigmoid, softmax, relu, cross-entropies."""

from __future__ import annotations

from typing import Any

from tensordsl.graph.convert import as_tensor_variable
from tensordsl.tensor import math as tm
from tensordsl.tensor.basic import arange
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
