"""Argmax / Argmin on OpenCL (opencl/argmax.py): a device step, against numpy's
argmax/argmin: any axis or flattened, any layout, ties and NaN (first occurrence wins),
integers and bools, size-1 dims, and numpy's error for an empty line."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl
from tensordsl import tensor as T

from ..c.strategies import elements, operand, shapes
from .helpers import device_view, needs_opencl, opencl_mode

pytestmark = needs_opencl


def compiled(dtype: str, ndim: int, axis, kind: str):
    x = T.tensor(dtype, shape=(None,) * ndim, name="x")
    out = T.argmax(x, axis=axis) if kind == "max" else T.argmin(x, axis=axis)
    fn = tensordsl.function([x], out, mode=opencl_mode())
    assert fn.thunk.notes["where"] == ("device",), fn.thunk.notes["where"]
    return fn


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int8", "uint8", "bool"])
@pytest.mark.parametrize("kind", ["max", "min"])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_arg_matches_numpy(dtype, kind, data):
    ndim = data.draw(st.integers(1, 3))
    shape = data.draw(shapes(ndim=ndim, max_side=6))
    axis = data.draw(st.sampled_from([None, *range(ndim), -1]))
    # few distinct values: ties are common; floats include NaN and infinities
    small = (st.sampled_from([0.0, 1.0, -1.0, 2.5, np.nan, np.inf, -np.inf])
             if dtype.startswith("float") else elements(dtype))
    xv = data.draw(operand(shape, dtype, small))
    fn = compiled(dtype, ndim, axis, kind)
    np_fn = np.argmax if kind == "max" else np.argmin
    empty = xv.size == 0 or (axis is not None and xv.shape[axis] == 0)
    for arg in (xv, device_view(xv)):
        if empty:
            with pytest.raises(ValueError, match="empty sequence"):
                fn(arg)
            continue
        got = fn(arg)
        want = np_fn(xv, axis=axis)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, want)


def test_argmax_nan_first_and_ties_first():
    fn = compiled("float64", 1, None, "max")
    assert fn(np.array([1.0, np.nan, 3.0, np.nan])) == 1
    assert fn(np.array([2.0, 5.0, 5.0, -1.0])) == 1
    fn = compiled("float32", 2, 1, "min")
    x = np.array([[3, 1, 1], [np.nan, 0, np.nan]], dtype=np.float32)
    np.testing.assert_array_equal(fn(x), [1, 0])


def test_argmax_program_in_sources():
    """The step's OpenCL program is listed by the backend's sources()."""
    from tensordsl.backends.opencl import BACKEND

    x = T.dmatrix("x")
    fn = tensordsl.function([x], T.argmax(x, axis=0), mode=opencl_mode())
    (src,) = BACKEND.sources(fn.maker.fgraph)
    assert src.entry == "td_arg" and "__kernel void td_arg(" in src.text
