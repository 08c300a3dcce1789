"""verify_grad for reductions, dot, shape ops and indexing over hypothesis shapes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.gradient import verify_grad

SETTINGS = settings(max_examples=25, deadline=None)


def _array(draw, shape, lo=-2.0, hi=2.0):
    n = int(np.prod(shape))
    values = draw(st.lists(st.floats(lo, hi), min_size=n, max_size=n))
    return np.asarray(values, dtype="float64").reshape(shape)


def _distinct(draw, shape):
    """Values with no ties (max/min are not differentiable at ties)."""
    n = int(np.prod(shape))
    perm = draw(st.permutations(list(range(n))))
    return (np.asarray(perm, dtype="float64") * 0.37 - 1.0).reshape(shape)


shapes = st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple)


@st.composite
def shape_and_axis(draw):
    shape = draw(shapes)
    axis = draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1),
                          st.lists(st.integers(0, len(shape) - 1), unique=True, min_size=1)
                          .map(tuple)))
    return shape, axis


@SETTINGS
@given(data=st.data(), case=shape_and_axis(), keepdims=st.booleans())
def test_sum_and_mean(data, case, keepdims) -> None:
    shape, axis = case
    x = _array(data.draw, shape)
    verify_grad(lambda v: T.sum(v, axis=axis, keepdims=keepdims), [x])
    verify_grad(lambda v: T.mean(v, axis=axis, keepdims=keepdims), [x])


@SETTINGS
@given(data=st.data(), case=shape_and_axis(), n_zeros=st.integers(0, 2))
def test_prod_including_zeros(data, case, n_zeros) -> None:
    shape, axis = case
    x = _array(data.draw, shape, 0.5, 1.5)
    flat = x.reshape(-1)
    for i in data.draw(st.lists(st.integers(0, flat.size - 1), max_size=n_zeros)):
        flat[i] = 0.0  # prod is multilinear: finite differences stay exact at zeros
    verify_grad(lambda v: T.prod(v, axis=axis), [x])


@SETTINGS
@given(data=st.data(), case=shape_and_axis(), kind=st.sampled_from(["max", "min"]))
def test_max_min(data, case, kind) -> None:
    shape, axis = case
    x = _distinct(data.draw, shape)
    verify_grad(lambda v: getattr(T, kind)(v, axis=axis), [x])


def test_max_ties_share_the_gradient_like_theano() -> None:
    x = T.dvector("x")
    g = theano.function([x], theano.grad(T.max(x), x))([1.0, 3.0, 3.0])
    np.testing.assert_array_equal(g, [0.0, 1.0, 1.0])


@SETTINGS
@given(data=st.data(), ranks=st.sampled_from([(1, 1), (2, 1), (1, 2), (2, 2)]),
       sizes=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)))
def test_dot_all_rank_combinations(data, ranks, sizes) -> None:
    m, k, n = sizes
    a_shape = (m, k) if ranks[0] == 2 else (k,)
    b_shape = (k, n) if ranks[1] == 2 else (k,)
    verify_grad(T.dot, [_array(data.draw, a_shape), _array(data.draw, b_shape)])


@SETTINGS
@given(data=st.data(), shape=shapes)
def test_dimshuffle_transpose_and_broadcast(data, shape) -> None:
    x = _array(data.draw, shape)
    verify_grad(lambda v: v.T * 1.5, [x])
    verify_grad(lambda v: v.dimshuffle("x", *range(v.ndim), "x") * 2.0, [x])
    col = _array(data.draw, (shape[0], 1))
    verify_grad(lambda v: v.dimshuffle(0) + 1.0, [col])


@SETTINGS
@given(data=st.data(), shape=shapes)
def test_reshape_and_flatten(data, shape) -> None:
    x = _array(data.draw, shape)
    verify_grad(lambda v: T.sin(v.flatten()), [x])
    verify_grad(lambda v: v.reshape((1, -1)) ** 2, [x])


@SETTINGS
@given(data=st.data(), rows=st.lists(st.integers(1, 3), min_size=1, max_size=3),
       cols=st.integers(1, 3), axis=st.sampled_from([0, 1]))
def test_join_and_stack(data, rows, cols, axis) -> None:
    parts = [_array(data.draw, (r, cols) if axis == 0 else (cols, r)) for r in rows]
    verify_grad(lambda *vs: T.concatenate([v * (i + 1) for i, v in enumerate(vs)], axis=axis),
                parts)
    same = [_array(data.draw, (cols,)) for _ in rows]
    verify_grad(lambda *vs: T.stack(vs, axis=0) ** 2, same)


@SETTINGS
@given(data=st.data(), shape=shapes)
def test_alloc_and_make_vector(data, shape) -> None:
    value = _array(data.draw, shape[-1:])
    verify_grad(lambda v: T.alloc(v, *shape) * 3.0, [value])
    a, b = _array(data.draw, ()), _array(data.draw, ())
    verify_grad(lambda p, q: T.stack([p, q * p, T.sin(q)]), [a, b])


@st.composite
def index_case(draw):
    n = draw(st.integers(1, 5))
    kind = draw(st.sampled_from(["int", "slice", "neg_step", "array", "mixed"]))
    if kind == "int":
        return (n, 2), draw(st.integers(-n, n - 1))
    if kind == "slice":
        return (n, 2), slice(draw(st.integers(0, n)), None)
    if kind == "neg_step":
        return (n, 2), slice(None, None, -draw(st.integers(1, 2)))
    if kind == "array":
        return (n, 2), np.asarray(draw(st.lists(st.integers(0, n - 1), min_size=1,
                                                max_size=6)))  # repeats accumulate
    return (n, 3), (slice(None, None, 2), draw(st.integers(0, 2)))


@SETTINGS
@given(data=st.data(), case=index_case())
def test_subtensor(data, case) -> None:
    shape, index = case
    verify_grad(lambda v: v[index] * 2.0, [_array(data.draw, shape)])


@SETTINGS
@given(data=st.data(), case=index_case(), set_=st.booleans())
def test_inc_and_set_subtensor(data, case, set_) -> None:
    shape, index = case
    if set_ and isinstance(index, np.ndarray):
        index = np.unique(index)  # repeated set targets keep only one of the values
    x = _array(data.draw, shape)
    target = np.zeros(shape)[index]
    y = _array(data.draw, target.shape)
    op = T.set_subtensor if set_ else T.inc_subtensor
    verify_grad(lambda a, b: op(a[index], b * 2.0) ** 2, [x, y])
    y_row = _array(data.draw, target.shape[-1:]) if target.ndim else y
    verify_grad(lambda a, b: op(a[index], b) * 1.5, [x, y_row])  # y broadcast


@SETTINGS
@given(data=st.data(), shape=shapes)
def test_composites_var_std_softmax_logsumexp(data, shape) -> None:
    x = _array(data.draw, shape)
    verify_grad(lambda v: T.var(v, axis=0), [x])
    if x.size > 1:  # std is sqrt(var): singular where the variance is 0, so spread the
        # values further apart than the draw's range (|x| <= 2) can pull them together
        verify_grad(T.std, [x + 5.0 * np.arange(x.size).reshape(shape)])
    verify_grad(lambda v: T.nnet.softmax(v.reshape((1, -1))), [x])
    verify_grad(lambda v: T.logsumexp(v, axis=-1), [x])


@SETTINGS
@given(data=st.data(), shape=shapes)
def test_switch_and_cast(data, shape) -> None:
    x = _array(data.draw, shape)
    gap = _array(data.draw, shape, 0.1, 1.0) * data.draw(st.sampled_from([-1.0, 1.0]))
    verify_grad(lambda a, b: T.switch(T.gt(a, b), a * b, a - b), [x, x + gap])
    verify_grad(lambda a: T.cast(a, "float32").astype("float64") * 2.0, [x], eps=1e-3,
                abs_tol=1e-3, rel_tol=1e-3)


def test_argmax_and_comparisons_give_zero() -> None:
    x = T.dvector("x")
    cost = T.cast(T.argmax(x), "float64") + T.sum(T.cast(T.gt(x, 0.0), "float64"))
    g = theano.grad(cost, x)
    np.testing.assert_array_equal(theano.function([x], g)([1.0, -2.0, 3.0]), np.zeros(3))


@pytest.mark.parametrize("mode", ["FAST_COMPILE", "FAST_RUN", "DEBUG_MODE"])
def test_logistic_regression_gradient_under_each_mode(mode) -> None:
    rng = np.random.default_rng(3)
    xv, yv = rng.normal(size=(5, 4)), (rng.random(5) > 0.5).astype("float64")
    w, b = theano.shared(rng.normal(size=4), "w"), theano.shared(0.1, "b")
    x, y = T.dmatrix("x"), T.dvector("y")
    p = T.nnet.sigmoid(T.dot(x, w) + b)
    cost = T.nnet.binary_crossentropy(p, y).mean() + 0.01 * (w ** 2).sum()
    gw, gb = theano.grad(cost, [w, b])
    got_w, got_b = theano.function([x, y], [gw, gb], mode=mode)(xv, yv)
    pv = 1 / (1 + np.exp(-(xv @ w.get_value() + 0.1)))
    np.testing.assert_allclose(got_w, xv.T @ (pv - yv) / 5 + 0.02 * w.get_value())
    np.testing.assert_allclose(got_b, np.mean(pv - yv))


@pytest.mark.parametrize("a_shape, b_shape", [((2, 3, 4), (4, 5)), ((2, 3, 4), (4,)),
                                              ((2, 1, 3, 4), (4, 2)), ((0, 3, 4), (4, 2))])
def test_dot_of_an_nd_first_operand(a_shape, b_shape):
    """np.dot(a, b) with a 3-d+ `a` (an LSTM's input projection over all steps)."""
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    if 0 not in a_shape:
        verify_grad(lambda x, y: T.dot(x, y), [a, b], rng=rng)
    x, y = T.tensor("float64", (None,) * len(a_shape)), T.tensor("float64", (None,) * len(b_shape))
    gz = rng.standard_normal(np.dot(a, b).shape)
    ga, gb = theano.function([x, y], T.grad((T.dot(x, y) * gz).sum(), [x, y]))(a, b)
    np.testing.assert_allclose(ga, np.tensordot(gz, b, axes=(-1, -1)) if b.ndim == 2
                               else gz[..., None] * b, rtol=1e-12)
    lead = tuple(range(a.ndim - 1))
    np.testing.assert_allclose(gb, np.tensordot(a, gz, axes=(lead, lead)), rtol=1e-12,
                               atol=1e-12)


def test_dot_gradient_with_an_nd_second_operand_is_not_implemented():
    b = T.dtensor3("b")
    with pytest.raises(NotImplementedError, match="1-d or 2-d second operand"):
        T.grad(T.dot(T.dmatrix("a"), b).sum(), b)
