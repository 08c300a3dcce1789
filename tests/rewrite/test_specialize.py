"""Specialisation: Gemm, dot, mean as a multiplication, sqr/reciprocal/rsqrt."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl as td
from tensordsl import tensor as T
from tensordsl.ops.blas import Gemm
from tests.rewrite.helpers import (
    NO_REWRITES,
    array_of,
    assert_values_equal,
    compile_fn,
    only,
    op_names,
    scalar_names,
)

FLOATS = ["float32", "float64"]


def _gemm_graph(dtype):
    x = T.matrix("x", dtype=dtype)
    w = T.matrix("w", dtype=dtype)
    b = T.vector("b", dtype=dtype)
    return [x, w, b], T.dot(x, w) + b


@pytest.mark.parametrize("dtype", FLOATS)
def test_dot_plus_bias_becomes_one_gemm(dtype):
    inputs, out = _gemm_graph(dtype)
    f = compile_fn(inputs, out, only("dot_plus_to_gemm"))
    assert [n.op for n in f.maker.fgraph.toposort() if isinstance(n.op, Gemm)]
    assert "Dot" not in op_names(f) and "add" not in scalar_names(f)


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_gemm_is_bit_exact(data):
    dtype = data.draw(st.sampled_from(FLOATS))
    (x, w, b), out = _gemm_graph(dtype)
    m, k, n = (data.draw(st.integers(0, 4)) for _ in range(3))
    xs = data.draw(array_of(x.type, (m, k)))
    ws = data.draw(array_of(w.type, (k, n)))
    bs = data.draw(array_of(b.type, (n,)))
    want = compile_fn([x, w, b], out, NO_REWRITES)(xs, ws, bs)
    got = compile_fn([x, w, b], out, only("dot_plus_to_gemm"))(xs, ws, bs)
    np.testing.assert_array_equal(got, want)


def test_gemm_reference_uses_alpha_beta():
    a, b_, c = T.dmatrices("a", "b", "c")
    alpha, beta = T.dscalars("alpha", "beta")
    f = td.function([c, alpha, a, b_, beta], Gemm()(c, alpha, a, b_, beta), mode="FAST_COMPILE")
    rng = np.random.default_rng(1)
    av, bv, cv = rng.random((2, 3)), rng.random((3, 4)), rng.random((2, 4))
    assert_values_equal(f(cv, 2.0, av, bv, 0.5), 2.0 * av @ bv + 0.5 * cv)


def test_mixed_dtypes_are_not_gemm():
    x = T.fmatrix("x")
    w = T.dmatrix("w")
    b = T.dvector("b")
    f = compile_fn([x, w, b], T.dot(x, w) + b, only("dot_plus_to_gemm"))
    assert "Gemm" not in op_names(f)


@pytest.mark.parametrize("dtype", FLOATS)
def test_sum_of_product_becomes_dot(dtype):
    x, y = T.vector("x", dtype=dtype), T.vector("y", dtype=dtype)
    f = compile_fn([x, y], (x * y).sum(), only("sum_of_product_to_dot"))
    assert op_names(f) == ["Dot"]
    rng = np.random.default_rng(2)
    xs, ys = rng.random(7).astype(dtype), rng.random(7).astype(dtype)
    assert_values_equal(f(xs, ys), (xs * ys).sum(dtype=dtype))


@pytest.mark.parametrize("axis", [None, 0, 1])
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_mean_becomes_sum_times_reciprocal(axis, data):
    dtype = data.draw(st.sampled_from(FLOATS))
    x = T.matrix("x", dtype=dtype)
    f = compile_fn([x], x.mean(axis=axis), only("mean_to_mul"))
    names = scalar_names(f)
    assert "true_div" not in names and "reciprocal" in names and "mul" in names
    value = data.draw(array_of(x.type, (data.draw(st.integers(1, 4)),
                                        data.draw(st.integers(1, 4)))))
    want = compile_fn([x], x.mean(axis=axis), NO_REWRITES)(value)
    assert_values_equal(f(value), want)


RULES = [
    ("mul_self_to_sqr", lambda x: x * x, "mul", "sqr"),
    ("one_over_to_reciprocal", lambda x: 1 / x, "true_div", "reciprocal"),
    ("reciprocal_sqrt_to_rsqrt", lambda x: T.reciprocal(T.sqrt(x)), "sqrt", "rsqrt"),
]


@pytest.mark.parametrize("name,build,gone,appears", RULES, ids=[r[0] for r in RULES])
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_scalar_specialisations(name, build, gone, appears, data):
    dtype = data.draw(st.sampled_from(FLOATS))
    x = T.matrix("x", dtype=dtype)
    f = compile_fn([x], build(x), only(name))
    assert gone not in scalar_names(f) and appears in scalar_names(f)
    value = data.draw(array_of(x.type, lo=0.5, hi=4.0))
    assert_values_equal(f(value), compile_fn([x], build(x), NO_REWRITES)(value))
