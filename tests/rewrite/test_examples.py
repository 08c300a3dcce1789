"""The seed's training example, logistic regression and softmax cross-entropy: each
rewrites to a stated number of fused kernels and computes what the unrewritten graph
computes (docs/rewrites.md shows their listings)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.rewrite.examples import logistic_regression, seed_training, softmax_cross_entropy
from tests.rewrite.helpers import NO_REWRITES, assert_values_equal, count_kernels, op_names

# FAST_RUN fused kernels and all nodes per example; see docs/rewrites.md
SEED_KERNELS, SEED_NODES = 4, 6
LOGREG_KERNELS, LOGREG_NODES = 4, 9
SOFTMAX_CE_KERNELS, SOFTMAX_CE_NODES = 4, 14


def test_seed_training_kernels_and_values():
    f, W = seed_training("FAST_RUN")
    assert count_kernels(f) == SEED_KERNELS, op_names(f)
    assert len(op_names(f)) == SEED_NODES, op_names(f)
    assert not [n for n in op_names(f) if n.startswith("Elemwise")]  # x*W recomputed, no temp
    g, V = seed_training(NO_REWRITES)
    for _ in range(10):
        assert_values_equal(f([1.0, 1.0, 1.0, 1.0], 100.0), g([1.0, 1.0, 1.0, 1.0], 100.0))
        assert_values_equal(W.get_value(), V.get_value())
    np.testing.assert_allclose(W.get_value(), [24.89999746, 25.04999746, 24.94999746,
                                               25.09999746], rtol=1e-8)


def test_logistic_regression_kernels_and_values():
    train, (w, b) = logistic_regression("FAST_RUN")
    assert count_kernels(train) == LOGREG_KERNELS, op_names(train)
    assert len(op_names(train)) == LOGREG_NODES, op_names(train)
    assert any(name.startswith("RowBlock") for name in op_names(train))  # one pass over x
    ref, (w0, b0) = logistic_regression(NO_REWRITES)
    rng = np.random.default_rng(5)
    data = rng.standard_normal((20, 5)), rng.integers(0, 2, 20).astype("float64")
    for _ in range(5):
        (pred, xent), (pred0, xent0) = train(*data), ref(*data)
        np.testing.assert_array_equal(pred, pred0)
        assert_values_equal(xent, xent0)
    assert_values_equal(w.get_value(), w0.get_value())
    assert_values_equal(b.get_value(), b0.get_value())


def test_softmax_cross_entropy_kernels_and_values():
    f = softmax_cross_entropy("FAST_RUN")
    assert count_kernels(f) == SOFTMAX_CE_KERNELS, op_names(f)
    assert len(op_names(f)) == SOFTMAX_CE_NODES, op_names(f)
    assert "Fused{sub,exp reduce(1,)}" in op_names(f)  # the shifted logits: no temporary
    assert "Gemm" in op_names(f)
    g = softmax_cross_entropy(NO_REWRITES)
    rng = np.random.default_rng(6)
    x = rng.standard_normal((8, 5))
    t = np.eye(3)[rng.integers(0, 3, 8)]
    assert_values_equal(f(x, t), g(x, t))


@pytest.mark.parametrize("scale", [1e3, 1e5])
def test_softmax_cross_entropy_stays_finite_for_large_logits(scale):
    """Targets on the least likely class: softmax underflows to 0 and the naive log gives
    -inf (and 0 * -inf nan); the rewritten graph computes log-softmax stably."""
    f = softmax_cross_entropy("FAST_RUN")
    g = softmax_cross_entropy(NO_REWRITES)
    x = np.random.default_rng(7).standard_normal((4, 5)) * scale
    W = f.maker.fgraph.inputs[2].get_value()
    t = np.eye(3)[np.argmin(x @ W, axis=1)]
    with np.errstate(all="ignore"):
        assert not np.isfinite(g(x, t))  # 0 * log(0) is nan, log(0) is -inf
    got = f(x, t)
    logits = (x @ W).astype(np.longdouble)
    want = -(logits - logits.max(axis=1, keepdims=True)
             - np.log(np.exp(logits - logits.max(axis=1, keepdims=True)).sum(axis=1,
                                                                             keepdims=True)))
    want = (want * t).sum(axis=1).mean()
    np.testing.assert_allclose(got, float(want), rtol=1e-12)


def test_examples_pass_debug_mode():
    """DEBUG_MODE runs every example against its un-rewritten reference on each call."""
    rng = np.random.default_rng(9)
    train, _ = logistic_regression("DEBUG_MODE")
    data = rng.standard_normal((6, 5)), rng.integers(0, 2, 6).astype("float64")
    for _ in range(2):
        train(*data)
    f = softmax_cross_entropy("DEBUG_MODE")
    f(rng.standard_normal((4, 5)), np.eye(3)[[0, 2, 1, 1]])
    g, W = seed_training("DEBUG_MODE")
    for _ in range(10):
        g([1.0, 1.0, 1.0, 1.0], 100.0)
    np.testing.assert_allclose(W.get_value(), [24.89999746, 25.04999746, 24.94999746,
                                               25.09999746], rtol=1e-8)
