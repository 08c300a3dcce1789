"""pool_2d (Theano 1.0's signal.pool) against a region-by-region loop definition."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.gradient import verify_grad
from tensordsl.tensor.signal import pool
from tensordsl.tensor.signal.pool import max_pool_2d_same_size, pool_2d
from tests.nnet.reference import pool2d_grad_loops, pool2d_loops, pool_out_size

MODES = ("max", "sum", "average_inc_pad", "average_exc_pad")
TOL = {"float32": dict(rtol=1e-5, atol=1e-5), "float64": dict(rtol=1e-12, atol=1e-12)}
# (ws, stride, pad, ignore_border): overlapping, gapped, partial border windows, padding
GEOMETRIES = [
    ((2, 2), None, (0, 0), True),
    ((2, 2), None, (0, 0), False),
    ((3, 2), (1, 2), (0, 0), False),
    ((2, 3), (3, 1), (0, 0), False),
    ((3, 3), (2, 2), (1, 2), True),
    ((2, 2), (1, 1), (1, 1), True),
    ((1, 1), (2, 2), (0, 0), False),
]


def _pool_fn(ndim: int, dtype: str, mode_name: str = "FAST_RUN", **kwargs):
    x = T.TensorType(dtype, (None,) * ndim)("x")
    return theano.function([x], pool_2d(x, **kwargs), mode=mode_name)


@pytest.mark.parametrize("backend", ["FAST_COMPILE", "FAST_RUN"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("ws, stride, pad, ignore_border", GEOMETRIES, ids=str)
def test_pool_2d_matches_loops(backend, mode, ws, stride, pad, ignore_border):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 7, 8))
    f = _pool_fn(4, "float64", backend, ws=ws, ignore_border=ignore_border, stride=stride,
                 pad=pad, mode=mode)
    want = pool2d_loops(x, ws, ignore_border, stride, pad, mode)
    got = f(x)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, **TOL["float64"])


@given(data=st.data(), dtype=st.sampled_from(["float32", "float64"]),
       mode=st.sampled_from(MODES), ignore_border=st.booleans(), ndim=st.integers(2, 4))
def test_pool_2d_property(data, dtype, mode, ignore_border, ndim):
    draw = data.draw
    ws = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = draw(st.none() | st.tuples(st.integers(1, 3), st.integers(1, 3)))
    pad = (0, 0)
    if ignore_border:
        pad = (draw(st.integers(0, ws[0] - 1)), draw(st.integers(0, ws[1] - 1)))
    lead = tuple(draw(st.integers(0, 2)) for _ in range(ndim - 2))
    shape = lead + (draw(st.integers(1, 6)), draw(st.integers(1, 6)))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal(shape).astype(dtype)
    if draw(st.booleans()):  # a reversed, non-contiguous view
        x = x[..., ::-1]
    got = _pool_fn(ndim, dtype, ws=ws, ignore_border=ignore_border, stride=stride, pad=pad,
                   mode=mode)(x)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, pool2d_loops(x, ws, ignore_border, stride, pad, mode),
                               **TOL[dtype])


@pytest.mark.parametrize("mode", ["max", "sum"])
def test_integer_pooling(mode):
    x = np.arange(2 * 5 * 5, dtype="int32").reshape(2, 5, 5) * 7 % 23 - 11
    got = _pool_fn(3, "int32", ws=(2, 2), ignore_border=False, mode=mode)(x)
    assert got.dtype == "int32"
    np.testing.assert_array_equal(got, pool2d_loops(x, (2, 2), False, mode=mode))


def test_output_sizes_follow_theano():
    # (5, 5) with ws (2, 2): (2, 2) ignoring the border, (3, 3) otherwise (Theano's docstring)
    x = T.tensor4("x")
    assert pool_2d(x, (2, 2), ignore_border=True).type.shape[2:] == (None, None)
    fixed = T.TensorType("float64", (None, None, 5, 5))("x")
    assert pool_2d(fixed, (2, 2), ignore_border=True).type.shape[2:] == (2, 2)
    assert pool_2d(fixed, (2, 2), ignore_border=False).type.shape[2:] == (3, 3)
    for size, ws, stride, pad, ib in itertools.product(range(1, 7), range(1, 4), range(1, 4),
                                                       range(0, 2), [True, False]):
        if pad >= ws or (pad and not ib):
            continue
        shape = pool.Pool(ib)(T.TensorType("float64", (size, size))("m"), (ws, ws),
                              (stride, stride), (pad, pad)).type.shape
        assert shape == (pool_out_size(size, ws, stride, pad, ib),) * 2


def test_default_ignore_border_warns_and_means_false():
    x = T.matrix("x")
    with pytest.warns(UserWarning, match="ignore_border"):
        y = pool_2d(x, (2, 2))
    value = np.arange(25.0).reshape(5, 5)
    got = theano.function([x], y)(value)
    np.testing.assert_array_equal(got, pool2d_loops(value, (2, 2), False))
    assert got.shape == (3, 3)


def test_deprecated_names():
    x = T.matrix("x")
    value = np.arange(30.0).reshape(5, 6)
    with pytest.warns(UserWarning, match="'ds'"):
        y = pool_2d(x, ds=(2, 3), st=None, ignore_border=True)
    np.testing.assert_array_equal(theano.function([x], y)(value),
                                  pool2d_loops(value, (2, 3), True))
    with pytest.raises(ValueError, match="'ws' and 'ds'"):
        pool_2d(x, (2, 2), ds=(2, 2), ignore_border=True)


def test_max_pool_2d_same_size():
    rng = np.random.default_rng(2)
    value = rng.standard_normal((2, 5, 7))
    x = T.tensor3("x")
    got = theano.function([x], max_pool_2d_same_size(x, (2, 3)))(value)
    want = np.zeros_like(value)
    for b, i, j in itertools.product(range(2), range(2), range(2)):
        block = value[b, 2 * i:2 * i + 2, 3 * j:3 * j + 3]
        r, c = np.unravel_index(np.argmax(block), block.shape)
        want[b, 2 * i + r, 3 * j + c] = block[r, c]
    np.testing.assert_array_equal(got, want)  # row 4 and column 6 are a partial patch: 0


# ---------------------------------------------------------------- gradients


@pytest.mark.parametrize("shape", [(2, 6, 7), (2, 6, 8)])  # 6x8: 2x2 windows tile it
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("ws, stride, pad, ignore_border", GEOMETRIES, ids=str)
def test_gradient_matches_loops(mode, ws, stride, pad, ignore_border, shape):
    """MaxPoolGrad routes to the argmax, the average modes spread evenly."""
    rng = np.random.default_rng(3)
    value = rng.standard_normal(shape)
    x = T.tensor3("x")
    y = pool_2d(x, ws, ignore_border, stride, pad, mode)
    weights = T.tensor3("g")
    grad = theano.function([x, weights], T.grad(T.sum(y * weights), x))
    gz = rng.standard_normal(pool2d_loops(value, ws, ignore_border, stride, pad, mode).shape)
    np.testing.assert_allclose(grad(value, gz),
                               pool2d_grad_loops(value, gz, ws, ignore_border, stride, pad,
                                                 mode), rtol=1e-12, atol=1e-12)


def test_max_gradient_goes_to_every_tied_maximum_as_in_theano():
    x = T.matrix("x")
    y = pool_2d(x, (2, 2), ignore_border=True)
    g = theano.function([x], T.grad(T.sum(y), x))(np.array([[1.0, 3.0], [3.0, 0.0]]))
    np.testing.assert_array_equal(g, [[0.0, 1.0], [1.0, 0.0]])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("ws, stride, pad, ignore_border", GEOMETRIES[1:6], ids=str)
def test_verify_grad_pool(mode, ws, stride, pad, ignore_border):
    rng = np.random.default_rng(4)
    value = rng.permutation(2 * 5 * 6).reshape(2, 5, 6) / 7.0  # no ties: max is smooth
    verify_grad(lambda v: pool_2d(v, ws, ignore_border, stride, pad, mode), [value], rng=rng)


@pytest.mark.parametrize("mode", MODES)
def test_second_derivative(mode):
    """Through MaxPoolGrad (its gz) and AveragePoolGrad: DownsampleFactorMaxGradGrad, Pool."""
    rng = np.random.default_rng(5)
    value = rng.permutation(30).reshape(5, 6) / 7.0

    def fn(v):
        y = pool_2d(v, (2, 2), ignore_border=False, stride=(1, 2), mode=mode)
        return T.grad(T.sum(y ** 3), v)

    verify_grad(fn, [value], rng=rng)


def test_float32_gradient_keeps_the_dtype():
    x = T.ftensor4("x")
    y = pool_2d(x, (2, 2), ignore_border=True, mode="average_exc_pad", pad=(1, 1))
    g = T.grad(T.sum(y), x)
    assert g.dtype == "float32"
    value = np.ones((1, 1, 4, 4), dtype="float32")
    assert theano.function([x], g)(value).dtype == "float32"


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(ws=(2, 2), mode="median"), ValueError, "mode"),
    (dict(ws=(2, 2), pad=(1, 1), ignore_border=False), ValueError, "ignore_border"),
    (dict(ws=(2, 2), pad=(2, 0)), ValueError, "pad"),
    (dict(ws=(2, 2, 2)), ValueError, "ws"),
    (dict(ws=(0, 2)), ValueError, "ws"),
    (dict(ws=(2, 2), stride=(0, 1)), ValueError, "stride"),
    (dict(ws=(2.0, 2)), TypeError, "ws"),
    (dict(), ValueError, "window size"),
])
def test_bad_arguments_are_named(kwargs, error, match):
    kwargs.setdefault("ignore_border", True)
    with pytest.raises(error, match=match):
        pool_2d(T.tensor4("x"), **kwargs)


def test_bad_input_rank():
    with pytest.raises(TypeError, match="at least 2 dims"):
        pool_2d(T.vector("x"), (2, 2), ignore_border=True)


def test_inputs_are_not_mutated():
    value = np.arange(16.0).reshape(4, 4)
    before = value.copy()
    x = T.matrix("x")
    y = pool_2d(x, (2, 2), ignore_border=True, pad=(1, 1), mode="average_inc_pad")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        theano.function([x], [y, T.grad(T.sum(y), x)])(value)
    np.testing.assert_array_equal(value, before)


@pytest.mark.parametrize("ws, stride, pad, ignore_border", GEOMETRIES, ids=str)
def test_infer_shape_gives_the_run_time_shape(ws, stride, pad, ignore_border):
    x = T.tensor3("x")
    y = pool_2d(x, ws, ignore_border, stride, pad)
    shape = y.owner.op.infer_shape(y.owner, [tuple(x.shape[i] for i in range(3))])[0]
    value = np.zeros((2, 5, 7))
    got = theano.function([x], list(shape))(value)
    assert tuple(int(v) for v in got) == theano.function([x], y)(value).shape


@pytest.mark.parametrize("ignore_border", [True, False])
def test_verify_grad_of_the_gradient_ops_directly(ignore_border):
    rng = np.random.default_rng(6)
    value = rng.permutation(42).reshape(6, 7) / 5.0
    x = T.matrix("x")
    params = ((2, 3), (1, 2), (0, 0))
    maxout = pool.Pool(ignore_border)(x, *params)
    out_shape = theano.function([x], maxout)(value).shape
    fixed = theano.shared(value)
    fixed_max = pool.Pool(ignore_border)(fixed, *params)
    verify_grad(lambda gz: pool.MaxPoolGrad(ignore_border)(fixed, fixed_max, gz, *params),
                [rng.random(out_shape)], rng=rng)
    verify_grad(lambda gg: pool.DownsampleFactorMaxGradGrad(ignore_border)(
        fixed, fixed_max, gg, *params), [rng.random(value.shape)], rng=rng)
    verify_grad(lambda gz: pool.AveragePoolGrad(ignore_border, "average_exc_pad")(
        fixed, gz, *params), [rng.random(out_shape)], rng=rng)


@given(data=st.data(), mode=st.sampled_from(MODES), ignore_border=st.booleans())
def test_gradient_property(data, mode, ignore_border):
    draw = data.draw
    ws = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = draw(st.none() | st.tuples(st.integers(1, 3), st.integers(1, 3)))
    pad = (0, 0)
    if ignore_border:
        pad = (draw(st.integers(0, ws[0] - 1)), draw(st.integers(0, ws[1] - 1)))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 6)), draw(st.integers(1, 6)))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    value = rng.permutation(int(np.prod(shape))).reshape(shape) / 3.0  # no ties
    gz = rng.standard_normal(pool2d_loops(value, ws, ignore_border, stride, pad, mode).shape)
    x, g = T.tensor3("x"), T.tensor3("g")
    y = pool_2d(x, ws, ignore_border, stride, pad, mode)
    got = theano.function([x, g], T.grad(T.sum(y * g), x))(value, gz)
    np.testing.assert_allclose(got, pool2d_grad_loops(value, gz, ws, ignore_border, stride, pad,
                                                      mode), rtol=1e-12, atol=1e-12)
