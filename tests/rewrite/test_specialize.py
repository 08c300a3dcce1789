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


# -- dot_axpy_to_gemm: c -/+ k * dot(a, b) -> Gemm(c, -/+k, a, b, 1) ----------------------
# a C-backend rewrite (tag "gemm_update", rewrite/pipeline.py): compiled with that backend

def only_c(*names):
    from tensordsl.runtime.mode import Mode

    return Mode("ONLY", include=names, backend="c")


def _axpy_forms(dtype):
    """(name, inputs, expression, numpy of it) for each form the rewrite takes."""
    c, a, b = T.matrix("c", dtype), T.matrix("a", dtype), T.matrix("b", dtype)
    k = np.asarray(0.25, dtype)
    return [
        ("c - k*dot", [c, a, b], c - k * T.dot(a, b), lambda c, a, b: c - k * (a @ b)),
        ("c - dot*k", [c, a, b], c - T.dot(a, b) * k, lambda c, a, b: c - (a @ b) * k),
        ("c + k*dot", [c, a, b], c + k * T.dot(a, b), lambda c, a, b: c + k * (a @ b)),
        ("k*dot + c", [c, a, b], k * T.dot(a, b) + c, lambda c, a, b: k * (a @ b) + c),
        ("c - dot", [c, a, b], c - T.dot(a, b), lambda c, a, b: c - a @ b),
        ("c - k*dot(a.T, b)", [c, a, b], c - k * T.dot(a.T, b),
         lambda c, a, b: c - k * (a.T @ b)),
    ]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("form", range(6))
def test_scaled_product_update_becomes_one_gemm(dtype, form):
    name, inputs, out, _ = _axpy_forms(dtype)[form]
    f = compile_fn(inputs, out, only_c("dot_axpy_to_gemm"))
    gemms = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Gemm)]
    assert len(gemms) == 1, name
    assert "Dot" not in op_names(f), name
    assert not {"add", "sub", "mul"} & scalar_names(f), name


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_scaled_product_update_equals_numpy(data):
    dtype = data.draw(st.sampled_from(FLOATS))
    form = data.draw(st.integers(0, 5))
    name, inputs, out, ref = _axpy_forms(dtype)[form]
    m, k, n = (data.draw(st.integers(0, 4)) for _ in range(3))
    transposed = form == 5
    cs = data.draw(array_of(inputs[0].type, (m, n)))
    as_ = data.draw(array_of(inputs[1].type, (k, m) if transposed else (m, k)))
    bs = data.draw(array_of(inputs[2].type, (k, n)))
    got = compile_fn(inputs, out, only_c("dot_axpy_to_gemm"))(cs, as_, bs)
    want = ref(cs, as_, bs)
    assert got.dtype == want.dtype == dtype
    # BLAS may fuse alpha into its sums: not bit-exact with numpy's order
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got, want, **tol, err_msg=name)


def test_scaled_product_is_left_alone_when_not_one_gemm():
    c, a, b = T.dmatrices("c", "a", "b")
    k = T.dscalar("k")
    v = T.dvector("v")
    d = T.dot(a, b)
    cases = {
        "product used twice": ([c, a, b], [c - 0.5 * d, d]),
        "scale not a constant": ([c, a, b, k], c - k * d),
        "c of fewer dims": ([v, a, b], v - 0.5 * d),
        "scale of several values": ([c, a, b], c - np.array([[0.5, 2.0]]) * d),
        "dot minus c": ([c, a, b], 0.5 * d - c),
    }
    for why, (inputs, out) in cases.items():
        f = compile_fn(inputs, out, only_c("dot_axpy_to_gemm"))
        assert not [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Gemm)], why


def test_scaled_product_update_is_a_c_backend_rewrite():
    """Other backends keep the product and the update kernel (the OpenCL Gemm reads alpha
    and beta back from the device each call)."""
    from tensordsl.runtime.mode import Mode

    _, inputs, out, _ = _axpy_forms("float64")[0]
    for backend, gemms in (("numpy", 0), ("c", 1)):
        f = compile_fn(inputs, out, Mode("FR", include=("fast_run",), backend=backend))
        assert len([n for n in f.maker.fgraph.toposort() if isinstance(n.op, Gemm)]) == gemms
