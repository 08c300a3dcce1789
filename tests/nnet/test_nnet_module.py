"""Theano 1.0's tensor.nnet.nnet names: softsign, softmax_with_bias,
crossentropy_categorical_1hot, confusion_matrix (against numpy, gradients by finite
differences), and the nnet.nnet / nnet.sigm module paths."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.accuracy import within_ulps
from tensordsl.gradient import verify_grad


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(st.sampled_from([np.float32, np.float64]),
                  hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
                  elements=st.floats(-1e3, 1e3, width=32)))
def test_softsign_matches_numpy(x):
    v = T.TensorType(str(x.dtype), (None,) * x.ndim)("v")
    got = theano.function([v], T.nnet.softsign(v))(x)
    assert got.dtype == x.dtype
    want = (x.astype("float64") / (1 + np.abs(x.astype("float64")))).astype(x.dtype)
    assert within_ulps(got, want, 2).all()


def test_softmax_with_bias_and_crossentropy_categorical_1hot():
    rng = np.random.default_rng(0)
    xv, bv = rng.standard_normal((4, 5)), rng.standard_normal(5)
    y = np.array([0, 4, 2, 2])
    x, b, yi = T.dmatrix("x"), T.dvector("b"), T.lvector("y")
    sm = T.nnet.softmax_with_bias(x, b)
    nll = T.nnet.crossentropy_categorical_1hot(sm, yi)
    got_sm, got_nll = theano.function([x, b, yi], [sm, nll])(xv, bv, y)
    z = xv + bv
    want = np.exp(z - z.max(1, keepdims=True))
    want /= want.sum(1, keepdims=True)
    np.testing.assert_allclose(got_sm, want, rtol=1e-12)
    np.testing.assert_allclose(got_nll, -np.log(want[np.arange(4), y]), rtol=1e-12)
    verify_grad(lambda a, c: T.nnet.softmax_with_bias(a, c), [xv, bv], rng=rng)
    verify_grad(lambda a: T.nnet.crossentropy_categorical_1hot(
        T.nnet.softmax(a), T.constant(y)), [xv], rng=rng)
    verify_grad(lambda a: T.nnet.softsign(a), [xv], rng=rng)
    with pytest.raises(ValueError, match="matrix"):
        T.nnet.softmax_with_bias(b, b)
    with pytest.raises(TypeError, match="integer vector"):
        T.nnet.crossentropy_categorical_1hot(x, b)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 12).flatmap(lambda n: st.tuples(
    hnp.arrays(np.int64, n, elements=st.integers(-2, 4)),
    hnp.arrays(np.int64, n, elements=st.integers(-2, 4)))))
def test_confusion_matrix_counts(pair):
    actual, pred = pair
    a, p = T.lvector("a"), T.lvector("p")
    conf, order = theano.function([a, p], T.nnet.confusion_matrix(a, p))(actual, pred)
    want_order = np.unique(np.concatenate([actual, pred]))
    np.testing.assert_array_equal(order, want_order)
    want = np.zeros((len(want_order),) * 2, dtype="int64")
    for u, v in zip(actual, pred):
        want[np.searchsorted(want_order, u), np.searchsorted(want_order, v)] += 1
    assert conf.dtype == np.int64
    np.testing.assert_array_equal(conf, want)


def test_confusion_matrix_needs_vectors():
    with pytest.raises(ValueError, match="actual must be 1-d"):
        T.nnet.confusion_matrix(T.lmatrix(), T.lvector())
    with pytest.raises(ValueError, match="pred must be 1-d"):
        T.nnet.confusion_matrix(T.lvector(), T.lscalar())


def test_theano_module_paths():
    nnet = importlib.import_module("tensordsl.tensor.nnet.nnet")
    sigm = importlib.import_module("tensordsl.tensor.nnet.sigm")
    assert nnet.softmax is T.nnet.softmax and nnet.relu is T.nnet.relu
    assert nnet.softsign is T.nnet.softsign and nnet.elu is T.nnet.elu
    assert sigm.sigmoid is T.nnet.sigmoid and sigm.hard_sigmoid is T.nnet.hard_sigmoid
    assert T.nnet.nnet is nnet and T.nnet.sigm is sigm


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@pytest.mark.parametrize("n_outputs", [12, 10])  # 3 classes x 4: all, or 2 unused
def test_h_softmax_matches_numpy(n_outputs):
    rng = np.random.default_rng(3)
    batch, n_in, n_classes, per_class = 4, 5, 3, 4
    xv = rng.standard_normal((batch, n_in))
    w1, b1 = rng.standard_normal((n_in, n_classes)), rng.standard_normal(n_classes)
    w2 = rng.standard_normal((n_classes, n_in, per_class))
    b2 = rng.standard_normal((n_classes, per_class))
    x, y = T.dmatrix("x"), T.lvector("y")
    args = (x.shape[0], n_outputs, n_classes, per_class, w1, b1, w2, b2)
    every = T.nnet.h_softmax(x, *args)
    labels = rng.integers(0, n_outputs, batch)
    chosen = T.nnet.h_softmax(x, *args, target=y)
    got_all, got_t = theano.function([x, y], [every, chosen])(xv, labels)
    probs = (_softmax(xv @ w1 + b1)[:, :, None]
             * _softmax(np.einsum("bi,cio->bco", xv, w2) + b2)).reshape(batch, -1)
    np.testing.assert_allclose(got_all, probs[:, :n_outputs], rtol=1e-12)
    np.testing.assert_allclose(got_t, probs[np.arange(batch), labels], rtol=1e-12)
    if n_outputs == 12:
        np.testing.assert_allclose(got_all.sum(axis=1), 1.0, rtol=1e-12)
    verify_grad(lambda a: T.nnet.h_softmax(a, a.shape[0], n_outputs, n_classes, per_class,
                                           w1, b1, w2, b2, T.constant(labels)), [xv], rng=rng)
    with pytest.raises(TypeError, match="integer labels"):
        T.nnet.h_softmax(x, *args, target=T.dvector())
