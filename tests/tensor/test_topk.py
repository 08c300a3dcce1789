"""T.topk / argtopk / topk_and_argtopk (Theano 1.0's tensor.sort) against numpy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.gradient import verify_grad


def _want(x, k, axis):
    """numpy: the |k| largest (k > 0, largest first) or smallest entries, stable."""
    order = np.argsort(-x if k > 0 else x, axis=axis, kind="stable")
    idx = np.take(order, np.arange(abs(k)), axis=axis)
    return np.take_along_axis(x, idx, axis=axis), idx


@settings(max_examples=50, deadline=None)
@given(hnp.arrays(st.sampled_from([np.float32, np.float64, np.int64]),
                  hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5),
                  elements=st.integers(-4, 4)), st.data())
def test_matches_numpy(x, data):
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    size = x.shape[axis]
    k = data.draw(st.integers(1, size)) * data.draw(st.sampled_from([1, -1]))
    v, kk = T.TensorType(str(x.dtype), (None,) * x.ndim)("v"), T.lscalar("k")
    vals, idx = theano.function([v, kk], T.topk_and_argtopk(v, kk, axis=axis))(x, k)
    want_vals, want_idx = _want(x, k, axis)
    assert vals.dtype == x.dtype and idx.dtype == np.int64
    np.testing.assert_array_equal(vals, want_vals)
    np.testing.assert_array_equal(idx, want_idx)
    np.testing.assert_array_equal(
        theano.function([v], T.topk(v, k, axis=axis, sorted=False))(x), want_vals)


def test_gradient_idx_dtype_and_errors():
    rng = np.random.default_rng(0)
    x = rng.permutation(20).reshape(4, 5).astype("float64")  # distinct: no ties
    verify_grad(lambda v: T.topk(v, 2), [x], rng=rng)
    verify_grad(lambda v: T.topk(v, -3, axis=0), [x], rng=rng)
    m = T.dmatrix("m")
    g = theano.function([m], theano.grad(T.sum(T.topk(m, 1)), m))(x)
    np.testing.assert_array_equal(g, (x == x.max(axis=1, keepdims=True)).astype(float))
    assert T.argtopk(m, 2, idx_dtype="int32").dtype == "int32"
    with pytest.raises(ValueError, match="cannot be zero"):
        T.topk(m, 0)
    f = theano.function([m, k := T.lscalar()], T.topk(m, k))
    with pytest.raises(ValueError, match="has only 5"):
        f(x, 6)
    with pytest.raises(ValueError, match="cannot be zero"):
        f(x, 0)
    with pytest.raises(TypeError, match="integer scalar"):
        T.topk(m, T.dscalar())
    with pytest.raises(ValueError, match="idx_dtype"):
        T.argtopk(m, 1, idx_dtype="float32")
    with pytest.raises(TypeError, match="sorted must be a bool"):
        T.topk(m, 1, sorted="yes")
