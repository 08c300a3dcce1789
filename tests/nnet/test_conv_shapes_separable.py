"""abstract_conv's shape helpers (get_conv_shape_1axis, get_conv_gradweights_shape,
get_conv_gradinputs_shape, check_conv_gradinputs_shape, border_mode_to_pad,
assert_conv_shape, assert_shape) and separable_conv2d / separable_conv3d (Theano 1.0)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.gradient import verify_grad
from tensordsl.tensor.nnet import abstract_conv as A
from tests.nnet.reference import conv2d_loops


@pytest.mark.parametrize("mode", ["valid", "full", "half", 0, 2, (1, 3)], ids=str)
def test_shape_helpers_agree_with_the_convolution(mode):
    """Every helper against the shapes conv2d and its gradient ops produce."""
    x, w = T.dtensor4("x"), T.dtensor4("w")
    for (h, k, s, d) in itertools.product([7, 8], [1, 3], [1, 2], [1, 2]):
        if h + 2 * 3 < (k - 1) * d + 1:
            continue
        img, kern = (2, 3, h, h), (4, 3, k, k)
        axis_mode = mode[0] if isinstance(mode, tuple) else mode  # the rows' padding
        out = theano.function([x, w], T.nnet.conv2d(x, w, border_mode=mode, subsample=(s, s),
                                                    filter_dilation=(d, d)))(
            np.zeros(img), np.zeros(kern)).shape
        size = A.get_conv_shape_1axis(h, k, axis_mode, s, d)
        assert size == out[2], (mode, h, k, s, d)
        assert A.get_conv_output_shape(img, kern, mode, (s, s), (d, d)) == out
        assert A.check_conv_gradinputs_shape(img, kern, out, mode, (s, s), (d, d))
        assert not A.check_conv_gradinputs_shape(img, kern, out[:2] + (out[2] + 1, out[3]),
                                                 mode, (s, s), (d, d))
        weights = A.get_conv_gradweights_shape(img, out, mode, (s, s), (d, d))
        inputs = A.get_conv_gradinputs_shape(kern, out, mode, (s, s), (d, d))
        if s == 1 and mode != "half":
            assert weights == kern
        else:
            assert weights[2:] == (None, None) and weights[:2] == (4, 3)
        assert inputs[2:] == ((h, h) if s == 1 else (None, None)) and inputs[:2] == (2, 3)


def test_symbolic_and_unknown_entries():
    n = T.lscalar("n")
    size = A.get_conv_shape_1axis(n, 3, "valid", 1)
    assert theano.function([n], size)(10) == 8
    assert A.get_conv_shape_1axis(None, 3, "valid", 1) is None
    assert A.check_conv_gradinputs_shape((2, 3, n, 7), (4, 3, 3, 3), (2, 4, 5, 5), "valid",
                                         (1, 1))
    assert not A.check_conv_gradinputs_shape((2, 3, 7), (4, 3, 3, 3), (2, 4, 5, 5), "valid",
                                             (1, 1))
    with pytest.raises(ValueError, match=">= 0"):
        A.get_conv_shape_1axis(5, 3, -1, 1)


def test_border_mode_to_pad_and_asserts():
    assert A.border_mode_to_pad("full", 2, (3, 2)) == ((2, 2), (1, 1))
    assert A.border_mode_to_pad("valid", 3, (3, 3, 3)) == ((0, 0),) * 3
    assert A.border_mode_to_pad((1, (0, 2)), 2, (3, 3)) == ((1, 1), (0, 2))
    with pytest.raises(ValueError, match="length 2"):
        A.border_mode_to_pad((1, 1, 1), 2, (3, 3))
    with pytest.raises(ValueError, match="integers or tuples"):
        A.border_mode_to_pad((1, -1), 2, (3, 3))
    with pytest.raises(ValueError, match=r"dim\[2\]: 0 <= 0"):
        A.assert_conv_shape((2, 3, 0, 4))
    n = T.lscalar("n")
    checked = A.assert_conv_shape((2, 3, n, 4))
    f = theano.function([n], checked[2])
    assert f(5) == 5
    with pytest.raises(AssertionError, match="invalid shape"):
        f(0)
    x = T.dmatrix("x")
    g = theano.function([x], A.assert_shape(x, (2, None), "wrong rows"))
    np.testing.assert_array_equal(g(np.ones((2, 5))), np.ones((2, 5)))
    with pytest.raises(AssertionError, match="wrong rows"):
        g(np.ones((3, 5)))
    assert A.assert_shape(x, None) is x and A.assert_shape(x, (None, None)) is x


def test_separable_conv2d_and_3d():
    rng = np.random.default_rng(0)
    img = rng.standard_normal((2, 3, 6, 5))
    dw = rng.standard_normal((6, 1, 3, 2))  # 2 depthwise filters per channel
    pw = rng.standard_normal((4, 6, 1, 1))
    x, d, p = T.dtensor4("x"), T.dtensor4("d"), T.dtensor4("p")
    kwargs = dict(border_mode="half", subsample=(2, 1), filter_flip=True)
    got = theano.function([x, d, p], A.separable_conv2d(x, d, p, 3, **kwargs))(img, dw, pw)
    depth = conv2d_loops(img, dw, border_mode="half", subsample=(2, 1), num_groups=3)
    want = conv2d_loops(depth, pw)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    verify_grad(lambda a, b, c: A.separable_conv2d(a, b, c, 3), [img, dw, pw], rng=rng)
    img3 = rng.standard_normal((1, 2, 4, 3, 3))
    dw3, pw3 = rng.standard_normal((2, 1, 2, 2, 2)), rng.standard_normal((3, 2, 1, 1, 1))
    x5, d5, p5 = (T.TensorType("float64", (None,) * 5)(n) for n in "xdp")
    got3 = theano.function([x5, d5, p5], A.separable_conv3d(x5, d5, p5, 2))(img3, dw3, pw3)
    depth3 = theano.function([x5, d5], A.conv3d(x5, d5, num_groups=2))(img3, dw3)
    np.testing.assert_allclose(got3, np.einsum("oc,ncdhw->nodhw", pw3[:, :, 0, 0, 0], depth3),
                               rtol=1e-10, atol=1e-12)
