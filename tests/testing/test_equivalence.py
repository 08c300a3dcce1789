"""tensordsl.testing: the strategies draw what they say, and assert_equivalent passes on
right compiled functions and fails (shrunk, with a useful report) on wrong ones."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl
from tensordsl import tensor as T
from tensordsl.frontend import CompiledFunction
from tensordsl.testing import (
    NotEquivalent,
    arrays,
    assert_equivalent,
    equivalence_test,
    inputs_for,
    shapes,
    target_status,
)

C = ("c",) if target_status("c")[0] else ("numpy",)


@tensordsl.compile
def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@tensordsl.compile
def mixed(x, y):
    return np.tanh(x) * y + np.log1p(np.abs(y)), (x * 2).sum(axis=0)


@tensordsl.compile
def ints(a, b):
    return a * 3 - b, a > b


@pytest.mark.parametrize("fn, signature", [
    (softmax, "f8[:, :]"), (softmax, "f4[:, :]"), (mixed, "f8[:, :], f8[:]"),
    (mixed, "f4[:, :], f4[:, 1]"), (ints, "i8[:], i8[:]"), (ints, "i4[:, :], i4[:]"),
])
def test_passes_on_right_functions(fn, signature):
    report = assert_equivalent(fn, signature, targets=C + ("numpy",), max_examples=25)
    assert all(report[t] == "ok" for t in C + ("numpy",))


def test_fails_on_a_compiled_function_a_few_ulp_off():
    x = T.dvector("x")
    wrong = tensordsl.function([x], T.exp(x) * (1 + 4e-15))  # ~18 ulp off numpy's exp
    with pytest.raises(NotEquivalent) as info:
        assert_equivalent(wrong, reference=np.exp, targets=C, max_examples=50)
    text = str(info.value)
    assert "ulp" in text and "worst at [0]" in text and "inputs float64[1]" in text
    # shrunk: one element is enough to show it
    assert "result float64[1]" in text


def test_fails_on_a_wrong_decorated_function():
    # A decorated function whose compiled graph is not its Python: the transform
    # (how grad() reuses the decorator) adds 1 to the output.
    def f(x):
        return x * 2.0

    wrong = CompiledFunction(f, target=C[0], transform=lambda params, values, out: out + 1.0)
    with pytest.raises(NotEquivalent) as info:
        assert_equivalent(wrong, "f8[:]", targets=C, max_examples=30)
    assert "inputs float64[1]" in str(info.value) and "got" in str(info.value)


def test_fails_on_wrong_dtype_and_shape():
    x = T.fvector("x")
    f32 = tensordsl.function([x], x * 2)
    with pytest.raises(NotEquivalent, match="float32.*reference gives float64"):
        assert_equivalent(f32, reference=lambda v: v.astype("float64") * 2, targets=C,
                          max_examples=10)
    with pytest.raises(NotEquivalent, match=r"got float32\[2\], the Python reference gives "
                                             r"float32\[1\]"):
        assert_equivalent(f32, reference=lambda v: v[:1] * 2, targets=C, max_examples=20)


def test_fails_on_a_wrong_integer_result():
    a = T.lvector("a")
    f = tensordsl.function([a], a + 1)
    with pytest.raises(NotEquivalent, match="exact result differs"):
        assert_equivalent(f, reference=lambda v: v + (v > 5), targets=C, max_examples=50)


def test_raises_where_python_raises_is_required():
    x = T.dvector("x")
    f = tensordsl.function([x], x + 1)

    def reference(v):
        raise ValueError("no")

    with pytest.raises(NotEquivalent, match="Python reference raises ValueError"):
        assert_equivalent(f, reference=reference, targets=C, max_examples=5)


def test_explicit_tolerances_are_used():
    x = T.dvector("x")
    f = tensordsl.function([x], x * (1 + 1e-9))
    assert_equivalent(f, reference=lambda v: v, targets=C, rtol=1e-8, max_examples=20)
    with pytest.raises(NotEquivalent, match="beyond rtol=1e-10"):
        assert_equivalent(f, reference=lambda v: v, targets=C, rtol=1e-10, max_examples=40)


def test_unavailable_target_is_skipped_with_its_reason(capsys):
    report = assert_equivalent(softmax, "f8[:, :]", targets=("nosuch",), max_examples=2)
    assert report["nosuch"].startswith("skipped: ") and "nosuch" in report["nosuch"]
    assert "skipped" in capsys.readouterr().out


def test_bad_arguments():
    x = T.dvector("x")
    with pytest.raises(TypeError, match="needs `reference=`"):
        assert_equivalent(tensordsl.function([x], x), targets=C)
    with pytest.raises(TypeError, match="expected a @tensordsl.compile"):
        assert_equivalent(np.exp, "f8[:]")
    with pytest.raises(TypeError, match="pass `signature=`"):
        assert_equivalent(tensordsl.compile(lambda v: v), targets=C)
    with pytest.raises(ValueError, match="cannot read"):
        assert_equivalent(softmax, "f9[:]", targets=C)


def test_pytest_form_is_a_test_function():
    test = equivalence_test(softmax, "f8[:, :]", targets=C, max_examples=5)
    assert test.__name__ == "test_softmax_equivalent"
    test()


@settings(max_examples=40)
@given(st.data(), st.sampled_from(["float32", "float64", "int16", "bool"]),
       shapes(3, max_side=3))
def test_arrays_have_the_requested_dtype_and_shape(data, dtype, shape):
    a = data.draw(arrays(dtype, shape))
    assert a.dtype == np.dtype(dtype) and a.shape == shape
    if a.dtype.kind == "f":
        assert np.isfinite(a).all() and (np.abs(a) <= 10).all()


@settings(max_examples=40)
@given(inputs_for(mixed, "f8[:, :], f8[:]"))
def test_inputs_for_broadcast_together(args):
    x, y = args
    assert x.ndim == 2 and y.ndim == 1 and x.dtype == y.dtype == np.float64
    np.broadcast_shapes(x.shape, y.shape)  # raises if they do not broadcast


def test_strategies_reach_empty_size_one_and_non_contiguous():
    seen = {"empty": False, "one": False, "noncontig": False}

    @settings(max_examples=100)
    @given(arrays("float64", (3, 2)), shapes(2))
    def draw(a, s):
        seen["empty"] |= 0 in s
        seen["one"] |= 1 in s
        seen["noncontig"] |= not a.flags.c_contiguous

    draw()
    assert all(seen.values()), seen


def test_shapes_validates():
    with pytest.raises(ValueError, match="ndim must be >= 0"):
        shapes(-1)
    with pytest.raises(ValueError, match="unknown layout"):
        @given(arrays("f8", (2,), layout="diagonal"))
        def draw(a):
            pass

        draw()
