"""Theano 1.0's T.addbroadcast / unbroadcast / patternbroadcast (the Rebroadcast op),
T.tile and T.roll against numpy, with gradients."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.gradient import verify_grad
from tensordsl.ops.rebroadcast import Rebroadcast


def _sym(value, name="x"):
    return T.TensorType(str(value.dtype), (None,) * value.ndim)(name)


def test_addbroadcast_marks_dims_and_checks_sizes():
    x = T.dtensor3("x")
    y = T.addbroadcast(x, 0, 2)
    assert y.broadcastable == (True, False, True)
    f = theano.function([x], y + T.ones((2, 3, 4)))
    np.testing.assert_array_equal(f(np.full((1, 3, 1), 2.0)), np.full((2, 3, 4), 3.0))
    with pytest.raises(ValueError, match="Dimension 2 in Rebroadcast's input was supposed "
                                         "to be 1 \\(got 5 instead\\)"):
        f(np.ones((1, 3, 5)))
    # a static size other than 1 is refused while the graph is built
    with pytest.raises(ValueError, match="static size 3"):
        T.addbroadcast(T.TensorType("float64", (2, 3))("s"), 1)
    assert T.addbroadcast(x) is x


def test_unbroadcast_and_patternbroadcast():
    r = T.drow("r")
    u = T.unbroadcast(r, 0)
    assert u.broadcastable == (False, False)
    assert T.unbroadcast(T.dmatrix("m"), 1).broadcastable == (False, False)
    p = T.patternbroadcast(T.dmatrix("m"), (True, False))
    assert p.broadcastable == (True, False)
    m = T.dmatrix("m")
    assert T.patternbroadcast(m, (False, False)) is m
    with pytest.raises(ValueError, match="pattern"):
        T.patternbroadcast(m, (True,))
    f = theano.function([r], u * 2)
    np.testing.assert_array_equal(f(np.array([[1.0, 2.0]])), [[2.0, 4.0]])
    assert Rebroadcast((0, True), (1, False)) == Rebroadcast((1, False), (0, True))
    with pytest.raises(TypeError, match="pair"):
        Rebroadcast((0, 1))
    with pytest.raises(ValueError, match="out of range"):
        T.addbroadcast(m, 2)


def test_rebroadcast_gradient_keeps_the_inputs_pattern():
    x = T.dmatrix("x")
    w = np.arange(6.0).reshape(3, 2)
    g = theano.grad(T.sum(T.addbroadcast(x, 0) * w), x)
    assert g.broadcastable == (False, False)
    np.testing.assert_array_equal(theano.function([x], g)(np.ones((1, 2))), [[6.0, 9.0]])
    r = T.drow("r")
    gr = theano.grad(T.sum(T.unbroadcast(r, 0) ** 2), r)
    assert gr.broadcastable == (True, False)
    np.testing.assert_array_equal(theano.function([r], gr)(np.array([[1.0, -2.0]])),
                                  [[2.0, -4.0]])
    verify_grad(lambda v: T.addbroadcast(v, 0) * w, [np.random.default_rng(0).random((1, 2))])


REPS = st.one_of(st.integers(0, 3), st.lists(st.integers(0, 3), min_size=1, max_size=4))


@settings(max_examples=50, deadline=None)
@given(hnp.arrays(st.sampled_from([np.float32, np.float64, np.int32]),
                  hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3),
                  elements=st.integers(-50, 50)), REPS)
def test_tile_matches_numpy(x, reps):
    got = theano.function([v := _sym(x)], T.tile(v, reps))(x)
    want = np.tile(x, reps)
    assert got.dtype == x.dtype
    np.testing.assert_array_equal(got, want)


def test_tile_symbolic_reps_and_errors():
    x = T.dmatrix("x")
    xv = np.arange(6.0).reshape(2, 3)
    v, a, b = T.lvector("v"), T.lscalar("a"), T.lscalar("b")
    f = theano.function([x, v, a, b], [T.tile(x, v, ndim=3), T.tile(x, [a, b])])
    got_v, got_ab = f(xv, [2, 1, 3], 3, 2)
    np.testing.assert_array_equal(got_v, np.tile(xv, (2, 1, 3)))
    np.testing.assert_array_equal(got_ab, np.tile(xv, (3, 2)))
    with pytest.raises(ValueError, match="ndim must be given"):
        T.tile(x, v)
    with pytest.raises(ValueError, match="less than"):
        T.tile(x, [2, 2], ndim=1)
    with pytest.raises(ValueError, match="integers"):
        T.tile(x, [1.5])


@settings(max_examples=50, deadline=None)
@given(hnp.arrays(st.sampled_from([np.float64, np.int64]),
                  hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
                  elements=st.integers(-50, 50)),
       st.integers(-9, 9), st.data())
def test_roll_matches_numpy(x, shift, data):
    axis = data.draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))
    s = T.lscalar("s")
    got = theano.function([v := _sym(x), s], T.roll(v, s, axis))(x, shift)
    np.testing.assert_array_equal(got, np.roll(x, shift, axis))
    # a constant shift and a non-contiguous input
    xt = x.T
    got_t = theano.function([w := _sym(xt)], T.roll(w, shift, axis))(xt)
    np.testing.assert_array_equal(got_t, np.roll(xt, shift, axis))


def test_tile_and_roll_gradients():
    rng = np.random.default_rng(1)
    verify_grad(lambda v: T.tile(v, (2, 1, 3)), [rng.random((2, 3))], rng=rng)
    verify_grad(lambda v: T.roll(v, 2, 1), [rng.random((2, 5))], rng=rng)
    verify_grad(lambda v: T.roll(v, -3), [rng.random((3, 2))], rng=rng)
    with pytest.raises(ValueError, match="out of range"):
        T.roll(T.dmatrix(), 1, 2)
