"""grad / value_and_grad of decorated functions match finite differences."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tensordsl
from tensordsl import tensor as T
from tests.frontend import corpus
from tests.frontend.conftest import available_targets


def loss_mlp(W, x, b):
    h = np.tanh(x @ W + b)
    return (h * h).sum() / 2.0


def loss_softmax(x):
    return -np.log(corpus.softmax(x)[:, 0]).mean()


def loss_black_scholes(S, K, sigma):
    call, put = corpus.black_scholes(S, K, 1.0, 0.01, sigma)
    return (call + 0.5 * put).sum()


def loss_branchy(x, a):
    if a > 1.0:
        y = x * a
    else:
        y = np.exp(x) - a
    return np.where(x > 0.5, y * y, y).sum()


def numeric_grad(fn, args, argnum, eps=1e-6):
    """Central finite differences of the scalar fn w.r.t. args[argnum]."""
    args = list(args)
    base = np.array(args[argnum], dtype=np.float64)
    grad = np.zeros_like(base)
    for index in np.ndindex(base.shape):
        for sign in (1, -1):
            shifted = base.copy()
            shifted[index] += sign * eps
            args[argnum] = shifted if base.ndim else float(shifted)
            grad[index] += sign * fn(*args) / (2 * eps)
    return grad


@st.composite
def floats(draw, shape, lo=-1.5, hi=1.5):
    size = int(np.prod(shape))
    values = draw(st.lists(st.floats(lo, hi, allow_nan=False), min_size=size, max_size=size))
    return np.asarray(values, dtype=np.float64).reshape(shape)


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 4).flatmap(lambda n: st.tuples(
    floats((3, n)), floats((2, 3)), floats((n,)))))
def test_grad_mlp(args):
    W, x, b = args
    for argnum in (0, 2):
        g = tensordsl.grad(tensordsl.compile(loss_mlp), argnums=argnum)
        np.testing.assert_allclose(g(W, x, b), numeric_grad(loss_mlp, (W, x, b), argnum),
                                   rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("target", available_targets())
@settings(max_examples=15, deadline=None)
@given(x=floats((3, 4)))
def test_value_and_grad_softmax(x, target):
    compiled = tensordsl.compile(loss_softmax, target=target)
    value, grad = tensordsl.value_and_grad(compiled)(x)
    np.testing.assert_allclose(value, loss_softmax(x), rtol=1e-10)
    np.testing.assert_allclose(grad, numeric_grad(loss_softmax, (x,), 0), rtol=1e-5,
                               atol=1e-6)


@settings(max_examples=15, deadline=None)
@given(st.tuples(floats((4,), 5.0, 50.0), floats((4,), 5.0, 50.0), floats((4,), 0.1, 0.5)))
def test_grad_black_scholes_several_argnums(args):
    g = tensordsl.grad(loss_black_scholes, argnums=(0, 2))
    dS, dsigma = g(*args)
    np.testing.assert_allclose(dS, numeric_grad(loss_black_scholes, args, 0), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(dsigma, numeric_grad(loss_black_scholes, args, 2), rtol=1e-5,
                               atol=1e-5)


@settings(max_examples=15, deadline=None)
@given(floats((5,)), st.floats(0.0, 2.0))
def test_grad_through_branches(x, a):
    assume(np.all(np.abs(x - 0.5) > 1e-3))  # np.where switches at 0.5: not differentiable
    value, (gx, ga) = tensordsl.value_and_grad(loss_branchy, argnums=(0, 1))(x, a)
    np.testing.assert_allclose(value, loss_branchy(x, a), rtol=1e-12)
    np.testing.assert_allclose(gx, numeric_grad(loss_branchy, (x, a), 0), rtol=1e-5, atol=1e-6)
    if abs(a - 1.0) > 1e-3:  # the branch switches at a == 1
        np.testing.assert_allclose(ga, numeric_grad(loss_branchy, (x, a), 1), rtol=1e-5,
                                   atol=1e-5)


def test_symbolic_grad_still_works():
    x = T.dscalar("x")
    g = tensordsl.grad(x ** 3, x)
    assert tensordsl.function([x], g)(2.0) == 12.0


def test_grad_needs_scalar_float_cost():
    g = tensordsl.grad(corpus.softmax)
    with pytest.raises(tensordsl.CompileError, match="float scalar"):
        g(np.ones((2, 2)))
    with pytest.raises(TypeError, match="float array"):
        tensordsl.grad(loss_softmax)(np.ones((2, 2), dtype=np.int32))
