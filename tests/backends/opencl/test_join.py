"""Join (concatenate) runs on the device (opencl/join.py): random ranks, axes, input
counts, sizes with 0 and 1, mixed dtypes (upcast), non-contiguous numpy and device
operands, against numpy.concatenate exactly (copies and widening conversions)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl
from tensordsl import tensor as T

from ..c.strategies import elements, operand
from .helpers import device_view, needs_opencl, opencl_mode

pytestmark = needs_opencl

DTYPES = ["float32", "float64", "int32", "int64", "uint8", "bool"]


def joined(dtypes: list[str], ndim: int, axis: int, **kwargs):
    variables = [T.tensor(d, shape=(None,) * ndim) for d in dtypes]
    return tensordsl.function(variables, T.concatenate(variables, axis=axis),
                              mode=opencl_mode(), **kwargs)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_join_matches_numpy(data):
    ndim = data.draw(st.integers(1, 3))
    axis = data.draw(st.integers(-ndim, ndim - 1))
    count = data.draw(st.integers(1, 4))
    dtypes = data.draw(st.lists(st.sampled_from(DTYPES), min_size=count, max_size=count))
    base = [data.draw(st.integers(0, 3)) for _ in range(ndim)]
    arrays = []
    for d in dtypes:
        shape = list(base)
        shape[axis] = data.draw(st.integers(0, 4))
        arrays.append(data.draw(operand(tuple(shape), d, elements(d, 1e6))))
    on_device = data.draw(st.booleans())
    fn = joined(dtypes, ndim, axis)
    got = fn(*[device_view(a) if on_device else a for a in arrays])
    want = np.concatenate(arrays, axis=axis)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def test_join_runs_on_the_device():
    """The Join step is a device step (no host round trip), and its source is listed."""
    from tensordsl.backends.opencl import BACKEND

    fn = joined(["float32", "float64"], 2, 1)
    steps = fn.maker.fgraph.toposort()
    assert [type(n.op).__name__ for n in steps] == ["Join"]
    texts = [s.text for s in BACKEND.sources(fn.maker.fgraph)]
    assert any("__kernel void td_place" in t for t in texts)
    from tensordsl.backends.opencl.schedule import make_thunk

    schedule = make_thunk(fn.maker.fgraph)
    assert schedule.notes["where"] == ("device",)


def test_join_large_with_device_outputs():
    """A large join of a transposed and a reversed operand, device arrays out."""
    a = np.arange(300 * 200, dtype=np.float64).reshape(300, 200).T
    b = np.linspace(-1, 1, 200 * 50)[::-1].reshape(200, 50)
    fn = joined(["float64", "float64"], 2, 1, return_device_arrays=True)
    out = fn(a, b)
    out = out[0] if isinstance(out, (list, tuple)) else out
    assert type(out).__module__.startswith("pyopencl")
    np.testing.assert_array_equal(out.get(), np.concatenate([a, b], axis=1))


def test_join_shape_mismatch_names_the_inputs():
    fn = joined(["float32", "float32"], 2, 0)
    with pytest.raises(ValueError, match=r"concatenate along axis 0.*\(2, 3\).*\(2, 4\)"):
        fn(np.zeros((2, 3), np.float32), np.zeros((2, 4), np.float32))
