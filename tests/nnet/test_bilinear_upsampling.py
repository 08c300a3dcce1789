"""abstract_conv.bilinear_kernel_1D / _2D and bilinear_upsampling (Theano 1.0) against
Theano's own test reference (2x2 inputs, every ratio 2..9), a direct numpy definition
for larger inputs, 1-d vs 2-d kernels, and finite differences. Also the mixed border
modes (h, (left, right)) conv2d accepts in Theano 1.0."""

from __future__ import annotations

import numpy as np
import pytest

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.config import config
from tensordsl.gradient import verify_grad
from tensordsl.tensor.nnet import abstract_conv
from tests.nnet.reference import conv2d_loops


def _theano_two_by_two(x, ratio):
    """Theano's test_abstract_conv.get_upsampled_twobytwo_mat."""
    kern = np.arange(ratio + 1)
    up_1d = x[:, :, :, :1] * kern[::-1] + x[:, :, :, 1:] * kern
    up = up_1d[:, :, :1, :] * kern[::-1][:, None] + up_1d[:, :, 1:, :] * kern[:, None]
    for _ in range((ratio - 1) // 2):
        up = np.concatenate([up[:, :, :1, :], up, up[:, :, -1:, :]], axis=2)
        up = np.concatenate([up[:, :, :, :1], up, up[:, :, :, -1:]], axis=3)
    if ratio % 2 == 0:
        up = np.concatenate([up, up[:, :, -1:, :]], axis=2)
        up = np.concatenate([up, up[:, :, :, -1:]], axis=3)
    return up / float(ratio) ** 2


def _upsample_1d(v, ratio):
    """The transposed convolution the op is defined by, along the last axis: the edge
    values repeated once, the bilinear kernel, stride `ratio`, Theano's padding."""
    kern = np.concatenate([np.arange(1, ratio + 1), np.arange(ratio - 1, 0, -1)]) / ratio
    padded = np.concatenate([v[..., :1], v, v[..., -1:]], axis=-1)
    pad = 2 * ratio - (ratio - 1) // 2 - 1
    n_out = v.shape[-1] * ratio
    out = np.zeros(v.shape[:-1] + (n_out,))
    for p in range(n_out):
        for j in range(padded.shape[-1]):
            t = p + pad - j * ratio
            if 0 <= t < len(kern):
                out[..., p] += padded[..., j] * kern[t]
    return out


def test_kernels():
    for ratio in range(1, 6):
        want = np.concatenate([np.arange(1, ratio + 1), np.arange(ratio - 1, 0, -1)])
        got = abstract_conv.bilinear_kernel_1D(ratio, normalize=False).eval()
        np.testing.assert_array_equal(got, want)
        assert got.dtype == config.floatX
        np.testing.assert_allclose(abstract_conv.bilinear_kernel_1D(ratio).eval(),
                                   want / ratio)
        np.testing.assert_allclose(abstract_conv.bilinear_kernel_2D(ratio).eval(),
                                   np.outer(want, want) / ratio ** 2)
    r = T.lscalar("r")
    np.testing.assert_allclose(theano.function([r], abstract_conv.bilinear_kernel_1D(r))(3),
                               [1 / 3, 2 / 3, 1, 2 / 3, 1 / 3])


@pytest.mark.parametrize("use_1d", [True, False])
@pytest.mark.parametrize("ratio", range(2, 10))
def test_two_by_two_as_theanos_test(ratio, use_1d):
    x = np.array([[[[1, 2], [3, 4]]]], dtype="float64")
    out = abstract_conv.bilinear_upsampling(T.constant(x), ratio=ratio, batch_size=1,
                                            num_input_channels=1, use_1D_kernel=use_1d)
    np.testing.assert_allclose(theano.function([], out)(), _theano_two_by_two(x, ratio),
                               rtol=1e-12)


@pytest.mark.parametrize("ratio", [2, 3, 5])
def test_larger_inputs_match_the_definition_and_gradient(ratio):
    rng = np.random.default_rng(ratio)
    xv = rng.standard_normal((2, 3, 4, 5))
    x = T.dtensor4("x")
    f = theano.function([x], [abstract_conv.bilinear_upsampling(x, ratio),
                              abstract_conv.bilinear_upsampling(x, ratio,
                                                                use_1D_kernel=False)])
    one_d, two_d = f(xv)
    want = np.swapaxes(_upsample_1d(np.swapaxes(_upsample_1d(xv, ratio), 2, 3), ratio), 2, 3)
    assert one_d.shape == (2, 3, 4 * ratio, 5 * ratio)
    np.testing.assert_allclose(one_d, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(two_d, want, rtol=1e-12, atol=1e-12)
    verify_grad(lambda v: abstract_conv.bilinear_upsampling(v, ratio),
                [rng.standard_normal((1, 2, 3, 2))], rng=rng)


def test_errors():
    x = T.dtensor4("x")
    with pytest.raises(ValueError, match="together"):
        abstract_conv.bilinear_upsampling(x, 2, frac_ratio=(3, 2))
    with pytest.raises(ValueError, match="No ratio"):
        abstract_conv.bilinear_upsampling(x)
    with pytest.raises(ValueError, match="1D kernel"):
        abstract_conv.bilinear_upsampling(x, frac_ratio=(3, 2))
    with pytest.raises(ValueError, match="must be a tuple"):
        abstract_conv.bilinear_upsampling(x, frac_ratio=[3, 2], use_1D_kernel=False)
    with pytest.raises(TypeError, match="4-d"):
        abstract_conv.bilinear_upsampling(T.dmatrix(), 2)


@pytest.mark.parametrize("border_mode,pads", [((1, (2, 0)), ((1, 1), (2, 0))),
                                              (((0, 2), 1), ((0, 2), (1, 1)))], ids=str)
def test_mixed_border_modes(border_mode, pads):
    rng = np.random.default_rng(9)
    img, kern = rng.standard_normal((2, 3, 5, 6)), rng.standard_normal((4, 3, 3, 2))
    x, w = T.dtensor4("x"), T.dtensor4("w")
    got = theano.function([x, w], T.nnet.conv2d(x, w, border_mode=border_mode))(img, kern)
    np.testing.assert_allclose(got, conv2d_loops(img, kern, border_mode=pads), rtol=1e-10,
                               atol=1e-12)


def test_fractional_ratios_as_theanos_test():
    """Theano's test_fractional_bilinear_upsampling input and published values."""
    x = np.array([[[1, 2], [3, 4]], [[5, 6], [7, 8]], [[9, 10], [11, 12]]], ndmin=4,
                 dtype="float64")
    up = abstract_conv.bilinear_upsampling(T.constant(x), frac_ratio=((7, 4), (5, 3)),
                                           use_1D_kernel=False)
    got = theano.function([], up)()
    first = np.array([[1.0, 1.2, 1.8, 2.0],
                      [1.28571429, 1.48571429, 2.08571429, 2.28571429],
                      [2.42857143, 2.62857143, 3.22857143, 3.42857143],
                      [3.0, 3.2, 3.8, 4.0]])
    assert got.shape == (1, 3, 4, 4)
    for channel in range(3):  # the channels differ by 4 (the weights sum to one)
        np.testing.assert_allclose(got[0, channel], first + 4 * channel, rtol=1e-8)


def test_fractional_with_unit_denominators_is_the_integer_ratio():
    rng = np.random.default_rng(7)
    xv = rng.standard_normal((2, 3, 4, 5))
    x = T.dtensor4("x")
    f = theano.function([x], [abstract_conv.bilinear_upsampling(x, frac_ratio=(6, 2),
                                                                use_1D_kernel=False),
                              abstract_conv.bilinear_upsampling(x, 3)])
    frac, integer = f(xv)
    np.testing.assert_allclose(frac, integer, rtol=1e-12, atol=1e-12)
    verify_grad(lambda v: abstract_conv.frac_bilinear_upsampling(v, ((3, 2), (2, 1))),
                [rng.standard_normal((1, 2, 3, 3))], rng=rng)
