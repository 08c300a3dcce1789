"""Reductions (add, mul, maximum, minimum, and_, or_) over any axes on the device,
against numpy: the one-pass path (one work-group per output), the partials + combine
path (several groups per output), non-contiguous operands, empty and size-1 dims."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tensordsl.kernel.evaluate import evaluate_kernel
from tensordsl.kernel.ir import Kernel, KernelInput, ScalarNode
from tensordsl.ops import scalar as ps

from ..c.strategies import operand, shapes
from ..c.test_reduce import assert_reduced, reduce_kernel
from .helpers import device_view, needs_opencl, rt, run_kernel

pytestmark = needs_opencl

AXES_3D = [a for n in (1, 2, 3) for a in itertools.combinations(range(3), n)]


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int8", "uint8"])
@pytest.mark.parametrize("axes", AXES_3D)
@settings(max_examples=6, deadline=None)
@given(data=st.data())
def test_reductions_over_every_axis_set(dtype, axes, data):
    shape = data.draw(shapes(3, 5))
    x = data.draw(operand(shape, dtype))
    kinds = ("add", "mul", "maximum", "minimum")
    if any(shape[a] == 0 for a in axes):
        kinds = ("add", "mul")  # maximum/minimum of nothing raise (tested below)
    kernel = reduce_kernel(dtype, 3, axes, kinds)
    got = run_kernel(kernel, [x])
    with np.errstate(all="ignore"):
        want = evaluate_kernel(kernel, [x])
    for g, w, kind in zip(got, want, kinds):
        assert_reduced(g, w, kind, x, axes)


@pytest.mark.parametrize("axes", [(0,), (1,), (0, 1)])
def test_logical_reductions(axes):
    rng = np.random.default_rng(3)
    for x in [rng.random((7, 300)) < 0.01, rng.random((7, 300)) < 0.99,
              np.zeros((0, 4), bool), np.ones((3, 1), bool)]:
        kernel = reduce_kernel("bool", 2, axes, ("and_", "or_"))
        got = run_kernel(kernel, [x])
        np.testing.assert_array_equal(got[0], x.all(axis=axes))
        np.testing.assert_array_equal(got[1], x.any(axis=axes))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
@pytest.mark.parametrize("shape,axes", [((1_000_003,), (0,)), ((3, 200_000), (1,)),
                                        ((50_000, 3), (0,)), ((257, 513), (0, 1))])
def test_large_reductions_use_partials_and_are_deterministic(dtype, shape, axes):
    """Long reduced ranges split over several work-groups (partials, then a combine
    pass); the order is fixed, so two runs agree bit for bit."""
    rng = np.random.default_rng(7)
    x = (rng.standard_normal(shape) * 10).astype(dtype)
    kernel = reduce_kernel(dtype, len(shape), axes, ("add", "maximum", "minimum"))
    first = run_kernel(kernel, [x])
    again = run_kernel(kernel, [x])
    want = evaluate_kernel(kernel, [x])
    for g, a, w, kind in zip(first, again, want, ("add", "maximum", "minimum")):
        np.testing.assert_array_equal(g, a)
        assert_reduced(g, w, kind, x, axes)


def test_nan_propagates_through_maximum_and_minimum():
    x = np.arange(100_000, dtype="float32")
    x[77_777] = np.nan
    kernel = reduce_kernel("float32", 1, (0,), ("maximum", "minimum", "add"))
    got = run_kernel(kernel, [x])
    assert all(np.isnan(g) for g in got)


def test_fused_body_before_the_reduction():
    """sum(exp(x) * y) over axis 1 with y a broadcast row: the body is evaluated per
    element, then accumulated."""
    body = (ScalarNode("float64", input=0), ScalarNode("float64", input=1),
            ScalarNode("float64", op=ps.SCALAR_OPS["exp"], args=(0,)),
            ScalarNode("float64", op=ps.mul, args=(2, 1)))
    kernel = Kernel(2, (KernelInput("float64", (False, False)),
                        KernelInput("float64", (True, False))), body, (3,), ("float64",),
                    reduce_axes=(1,), reduce_kinds=("add",), acc_dtypes=("float64",))
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((40, 33)), rng.standard_normal((1, 33))
    (got,) = run_kernel(kernel, [x.T.copy().T, y])
    np.testing.assert_allclose(got, (np.exp(x) * y).sum(axis=1), rtol=1e-13)


def test_empty_maximum_is_an_error():
    kernel = reduce_kernel("float32", 2, (1,), ("maximum",))
    from tensordsl.backends.opencl.runtime import KernelRunner

    runner = KernelRunner(kernel, rt(), ["'x'"], "Reduce{maximum}")
    with pytest.raises(ValueError, match="cannot reduce an empty dim.*no identity"):
        runner.call([device_view(np.zeros((3, 0), "float32"))])
