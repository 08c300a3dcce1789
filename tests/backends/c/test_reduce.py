"""Reductions (add, mul, maximum, minimum, and_, or_) over any axes, against numpy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tensordsl import dtypes
from tensordsl.backends.c.render import parallel_threshold
from tensordsl.backends.c.schedule import kernel_source
from tensordsl.kernel.evaluate import evaluate_kernel
from tensordsl.kernel.ir import Kernel, KernelInput, ScalarNode
from tensordsl.ops import scalar as ps

from .kernels import run_c
from .strategies import operand, shapes

KINDS = ("add", "mul", "maximum", "minimum")


def reduce_kernel(dtype: str, ndim: int, axes: tuple[int, ...], kinds=KINDS) -> Kernel:
    """x -> [kind(x) over axes for each kind]; integer/bool sums accumulate in 64 bits."""
    body = (ScalarNode(dtype, input=0),)
    outs, accs = [], []
    for kind in kinds:
        if kind in ("add", "mul"):
            outs.append(dtypes.sum_dtype(dtype))
        elif kind in ("and_", "or_"):
            outs.append("bool")
        else:
            outs.append(dtype)
        accs.append(outs[-1])
    return Kernel(ndim, (KernelInput(dtype, (False,) * ndim),), body, (0,) * len(kinds),
                  tuple(outs), reduce_axes=axes, reduce_kinds=tuple(kinds),
                  acc_dtypes=tuple(accs), name="test reduce")


def assert_reduced(got, want, kind, x, axes):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, (got.dtype, want.dtype)
    if got.dtype.kind != "f" or kind in ("maximum", "minimum"):
        np.testing.assert_array_equal(got, want)
        return
    # Summation order differs from numpy's pairwise one: bound by n*eps*sum|x| (or the
    # relative product error), NaN/inf positions equal.
    n = max(1, int(np.prod([x.shape[a] for a in axes])))
    eps = np.finfo(got.dtype).eps
    with np.errstate(all="ignore"):
        if kind == "add":
            scale = np.sum(np.abs(x.astype("float64")), axis=axes)
        else:
            scale = np.abs(want.astype("float64"))
        tiny = n * np.finfo(got.dtype).smallest_normal  # products that go subnormal
        ok = (got == want) | (np.isnan(got) & np.isnan(want)) | (
            np.abs(got - want.astype("float64")) <= 2 * n * eps * scale + tiny)
        if kind == "mul":
            ok |= _order_dependent_product(got, want, x, axes)
    assert ok.all(), f"{kind}: got {got[~ok][:5]} want {want[~ok][:5]}"


def _order_dependent_product(got, want, x, axes):
    """Where a product holds an infinity, no zero, and finite factors whose product
    underflows: multiplied in one order the finite part reaches 0 first (0 * inf = nan),
    in another the infinity absorbs it (inf). And the mirror case: a zero, no infinity,
    and nonzero factors whose product overflows: the zero absorbs them (0) or they reach
    inf first (inf * 0 = nan). Each is the IEEE result of its order."""
    with np.errstate(all="ignore"):
        finite = np.where(np.isfinite(x), np.abs(x.astype("float64")), 1.0)
        nonzero = np.where(finite == 0, 1.0, finite)
        log_finite = np.sum(np.log(finite), axis=axes)
        log_nonzero = np.sum(np.log(nonzero), axis=axes)
        info = np.finfo(got.dtype)
        underflows = log_finite < np.log(info.smallest_normal)
        overflows = log_nonzero > np.log(info.max)
        has_inf, has_zero = np.isinf(x).any(axis=axes), (x == 0).any(axis=axes)
        mixed = has_inf & ~has_zero & underflows
        zeroed = has_zero & ~has_inf & overflows
    both_special = (np.isnan(got) | np.isinf(got)) & (np.isnan(want) | np.isinf(want))
    both_zero_or_nan = ((got == 0) | np.isnan(got)) & ((want == 0) | np.isnan(want))
    return (mixed & both_special) | (zeroed & both_zero_or_nan)


CASES = [(1, (0,)), (2, (0,)), (2, (1,)), (2, (0, 1)), (3, (0, 2)), (3, (1,)), (3, (0, 1)),
         (3, (0, 1, 2))]


@pytest.mark.parametrize("dtype", ["float64", "float32", "int32", "uint8"])
@pytest.mark.parametrize("ndim,axes", CASES)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_reductions_match_numpy(dtype, ndim, axes, data):
    kernel = reduce_kernel(dtype, ndim, axes)
    shape = data.draw(shapes(ndim, max_side=6 if ndim < 3 else 4))
    elems = st.floats(-3, 3, width=32 if dtype == "float32" else 64) \
        if dtype.startswith("float") else None
    x = data.draw(operand(shape, dtype, elems))
    if any(shape[a] == 0 for a in axes):  # max/min of nothing: numpy raises, so do we
        kernel = reduce_kernel(dtype, ndim, axes, ("add", "mul"))
    got = run_c(kernel, [x])
    want = evaluate_kernel(kernel, [x])
    for kind, g, w in zip(kernel.reduce_kinds, got, want):
        assert_reduced(g, w, kind, x, axes)


@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_logical_reductions(data):
    axes = data.draw(st.sampled_from([(1,), (0,)]))  # (0,): the rows path
    kernel = reduce_kernel("bool", 2, axes, ("and_", "or_", "add"))
    x = data.draw(operand(data.draw(shapes(2)), "bool"))
    for g, w in zip(run_c(kernel, [x]), evaluate_kernel(kernel, [x])):
        np.testing.assert_array_equal(g, w)
        assert g.dtype == w.dtype


def test_nan_propagates_through_max_and_min():
    kernel = reduce_kernel("float64", 1, (0,), ("maximum", "minimum"))
    for x in ([1.0, np.nan, 3.0], [np.nan, 1.0], [1.0, 2.0, np.nan] * 20):
        got = run_c(kernel, [np.array(x)])
        assert np.isnan(got[0]) and np.isnan(got[1])


def test_empty_max_is_a_value_error():
    kernel = reduce_kernel("float64", 2, (1,), ("maximum",))
    with pytest.raises(ValueError, match="empty"):
        run_c(kernel, [np.zeros((3, 0))])


def test_fused_sum_of_products_large_is_deterministic():
    """sum(x*y) over 1M elements (parallel blocks): accurate and the same every call."""
    body = (ScalarNode("float64", input=0), ScalarNode("float64", input=1),
            ScalarNode("float64", op=ps.mul, args=(0, 1)))
    kernel = Kernel(1, (KernelInput("float64", (False,)),) * 2, body, (2,), ("float64",),
                    reduce_axes=(0,), reduce_kinds=("add",), acc_dtypes=("float64",))
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(1_000_001), rng.standard_normal(1_000_001)
    first = run_c(kernel, [x, y])[0]
    exact = math.fsum(x * y)
    assert abs(first - exact) <= 1e-12 * np.sum(np.abs(x * y))
    for _ in range(3):
        assert run_c(kernel, [x, y])[0] == first


@pytest.mark.parametrize("shape,axes", [((1000, 300), (0,)), ((7, 40, 33), (0, 1)),
                                        ((5, 9, 4), (1,)), ((3, 1), (0,))])
def test_sums_keeping_the_last_dim_add_rows_in_numpy_order(shape, axes):
    """The rows path adds whole rows into tile accumulators, in order: for a C-contiguous
    input that is numpy's own order, so the float32 sums are bit for bit numpy's."""
    kernel = reduce_kernel("float32", len(shape), axes, ("add", "maximum"))
    assert "_reduce_rows" in kernel_source(kernel)
    x = np.random.default_rng(1).standard_normal(shape).astype("float32")
    total, largest = run_c(kernel, [x])
    np.testing.assert_array_equal(total, x.sum(axis=axes))
    np.testing.assert_array_equal(largest, x.max(axis=axes))
    # a transposed input is not contiguous along the last dim: the strided path
    xt = np.ascontiguousarray(np.swapaxes(x, 0, -1)).swapaxes(0, -1)
    assert_reduced(run_c(kernel, [xt])[0], x.sum(axis=axes), "add", x, axes)


@pytest.mark.parametrize("shape,axes", [((2000, 800), (0,)), ((2000, 800), (1,)),
                                        ((40, 50, 700), (0, 1)), ((1_200_000,), (0,))])
@pytest.mark.parametrize("dtype", ["float64", "int32"])
def test_large_reductions_split_across_threads_match_numpy(shape, axes, dtype):
    """Sizes above the parallel threshold: every path's split over threads."""
    kernel = reduce_kernel(dtype, len(shape), axes, ("add", "minimum"))
    assert math.prod(shape) > parallel_threshold(kernel)
    x = np.random.default_rng(2).integers(-1000, 1000, shape).astype(dtype)
    for got, want, kind in zip(run_c(kernel, [x]), evaluate_kernel(kernel, [x]),
                               kernel.reduce_kinds):
        assert_reduced(got, want, kind, x, axes)
        assert got.dtype == want.dtype
