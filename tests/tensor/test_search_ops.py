"""extra_ops.searchsorted, compress and ravel_multi_index (Theano 1.0) against numpy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.gradient import verify_grad
from tensordsl.tensor import extra_ops


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float64, st.integers(0, 6), elements=st.integers(-5, 5)),
       hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=2, max_side=4),
                  elements=st.integers(-6, 6)),
       st.sampled_from(["left", "right"]), st.booleans())
def test_searchsorted_matches_numpy(x, v, side, use_sorter):
    xs, vs, ss = T.dvector("x"), T.TensorType("float64", (None,) * v.ndim)("v"), T.lvector()
    if use_sorter:
        sorter = np.argsort(x, kind="stable")
        got = theano.function([xs, vs, ss], extra_ops.searchsorted(xs, vs, side, ss))(
            x, v, sorter)
        want = np.searchsorted(x, v, side=side, sorter=sorter)
    else:
        sx = np.sort(x)
        got = theano.function([xs, vs], extra_ops.searchsorted(xs, vs, side))(sx, v)
        want = np.searchsorted(sx, v, side=side)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, want)


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, min_side=1,
                                                max_side=4), elements=st.integers(-5, 5)),
       st.data())
def test_compress_matches_numpy(x, data):
    axis = data.draw(st.one_of(st.none(), st.integers(0, x.ndim - 1)))
    length = x.size if axis is None else x.shape[axis]
    cond = data.draw(hnp.arrays(np.int64, data.draw(st.integers(0, length)),
                                elements=st.integers(0, 2)))
    xs, cs = T.TensorType("float64", (None,) * x.ndim)("x"), T.lvector("c")
    got = theano.function([cs, xs], extra_ops.compress(cs, xs, axis))(cond, x)
    np.testing.assert_array_equal(got, np.compress(cond, x, axis=axis))


def test_compress_gradient_and_ravel_multi_index():
    rng = np.random.default_rng(0)
    cond = np.array([1, 0, 1])
    verify_grad(lambda v: extra_ops.compress(T.constant(cond), v, 1),
                [rng.standard_normal((2, 3))], rng=rng)
    i, j = T.lvector("i"), T.lvector("j")
    for mode, order in [("raise", "C"), ("wrap", "F"), ("clip", "C")]:
        ii, jj = np.array([0, 2, 5]), np.array([1, 3, -1])
        if mode == "raise":
            ii, jj = np.array([0, 2, 1]), np.array([1, 3, 0])
        got = theano.function([i, j], extra_ops.ravel_multi_index((i, j), (3, 4), mode,
                                                                  order))(ii, jj)
        np.testing.assert_array_equal(got, np.ravel_multi_index((ii, jj), (3, 4), mode=mode,
                                                                order=order))
    f = theano.function([i, j], extra_ops.ravel_multi_index((i, j), (3, 4)))
    with pytest.raises(ValueError):
        f(np.array([3]), np.array([0]))
    with pytest.raises(ValueError, match="side"):
        extra_ops.searchsorted(T.dvector(), T.dvector(), "middle")
    with pytest.raises(TypeError, match="vector"):
        extra_ops.searchsorted(T.dmatrix(), T.dvector())
    with pytest.raises(TypeError, match="tuple of index arrays"):
        extra_ops.ravel_multi_index(i, (3, 4))
