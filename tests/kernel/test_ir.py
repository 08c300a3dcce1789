"""Kernel IR equality: what caches of compiled kernels and the merge of equal nodes key
on. Float constants compare by their bits, so a kernel with -0.0 never reuses the code
compiled for 0.0 (x / -0.0 is -inf, x / 0.0 is +inf)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl
from tensordsl import tensor as T
from tensordsl.kernel.ir import Kernel, KernelInput, ScalarNode
from tensordsl.ops import scalar as ps
from tensordsl.runtime.mode import target_mode
from tensordsl.testing.equivalence import target_status


def divide_by(c: float, dtype: str = "float64") -> Kernel:
    body = (ScalarNode(dtype, input=0), ScalarNode(dtype, value=c),
            ScalarNode(dtype, op=ps.true_div, args=(0, 1)))
    return Kernel(1, (KernelInput(dtype, (False,)),), body, (2,), (dtype,))


def test_signed_zero_constants_make_different_kernels():
    pos, neg = divide_by(0.0), divide_by(-0.0)
    assert pos != neg and pos.key() != neg.key()
    assert len({pos, neg}) == 2
    assert divide_by(0.0) == pos and hash(divide_by(0.0)) == hash(pos)
    assert divide_by(np.float64(-0.0)) == neg


def test_nan_constants_are_equal_and_pickling_keeps_equality():
    a, b = divide_by(float("nan")), divide_by(float("nan"))
    assert a == b and hash(a) == hash(b)  # a cache hit, not a rebuild per call
    assert pickle.loads(pickle.dumps(divide_by(-0.0))) == divide_by(-0.0)


@settings(max_examples=50, deadline=None)
@given(st.floats(allow_nan=False), st.floats(allow_nan=False))
def test_constants_are_equal_exactly_when_their_bits_are(x, y):
    same_bits = np.float64(x).tobytes() == np.float64(y).tobytes()
    assert (ScalarNode("float64", value=x) == ScalarNode("float64", value=y)) == same_bits


TARGETS = ["numpy"] + [t for t in ("c", "opencl") if target_status(t)[0]]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_division_by_each_signed_zero_in_one_process(target, dtype):
    """Compiled one after the other (the second used to get the first's kernel), and in
    one graph (fused kernels differing only in the zero's sign used to be merged)."""
    mode = target_mode(target) if target != "numpy" else "FAST_COMPILE"
    x = T.tensor(dtype, (None,), name="x")
    v = np.array([1.0, -2.0, 0.5], dtype)
    zeros = [np.array(c, dtype) for c in (0.0, -0.0)]
    # the fuzz report's shape: a cast of tanh(1 / +-0) * 5 + 0.5 (5 or -4)
    fuzz = [T.cast(T.tanh(1 / T.switch(x > 5, x, T.constant(z))) * 5 + 0.5, "int32")
            for z in zeros]
    with np.errstate(divide="ignore"):
        for z in zeros:
            got = tensordsl.function([x], x / T.constant(z), mode=mode)(v)
            np.testing.assert_array_equal(got, v / z)
        for out, want in zip(fuzz, (5, -4)):
            got = tensordsl.function([x], out, mode=mode)(v)
            np.testing.assert_array_equal(got, np.full(3, want, np.int32))
        got = tensordsl.function([x], fuzz, mode=mode)(v)
    np.testing.assert_array_equal(got[0], np.full(3, 5, np.int32))
    np.testing.assert_array_equal(got[1], np.full(3, -4, np.int32))
