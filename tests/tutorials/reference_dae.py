"""numpy denoising autoencoder (tied weights, sigmoid, cross-entropy) trained as dae.py does.

The corruption masks are not redrawn here: the test passes in the corrupted minibatches
the tensordsl program drew with MRG_RandomStreams, so everything else is exact.
"""

from __future__ import annotations

import numpy as np


def sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def dae_init(rng: np.random.RandomState, n_visible: int, n_hidden: int):
    """The tutorial's W (uniform +-4 sqrt(6 / (nh + nv))) and zero biases."""
    bound = 4 * np.sqrt(6.0 / (n_hidden + n_visible))
    W = rng.uniform(-bound, bound, size=(n_visible, n_hidden))
    return W, np.zeros(n_hidden), np.zeros(n_visible)


def dae_step(x, tilde_x, W, bh, bv, learning_rate):
    """One SGD step on mean cross-entropy reconstruction; returns (cost, W, bh, bv)."""
    y = sigmoid(tilde_x @ W + bh)
    z = sigmoid(y @ W.T + bv)
    cost = np.mean(-np.sum(x * np.log(z) + (1 - x) * np.log(1 - z), axis=1))
    dz = (z - x) / len(x)
    dy = (dz @ W) * y * (1 - y)
    gW = tilde_x.T @ dy + dz.T @ y
    return (cost, W - learning_rate * gW, bh - learning_rate * dy.sum(axis=0),
            bv - learning_rate * dz.sum(axis=0))


def run(data_x, corrupted, batch_size, n_epochs, n_hidden, learning_rate, seed=123):
    """The cost of every minibatch step, given the corrupted input of each step."""
    rng = np.random.RandomState(seed)
    rng.randint(2 ** 30)  # the program seeds its MRG stream with this draw first
    W, bh, bv = dae_init(rng, data_x.shape[1], n_hidden)
    costs = []
    step = 0
    for _ in range(n_epochs):
        for i in range(len(data_x) // batch_size):
            x = data_x[i * batch_size:(i + 1) * batch_size]
            cost, W, bh, bv = dae_step(x, corrupted[step], W, bh, bv, learning_rate)
            costs.append(cost)
            step += 1
    return costs
