"""numpy logistic regression, SGD step by step as examples/tutorials/logreg.py does it."""

from __future__ import annotations

import numpy as np


def softmax(a: np.ndarray) -> np.ndarray:
    """Row-wise softmax, shifted by the row max as usual."""
    e = np.exp(a - a.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def run(data_x: np.ndarray, data_y: np.ndarray, batch_size: int, n_epochs: int,
        learning_rate: float, n_out: int = 10) -> list[float]:
    """The cost of every minibatch step; gradients written by hand."""
    W = np.zeros((data_x.shape[1], n_out))
    b = np.zeros(n_out)
    costs = []
    for _ in range(n_epochs):
        for i in range(len(data_x) // batch_size):
            x = data_x[i * batch_size:(i + 1) * batch_size]
            y = data_y[i * batch_size:(i + 1) * batch_size]
            p = softmax(x @ W + b)
            costs.append(-np.mean(np.log(p[np.arange(len(y)), y])))
            d = p.copy()
            d[np.arange(len(y)), y] -= 1.0
            d /= len(y)
            W = W - learning_rate * (x.T @ d)
            b = b - learning_rate * d.sum(axis=0)
    return costs
