"""The accuracy contract's module: measured figures stay inside the stated bounds, the
ulp helpers count what they say, and c_march reaches the compiler's flags."""

from __future__ import annotations

import numpy as np
import pytest

from tensordsl import accuracy
from tensordsl.backends.c import build
from tensordsl.config import config


@pytest.mark.parametrize("op", sorted(accuracy.MEASURED_AVX2))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_measured_errors_are_within_the_contract(op, dtype):
    assert op in accuracy.INEXACT
    assert accuracy.measured_ulps(op, dtype) <= accuracy.ulp_bound(op)


def test_exact_ops_have_no_allowance():
    for op in ("add", "sub", "mul", "true_div", "lt", "maximum", "sqrt", "floor"):
        assert accuracy.ulp_bound(op) == 0 and accuracy.measured_ulps(op, "float64") is None


def test_ulp_distance_counts_ulps():
    one = np.array([1.0, 1.0, np.nan, np.inf], dtype=np.float32)
    got = np.array([np.nextafter(np.float32(1), np.float32(2)), 1.0, np.nan, np.inf],
                   dtype=np.float32)
    np.testing.assert_array_equal(accuracy.ulp_distance(got, one), [1, 0, 0, 0])
    assert accuracy.ulp_distance(np.array([np.nan]), np.array([1.0]))[0] == np.inf
    three = 1.0 + 3 * np.finfo(np.float64).eps
    assert accuracy.within_ulps(np.array([three]), np.array([1.0]), 3).all()
    assert not accuracy.within_ulps(np.array([three]), np.array([1.0]), 2).any()


@pytest.mark.skipif(build.find_compiler() is None, reason="needs a C compiler")
def test_c_march_sets_the_compilers_target():
    with config.change_flags(c_march="x86-64-v3"):
        flags = build.flags()
        key = build.build_key("int x;", build.find_compiler())
    assert "-march=x86-64-v3" in flags and not any(
        f.startswith("-march=") and f != "-march=x86-64-v3" for f in flags)
    with config.change_flags(c_march="native"):
        assert "-march=native" in build.flags()
        # a different library in the cache
        assert build.build_key("int x;", build.find_compiler()) != key
