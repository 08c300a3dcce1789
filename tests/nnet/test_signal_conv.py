"""theano.tensor.signal.conv.conv2d (Theano 1.0): single-channel 2-d convolution of
matrices / stacks against scipy.signal.convolve2d, with gradients."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import convolve2d

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.gradient import verify_grad
from tensordsl.tensor.signal import conv


def _sym(ndim, dtype, name):
    return T.TensorType(dtype, (None,) * ndim)(name)


@settings(max_examples=30, deadline=None)
@given(in_nd=st.sampled_from([2, 3]), f_nd=st.sampled_from([2, 3]),
       mode=st.sampled_from(["valid", "full"]), dtype=st.sampled_from(["float32", "float64"]),
       h=st.integers(3, 6), w=st.integers(3, 6), kh=st.integers(1, 3), kw=st.integers(1, 3),
       seed=st.integers(0, 2 ** 16))
def test_matches_scipy_convolve2d(in_nd, f_nd, mode, dtype, h, w, kh, kw, seed):
    rng = np.random.default_rng(seed)
    img = rng.standard_normal((2, h, w)[3 - in_nd:]).astype(dtype)
    kern = rng.standard_normal((3, kh, kw)[3 - f_nd:]).astype(dtype)
    x, f = _sym(in_nd, dtype, "x"), _sym(f_nd, dtype, "f")
    got = theano.function([x, f], conv.conv2d(x, f, border_mode=mode))(img, kern)
    imgs = img if in_nd == 3 else img[None]
    kerns = kern if f_nd == 3 else kern[None]
    want = np.array([[convolve2d(i.astype("float64"), k.astype("float64"), mode)
                      for k in kerns] for i in imgs])
    if in_nd == 2:
        want = want[0]
    if f_nd == 2:
        want = want[..., 0, :, :] if in_nd == 3 else want[0]
    assert got.dtype == dtype and got.shape == want.shape
    tol = 1e-4 if dtype == "float32" else 1e-10
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def test_shape_hints_subsample_and_gradient():
    rng = np.random.default_rng(0)
    a, k = rng.standard_normal((3, 6, 5)), rng.standard_normal((2, 2))
    x, f = T.dtensor3("x"), T.dmatrix("f")
    out = conv.conv2d(x, f, image_shape=(3, 6, 5), filter_shape=(2, 2), subsample=(2, 1))
    got = theano.function([x, f], out)(a, k)
    want = np.array([convolve2d(i, k, "valid")[::2] for i in a])
    np.testing.assert_allclose(got, want, rtol=1e-12)
    verify_grad(lambda i, j: conv.conv2d(i, j), [a, k], rng=rng)
    verify_grad(lambda i, j: conv.conv2d(i, j, border_mode="full"),
                [rng.standard_normal((4, 4)), rng.standard_normal((2, 3, 2))], rng=rng)


def test_errors():
    with pytest.raises(TypeError, match="matrix or a 3-d"):
        conv.conv2d(T.dtensor4(), T.dmatrix())
    with pytest.raises(TypeError, match="filters must be"):
        conv.conv2d(T.dmatrix(), T.dvector())
    with pytest.raises(ValueError, match="'valid' or 'full'"):
        conv.conv2d(T.dmatrix(), T.dmatrix(), border_mode="half")
    with pytest.raises(ValueError, match="image_shape must have 2 entries"):
        conv.conv2d(T.dmatrix(), T.dmatrix(), image_shape=(1, 4, 4))
    assert T.signal.conv is conv
