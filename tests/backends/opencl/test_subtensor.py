"""Subtensor with constant basic indices on OpenCL: a strided view of the device array
(no host step, no copy), read by the kernels after it, against numpy's slicing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl
from tensordsl import tensor as T

from ..c.strategies import operand, shapes
from .helpers import device_view, needs_opencl, opencl_mode

pytestmark = needs_opencl


@st.composite
def basic_index(draw, shape: tuple[int, ...]) -> tuple:
    """Integers (negative too) and slices (any bounds, steps of either sign, past the
    ends) for the first k dims of `shape`."""
    k = draw(st.integers(0, len(shape)))
    index: list = []
    for d in range(k):
        n = shape[d]
        if n and draw(st.booleans()):
            index.append(draw(st.integers(-n, n - 1)))
        else:
            bound = st.none() | st.integers(-n - 2, n + 2)
            step = st.none() | st.sampled_from([1, 2, 3, -1, -2])
            index.append(slice(draw(bound), draw(bound), draw(step)))
    return tuple(index)


def where_of(fn) -> tuple[str, ...]:
    return fn.thunk.notes["where"]


@pytest.mark.parametrize("dtype", ["float64", "float32", "int32"])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_subtensor_view_matches_numpy(dtype, data):
    """x[index] * 2 + x[index] with x a device array (any layout): a view step, then
    one elementwise kernel reading it; the value as numpy's, and the bare view returned
    as an output too."""
    from tensordsl.backends.opencl.runtime import TRANSFERS

    shape = data.draw(shapes(ndim=data.draw(st.integers(1, 3))))
    xv = data.draw(operand(shape, dtype))
    index = data.draw(basic_index(shape))
    x = T.tensor(dtype, shape=(None,) * len(shape), name="x")
    sub = x[index]
    fn = tensordsl.function([x], [sub * 2 + sub, sub], mode=opencl_mode())
    assert "host" not in where_of(fn)
    assert "view" in where_of(fn)
    want = xv[index]
    TRANSFERS.clear()
    got, view = fn(device_view(xv))
    assert TRANSFERS["to_device"] == 0  # the device input is used in place
    with np.errstate(over="ignore"):  # int32 wraps, on the device as in numpy
        np.testing.assert_array_equal(got, want * 2 + want)
    np.testing.assert_array_equal(view, want)
    assert view.shape == want.shape


def test_subtensor_of_numpy_input_and_shape_vector():
    """A numpy input is uploaded once and viewed on the device; the entry of the shape
    vector (a 0-d Subtensor of a host value) is taken on the host, and only that
    scalar is uploaded for the kernel."""
    from tensordsl.backends.opencl.runtime import TRANSFERS

    x = T.dmatrix("x")
    out = T.exp(x[1:, ::-2]) + x.shape[0]
    fn = tensordsl.function([x], out, mode=opencl_mode())
    xv = np.arange(20.0).reshape(4, 5) / 10
    assert "host" not in where_of(fn)
    TRANSFERS.clear()
    got = fn(xv)
    assert TRANSFERS == {"to_device": 2, "to_host": 1}
    np.testing.assert_allclose(got, np.exp(xv[1:, ::-2]) + 4, rtol=1e-15)


def test_subtensor_out_of_bounds_and_bad_step_raise():
    """An integer out of bounds is an IndexError naming the axis and size; a zero step
    is numpy's ValueError."""
    x = T.dvector("x")
    fn = tensordsl.function([x], T.exp(x[7]), mode=opencl_mode())
    with pytest.raises(IndexError, match="out of bounds for axis 0 with size 3"):
        fn(device_view(np.zeros(3)))
    assert fn(device_view(np.arange(9.0))) == pytest.approx(np.exp(7.0), rel=1e-15)


def test_subtensor_with_run_time_bounds_runs_on_the_host():
    """Bounds computed at run time (an input) keep the numpy perform, and say so."""
    x, i = T.dvector("x"), T.lscalar("i")
    fn = tensordsl.function([x, i], T.exp(x[i:]), mode=opencl_mode())
    assert "host" in where_of(fn)
    xv = np.linspace(0, 1, 6)
    np.testing.assert_allclose(fn(xv, 2), np.exp(xv[2:]), rtol=1e-15)
