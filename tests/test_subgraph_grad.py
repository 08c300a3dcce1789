"""theano.gradient.subgraph_grad (Theano 1.0): a two-layer net's gradients computed
layer by layer equal T.grad of the whole cost (Theano's documented example)."""

from __future__ import annotations

import numpy as np
import pytest

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.gradient import subgraph_grad


def _net():
    rng = np.random.default_rng(0)
    x, t = T.dvector("x"), T.dvector("t")
    w1 = theano.shared(rng.standard_normal((4, 3)), name="w1")
    b1 = theano.shared(np.zeros(3), name="b1")
    w2 = theano.shared(rng.standard_normal((3, 2)), name="w2")
    b2 = theano.shared(np.zeros(2), name="b2")
    h = T.tanh(T.dot(x, w1) + b1)
    y = T.nnet.sigmoid(T.dot(h, w2) + b2)
    cost2 = T.sum((y - t) ** 2)
    cost1 = T.sum(w1 ** 2) * 0.1  # a per-layer cost of the first layer
    return x, t, (w1, b1, w2, b2), h, cost1, cost2


def test_layer_by_layer_equals_the_whole_gradient():
    x, t, (w1, b1, w2, b2), h, cost1, cost2 = _net()
    # the second layer first: its params' gradients and the gradient at h
    (g_w2, g_b2), (g_h,) = subgraph_grad(wrt=[w2, b2], end=[h], cost=cost2)
    # then the first layer, from the known gradient at h plus its own cost
    (g_w1, g_b1), _ = subgraph_grad(wrt=[w1, b1], end=[x], start={h: g_h}, cost=cost1)
    whole = T.grad(cost1 + cost2, [w1, b1, w2, b2])
    f = theano.function([x, t], [g_w1, g_b1, g_w2, g_b2, *whole])
    xv, tv = np.array([0.5, -1.0, 2.0, 0.1]), np.array([1.0, 0.0])
    got = f(xv, tv)
    for a, b in zip(got[:4], got[4:]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_details_and_errors():
    x, t, (w1, b1, w2, b2), h, cost1, cost2 = _net()
    (g_w2,), (g_h,), start, cost = subgraph_grad([w2], [h], cost=cost2, details=True)
    assert start is None and len(cost) == 2
    with pytest.raises(ValueError, match="cost, a start"):
        subgraph_grad([w2], [h])
    with pytest.raises(TypeError, match="lists"):
        subgraph_grad(w2, [h], cost=cost2)
    with pytest.raises(TypeError, match="dict"):
        subgraph_grad([w1], [x], start=[(h, g_h)])
    assert theano.gradient.subgraph_grad is subgraph_grad
