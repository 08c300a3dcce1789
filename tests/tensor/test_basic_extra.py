"""eye, sgn, max_and_argmax, shape_padleft/right, tensordot, batched_dot, sort/argsort,
xlogx, scalar.upcast and the new T.nnet helpers, against numpy."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.gradient import verify_grad
from tests.strategies import FLOAT_DTYPES, NUMERIC_DTYPES, arrays, elements, shapes
from tests.tensor.helpers import MODES, run, tol

SETTINGS = settings(max_examples=30, deadline=None)


def _var(a: np.ndarray, name: str = "x"):
    return T.tensor(a.dtype.name, shape=(None,) * a.ndim, name=name)


@pytest.mark.parametrize("mode", MODES)
@SETTINGS
@given(n=st.integers(0, 4), m=st.one_of(st.none(), st.integers(0, 4)), k=st.integers(-4, 4),
       dtype=st.sampled_from(NUMERIC_DTYPES + ("bool",)))
def test_eye(mode, n, m, k, dtype) -> None:
    out = T.eye(n, m, k, dtype=dtype)
    assert out.dtype == dtype
    got = run([], out, [], mode)
    np.testing.assert_array_equal(got, np.eye(n, m, k, dtype=dtype))
    assert got.dtype == np.dtype(dtype)


def test_eye_symbolic_sizes_and_default_dtype() -> None:
    n, k = T.lscalar("n"), T.iscalar("k")
    out = T.eye(n, k=k)
    assert out.dtype == theano.config.floatX
    np.testing.assert_array_equal(theano.function([n, k], out)(3, -1), np.eye(3, k=-1))
    with pytest.raises(TypeError, match="n must be an integer scalar"):
        T.eye(T.dscalar("size"))


@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(NUMERIC_DTYPES))
def test_sgn(data, dtype) -> None:
    a = data.draw(arrays(dtype, data.draw(shapes())))
    x = _var(a)
    got = run([x], T.sgn(x), [a], "FAST_COMPILE")
    np.testing.assert_array_equal(got, np.sign(a))
    assert got.dtype == a.dtype


@pytest.mark.parametrize("mode", MODES)
@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(NUMERIC_DTYPES), keepdims=st.booleans())
def test_max_and_argmax(mode, data, dtype, keepdims) -> None:
    shape = data.draw(shapes(min_dims=1, min_side=1))
    a = data.draw(arrays(dtype, shape))
    axis = data.draw(st.one_of(st.none(), st.integers(-a.ndim, a.ndim - 1)))
    x = _var(a)
    mx, amx = T.max_and_argmax(x, axis=axis, keepdims=keepdims)
    got_max, got_arg = run([x], [mx, amx], [a], mode)
    np.testing.assert_array_equal(got_max, np.max(a, axis=axis, keepdims=keepdims))
    want_arg = np.argmax(a, axis=axis)
    if keepdims:
        want_arg = np.argmax(a, axis=axis, keepdims=True) if axis is not None else \
            want_arg.reshape((1,) * a.ndim)
    np.testing.assert_array_equal(got_arg, want_arg)


def test_max_and_argmax_all_axes_list_is_none() -> None:
    x = T.dmatrix("x")
    a = np.array([[1.0, 5.0], [7.0, 2.0]])
    mx, amx = T.max_and_argmax(x, axis=[0, 1])
    assert [float(v) for v in theano.function([x], [mx, amx])(a)] == [7.0, 2.0]


@SETTINGS
@given(data=st.data(), n_ones=st.integers(0, 3))
def test_shape_pad(data, n_ones) -> None:
    a = data.draw(arrays("float64", data.draw(shapes())))
    x = _var(a)
    left, right = T.shape_padleft(x, n_ones), T.shape_padright(x, n_ones)
    assert left.broadcastable == (True,) * n_ones + (False,) * a.ndim
    assert right.broadcastable == (False,) * a.ndim + (True,) * n_ones
    got_left, got_right = run([x], [left, right], [a], "FAST_COMPILE")
    assert got_left.shape == (1,) * n_ones + a.shape
    assert got_right.shape == a.shape + (1,) * n_ones
    np.testing.assert_array_equal(got_left.reshape(a.shape), a)
    axis = data.draw(st.integers(-a.ndim - 1, a.ndim))
    got = run([x], T.shape_padaxis(x, axis), [a], "FAST_COMPILE")
    np.testing.assert_array_equal(got, np.expand_dims(a, axis))


@st.composite
def tensordot_case(draw):
    dtype = draw(st.sampled_from(NUMERIC_DTYPES))
    n_sum = draw(st.integers(0, 2))
    summed = draw(st.lists(st.integers(0, 3), min_size=n_sum, max_size=n_sum))
    free_a = draw(st.lists(st.integers(0, 3), max_size=2))
    free_b = draw(st.lists(st.integers(0, 3), max_size=2))
    perm_a = draw(st.permutations(range(len(free_a) + n_sum)))
    perm_b = draw(st.permutations(range(len(free_b) + n_sum)))
    full_a = free_a + summed
    full_b = summed + free_b
    shape_a = tuple(full_a[p] for p in perm_a)
    shape_b = tuple(full_b[p] for p in perm_b)
    axes_a = [list(perm_a).index(len(free_a) + i) for i in range(n_sum)]
    axes_b = [list(perm_b).index(i) for i in range(n_sum)]
    el = elements(dtype, -3, 3)
    a = draw(arrays(dtype, shape_a, el))
    b = draw(arrays(dtype, shape_b, el))
    return a, b, (axes_a, axes_b)


@pytest.mark.parametrize("mode", MODES)
@SETTINGS
@given(case=tensordot_case())
def test_tensordot(mode, case) -> None:
    a, b, axes = case
    x, y = _var(a, "a"), _var(b, "b")
    got = run([x, y], T.tensordot(x, y, axes), [a, b], mode)
    want = np.tensordot(a, b, axes)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, **tol(got.dtype))


def test_tensordot_int_axes_and_grad() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(2, 3, 4)), rng.normal(size=(3, 4, 5))
    x, y = T.dtensor3("a"), T.dtensor3("b")
    np.testing.assert_allclose(theano.function([x, y], T.tensordot(x, y))(a, b),
                               np.tensordot(a, b), rtol=1e-12)
    verify_grad(lambda p, q: T.tensordot(p, q, [[1, 2], [0, 1]]), [a, b])
    verify_grad(lambda p, q: T.tensordot(p, q, 1), [a, b[..., 0].T])
    with pytest.raises(ValueError, match="must match"):
        T.tensordot(T.tensor("float64", (2, 3)), T.tensor("float64", (4, 5)), 1)


def _batched_ref(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.ndim == 1:
        return a.reshape((-1,) + (1,) * (b.ndim - 1)) * b
    if b.ndim == 1:
        return a * b.reshape((-1,) + (1,) * (a.ndim - 1))
    kb = max(1, b.ndim - 2)
    out = np.zeros((a.shape[0],) + a.shape[1:-1]
                   + tuple(s for d, s in enumerate(b.shape) if d not in (0, kb)),
                   dtype=np.result_type(a, b))
    for i in range(a.shape[0]):
        out[i] = np.tensordot(a[i], b[i], [[a.ndim - 2], [kb - 1]])
    return out


@st.composite
def batched_case(draw):
    dtype = draw(st.sampled_from(NUMERIC_DTYPES))
    batch, k = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    nd_a, nd_b = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    free = st.integers(0, 3)
    if nd_a == 1 or nd_b == 1:
        other = nd_b if nd_a == 1 else nd_a
        rest = tuple(draw(free) for _ in range(other - 1))
        shape_a = (batch,) if nd_a == 1 else (batch,) + rest
        shape_b = (batch,) if nd_b == 1 else (batch,) + rest
    else:
        shape_a = (batch,) + tuple(draw(free) for _ in range(nd_a - 2)) + (k,)
        kb = max(1, nd_b - 2)
        dims_b = [draw(free) for _ in range(nd_b - 1)]
        dims_b[kb - 1] = k
        shape_b = (batch,) + tuple(dims_b)
    el = elements(dtype, -3, 3)
    return draw(arrays(dtype, shape_a, el)), draw(arrays(dtype, shape_b, el))


@pytest.mark.parametrize("mode", MODES)
@SETTINGS
@given(case=batched_case())
def test_batched_dot(mode, case) -> None:
    a, b = case
    x, y = _var(a, "a"), _var(b, "b")
    got = run([x, y], T.batched_dot(x, y), [a, b], mode)
    want = _batched_ref(a, b)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, **tol(got.dtype))


def test_batched_dot_grad_and_errors() -> None:
    rng = np.random.default_rng(2)
    verify_grad(T.batched_dot, [rng.normal(size=(3, 2, 4)), rng.normal(size=(3, 4, 5))])
    verify_grad(T.batched_dot, [rng.normal(size=(3, 4)), rng.normal(size=(3, 4))])
    with pytest.raises(TypeError, match="batch"):
        T.batched_dot(T.dscalar("s"), T.dmatrix("m"))


@pytest.mark.parametrize("mode", MODES)
@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(NUMERIC_DTYPES))
def test_sort_and_argsort(mode, data, dtype) -> None:
    a = data.draw(arrays(dtype, data.draw(shapes(min_dims=1))))
    axis = data.draw(st.one_of(st.none(), st.integers(-a.ndim, a.ndim - 1)))
    x = _var(a)
    got_sort, got_arg = run([x], [T.sort(x, axis), T.argsort(x, axis, kind="stable")],
                            [a], mode)
    np.testing.assert_array_equal(got_sort, np.sort(a, axis=axis))
    np.testing.assert_array_equal(got_arg, np.argsort(a, axis=axis, kind="stable"))
    assert got_arg.dtype == np.int64


@SETTINGS
@given(data=st.data())
def test_sort_grad(data) -> None:
    shape = data.draw(shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    n = int(np.prod(shape))
    perm = data.draw(st.permutations(list(range(n))))
    a = (np.asarray(perm, dtype="float64") * 0.37 - 1.0).reshape(shape)  # no ties
    axis = data.draw(st.one_of(st.none(), st.integers(-a.ndim, a.ndim - 1)))
    verify_grad(lambda v: T.sort(v, axis), [a])


def test_sort_errors() -> None:
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        T.sort(T.dmatrix("m"), 2)
    with pytest.raises(ValueError, match="kind"):
        T.argsort(T.dvector("v"), kind="bogus")


def _xlogy0_ref(x, y):
    with np.errstate(all="ignore"):
        return np.where(x == 0, 0.0, x * np.log(np.where(x == 0, 1.0, y)))


@pytest.mark.parametrize("mode", MODES)
@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(FLOAT_DTYPES))
def test_xlogx_xlogy0(mode, data, dtype) -> None:
    from tensordsl.tensor.xlogx import xlogx, xlogy0

    shape = data.draw(shapes())
    el = st.one_of(st.just(0.0), elements(dtype, 1e-3, 50))
    a, b = data.draw(arrays(dtype, shape, el)), data.draw(arrays(dtype, shape, el))
    x, y = _var(a, "x"), _var(b, "y")
    got_x, got_y = run([x, y], [xlogx(x), xlogy0(x, y)], [a, b], mode)
    np.testing.assert_allclose(got_x, scipy.special.xlogy(a, a), **tol(dtype))
    np.testing.assert_allclose(got_y, _xlogy0_ref(a, b), **tol(dtype))
    assert got_x.dtype == np.dtype(dtype)


def test_xlogx_module_path_and_grad() -> None:
    import tensordsl.tensor.xlogx as xl

    assert theano.tensor.xlogx.xlogy0 is xl.xlogy0
    verify_grad(xl.xlogx, [np.array([0.5, 1.0, 2.5])])
    verify_grad(xl.xlogy0, [np.array([0.5, 2.0]), np.array([1.5, 0.3])])
    x = T.dvector("x")
    g = theano.function([x], T.grad(T.sum(xl.xlogx(x)), x))(np.array([0.0, 1.0]))
    np.testing.assert_allclose(g, [0.0, 1.0])  # finite at 0 (the masked branch)


@pytest.mark.parametrize("dtypes,floatx,want", [
    (("int8", "int16"), "float64", "int16"),
    (("int32", "float32"), "float64", "float64"),
    (("int32", "float32"), "float32", "float32"),
    (("int64", "float64"), "float32", "float64"),
    (("uint8", "int8"), "float64", "int16"),
    (("float32",), "float64", "float32"),
    (("bool", "int8"), "float64", "int8"),
])
def test_scalar_upcast(dtypes, floatx, want) -> None:
    with theano.config.change_flags(floatX=floatx):
        assert theano.scalar.upcast(*dtypes) == want


@pytest.mark.parametrize("mode", MODES)
@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(FLOAT_DTYPES))
def test_hard_and_ultra_fast_sigmoid(mode, data, dtype) -> None:
    a = data.draw(arrays(dtype, data.draw(shapes()), elements(dtype, -20, 20)))
    x = _var(a)
    hard, fast = run([x], [T.nnet.hard_sigmoid(x), T.nnet.ultra_fast_sigmoid(x)], [a], mode)
    assert hard.dtype == fast.dtype == np.dtype(dtype)
    a64 = a.astype("float64")
    np.testing.assert_allclose(hard, np.clip(0.2 * a64 + 0.5, 0, 1), rtol=1e-6, atol=1e-6)
    u = np.abs(a64) / 2
    z = np.where(u < 1.7, 1.5 * u / (1 + u),
                 np.where(u < 3, 0.935409070603099 + 0.0458812946797165 * (u - 1.7),
                          0.99505475368673))
    np.testing.assert_allclose(fast, 0.5 * np.sign(a64) * z + 0.5, rtol=1e-5, atol=1e-6)
    assert np.all(np.abs(fast - scipy.special.expit(a64)) < 0.05)


@pytest.mark.parametrize("mode", MODES)
@SETTINGS
@given(data=st.data(), dtype=st.sampled_from(FLOAT_DTYPES))
def test_crossentropy_softmax_1hot(mode, data, dtype) -> None:
    rows, cols = data.draw(st.integers(0, 4)), data.draw(st.integers(1, 4))
    a = data.draw(arrays(dtype, (rows, cols), elements(dtype, -10, 10)))
    bias = data.draw(arrays(dtype, (cols,), elements(dtype, -3, 3)))
    labels = np.asarray(data.draw(st.lists(st.integers(0, cols - 1), min_size=rows,
                                           max_size=rows)), dtype="int32")
    x, b, y = T.matrix("x", dtype=dtype), T.vector("b", dtype=dtype), T.ivector("y")
    nll, sm = T.nnet.crossentropy_softmax_1hot(x, y)
    nll_b, sm_b, am = T.nnet.crossentropy_softmax_argmax_1hot_with_bias(x, b, y)
    # numpy's argmax refuses 0-size inputs, so the argmax output is checked with rows only
    outs = [nll, sm, nll_b, sm_b] + ([am] if rows else [])
    got = run([x, b, y], outs, [a, bias, labels], mode)
    for z, (g_nll, g_sm) in ((a, got[0:2]), (a + bias, got[2:4])):
        z = z.astype("float64")
        logp = z - z.max(axis=1, keepdims=True)
        logp -= np.log(np.exp(logp).sum(axis=1, keepdims=True))
        np.testing.assert_allclose(g_nll, -logp[np.arange(rows), labels], rtol=2e-4, atol=2e-5)
        np.testing.assert_allclose(g_sm, np.exp(logp), rtol=2e-4, atol=2e-6)
    if rows:
        np.testing.assert_array_equal(got[4], np.argmax(got[3], axis=1))


def test_crossentropy_softmax_1hot_grad() -> None:
    labels = theano.shared(np.array([2, 0, 1], dtype="int32"))
    a = np.random.default_rng(3).normal(size=(3, 4))
    verify_grad(lambda v: T.nnet.crossentropy_softmax_1hot(v, labels)[0], [a])
    with pytest.raises(TypeError, match="integer labels"):
        T.nnet.crossentropy_softmax_1hot(T.dmatrix("x"), T.dvector("y"))
