"""A data-dependent `if` returns exactly what numpy returns: arms of possibly different
shapes are joined lazily (ifelse), never broadcast into each other; arms of different
dtypes or ranks are a CompileError at the `if` line."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl
from tensordsl.ifelse import IfElse
from tensordsl.ops.elemwise import Elemwise
from tensordsl.ops.fused import FusedElemwise
from tensordsl.testing import arrays, assert_equivalent, target_status

TARGETS = ("numpy", "c") if target_status("c")[0] else ("numpy",)


def shrink_or_double(x):
    if x.sum() > 0:
        return x * 2
    else:
        return x[:1]


def assign_in_arms(x, y):
    if x.max() > y.min():
        z = x[1:] - y[1:]
    else:
        z = x + y
    return z * 3


def same_shape_arms(x, y):
    if x.sum() > 0:
        z = x * 2 + y
    else:
        z = np.exp(x - y)  # the same operands: the same broadcast shape
    return z


def nested(x):
    out = x
    if x.sum() > 0:
        if x[0] > 1:
            out = x[:2]
        else:
            out = -x
    return out


def tuple_return(x):
    if x.mean() > 0:
        return x[::2], x.sum()
    return x, x.sum() * 2


def dtype_differs(x):
    if x.sum() > 0:
        return x * 2
    return x.astype(np.float32)


def rank_differs(x):
    if x.sum() > 0:
        return x
    return x.sum()


@pytest.mark.parametrize("target", TARGETS)
def test_the_issue_example_returns_numpys_shape(target):
    f = tensordsl.compile(shrink_or_double, target=target)
    x = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(f(x), shrink_or_double(x))
    got, want = f(-x), shrink_or_double(-x)
    assert got.shape == want.shape == (1,)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("fn, signature", [
    (shrink_or_double, "f8[:]"), (shrink_or_double, "f4[:, :]"),
    (assign_in_arms, "f8[:], f8[:]"), (same_shape_arms, "f8[:, :], f8[:]"),
    (nested, "f8[:]"), (tuple_return, "f8[:]"), (tuple_return, "i4[:, :]"),
])
def test_branches_agree_with_python(fn, signature):
    # assign_in_arms raises in numpy when x and y do not broadcast: then so must we
    assert_equivalent(tensordsl.compile(fn), signature, targets=TARGETS, max_examples=30)


def test_same_shape_arms_stay_a_fused_switch():
    f = tensordsl.compile(same_shape_arms, target=TARGETS[-1])
    x = np.arange(6.0).reshape(2, 3)
    f(x, x[0])
    ops = [n.op for n in f.graph().toposort()]
    assert not any(isinstance(op, IfElse) for op in ops)
    assert any(isinstance(op, (FusedElemwise, Elemwise)) and "switch" in str(op) for op in ops)


def test_shape_changing_arms_are_lazy():
    f = tensordsl.compile(shrink_or_double, target=TARGETS[-1])
    f(np.ones(3))
    assert any(isinstance(n.op, IfElse) for n in f.graph().toposort())


@pytest.mark.parametrize("fn, words", [
    (dtype_differs, ["float64", "float32"]), (rank_differs, ["Tensor[float64](?)",
                                                               "Scalar[float64]"]),
])
def test_type_changing_arms_are_a_compile_error_at_the_if(fn, words):
    f = tensordsl.compile(fn)
    with pytest.raises(tensordsl.CompileError) as info:
        f(np.ones(3))
    text = str(info.value)
    assert "data-dependent if" in text and all(w in text for w in words), text
    assert "if x.sum() > 0:" in text and "^" in text  # the line, with a caret
    assert "test_data_dependent_if.py" in text


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_value_dependent_slices(data):
    n = data.draw(st.integers(0, 5))
    x = data.draw(arrays("float64", (n,)))
    f = tensordsl.compile(shrink_or_double, target=TARGETS[-1])
    got, want = f(x), shrink_or_double(x)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
