"""numpy MLP (tanh hidden layer, softmax, L1 + L2 penalties) trained as mlp.py does."""

from __future__ import annotations

import numpy as np

from tests.tutorials.reference_logreg import softmax


def run(data_x: np.ndarray, data_y: np.ndarray, batch_size: int, n_epochs: int,
        n_hidden: int, learning_rate: float, l1: float, l2: float,
        n_out: int = 10) -> list[float]:
    """The cost of every minibatch step; backpropagation written by hand."""
    n_in = data_x.shape[1]
    bound = np.sqrt(6.0 / (n_in + n_hidden))
    W1 = np.random.RandomState(1234).uniform(-bound, bound, size=(n_in, n_hidden))
    b1 = np.zeros(n_hidden)
    W2 = np.zeros((n_hidden, n_out))
    b2 = np.zeros(n_out)
    costs = []
    for _ in range(n_epochs):
        for i in range(len(data_x) // batch_size):
            x = data_x[i * batch_size:(i + 1) * batch_size]
            y = data_y[i * batch_size:(i + 1) * batch_size]
            h = np.tanh(x @ W1 + b1)
            p = softmax(h @ W2 + b2)
            rows = np.arange(len(y))
            costs.append(-np.mean(np.log(p[rows, y]))
                         + l1 * (np.abs(W1).sum() + np.abs(W2).sum())
                         + l2 * ((W1 ** 2).sum() + (W2 ** 2).sum()))
            d = p.copy()
            d[rows, y] -= 1.0
            d /= len(y)
            dh = (d @ W2.T) * (1.0 - h ** 2)
            gW2 = h.T @ d + l1 * np.sign(W2) + 2 * l2 * W2
            gW1 = x.T @ dh + l1 * np.sign(W1) + 2 * l2 * W1
            W1, b1 = W1 - learning_rate * gW1, b1 - learning_rate * dh.sum(axis=0)
            W2, b2 = W2 - learning_rate * gW2, b2 - learning_rate * d.sum(axis=0)
    return costs
