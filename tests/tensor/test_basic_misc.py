"""Theano 1.0's largest/smallest, ptp, power, deg2rad/rad2deg, iround,
horizontal/vertical_stack, stacklists, mgrid/ogrid, isclose/allclose and
nonzero/flatnonzero/nonzero_values against numpy, with gradients."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.config import config
from tensordsl.gradient import verify_grad

ARRAYS = hnp.arrays(st.sampled_from([np.float32, np.float64, np.int64]),
                    hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4),
                    elements=st.integers(-3, 3))


def _sym(value, name="x"):
    return T.TensorType(str(value.dtype), (None,) * value.ndim)(name)


@settings(max_examples=40, deadline=None)
@given(ARRAYS)
def test_nonzero_family_matches_numpy(x):
    v = _sym(x)
    outs = [*T.nonzero(v), T.nonzero(v, return_matrix=True), T.flatnonzero(v),
            T.nonzero_values(v)]
    got = theano.function([v], outs)(x)
    want = [*np.nonzero(x), np.array(np.nonzero(x)).reshape(x.ndim, -1), np.flatnonzero(x),
            x.ravel()[np.flatnonzero(x)]]
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    for g in got[:-1]:
        assert g.dtype == np.int64
    assert got[-1].dtype == x.dtype


@settings(max_examples=40, deadline=None)
@given(ARRAYS, st.data())
def test_ptp_largest_smallest_power(x, data):
    axis = data.draw(st.one_of(st.none(), st.integers(0, x.ndim - 1)))
    v, w = _sym(x), _sym(x, "w")
    y = x[::-1].copy()
    outs = [T.largest(v, w), T.smallest(v, w), T.largest(v, w, v * 2), T.smallest(v, w, 1)]
    got = theano.function([v, w], outs)(x, y)
    want = [np.maximum(x, y), np.minimum(x, y), np.maximum(np.maximum(x, y), x * 2),
            np.minimum(np.minimum(x, y), 1)]
    for g, wv in zip(got, want):
        np.testing.assert_array_equal(g, wv)
    if x.size and (axis is None or x.shape[axis]):
        np.testing.assert_array_equal(theano.function([v], T.ptp(v, axis))(x),
                                      np.ptp(x, axis=axis))
    p = theano.function([v], T.power(v, 2))(x)
    np.testing.assert_array_equal(p, x ** 2)


def test_angles_and_iround():
    x = T.dvector("x")
    xv = np.array([-180.0, -45.0, 0.0, 30.0, 720.0])
    rad = theano.function([x], T.deg2rad(x))(xv)
    np.testing.assert_allclose(rad, np.deg2rad(xv), rtol=1e-15)
    np.testing.assert_allclose(theano.function([x], T.rad2deg(x))(rad), xv, rtol=1e-14)
    with config.change_flags(floatX="float32"):
        f = T.fvector("f")
        assert T.deg2rad(f).dtype == "float32"
    r = theano.function([x], [T.iround(x), T.iround(x, "half_away_from_zero")])
    halves = np.array([-2.5, -0.5, 0.5, 1.5, 2.5])
    even, away = r(halves)
    assert even.dtype == np.int64
    np.testing.assert_array_equal(even, [-2, 0, 0, 2, 2])
    np.testing.assert_array_equal(away, [-3, -1, 1, 2, 3])


def test_stacks_and_grids():
    a, b = T.dmatrix("a"), T.dmatrix("b")
    av, bv = np.arange(6.0).reshape(2, 3), -np.arange(6.0).reshape(2, 3)
    h, v = theano.function([a, b], [T.horizontal_stack(a, b), T.vertical_stack(a, b, a)])(av, bv)
    np.testing.assert_array_equal(h, np.hstack([av, bv]))
    np.testing.assert_array_equal(v, np.vstack([av, bv, av]))
    with pytest.raises(ValueError, match="at least 2"):
        T.horizontal_stack(a)
    with pytest.raises(ValueError, match="matrix"):
        T.vertical_stack(a, T.dvector())
    s, t = T.dscalars("s", "t")
    m = theano.function([s, t], T.stacklists([[s, t], [t, s]]))(1.0, 2.0)
    np.testing.assert_array_equal(m, [[1.0, 2.0], [2.0, 1.0]])
    n = T.lscalar("n")
    dense = theano.function([n], T.mgrid[0:n, 1:7:2])(4)
    for g, w in zip(dense, np.mgrid[0:4, 1:7:2]):
        np.testing.assert_array_equal(g, w)
    opened = theano.function([n], T.ogrid[0:n, 1:7:2, 0:2])(3)
    for g, w in zip(opened, np.ogrid[0:3, 1:7:2, 0:2]):
        np.testing.assert_array_equal(g, w)
    with pytest.raises(TypeError, match="slices"):
        T.mgrid[0:]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 6).flatmap(lambda n: st.tuples(
    hnp.arrays(np.float64, n, elements=st.sampled_from([0.0, 1.0, 1.0 + 1e-9, -1.0, 1e10,
                                                        np.inf, -np.inf, np.nan])),
    hnp.arrays(np.float64, n, elements=st.sampled_from([0.0, 1.0, 1.0 + 2e-5, -1.0,
                                                        1e10 + 1, np.inf, -np.inf,
                                                        np.nan])))), st.booleans())
def test_isclose_allclose_match_numpy(pair, equal_nan):
    x, y = pair
    a, b = T.dvector("a"), T.dvector("b")
    f = theano.function([a, b], [T.isclose(a, b, equal_nan=equal_nan),
                                 T.allclose(a, b, equal_nan=equal_nan)])
    close, all_close = f(x, y)
    np.testing.assert_array_equal(close, np.isclose(x, y, equal_nan=equal_nan))
    assert bool(all_close) == bool(np.allclose(x, y, equal_nan=equal_nan))


def test_gradients():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    verify_grad(lambda v: T.ptp(v, axis=1), [x], rng=rng)
    verify_grad(lambda v: T.largest(v, v * 0.5, -v), [x], rng=rng)
    verify_grad(lambda v: T.deg2rad(v) + T.rad2deg(v), [x], rng=rng)
    verify_grad(lambda v: T.nonzero_values(v), [x], rng=rng)
    verify_grad(lambda v: T.horizontal_stack(v, v * 2), [x], rng=rng)
