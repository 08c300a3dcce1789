"""float64 erf on OpenCL is Cody's one-division approximation (opencl/erf64.py), in the
scalar and the vector kernels alike: values against scipy's erf within the accuracy
contract, over the formula's interval edges, subnormals, special values and random
layouts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.special import erf

import tensordsl
from tensordsl import tensor as T
from tensordsl.accuracy import ulp_bound, ulp_distance

from .helpers import needs_opencl, opencl_mode

pytestmark = needs_opencl

# where the formula switches intervals (0.5, 4), clamps (6) and erf reaches 1 (5.93)
EDGES = [0.5, 4.0, 6.0, 5.921587195794507, 0.46875]
SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, -5e-324, 2.2250738585072014e-308,
           1e-300, 1e300, -1.7976931348623157e308]


def grid() -> np.ndarray:
    """Dense points over [-7, 7], around every edge, tiny magnitudes and the specials."""
    near = [np.nextafter(e, s * np.inf, dtype=np.float64) * sign
            for e in EDGES for s in (-1, 1) for sign in (-1, 1)]
    parts = [np.linspace(-7.0, 7.0, 20001), np.array(EDGES), -np.array(EDGES), np.array(near),
             np.geomspace(1e-310, 1.0, 2000), -np.geomspace(1e-310, 1.0, 2000),
             np.array(SPECIAL)]
    return np.concatenate(parts)


@pytest.fixture(scope="module")
def erf_fn():
    x = T.vector("x", dtype="float64")
    return tensordsl.function([x], T.erf(x), mode=opencl_mode())


def check(got: np.ndarray, x: np.ndarray) -> None:
    with np.errstate(all="ignore"):
        want = erf(x)
    dist = ulp_distance(got, want)
    bad = dist > ulp_bound("erf")
    assert not bad.any(), (f"erf off by {dist[bad][:5]} ulp at x = {x[bad][:5]}: got "
                           f"{got[bad][:5]}, want {want[bad][:5]}")


def test_erf64_grid_contiguous_and_strided(erf_fn):
    """The vector path (contiguous, width-sized chunks and a tail) and the strided
    kernel (a reversed view) give erf within the contract everywhere on the grid."""
    x = grid()
    check(erf_fn(x), x)
    rev = x[::-1]
    check(erf_fn(rev), rev)
    odd = x[1::3]
    check(erf_fn(odd), odd)


def test_erf64_special_values_exact(erf_fn):
    """erf(+-inf) = +-1, erf(+-0) = +-0 (sign kept), NaN stays NaN, and erf of a large
    finite value is exactly +-1."""
    x = np.array([np.inf, -np.inf, 0.0, -0.0, np.nan, 1e300, -1e300, 7.0, -7.0] * 3)
    got = erf_fn(x)
    np.testing.assert_array_equal(got[[0, 5, 7]], [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(got[[1, 6, 8]], [-1.0, -1.0, -1.0])
    assert got[2] == 0.0 and not np.signbit(got[2])
    assert got[3] == 0.0 and np.signbit(got[3])
    assert np.isnan(got[4]) and np.isnan(got[13]) and np.isnan(got[22])


@settings(max_examples=40, deadline=None)
@given(x=hnp.arrays(np.float64, st.integers(0, 70),
                    elements=st.one_of(st.floats(-8.0, 8.0), st.floats(allow_nan=True))),
       step=st.sampled_from([1, 1, 2, -1]))
def test_erf64_random_arrays(erf_fn, x, step):
    """Random float64 arrays (mostly in the formula's range, some of any value), taken
    contiguous, every other element or reversed."""
    view = x[::step]
    check(erf_fn(view), view)


def test_erf64_program_uses_the_helper():
    """float64 erf kernels call td_erf_f64 (scalar and vector programs), no builtin erf;
    float32 erf keeps its own rational helper."""
    from tensordsl.backends.opencl import BACKEND

    for dtype, helper in (("float64", "td_erf_f64"), ("float32", "td_erf_f32")):
        with tensordsl.config.change_flags(floatX=dtype):
            x = T.vector("x", dtype=dtype)
            fn = tensordsl.function([x], T.erf(x) * x, mode=opencl_mode())
        sources = [s.text for s in BACKEND.sources(fn.maker.fgraph)]
        assert len(sources) == 2  # the scalar program and the vector one
        for text in sources:
            assert f"{helper}(" in text
            assert " erf(" not in text and "(erf(" not in text
