"""The tiled GEMM (Dot, Gemm) on the device against numpy: shapes around the tile size,
0-size and size-1 dims, transposed and sliced operands, vectors, float32/float64."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .helpers import device_view, needs_opencl, rt

pytestmark = needs_opencl


def _runner(dtype, with_c):
    from tensordsl.backends.opencl.runtime import GemmRunner

    labels = ["'c'", "'alpha'", "'a'", "'b'", "'beta'"] if with_c else ["'a'", "'b'"]
    return GemmRunner(dtype, with_c, rt(), labels, "Gemm" if with_c else "Dot")


def _close(got, want, k, dtype):
    """A K-term dot product in another order: |error| <= 2 K eps sum|a||b| (+ tiny)."""
    eps = np.finfo(dtype).eps
    return np.allclose(got, want, rtol=2 * max(k, 1) * eps, atol=2 * max(k, 1) * eps * 10)


@st.composite
def matrix(draw, rows, cols, dtype):
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    layout = draw(st.sampled_from(["c", "t", "sliced"]))
    if layout == "t":
        return rng.standard_normal((cols, rows)).astype(dtype).T
    if layout == "sliced":
        return rng.standard_normal((rows * 2, cols + 3)).astype(dtype)[::2, 1:cols + 1]
    return rng.standard_normal((rows, cols)).astype(dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_dot_matrices(dtype, data):
    m, k, n = (data.draw(st.sampled_from([0, 1, 2, 15, 16, 17, 40])) for _ in range(3))
    a = data.draw(matrix(m, k, dtype))
    b = data.draw(matrix(k, n, dtype))
    (out,) = _runner(dtype, False).call([device_view(a), device_view(b)])
    got = out.get()
    assert got.shape == (m, n) and got.dtype == dtype
    assert _close(got, a @ b, k, dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shapes", [((7,), (7,)), ((5, 7), (7,)), ((7,), (7, 3)),
                                    ((0,), (0,)), ((33,), (33, 1))])
def test_dot_vectors(dtype, shapes):
    rng = np.random.default_rng(2)
    a, b = (rng.standard_normal(s).astype(dtype) for s in shapes)
    (out,) = _runner(dtype, False).call([a, b])
    want = np.dot(a, b)
    assert out.shape == want.shape
    assert _close(out.get(), want, shapes[0][-1], dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("cshape", [(20, 9), (1, 9), (20, 1), (1, 1)])
@pytest.mark.parametrize("alpha,beta", [(1.0, 1.0), (0.5, -2.0), (1.0, 0.0)])
def test_gemm_with_broadcast_c(dtype, cshape, alpha, beta):
    rng = np.random.default_rng(5)
    a = rng.standard_normal((20, 31)).astype(dtype)
    b = rng.standard_normal((9, 31)).astype(dtype).T  # a transposed operand
    c = rng.standard_normal(cshape).astype(dtype)
    args = [c, np.asarray(alpha, dtype), a, b, np.asarray(beta, dtype)]
    (out,) = _runner(dtype, True).call([device_view(v) for v in args])
    assert _close(out.get(), alpha * (a @ b) + beta * c, 31, dtype)


def test_gemm_errors_name_the_inputs():
    with pytest.raises(ValueError, match="not aligned: 3 != 4"):
        _runner("float32", False).call([np.zeros((2, 3), "float32"),
                                        np.zeros((4, 2), "float32")])
    with pytest.raises(ValueError, match="input 'b' must have dtype float32, got float64"):
        _runner("float32", False).call([np.zeros((2, 3), "float32"), np.zeros((3, 2))])
