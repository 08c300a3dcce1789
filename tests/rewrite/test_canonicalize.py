"""Each canonicalisation alone: it fires on its pattern, and values are unchanged."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tensordsl import tensor as T
from tests.rewrite.helpers import (
    NO_REWRITES,
    assert_values_equal,
    compile_fn,
    only,
    op_names,
    scalar_names,
    shared_shape,
)

FLOATS = ["float32", "float64"]
INTS = ["int8", "int32", "int64"]


def mat(dtype):
    return T.matrix("x", dtype=dtype)


# (rewrite name, dtypes, graph builder x -> output, scalar op that must be gone, op that
#  must appear or None)
CASES = [
    ("add_zero", FLOATS + INTS, lambda x: x + 0, "add", None),
    ("sub_zero", FLOATS + INTS, lambda x: x - 0, "sub", None),
    ("mul_one", FLOATS + INTS, lambda x: x * 1, "mul", None),
    ("div_one", FLOATS + INTS, lambda x: x / 1, "true_div", None),
    ("neg_neg", FLOATS + INTS, lambda x: T.neg(T.neg(x)), "neg", None),
    ("pow_one", FLOATS + INTS, lambda x: x ** 1, "pow", None),
    ("pow_zero", FLOATS + INTS, lambda x: x ** 0, "pow", "second"),
    ("pow_two", FLOATS + INTS, lambda x: x ** 2, "pow", "sqr"),
    ("pow_three", FLOATS + INTS, lambda x: x ** 3, "pow", "sqr"),
    ("pow_four", FLOATS + INTS, lambda x: x ** 4, "pow", "sqr"),
    ("pow_half", FLOATS, lambda x: abs(x) ** 0.5, "pow", "sqrt"),
    ("pow_minus_one", FLOATS, lambda x: x ** -1, "pow", "reciprocal"),
    ("mul_zero_int", INTS, lambda x: x * 0, "mul", "second"),
    ("sub_self_int", INTS, lambda x: x - x, "sub", "second"),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("name,dtypes,build,gone,appears", CASES, ids=IDS)
def test_rule_fires(name, dtypes, build, gone, appears):
    for dtype in dtypes:
        x = mat(dtype)
        f = compile_fn([x], build(x), only(name))
        names = scalar_names(f)
        assert gone not in names, (name, dtype, op_names(f))
        if appears:
            assert appears in names, (name, dtype, op_names(f))


@pytest.mark.parametrize("name,dtypes,build,gone,appears", CASES, ids=IDS)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_rule_keeps_values(name, dtypes, build, gone, appears, data):
    dtype = data.draw(st.sampled_from(dtypes))
    x = T.tensor(dtype, (None, 1, None), name="x")
    out = build(x)
    (value,) = shared_shape(data.draw, [x.type])
    want = compile_fn([x], out, NO_REWRITES)(value)
    got = compile_fn([x], out, only(name))(value)
    assert_values_equal(got, want, name)


def test_float_mul_zero_and_sub_self_keep_nan_semantics():
    """numpy: inf*0 and inf-inf are NaN, so float x*0 and x-x are not rewritten."""
    x = T.dvector("x")
    f = compile_fn([x], [x * 0, x - x], only("canonicalize"))
    got = f(np.array([np.inf, np.nan, 1.0]))
    with np.errstate(invalid="ignore"):
        want = [np.array([np.inf, np.nan, 1.0]) * 0, np.array([np.inf, np.nan, 1.0]) * 0]
    assert_values_equal(got[0], want[0])
    assert np.isnan(got[1][:2]).all() and got[1][2] == 0


@pytest.mark.parametrize("dtype", FLOATS + INTS)
def test_constants_collected(dtype):
    x = T.vector("x", dtype=dtype)
    f = compile_fn([x], x * 2 * 3, only("collect_constants", "constant_folding"))
    muls = [n for n in f.maker.fgraph.toposort() if "mul" in str(n.op)]
    assert len(muls) == 1
    value = np.arange(5).astype(dtype)
    assert_values_equal(f(value), (value * 2 * 3).astype(f(value).dtype))
    g = compile_fn([x], 1 + x + 2, only("collect_constants", "constant_folding"))
    assert [str(n.op) for n in g.maker.fgraph.toposort()] == ["Elemwise{add}"]


def test_double_transpose_and_dimshuffle_chain():
    x = T.dtensor3("x")
    f = compile_fn([x], x.T.T, only("dimshuffle_chain"))
    assert op_names(f) == []
    g = compile_fn([x], x.dimshuffle(2, 0, 1).dimshuffle(0, "x", 2, 1), only("dimshuffle_chain"))
    assert op_names(g) == ["DimShuffle{(2, x, 1, 0)}"]
    value = np.random.default_rng(0).random((2, 3, 4))
    assert_values_equal(g(value), value.transpose(2, 0, 1)[:, None].transpose(0, 1, 3, 2))


def test_reshape_chain():
    x = T.dmatrix("x")
    f = compile_fn([x], x.reshape((6,)).reshape((3, 2)), only("reshape_chain"))
    assert op_names(f) == ["Reshape{2}"]
    value = np.arange(6.0).reshape(2, 3)
    assert_values_equal(f(value), value.reshape(3, 2))


@pytest.mark.parametrize("dtype", ["float64", "int32"])
def test_sum_of_sum(dtype):
    x = T.tensor(dtype, (None, None, None), name="x")
    f = compile_fn([x], x.sum(axis=1).sum(axis=1), only("reduce_of_reduce"))
    assert op_names(f) == ["Reduce{add, axis=(1, 2)}"]
    value = np.arange(24).reshape(2, 3, 4).astype(dtype)
    assert_values_equal(f(value), value.sum(axis=(1, 2)))


def test_static_shape_folds():
    x = T.tensor("float64", (2, 3), name="x")
    f = compile_fn([x], x.shape[1] * 2, only("static_shape", "constant_folding"))
    assert op_names(f) == []
    assert f(np.zeros((2, 3))) == 6
