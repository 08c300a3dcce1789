"""Theano 1.0's nnet.elu / nnet.selu against numpy, with gradients, and
gradient.consider_constant (deprecated zero_grad)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.accuracy import within_ulps
from tensordsl.config import config
from tensordsl.gradient import verify_grad

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(x))


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["float32", "float64"]).flatmap(lambda dt: hnp.arrays(
    dt, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
    elements=st.floats(-20, 20, width=32))), st.sampled_from([1.0, 0.5, 2.0]))
def test_elu_matches_numpy(x, alpha):
    v = T.TensorType(str(x.dtype), (None,) * x.ndim)("v")
    with config.change_flags(floatX=str(x.dtype)):
        got = theano.function([v], T.nnet.elu(v, alpha))(x)
    assert got.dtype == x.dtype and got.shape == x.shape
    want = _elu(x.astype("float64"), alpha).astype(x.dtype)
    assert within_ulps(got, want, 4).all()


@settings(max_examples=30, deadline=None)
@given(hnp.arrays("float64", hnp.array_shapes(min_dims=1, max_dims=2, max_side=5),
                  elements=st.floats(-20, 20)))
def test_selu_matches_numpy(x):
    v = T.dmatrix("v") if x.ndim == 2 else T.dvector("v")
    got = theano.function([v], T.nnet.selu(v))(x)
    want = SELU_SCALE * _elu(x, SELU_ALPHA)
    assert within_ulps(got, want, 4).all()


def test_selu_keeps_float32_under_floatx_float32():
    with config.change_flags(floatX="float32"):
        v = T.fvector("v")
        out = T.nnet.selu(v)
        assert out.dtype == "float32"
        x = np.array([-3.0, -0.5, 0.0, 0.5, 3.0], dtype="float32")
        got = theano.function([v], out)(x)
    np.testing.assert_allclose(got, SELU_SCALE * _elu(x.astype("float64"), SELU_ALPHA),
                               rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("fn", [lambda v: T.nnet.elu(v), lambda v: T.nnet.elu(v, 0.3),
                                lambda v: T.nnet.selu(v)])
def test_verify_grad(fn):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    x[np.abs(x) < 0.05] = 0.5  # away from the kink at 0
    verify_grad(fn, [x], rng=rng)


def test_consider_constant_is_a_zero_gradient_with_theanos_warning():
    x = T.dvector("x")
    with pytest.warns(UserWarning, match="consider_constant.*deprecated"):
        c = theano.gradient.consider_constant(x * 3)
    cost = T.sum(c * x)
    g = theano.function([x], T.grad(cost, x))
    xv = np.array([1.0, -2.0, 0.5])
    # d/dx (const(3x) * x) = 3x: the wrapped branch contributes nothing
    np.testing.assert_allclose(g(xv), 3 * xv)
    np.testing.assert_allclose(theano.function([x], c)(xv), 3 * xv)


def test_undefined_grad_raises_only_when_needed():
    x, y = T.dvector("x"), T.dvector("y")
    u = theano.gradient.undefined_grad(x * 2)
    np.testing.assert_array_equal(theano.function([x], u)(np.ones(2)), [2.0, 2.0])
    out = T.sum(u * y)
    g = theano.function([x, y], theano.grad(out, y))(np.ones(2), np.zeros(2))
    np.testing.assert_array_equal(g, [2.0, 2.0])
    with pytest.raises(NotImplementedError, match="undefined_grad"):
        theano.grad(out, x)
