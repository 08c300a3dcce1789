"""The example programs whose rewritten graphs the tests and docs pin down."""

from __future__ import annotations

import numpy as np

import tensordsl as td
from tensordsl import tensor as T


def seed_training(mode):
    """The seed's training example: y = (x*W).sum(), cost = sqr(target - y), W -= 0.1*grad."""
    x = T.fvector("x")
    target = T.fscalar("target")
    W = td.shared(np.asarray([0.1, 0.25, 0.15, 0.3]), "W")
    y = (x * W).sum()
    cost = T.sqr(target - y)
    (gW,) = td.grad(cost, [W])
    return td.function([x, target], y, updates=[(W, W - (0.1 * gW))], mode=mode), W


def logistic_regression(mode, seed=0, feats=5):
    """Theano's logistic-regression tutorial: outputs, gradients and updates."""
    rng = np.random.default_rng(seed)
    x = T.dmatrix("x")
    y = T.dvector("y")
    w = td.shared(rng.standard_normal(feats), "w")
    b = td.shared(0.0, "b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    prediction = p_1 > 0.5
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w ** 2).sum()
    gw, gb = td.grad(cost, [w, b])
    train = td.function([x, y], [prediction, xent],
                        updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)], mode=mode)
    return train, (w, b)


def softmax_cross_entropy(mode):
    """Mean categorical cross-entropy of softmax(x @ W + b) against one-hot targets."""
    x = T.dmatrix("x")
    t = T.dmatrix("t")
    W = td.shared(np.random.default_rng(1).standard_normal((5, 3)), "W")
    b = td.shared(np.zeros(3), "b")
    probs = T.nnet.softmax(T.dot(x, W) + b)
    cost = T.nnet.categorical_crossentropy(probs, t).mean()
    return td.function([x, t], cost, mode=mode)
