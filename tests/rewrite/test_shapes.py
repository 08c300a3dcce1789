"""Shape reasoning by dim sources: shape_i_from_sources, sum_to_shape_identity,
fill_from_proxy. Each fires on its pattern and leaves values unchanged, including run-time
broadcasting of dims whose static size is unknown (a length-1 vector against a longer one)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl as td
from tensordsl import tensor as T
from tensordsl.gradient.sum_to import SumToShape
from tests.rewrite.helpers import (
    NO_REWRITES,
    assert_values_equal,
    compile_fn,
    only,
    op_names,
    scalar_names,
)

DTYPES = ["float32", "float64", "int32"]
SIZES = st.sampled_from([0, 1, 3])


def _vectors(dtype):
    return T.vector("a", dtype=dtype), T.vector("b", dtype=dtype)


def _data(draw_sizes, dtype, seed):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(n) * 3).astype(dtype) for n in draw_sizes]


def _broadcastable(na, nb):
    return na == nb or 1 in (na, nb)


@settings(max_examples=40, deadline=None)
@given(dtype=st.sampled_from(DTYPES), na=SIZES, nb=SIZES, seed=st.integers(0, 2**31))
def test_shape_i_from_sources(dtype, na, nb, seed):
    a, b = _vectors(dtype)
    out = T.shape(T.exp(a) * b + 1)[0] * 2
    f = compile_fn([a, b], out, only("shape_i_from_sources"))
    ref = compile_fn([a, b], out, NO_REWRITES)
    # the size no longer waits for the elementwise value
    assert "exp" not in scalar_names(f)
    if not _broadcastable(na, nb):
        return  # both raise (the rewritten one may not compute the product at all)
    args = _data((na, nb), dtype, seed)
    assert_values_equal(f(*args), ref(*args))


def test_shape_i_from_sources_single_source_and_matrix():
    x = T.dmatrix("x")
    w = T.dvector("w")
    z = T.dot(x, w)
    out = T.shape(T.log(T.exp(z) + 1))[0]
    f = compile_fn([x, w], out, only("shape_i_from_sources"))
    assert "Dot" not in op_names(f)  # read from x's shape
    assert f(np.ones((4, 2)), np.ones(2)) == 4
    col = T.dmatrix("c")
    out = T.shape(x * col)[1]
    f = compile_fn([x, col], out, only("shape_i_from_sources"))
    ref = compile_fn([x, col], out, NO_REWRITES)
    for sx, sc in [((2, 3), (2, 1)), ((2, 1), (2, 5)), ((0, 1), (0, 4)), ((1, 0), (1, 1))]:
        assert f(np.ones(sx), np.ones(sc)) == ref(np.ones(sx), np.ones(sc))


@settings(max_examples=30, deadline=None)
@given(dtype=st.sampled_from(["float32", "float64"]), n=SIZES, seed=st.integers(0, 2**31))
def test_sum_to_shape_identity_on_gradient(dtype, n, seed):
    w = T.vector("w", dtype=dtype)
    cost = T.sum(w * w * 3)
    g = td.grad(cost, w)
    ref = compile_fn([w], g, NO_REWRITES)
    assert any(isinstance(nd.op, SumToShape) for nd in ref.maker.fgraph.apply_nodes)
    f = compile_fn([w], g, only("sum_to_shape_identity"))
    assert not any(isinstance(nd.op, SumToShape) for nd in f.maker.fgraph.apply_nodes)
    (arg,) = _data((n,), dtype, seed)
    assert_values_equal(f(arg), ref(arg))


@settings(max_examples=40, deadline=None)
@given(dtype=st.sampled_from(DTYPES), na=SIZES, nb=SIZES, seed=st.integers(0, 2**31))
def test_sum_to_shape_kept_when_broadcasting_can_sum(dtype, na, nb, seed):
    a, b = _vectors(dtype)
    g = a * b
    out = SumToShape()(g, T.exp(a))
    f = compile_fn([a, b], out, only("sum_to_shape_identity"))
    ref = compile_fn([a, b], out, NO_REWRITES)
    names = op_names(f)
    assert "SumToShape" in names  # a's length may be 1 where b's is not: a real sum
    assert "exp" not in scalar_names(f)  # like is read through its same-shape ancestor
    if not _broadcastable(na, nb):
        return
    args = _data((na, nb), dtype, seed)
    assert_values_equal(f(*args), ref(*args))


@settings(max_examples=40, deadline=None)
@given(dtype=st.sampled_from(DTYPES), na=SIZES, nb=SIZES, seed=st.integers(0, 2**31))
def test_fill_from_proxy(dtype, na, nb, seed):
    a, b = _vectors(dtype)
    big = T.exp(a) * a
    out = T.second(big, T.constant(np.asarray([2], dtype=dtype))) + b
    f = compile_fn([a, b], out, only("fill_from_proxy"))
    ref = compile_fn([a, b], out, NO_REWRITES)
    assert "exp" not in scalar_names(f)
    if not _broadcastable(na, nb):
        return
    args = _data((na, nb), dtype, seed)
    assert_values_equal(f(*args), ref(*args))


def test_logistic_regression_step_has_no_identity_sum_to_shape():
    rng = np.random.default_rng(0)
    x, y = T.dmatrix("x"), T.dvector("y")
    w = td.shared(np.zeros(3), name="w")
    p = 1 / (1 + T.exp(-(T.dot(x, w))))
    cost = T.mean(-y * T.log(p) - (1 - y) * T.log(1 - p)) + 0.01 * T.sum(w * w)
    gw = td.grad(cost, w)
    f = compile_fn([x, y], [cost, gw], "FAST_RUN")
    ref = compile_fn([x, y], [cost, gw], NO_REWRITES)
    likes = [nd.inputs[1] for nd in f.maker.fgraph.apply_nodes if isinstance(nd.op, SumToShape)]
    assert all(v is not w for v in likes)  # the w-shaped SumToShape is gone
    for n, m in [(5, 5), (1, 4), (4, 1), (0, 0), (0, 1)]:
        data = rng.standard_normal((n, 3)), (rng.random(m) > 0.5).astype(float)
        for got, want in zip(f(*data), ref(*data)):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
