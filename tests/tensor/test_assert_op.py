"""theano.tensor.opt.Assert / assert_op (Theano 1.0)."""

from __future__ import annotations

import numpy as np
import pytest

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.ops.assert_op import Assert


@pytest.mark.parametrize("mode", ["FAST_COMPILE", "FAST_RUN"])
def test_assert_passes_the_value_or_raises(mode):
    x = T.dvector("x")
    y = T.opt.Assert("x must be positive")(x, T.all(T.gt(x, 0)), T.lt(x.shape[0], 5))
    f = theano.function([x], y * 2, mode=mode)
    np.testing.assert_array_equal(f(np.array([1.0, 2.0])), [2.0, 4.0])
    with pytest.raises(AssertionError, match="x must be positive"):
        f(np.array([1.0, -2.0]))
    with pytest.raises(AssertionError, match="x must be positive"):
        f(np.ones(6))
    g = theano.function([x], T.opt.assert_op(x, T.gt(T.sum(x), 0)), mode=mode)
    with pytest.raises(AssertionError, match="Theano Assert failed!"):
        g(-np.ones(2))


def test_gradient_goes_to_the_value_and_errors():
    x = T.dvector("x")
    y = T.opt.assert_op(x, T.gt(T.sum(x), 0))
    g = theano.function([x], theano.grad(T.sum(y ** 2), x))
    np.testing.assert_array_equal(g(np.array([1.0, 3.0])), [2.0, 6.0])
    with pytest.raises(TypeError, match="must be a scalar"):
        T.opt.assert_op(x, T.gt(x, 0))
    with pytest.raises(TypeError, match="msg must be a str"):
        Assert(3)
    assert T.opt.Assert is Assert and Assert("a") == Assert("a") and Assert("a") != Assert("b")
