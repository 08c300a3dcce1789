"""theano.tensor.extra_ops: cumsum, cumprod, repeat, diff, bincount, unravel_index,
fill_diagonal, against numpy, with verify_grad where Theano has a gradient."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.gradient import verify_grad
from tensordsl.tensor import extra_ops
from tests.strategies import FLOAT_DTYPES, NUMERIC_DTYPES, arrays, elements, shapes
from tests.tensor.helpers import MODES, run, tol

SETTINGS = settings(max_examples=30, deadline=None)
GRAD_SETTINGS = settings(max_examples=15, deadline=None)


def _var(a: np.ndarray, name: str = "x"):
    return T.tensor(a.dtype.name, shape=(None,) * a.ndim, name=name)


def test_module_path() -> None:
    from tensordsl.tensor.extra_ops import cumsum

    assert theano.tensor.extra_ops.cumsum is cumsum


@pytest.mark.parametrize("mode", MODES)
@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(NUMERIC_DTYPES + ("bool",)))
def test_cumsum_cumprod(mode, data, dtype) -> None:
    a = data.draw(arrays(dtype, data.draw(shapes()), elements(dtype, -3, 3)))
    axis = data.draw(st.one_of(st.none(), st.integers(-a.ndim, a.ndim - 1))) if a.ndim \
        else None
    x = _var(a)
    got_s, got_p = run([x], [extra_ops.cumsum(x, axis), extra_ops.cumprod(x, axis)], [a], mode)
    want_s, want_p = np.cumsum(a, axis=axis), np.cumprod(a, axis=axis)
    assert got_s.dtype == want_s.dtype and got_p.dtype == want_p.dtype
    np.testing.assert_allclose(got_s, want_s, **tol(want_s.dtype))
    np.testing.assert_allclose(got_p, want_p, **tol(want_p.dtype))


@GRAD_SETTINGS
@given(data=st.data())
def test_cumsum_cumprod_grad(data) -> None:
    shape = data.draw(shapes(min_dims=1, min_side=1, max_side=3))
    a = data.draw(arrays("float64", shape, elements("float64", 0.5, 2.0)))
    axis = data.draw(st.one_of(st.none(), st.integers(-a.ndim, a.ndim - 1)))
    verify_grad(lambda v: extra_ops.cumsum(v, axis), [a])
    verify_grad(lambda v: extra_ops.cumprod(v, axis), [a])


@pytest.mark.parametrize("mode", MODES)
@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(NUMERIC_DTYPES))
def test_repeat(mode, data, dtype) -> None:
    a = data.draw(arrays(dtype, data.draw(shapes())))
    axis = data.draw(st.one_of(st.none(), st.integers(-a.ndim, a.ndim - 1))) if a.ndim \
        else None
    count = data.draw(st.integers(0, 3))
    x = _var(a)
    got = run([x], extra_ops.repeat(x, count, axis), [a], mode)
    np.testing.assert_array_equal(got, np.repeat(a, count, axis=axis))
    n = a.size if axis is None else a.shape[axis]
    counts = np.asarray(data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)),
                        dtype="int64")
    r = T.lvector("r")
    got = run([x, r], extra_ops.repeat(x, r, axis), [a, counts], mode)
    np.testing.assert_array_equal(got, np.repeat(a, counts, axis=axis))


@GRAD_SETTINGS
@given(data=st.data(), count=st.integers(1, 3))
def test_repeat_grad(data, count) -> None:
    a = data.draw(arrays("float64", data.draw(shapes(min_dims=1, min_side=1, max_side=3)),
                         elements("float64", -2, 2)))
    axis = data.draw(st.one_of(st.none(), st.integers(-a.ndim, a.ndim - 1)))
    verify_grad(lambda v: extra_ops.repeat(v, count, axis), [a])


def test_repeat_errors() -> None:
    with pytest.raises(TypeError, match="repeats must be an integer"):
        extra_ops.repeat(T.dvector("v"), T.dscalar("r"))
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        extra_ops.repeat(T.dmatrix("m"), 2, axis=2)
    x, r = T.dvector("x"), T.lvector("r")
    f = theano.function([x, r], extra_ops.repeat(x, r, 0))
    with pytest.raises(ValueError, match="repeat"):
        f(np.ones(3), np.ones(2, dtype="int64"))


@pytest.mark.parametrize("mode", MODES)
@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(NUMERIC_DTYPES), n=st.integers(0, 3))
def test_diff(mode, data, dtype, n) -> None:
    a = data.draw(arrays(dtype, data.draw(shapes(min_dims=1)), elements(dtype, -50, 50)))
    axis = data.draw(st.integers(-a.ndim, a.ndim - 1))
    x = _var(a)
    got = run([x], extra_ops.diff(x, n, axis), [a], mode)
    want = np.diff(a, n, axis=axis)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, **tol(want.dtype))


@GRAD_SETTINGS
@given(data=st.data(), n=st.integers(1, 2))
def test_diff_grad(data, n) -> None:
    a = data.draw(arrays("float64", data.draw(shapes(min_dims=1, min_side=1, max_side=4)),
                         elements("float64", -2, 2)))
    axis = data.draw(st.integers(-a.ndim, a.ndim - 1))
    verify_grad(lambda v: extra_ops.diff(v, n, axis), [a])


@pytest.mark.parametrize("mode", MODES)
@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(("int8", "int32", "int64")),
       wdtype=st.sampled_from(FLOAT_DTYPES + ("int64",)),
       minlength=st.one_of(st.none(), st.integers(0, 8)))
def test_bincount(mode, data, dtype, wdtype, minlength) -> None:
    size = data.draw(st.integers(0, 6))
    a = data.draw(arrays(dtype, (size,), elements(dtype, 0, 6)))
    w = data.draw(arrays(wdtype, (size,), elements(wdtype, -3, 3)))
    x, wv = _var(a, "x"), _var(w, "w")
    counts, sums = run([x, wv], [extra_ops.bincount(x, minlength=minlength),
                                 extra_ops.bincount(x, wv, minlength=minlength)], [a, w], mode)
    assert counts.dtype == a.dtype and sums.dtype == w.dtype  # Theano 1.0's dtypes
    np.testing.assert_array_equal(counts, np.bincount(a, minlength=minlength or 0))
    np.testing.assert_allclose(sums, np.bincount(a, w, minlength=minlength or 0),
                               **tol(wdtype) if wdtype != "int64" else {})


def test_bincount_grad_and_errors() -> None:
    labels = theano.shared(np.array([0, 2, 2, 5], dtype="int64"))
    verify_grad(lambda w: extra_ops.bincount(labels, w), [np.array([0.5, -1.0, 2.0, 3.0])])
    x = T.lvector("x")
    with pytest.raises(ValueError, match="negative"):
        theano.function([x], extra_ops.bincount(x))(np.array([1, -1]))
    with pytest.raises(TypeError, match="integer vector"):
        extra_ops.bincount(T.dvector("v"))


@pytest.mark.parametrize("mode", MODES)
@SETTINGS
@given(data=st.data(), order=st.sampled_from(("C", "F")))
def test_unravel_index(mode, data, order) -> None:
    dims = tuple(data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    total = int(np.prod(dims))
    shape = data.draw(shapes(max_dims=2))
    idx = data.draw(arrays("int64", shape, elements("int64", 0, total - 1)))
    x = _var(idx)
    outs = extra_ops.unravel_index(x, dims, order)
    assert isinstance(outs, tuple) and len(outs) == len(dims)
    got = run([x], list(outs), [idx], mode)
    for g, w in zip(got, np.unravel_index(idx, dims, order=order)):
        np.testing.assert_array_equal(g, w)
    symbolic = T.lvector("dims")
    outs = extra_ops.unravel_index(x, T.stack([symbolic[i] for i in range(len(dims))]),
                                   order)
    got = run([x, symbolic], list(outs), [idx, np.asarray(dims, dtype="int64")], mode)
    for g, w in zip(got, np.unravel_index(idx, dims, order=order)):
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("mode", MODES)
@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(NUMERIC_DTYPES))
def test_fill_diagonal(mode, data, dtype) -> None:
    ndim = data.draw(st.integers(2, 3))
    if ndim == 2:
        shape = (data.draw(st.integers(0, 4)), data.draw(st.integers(0, 4)))
    else:
        shape = (data.draw(st.integers(0, 3)),) * 3
    a = data.draw(arrays(dtype, shape))
    value = data.draw(elements(dtype, -5, 5))
    x, v = _var(a, "a"), T.scalar("v", dtype=dtype)
    got = run([x, v], extra_ops.fill_diagonal(x, v), [a, np.asarray(value, dtype=dtype)], mode)
    want = a.copy()
    np.fill_diagonal(want, value)
    np.testing.assert_array_equal(got, want)


def test_fill_diagonal_grad_and_errors() -> None:
    rng = np.random.default_rng(4)
    for shape in ((3, 3), (2, 4), (4, 2), (2, 2, 2)):
        verify_grad(extra_ops.fill_diagonal, [rng.normal(size=shape), np.array(0.7)])
    with pytest.raises(TypeError, match="at least 2 dims"):
        extra_ops.fill_diagonal(T.dvector("v"), 0.0)
    with pytest.raises(TypeError, match="does not fit"):
        extra_ops.fill_diagonal(T.imatrix("m"), T.dscalar("s"))
