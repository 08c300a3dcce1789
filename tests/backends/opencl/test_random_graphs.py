"""The random expression graphs of the rewrite tests, compiled for OpenCL: equal values
to the un-rewritten numpy reference (25+ op kinds, five dtypes, broadcasting,
reductions over each axis, dot/Gemm shapes, casts, comparisons/switch)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings

from tensordsl.graph.basic import ancestors
from tests.rewrite.helpers import NO_REWRITES
from tests.rewrite.test_random_graphs import _close, _run, programs

from .helpers import needs_opencl, opencl_mode

pytestmark = needs_opencl


@settings(max_examples=40, deadline=None)
@given(programs())
def test_random_graphs_agree_on_opencl(program):
    inputs, outputs, values = program
    keep = [np.array(v, copy=True) for v in values]
    want = _run(inputs, outputs, values, NO_REWRITES)
    got = _run(inputs, outputs, values, opencl_mode())
    if isinstance(want, type):  # the reference raised: so must the OpenCL function
        assert got is want, (got, want)
        return
    assert not isinstance(got, type), got
    low = any(v.dtype == "float32" for v in ancestors(outputs))
    for i, (g, w) in enumerate(zip(got, want)):
        assert isinstance(g, np.ndarray), type(g)
        assert _close(g, w, low), f"output {i}: {g!r} != {w!r}"
    for v, k in zip(values, keep):
        np.testing.assert_array_equal(v, k)
