"""N-d and integer `dot` on the device (GemmRunner.dot): numpy's dot semantics for any
ranks (a's leading dims as rows, one launch per index of b's leading dims), integers
wrapping around like numpy, non-contiguous operands (transposed 3-d views need a device
copy first), sizes with 0 and 1; floats within a K-term reordering bound, integers
exactly."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl
from tensordsl import tensor as T

from .helpers import device_view, needs_opencl, opencl_mode

pytestmark = needs_opencl

DTYPES = ["float32", "float64", "int8", "int32", "int64", "uint8", "uint16"]


def values(rng: np.random.Generator, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    if dtype.startswith("float"):
        return rng.standard_normal(shape).astype(dtype)
    info = np.iinfo(dtype)  # the full range: products and sums wrap around
    return rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)


@st.composite
def layout(draw, x: np.ndarray) -> np.ndarray:
    """x as it is, transposed-and-back through a copy (same values, permuted strides),
    reversed, or every other element of a larger array."""
    kind = draw(st.sampled_from(["c", "perm", "reversed", "sliced"]))
    if kind == "perm" and x.ndim >= 2:
        order = draw(st.permutations(range(x.ndim)))
        inverse = np.argsort(order)
        return np.ascontiguousarray(x.transpose(order)).transpose(inverse)
    if kind == "reversed":
        return np.ascontiguousarray(x[(slice(None, None, -1),) * x.ndim])[
            (slice(None, None, -1),) * x.ndim]
    if kind == "sliced":
        big = np.zeros(tuple(2 * n for n in x.shape), x.dtype)
        view = big[(slice(None, None, 2),) * x.ndim]
        view[...] = x
        return view
    return x


def check(got: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
    want = np.dot(a, b)
    assert got.shape == want.shape and got.dtype == want.dtype
    if want.dtype.kind == "f":
        k = a.shape[-1]
        eps = np.finfo(want.dtype).eps
        scale = np.dot(np.abs(a), np.abs(b)) if want.size else want
        assert np.all(np.abs(got - want) <= 2 * max(k, 1) * eps * scale + 1e-30)
    else:
        np.testing.assert_array_equal(got, want)


@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_dot_any_rank_matches_numpy(data):
    dtype = data.draw(st.sampled_from(DTYPES))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    k = data.draw(st.sampled_from([0, 1, 3, 17]))
    lead_a = tuple(data.draw(st.lists(st.sampled_from([0, 1, 2, 5]), max_size=2)))
    b_rank = data.draw(st.integers(1, 3))
    lead_b = tuple(data.draw(st.sampled_from([1, 2, 3])) for _ in range(b_rank - 2))
    n = data.draw(st.sampled_from([1, 4, 18]))
    a = data.draw(layout(values(rng, lead_a + (k,), dtype)))
    b_shape = (k,) if b_rank == 1 else lead_b + (k, n)
    b = data.draw(layout(values(rng, b_shape, dtype)))
    x = T.tensor(dtype, shape=(None,) * a.ndim)
    y = T.tensor(dtype, shape=(None,) * b.ndim)
    fn = tensordsl.function([x, y], T.dot(x, y), mode=opencl_mode())
    on_device = data.draw(st.booleans())
    got = fn(*([device_view(a), device_view(b)] if on_device else [a, b]))
    check(got, a, b)


@pytest.mark.parametrize("dtype", ["int32", "float64"])
def test_dot_runs_on_the_device(dtype):
    """3-d @ 3-d and integer products are device steps, not host ones."""
    from tensordsl.backends.opencl.schedule import make_thunk

    x = T.tensor(dtype, shape=(None, None, None))
    y = T.tensor(dtype, shape=(None, None, None))
    fn = tensordsl.function([x, y], T.dot(x, y), mode=opencl_mode())
    assert make_thunk(fn.maker.fgraph).notes["where"] == ("device",)
    rng = np.random.default_rng(3)
    a = values(rng, (2, 3, 4), dtype).transpose(1, 0, 2)  # rows need a device copy
    b = values(rng, (2, 4, 5), dtype)
    check(fn(a, b), a, b)


def test_int8_dot_wraps_like_numpy():
    """127 * 127 * 3 wraps in int8 as numpy's does."""
    x, y = T.matrix("x", dtype="int8"), T.matrix("y", dtype="int8")
    fn = tensordsl.function([x, y], T.dot(x, y), mode=opencl_mode())
    a = np.full((2, 3), 127, np.int8)
    b = np.full((3, 2), -128, np.int8)
    check(fn(a, b), a, b)
    check(fn(a, a.T), a, a.T)
