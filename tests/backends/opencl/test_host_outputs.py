"""Outputs written straight into numpy memory on zero-copy devices (runtime.host_backed):
the values, each call's arrays its own, outputs read again by later kernels, outputs that
are inputs or returned twice, and device outputs untouched by it."""

from __future__ import annotations

import numpy as np
import pytest

import tensordsl
from tensordsl import tensor as T
from tensordsl.accuracy import ulp_bound, ulp_distance

from .helpers import needs_opencl, opencl_mode, rt

pytestmark = needs_opencl

N = 50_000  # 400 KB of float64: above runtime.ZERO_COPY_BYTES


@pytest.fixture
def backed_calls(monkeypatch):
    """Counts runtime.host_backed calls that returned a host-backed array."""
    from tensordsl.backends.opencl import runtime

    made = []
    original = runtime.host_backed

    def spy(*args, **kwargs):
        value = original(*args, **kwargs)
        made.append(getattr(value, "td_host", None) is not None)
        return value

    monkeypatch.setattr(runtime, "host_backed", spy)
    return made


def zero_copy_here() -> bool:
    from tensordsl.backends.opencl.runtime import zero_copy

    return zero_copy(rt())


def test_values_and_independent_arrays(backed_calls):
    """Two outputs of one fused kernel and one of a reduction: right values; every call
    returns new writable arrays that share no memory; writing into one call's result
    changes nothing the next call returns."""
    x = T.vector("x", dtype="float64")
    f = tensordsl.function([x], [T.exp(x) * 2.0, x + 1.0, T.sum(x)], mode=opencl_mode())
    a = np.linspace(-3, 3, N)
    first = f(a)
    assert (max(ulp_distance(first[0], np.exp(a) * 2.0)) <= ulp_bound("exp"))
    np.testing.assert_array_equal(first[1], a + 1.0)
    assert first[2] == pytest.approx(a.sum(), abs=1e-9)
    assert all(isinstance(r, np.ndarray) and r.flags.writeable for r in first[:2])
    assert not np.shares_memory(first[0], first[1])
    keep = [r.copy() for r in first[:2]]
    first[0][:] = -1.0
    first[1][:] = -1.0
    second = f(a)
    for got, want in zip(second[:2], keep):
        np.testing.assert_array_equal(got, want)
        assert not np.shares_memory(got, first[0]) and not np.shares_memory(got, first[1])
    if zero_copy_here():
        assert any(backed_calls)  # the elementwise outputs were written in place
    else:
        assert not any(backed_calls)


def test_output_read_by_a_later_kernel_and_returned_twice():
    """y is returned (host-backed) and read by a later reduction; z is returned twice
    (not host-backed: one array, two places); x itself is returned (an input)."""
    x = T.vector("x", dtype="float64")
    y = T.exp(x)
    s = T.sum(y * y)
    z = x * 3.0
    f = tensordsl.function([x], [y, s, z, z, x], mode=opencl_mode())
    a = np.linspace(-2, 2, N)
    got = f(a)
    assert max(ulp_distance(got[0], np.exp(a))) <= ulp_bound("exp")
    assert got[1] == pytest.approx(float((np.exp(a) ** 2).sum()), rel=1e-12)
    np.testing.assert_array_equal(got[2], a * 3.0)
    np.testing.assert_array_equal(got[3], a * 3.0)
    np.testing.assert_array_equal(got[4], a)


def test_device_outputs_are_not_host_backed(backed_calls):
    """return_device_arrays=True: pooled device arrays, as before."""
    x = T.vector("x", dtype="float64")
    f = tensordsl.function([x], T.exp(x) + 1.0, mode=opencl_mode(), return_device_arrays=True)
    a = np.linspace(-2, 2, N)
    out = f(a)
    out = out[0] if isinstance(out, (list, tuple)) else out
    assert type(out).__module__.startswith("pyopencl")
    assert getattr(out, "td_host", None) is None
    assert not any(backed_calls)
    assert max(ulp_distance(out.get(), np.exp(a) + 1.0)) <= ulp_bound("exp")


@pytest.mark.parametrize("n", [0, 1, 100, N])
def test_sizes_below_and_above_the_zero_copy_size(n):
    """Small outputs come from the pool (copied back), large ones host-backed: the same
    values either way, 0-size included."""
    x = T.vector("x", dtype="float32")
    f = tensordsl.function([x], T.sqrt(x) * 2.0, mode=opencl_mode())
    a = np.linspace(0, 9, n, dtype=np.float32)
    got = f(a)
    assert got.shape == (n,) and got.dtype == np.float32
    np.testing.assert_array_equal(got, np.sqrt(a) * np.float32(2.0))
