"""scan: loops against numpy, taps, updates, errors, and gradients through time."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.gradient import hessian, verify_grad

SETTINGS = settings(max_examples=25, deadline=None)
floats = st.floats(-2, 2)


@SETTINGS
@given(values=st.lists(floats, min_size=0, max_size=6), h0=floats)
def test_cumulative_sum_and_product(values, h0) -> None:
    x, h = T.dvector("x"), T.dscalar("h")
    sums, updates = theano.scan(lambda v, acc: acc + v, sequences=x, outputs_info=h)
    prods, _ = theano.scan(lambda v, acc: acc * v, sequences=x, outputs_info=h)
    assert len(updates) == 0
    xv = np.asarray(values, dtype="float64")[::-1]  # a negative-stride view
    got_s, got_p = theano.function([x, h], [sums, prods])(xv, h0)
    # the loop's order of operations (h0 * x0 * x1 ..., not h0 * (x0 * x1 ...)): equal
    # roundings even for subnormal products
    want_s, want_p, s_, p_ = [], [], h0, h0
    for v in xv:
        s_, p_ = s_ + v, p_ * v
        want_s.append(s_)
        want_p.append(p_)
    np.testing.assert_allclose(got_s, want_s, rtol=1e-15)
    np.testing.assert_allclose(got_p, want_p, rtol=1e-15)


def test_tutorial_polynomial() -> None:
    coefficients, x = T.dvector("coefficients"), T.dscalar("x")
    components, _ = theano.scan(lambda c, power, free: c * (free ** power),
                                sequences=[coefficients, T.arange(10000)], non_sequences=x)
    f = theano.function([coefficients, x], components.sum())
    coef = np.array([1.0, 0.0, 2.0, -0.5])
    assert np.isclose(f(coef, 3.0), np.polyval(coef[::-1], 3.0))


def test_power_with_n_steps_and_non_sequence() -> None:
    a, k = T.dvector("A"), T.iscalar("k")
    result, _ = theano.scan(lambda prior, a: prior * a, outputs_info=T.ones_like(a),
                            non_sequences=a, n_steps=k)
    f = theano.function([a, k], result[-1])
    np.testing.assert_allclose(f([1.0, 2.0, 3.0], 4), np.array([1.0, 2.0, 3.0]) ** 4)


def test_taps_on_sequences_and_outputs() -> None:
    x = T.dvector("x")
    diffs, _ = theano.scan(lambda prev, cur: cur - prev, sequences=dict(input=x, taps=[-1, 0]))
    fib, _ = theano.scan(lambda a, b: a + b, outputs_info=dict(initial=x, taps=[-2, -1]),
                         n_steps=6)
    f = theano.function([x], [diffs, fib])
    d, fb = f([1.0, 1.0])
    np.testing.assert_allclose(d, [0.0])
    np.testing.assert_allclose(fb, [2.0, 3.0, 5.0, 8.0, 13.0, 21.0])
    d, _ = f([1.0, 4.0, 9.0, 16.0])
    np.testing.assert_allclose(d, [3.0, 5.0, 7.0])


def test_go_backwards_and_several_outputs() -> None:
    x = T.dvector("x")
    (acc, doubled), _ = theano.scan(lambda v, s: [s + v, v * 2.0], sequences=x,
                                    outputs_info=[T.constant(np.float64(0.0)), None],
                                    go_backwards=True)
    a, d = theano.function([x], [acc, doubled])([1.0, 2.0, 3.0])
    np.testing.assert_allclose(a, [3.0, 5.0, 6.0])
    np.testing.assert_allclose(d, [6.0, 4.0, 2.0])


def test_shared_variable_updates_inside_fn() -> None:
    counter = theano.shared(np.float64(0.0), "counter")
    x = T.dvector("x")

    def step(v):
        return v + counter, {counter: counter + 1.0}

    out, updates = theano.scan(step, sequences=x)
    assert list(updates) == [counter]
    f = theano.function([x], out, updates=updates)
    np.testing.assert_allclose(f([10.0, 10.0, 10.0]), [10.0, 11.0, 12.0])
    assert counter.get_value() == 3.0


def test_dtype_mismatch_names_the_output() -> None:
    x = T.fvector("x")
    h0 = T.fscalar("h0")
    with pytest.raises(TypeError, match="h0.*float64"):
        theano.scan(lambda v, h: h + T.cast(v, "float64"), sequences=x, outputs_info=h0)
    with pytest.raises(TypeError, match="h0.*dims"):
        theano.scan(lambda v, h: h + T.stack([v, v]), sequences=x, outputs_info=h0)


def test_step_shape_mismatch_names_the_output() -> None:
    x = T.dvector("x")
    state = T.dvector("state0")
    out, _ = theano.scan(lambda v, s: T.concatenate([s, v.dimshuffle("x")]), sequences=x,
                         outputs_info=state)
    f = theano.function([x, state], out)
    with pytest.raises(ValueError, match="state0.*shape"):
        f([1.0, 2.0], [0.0])
    growing, _ = theano.scan(lambda i: T.arange(i), sequences=T.arange(1, 4))
    with pytest.raises(ValueError, match="output 0.*shape"):
        theano.function([], growing)()


def test_bad_arguments() -> None:
    x = T.dvector("x")
    with pytest.raises(ValueError, match="n_steps"):
        theano.scan(lambda h: h * 2, outputs_info=x)
    with pytest.raises(ValueError, match="outputs_info"):
        theano.scan(lambda v: [v, v], sequences=x, outputs_info=[None])
    out, _ = theano.scan(lambda v: v * 2, sequences=x, n_steps=5)
    with pytest.raises(ValueError, match="x.*rows"):
        theano.function([x], out)([1.0, 2.0])


@SETTINGS
@given(values=st.lists(st.floats(0.3, 1.7), min_size=1, max_size=5))
def test_gradient_of_cumulative_product(values) -> None:
    def cumprod(a):
        out, _ = theano.scan(lambda v, acc: v * acc, sequences=a, outputs_info=T.ones_like(a[0]))
        return out

    verify_grad(cumprod, [np.asarray(values)])


@SETTINGS
@given(steps=st.integers(1, 4), n=st.integers(1, 3), data=st.data())
def test_gradient_of_small_rnn(steps, n, data) -> None:
    def arr(*shape):
        size = int(np.prod(shape))
        return np.asarray(data.draw(st.lists(st.floats(-1, 1), min_size=size, max_size=size)),
                          dtype="float64").reshape(shape)

    def rnn(x, w, u, h0):
        hs, _ = theano.scan(lambda xt, h, w, u: T.tanh(T.dot(h, w) + T.dot(xt, u)),
                            sequences=x, outputs_info=h0, non_sequences=[w, u])
        return hs

    verify_grad(rnn, [arr(steps, 2), arr(n, n), arr(2, n), arr(n)])


def test_gradient_with_taps_backwards_and_hoisted_terms() -> None:
    def fn(a, x0, w):
        out, _ = theano.scan(lambda am1, a0, s2, s1, w: am1 * s2 + a0 * T.sin(s1) * (w * 2),
                             sequences=dict(input=a, taps=[-1, 0]),
                             outputs_info=dict(initial=x0, taps=[-2, -1]), non_sequences=w,
                             go_backwards=True)
        return out

    rng = np.random.default_rng(5)
    verify_grad(fn, [rng.uniform(0.2, 1, 6), rng.uniform(0.2, 1, 2), np.array(0.7)])


def test_gradient_with_zero_steps() -> None:
    x, h = T.dvector("x"), T.dscalar("h")
    out, _ = theano.scan(lambda v, acc: v * acc, sequences=x, outputs_info=h)
    gx, gh = theano.grad(out.sum() + h, [x, h])
    got_x, got_h = theano.function([x, h], [gx, gh])(np.zeros(0), 2.0)
    assert got_x.shape == (0,) and got_h == 1.0


def test_hessian_through_scan() -> None:
    x = T.dvector("x")
    out, _ = theano.scan(lambda v, acc: v * acc, sequences=x, outputs_info=T.ones_like(x[0]))
    H = theano.function([x], hessian(out[-1], x))([1.0, 2.0, 3.0])
    np.testing.assert_allclose(H, [[0, 3, 2], [3, 0, 1], [2, 1, 0]])


@pytest.mark.parametrize("k", [1, 2, 5])
def test_truncated_backpropagation(k) -> None:
    x, h0, w = T.dvector("x"), T.dscalar("h0"), T.dscalar("w")
    hs, _ = theano.scan(lambda v, h, w: w * h + v, sequences=x, outputs_info=h0,
                        non_sequences=w, truncate_gradient=k)
    gx, gh0 = theano.grad(hs[-1], [x, h0])
    n, wv = 4, 0.5
    got_x, got_h0 = theano.function([x, h0, w], [gx, gh0])(np.ones(n), 1.0, wv)
    want_x = [wv ** (n - 1 - t) if t >= n - k else 0.0 for t in range(n)]
    np.testing.assert_allclose(got_x, want_x)
    assert got_h0 == (wv ** n if k >= n else 0.0)
    with pytest.raises(ValueError, match="truncate_gradient"):
        theano.scan(lambda v: v, sequences=x, truncate_gradient=0)


def test_map_reduce_foldl_foldr() -> None:
    from tensordsl.scan import foldl, foldr, map, reduce

    x = T.dvector("x")
    squares, _ = map(lambda v: v ** 2, x)
    total, _ = reduce(lambda v, acc: acc + v, x, T.constant(np.float64(0.0)))
    left, _ = foldl(lambda v, acc: acc * 2.0 + v, x, T.constant(np.float64(0.0)))
    right, _ = foldr(lambda v, acc: acc * 2.0 + v, x, T.constant(np.float64(0.0)))
    got = theano.function([x], [squares, total, left, right])([1.0, 2.0, 3.0])
    np.testing.assert_allclose(got[0], [1.0, 4.0, 9.0])
    assert got[1] == 6.0 and got[2] == 11.0 and got[3] == 17.0


def test_until_stops_the_loop_and_its_gradient_follows() -> None:
    from tensordsl.scan import until

    limit = T.dscalar("limit")
    powers, _ = theano.scan(lambda p, m: (p * 2, until(p * 2 > m)),
                            outputs_info=T.constant(np.float64(1.0)), non_sequences=limit,
                            n_steps=1024)
    np.testing.assert_allclose(theano.function([limit], powers)(45.0), 2.0 ** np.arange(1, 7))

    def running_product(x):
        out, _ = theano.scan(lambda v, acc: (acc * v, until(acc * v > 10)), sequences=x,
                             outputs_info=T.constant(np.float64(1.0)))
        return out

    x = T.dvector("x")
    np.testing.assert_allclose(theano.function([x], running_product(x))([2.0, 3.0, 4.0, 5.0]),
                               [2.0, 6.0, 24.0])
    verify_grad(running_product, [np.array([2.0, 3.0, 4.0, 5.0])])


def test_gradients_with_integer_states_nested_scans_and_ifelse() -> None:
    from tensordsl.ifelse import ifelse

    def int_state(x):
        (_, h), _ = theano.scan(lambda v, i, h: [i + 1, h * v + T.cast(i, "float64")],
                                sequences=x, outputs_info=[T.constant(np.int64(0)),
                                                           T.constant(np.float64(1.0))])
        return h

    def nested(x):
        def row_fold(row):
            r, _ = theano.scan(lambda v, acc: acc * v + 1, sequences=row,
                               outputs_info=T.constant(np.float64(0.0)))
            return r[-1]
        out, _ = theano.scan(row_fold, sequences=x)
        return out

    def with_ifelse(x):
        out, _ = theano.scan(lambda v, h: ifelse(T.gt(v, 0.5), h * v, h + v), sequences=x,
                             outputs_info=T.constant(np.float64(1.0)))
        return out

    verify_grad(int_state, [np.array([0.5, 1.5, 2.0])])
    verify_grad(nested, [np.random.default_rng(2).random((3, 4))])
    verify_grad(with_ifelse, [np.array([0.2, 0.7, 0.9, 0.1])])
