"""Every scalar op the C backend lowers, per dtype, against the numpy oracle.

One multi-output kernel per dtype computes every op the backend can lower on the same
operands (hypothesis: 0-size and size-1 broadcast dims, transposed/sliced/reversed
views, NaN/inf/-0.0, integer extremes with 0 and -1 divisors)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tensordsl.backends.c.schedule import kernel_source
from tensordsl.kernel.ir import Kernel, ScalarNode
from tensordsl.ops import scalar as ps

from .kernels import check_kernel, lowerable, multi_op_kernel, run_c
from .strategies import ALL, broadcast_to, elements, operand, shapes

UNARY = [op for op in ps.SCALAR_OPS.values() if op.nin == 1]
BINARY = [op for op in ps.SCALAR_OPS.values() if op.nin == 2]


def ops_for(dtype: str) -> list[tuple[ps.ScalarOp, tuple[int, ...]]]:
    """(op, args) for every op lowerable on `dtype` operands x=0, y=1 (cond c=2)."""
    chosen = []
    for op in UNARY:
        if lowerable(op, (dtype,)):
            chosen.append((op, (0,)))
    for op in BINARY:
        if op.name == "pow" and dtype not in ("float32", "float64"):
            continue  # see test_unsigned_int_pow and test_signed_int_pow_runs_like_numpy
        if lowerable(op, (dtype, dtype)):
            chosen.append((op, (0, 1)))
    if lowerable(ps.clip, (dtype,) * 3):
        chosen.append((ps.clip, (0, 1, 1)))
    chosen.append((ps.switch, (2, 0, 1)))
    return chosen


def test_every_op_is_covered():
    """The float64 and int64 kernels together exercise every op with a C lowering."""
    names = {op.name for d in ("float64", "int64", "bool") for op, _ in ops_for(d)}
    expected = {op.name for op in ps.SCALAR_OPS.values()} - {"erfinv", "psi", "gammaln"}
    assert expected - names == set()


@pytest.mark.parametrize("dtype", ALL)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_ops_match_numpy(dtype, data):
    kernel = multi_op_kernel(2, (dtype, dtype, "bool"), ops_for(dtype))
    shape = data.draw(shapes())
    x = data.draw(operand(data.draw(broadcast_to(shape)), dtype))
    y = data.draw(operand(data.draw(broadcast_to(shape)), dtype))
    c = data.draw(operand(data.draw(broadcast_to(shape)), "bool"))
    check_kernel(kernel, [x, y, c])


@pytest.mark.parametrize("dtype", ["uint8", "uint64", "uint16"])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_unsigned_int_pow(dtype, data):
    kernel = multi_op_kernel(1, (dtype, dtype), [(ps.pow, (0, 1))])
    n = data.draw(st.integers(0, 9))
    x = data.draw(operand((n,), dtype))
    y = data.draw(operand((n,), dtype, st.integers(0, 40)))
    check_kernel(kernel, [x, y])


@pytest.mark.parametrize("dtype", ["int8", "int32", "int64"])
def test_signed_int_pow_runs_like_numpy(dtype):
    """Signed integer pow is not lowered (numpy raises on a negative exponent, a kernel
    cannot): under FAST_RUN the node runs through numpy, with numpy's values and error."""
    import tensordsl
    from tensordsl import tensor as T

    x, y = T.vector(dtype=dtype), T.vector(dtype=dtype)
    f = tensordsl.function([x, y], x ** y + 1, mode="FAST_RUN")
    a = np.array([2, -3, 0, 1], dtype=dtype)
    got = f(a, np.array([3, 2, 0, 5], dtype=dtype))
    want = a ** np.array([3, 2, 0, 5], dtype=dtype) + 1
    assert got.dtype == want.dtype and np.array_equal(got, want)
    with pytest.raises(ValueError, match="negative integer powers"):
        f(a, np.array([1, -1, 1, 1], dtype=dtype))


CAST_TARGETS = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                "uint64", "float32", "float64"]


@pytest.mark.parametrize("src", ["float32", "float64", "int64", "int8", "uint8", "bool"])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_casts(src, data):
    """Casts to every real dtype (values inside the target's range: outside it C and
    numpy are both undefined)."""
    casts = [(ps.Cast(t), (0,)) for t in CAST_TARGETS]
    kernel = multi_op_kernel(1, (src,), casts)
    elems = elements(src) if src in ("bool", "uint8") else (
        st.integers(0, 100) if src.startswith("int") else
        st.one_of(st.floats(0, 100, width=32 if src == "float32" else 64),
                  st.sampled_from([0.0, -0.0, 0.5, 99.5, 1.0])))
    n = data.draw(st.integers(0, 7))
    x = data.draw(operand((n,), src, elems))
    check_kernel(kernel, [x], [f"cast_{t}" for t in CAST_TARGETS])


@pytest.mark.parametrize("src,values", [
    ("int16", [256, -256, 512, 1, 0]), ("int32", [1 << 16, 1 << 24, -(1 << 8), 0]),
    ("int64", [1 << 32, 1 << 40, -(1 << 56), 0]), ("uint16", [256, 65280, 0]),
    ("float64", [0.0, -0.0, 1e-300, 0.5, 256.0, np.nan, np.inf, -np.inf]),
    ("float32", [0.0, -0.0, 1e-40, 0.25, 512.0, np.nan, -np.inf])])
def test_casts_to_bool_test_for_nonzero(src, values):
    """A bool is a 0/1 byte in arrays and an int inside loops: every conversion to it is
    `x != 0`, never a truncation (256 would be false as a byte)."""
    kernel = multi_op_kernel(1, (src,), [(ps.Cast("bool"), (0,))])
    x = np.array(values * 3, dtype=src)
    (got,) = run_c(kernel, [x])
    np.testing.assert_array_equal(got, x.astype(bool))
    assert got.dtype == np.bool_


def test_bool_arithmetic_stays_bool_and_loops_vectorise_through_comparisons():
    """true + true is true; a comparison between float operations (a ReLU gradient) keeps
    an int temporary, which gcc vectorises (a byte-sized one left the loop scalar)."""
    add = multi_op_kernel(1, ("bool", "bool"), [(ps.add, (0, 1)), (ps.maximum, (0, 1)),
                                                (ps.mul, (0, 1))])
    a, b = np.array([True, True, False, False] * 5), np.array([True, False, True, False] * 5)
    check_kernel(add, [a, b])
    relu_grad = multi_op_kernel(1, ("float32", "float32"), [(ps.SCALAR_OPS["gt"], (0, 1))])
    body = list(relu_grad.body) + [ScalarNode("float32", op=ps.Cast("float32"), args=(2,))]
    body.append(ScalarNode("float32", op=ps.mul, args=(3, 1)))
    kernel = Kernel(1, relu_grad.inputs, tuple(body), (4,), ("float32",), name="relu grad")
    source = kernel_source(kernel)
    assert "_Bool" not in source and "    int v2 = " in source
    x = np.random.default_rng(4).standard_normal(1000).astype("float32")
    y = np.random.default_rng(5).standard_normal(1000).astype("float32")
    (got,) = run_c(kernel, [x, y])
    np.testing.assert_array_equal(got, (x > y).astype("float32") * y)


def test_integer_division_by_zero_does_not_trap():
    """numpy gives 0 for x // 0, x % 0 and MIN // -1 wraps: no SIGFPE in C."""
    for dtype in ("int32", "int64", "int8", "uint64"):
        info = np.iinfo(dtype)
        kernel = multi_op_kernel(1, (dtype, dtype), [(ps.int_div, (0, 1)), (ps.mod, (0, 1))])
        x = np.array([7, -7, info.min, info.min, 5, 0], dtype=dtype) if info.min < 0 else \
            np.array([7, 0, info.max, 3], dtype=dtype)
        y = np.array([0, 2, -1, 0, -3, 0], dtype=dtype) if info.min < 0 else \
            np.array([0, 0, 1, 2], dtype=dtype)
        check_kernel(kernel, [x, y])


def test_float32_erf_accuracy_sweep():
    """float32 erf is the unit's rational approximation (lowering.py): within 6 ulp of
    scipy's float64 erf (5.72 measured on 155M values, docs/c_backend.md) on a sweep of
    float32 values of both signs (every 997th bit pattern up to 5, where erf is 1.0f,
    plus denormals), exact at 0, +-1 at +-inf, NaN at NaN."""
    from scipy.special import erf

    bits = np.arange(0, np.float32(5.0).view(np.uint32) + 1, 997, dtype=np.uint32)
    sweep = bits.view(np.float32)
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1e-38, 3.919206,
                         3.9192057, 100.0], dtype=np.float32)
    x = np.concatenate([sweep, -sweep, specials])
    kernel = multi_op_kernel(1, ("float32",), [(ps.get("erf"), (0,))])
    (got,) = run_c(kernel, [x])
    want = erf(x.astype(np.float64))
    finite = np.isfinite(x)
    ulp = np.spacing(np.abs(want[finite]).astype(np.float32)).astype(np.float64)
    worst = np.max(np.abs(got[finite].astype(np.float64) - want[finite]) / ulp)
    assert worst <= 6, worst
    assert got.dtype == np.float32
    assert np.array_equal(got[~finite], np.array([1, -1, np.nan], np.float32), equal_nan=True)
    zeros = got[x == 0]
    assert np.all(zeros == 0) and np.array_equal(np.signbit(zeros), np.signbit(x[x == 0]))


def test_float32_erf_helper_is_inlined():
    """The erf helper must be inlined into the loops (a call left in an `omp simd` loop
    keeps it scalar, 10x slower): the built library has no `td_erf_f32` symbol."""
    import subprocess

    from tensordsl.backends.c import cache
    from tensordsl.backends.c.schedule import kernel_source

    kernel = multi_op_kernel(1, ("float32",), [(ps.get("erf"), (0,))])
    source = kernel_source(kernel)
    assert "td_erf_f32" in source
    symbols = subprocess.run(["nm", cache.get_library(source)], capture_output=True,
                             text=True, check=True).stdout
    assert "td_erf_f32" not in symbols
