"""Operands with 0-size dims whose results are not empty: every output element is written.

Output buffers come from `np.empty`, whose contents are arbitrary. Here `np.empty` is
poisoned (floats start as NaN, other dtypes as 0x5A bytes), so an element a kernel
forgets to write (an empty reduction's identity, a product over an inner dimension 0,
a keepdims sum of an empty axis) shows up as a wrong value instead of whatever the
allocator happened to return. Each compiled backend here is compared with numpy.
(Prompted by a fuzz failure seen once: cast_int32 gave INT_MIN, a NaN's cast, where
numpy gave -4, with (0, 0)-shaped float32 inputs.)"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl
from tensordsl import tensor as T
from tensordsl.runtime.mode import target_mode
from tensordsl.testing.equivalence import target_status

_EMPTY = np.empty


def poisoned_empty(shape, dtype=float, order="C", **kwargs):
    """np.empty whose elements are NaN (floats) or 0x5A bytes (others)."""
    out = _EMPTY(shape, dtype, order, **kwargs)
    if out.size and out.dtype.kind != "O":
        flat = out.reshape(-1, order="A")
        if np.shares_memory(flat, out):
            if out.dtype.kind == "f":
                flat[...] = np.nan
            else:
                flat.view(np.uint8)[...] = 0x5A
    return out


TARGETS = [t for t in ("c", "opencl") if target_status(t)[0]]
DTYPES = ["float32", "float64", "int32"]


def values(draw, shape, dtype):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    data = rng.uniform(-3, 3, size=shape)
    layout = draw(st.sampled_from(["c", "reversed", "transposed"]))
    data = data.astype(dtype)
    if layout == "reversed":
        return data[tuple(slice(None, None, -1) for _ in shape)]
    if layout == "transposed" and data.ndim == 2:
        return np.ascontiguousarray(data.T).T
    return data


def compare(target, inputs, outputs, args):
    ref = tensordsl.function(inputs, outputs, mode="FAST_COMPILE")  # numpy backend
    with np.errstate(all="ignore"):
        want = ref(*args)
        with pytest.MonkeyPatch.context() as patch:  # (hypothesis: no function fixture)
            patch.setattr(np, "empty", poisoned_empty)
            fast = tensordsl.function(inputs, outputs, mode=target_mode(target))
            got = fast(*args)
    for g, w in zip(got, want):
        g, w = np.asarray(g), np.asarray(w)
        assert g.dtype == w.dtype and g.shape == w.shape, (g, w)
        tol = 1e-5 if g.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)


@pytest.mark.parametrize("target", TARGETS)
@settings(max_examples=40, deadline=None)
@given(data=st.data(), dtype=st.sampled_from(DTYPES))
def test_reductions_over_empty_dims_write_their_identity(target, data, dtype):
    n, m = data.draw(st.sampled_from([(0, 3), (3, 0), (0, 0), (0, 1), (1, 0)]))
    x = T.tensor(dtype, (None, None), name="x")
    s = T.tensor(dtype, (), name="s")
    sums = [x.sum(), x.sum(axis=0), x.sum(axis=1), x.prod(axis=0), x.prod(),
            x.sum(axis=1, keepdims=True), (x * s + 1).sum(axis=0), T.sqr(x).sum() + s,
            T.cast(T.tanh(T.cast(x.sum(axis=0), "float64") + s) * 5 + 0.5, "int32")]
    args = [values(data.draw, (n, m), dtype), values(data.draw, (), dtype)]
    compare(target, [x, s], sums, args)


@pytest.mark.parametrize("target", TARGETS)
@settings(max_examples=30, deadline=None)
@given(data=st.data(), dtype=st.sampled_from(["float32", "float64"]))
def test_products_with_inner_dimension_zero_are_zero(target, data, dtype):
    n, m = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    a = T.tensor(dtype, (None, None), name="a")
    b = T.tensor(dtype, (None, None), name="b")
    v = T.tensor(dtype, (None,), name="v")
    bias = T.tensor(dtype, (None,), name="bias")
    outs = [T.dot(a, b), T.dot(a, b) + bias, T.dot(a, v), T.dot(v, v),
            T.nnet.sigmoid(T.dot(a, b) + bias).sum(), T.dot(a, v).sum()]
    args = [values(data.draw, (n, 0), dtype), values(data.draw, (0, m), dtype),
            values(data.draw, (0,), dtype), values(data.draw, (m,), dtype)]
    compare(target, [a, b, v, bias], outs, args)


@pytest.mark.parametrize("target", TARGETS)
@settings(max_examples=30, deadline=None)
@given(data=st.data(), dtype=st.sampled_from(DTYPES))
def test_empty_operands_beside_scalars(target, data, dtype):
    """A 0-size operand and a non-empty 0-d result computed from scalars in one graph."""
    x = T.tensor(dtype, (None, None), name="x")
    s = T.tensor(dtype, (), name="s")
    r = T.tensor(dtype, (1, None), name="r")
    outs = [x + r, s * 2 + x.sum(), T.maximum(s, x.sum()), x.mean() if dtype != "int32"
            else x.sum(), r.sum(axis=1) + s, T.zeros_like(x).sum() + s]
    n = data.draw(st.integers(0, 2))
    args = [values(data.draw, (n, 0), dtype), values(data.draw, (), dtype),
            values(data.draw, (1, 0), dtype)]
    compare(target, [x, s, r], outs, args)
