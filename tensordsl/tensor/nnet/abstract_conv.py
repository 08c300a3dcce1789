"""Theano 1.0's tensor.nnet.abstract_conv: conv2d and its gradients as functions.

NCHW layout: input (batch, channels, rows, cols), filters (out channels,
channels / num_groups, rows, cols). See docs/nnet.md.
"""

from __future__ import annotations

from typing import Any

from tensordsl.graph.basic import Variable
from tensordsl.graph.convert import as_tensor_variable
from tensordsl.ops.conv import (
    AbstractConv2d,
    AbstractConv2d_gradInputs,
    AbstractConv2d_gradWeights,
    BaseConv2d,
    get_conv_output_shape,
    unshared_flag,
)
from tensordsl.ops.conv3d import (
    AbstractConv3d,
    AbstractConv3d_gradInputs,
    AbstractConv3d_gradWeights,
)
from tensordsl.tensor.nnet import conv_shapes
from tensordsl.tensor.nnet.conv_shapes import (  # noqa: F401 (Theano's names here)
    assert_conv_shape,
    assert_shape,
    border_mode_to_pad,
    check_conv_gradinputs_shape,
    get_conv_gradinputs_shape,
    get_conv_gradinputs_shape_1axis,
    get_conv_gradweights_shape,
    get_conv_gradweights_shape_1axis,
    get_conv_shape_1axis,
)
from tensordsl.tensor.variable import TensorVariable

__all__ = ["AbstractConv2d", "AbstractConv2d_gradInputs", "AbstractConv2d_gradWeights",
           "AbstractConv3d", "AbstractConv3d_gradInputs", "AbstractConv3d_gradWeights",
           "BaseAbstractConv", "conv2d", "conv2d_grad_wrt_inputs", "conv2d_grad_wrt_weights",
           "conv3d", "conv3d_grad_wrt_inputs", "conv3d_grad_wrt_weights",
           "get_conv_output_shape", "bilinear_kernel_1D", "bilinear_kernel_2D",
           "bilinear_upsampling", "frac_bilinear_upsampling", "separable_conv2d",
           "separable_conv3d",
           *conv_shapes.__all__]

BaseAbstractConv = BaseConv2d


def conv2d(input: Any, filters: Any, input_shape: Any = None, filter_shape: Any = None,
           border_mode: Any = "valid", subsample: Any = (1, 1), filter_flip: bool = True,
           filter_dilation: Any = (1, 1), num_groups: int = 1, unshared: bool = False
           ) -> TensorVariable:
    """2-d convolution of a 4-d `input` with 4-d `filters` (Theano's abstract conv2d).

    border_mode: 'valid' (no padding), 'full' (pad filter size - 1), 'half' (pad filter
    size // 2: same size for odd filters), an int p or a pair (ph, pw) of zero padding,
    or ((top, bottom), (left, right)). subsample is the stride, filter_dilation the
    spacing of filter taps, num_groups splits channels into independent groups.
    filter_flip=True flips the filters (true convolution); False is cross-correlation.
    input_shape / filter_shape are optional hints (ints or None), checked at run time.
    """
    op = AbstractConv2d(imshp=input_shape, kshp=filter_shape, border_mode=border_mode,
                        subsample=subsample, filter_flip=filter_flip,
                        filter_dilation=filter_dilation, num_groups=num_groups,
                        unshared=unshared_flag(unshared, "conv2d"))
    return op(input, filters)


def _spatial(shape: Any, what: str, where: str, ndim: int = 4) -> Any:
    if isinstance(shape, Variable):
        return shape[-2:]
    if not isinstance(shape, (tuple, list)) or len(shape) != ndim:
        raise ValueError(f"{where}: {what} must be a tuple of {ndim} entries (or a vector), "
                         f"got {shape!r}")
    for s in shape[-2:]:
        if s is None:
            raise ValueError(f"{where}: {what}[2:] (the spatial sizes) must be known, got "
                             f"{shape!r}")
    return list(shape[-2:])


def _hint_of(shape: Any) -> Any:
    return tuple(shape) if isinstance(shape, (tuple, list)) else None


def conv2d_grad_wrt_inputs(output_grad: Any, filters: Any, input_shape: Any,
                           filter_shape: Any = None, border_mode: Any = "valid",
                           subsample: Any = (1, 1), filter_flip: bool = True,
                           filter_dilation: Any = (1, 1), num_groups: int = 1,
                           unshared: bool = False) -> TensorVariable:
    """The gradient of conv2d(input, filters) with respect to `input`, given output_grad.

    input_shape is the full input shape (its spatial sizes are required: with a stride
    several input sizes give the same output size). Also a transposed convolution.
    """
    where = "conv2d_grad_wrt_inputs"
    unshared = unshared_flag(unshared, where)
    spatial = _spatial(input_shape, "input_shape", where)
    op = AbstractConv2d_gradInputs(imshp=_hint_of(input_shape), kshp=filter_shape,
                                   border_mode=border_mode, subsample=subsample,
                                   filter_flip=filter_flip, filter_dilation=filter_dilation,
                                   num_groups=num_groups, unshared=unshared)
    return op(filters, output_grad, spatial)


def conv2d_grad_wrt_weights(input: Any, output_grad: Any, filter_shape: Any,
                            input_shape: Any = None, border_mode: Any = "valid",
                            subsample: Any = (1, 1), filter_flip: bool = True,
                            filter_dilation: Any = (1, 1), num_groups: int = 1,
                            unshared: bool = False) -> TensorVariable:
    """The gradient of conv2d(input, filters) with respect to `filters`, given output_grad.

    filter_shape is the full filter shape (its spatial sizes are required).
    """
    where = "conv2d_grad_wrt_weights"
    unshared = unshared_flag(unshared, where)
    spatial = _spatial(filter_shape, "filter_shape", where, 6 if unshared else 4)
    op = AbstractConv2d_gradWeights(imshp=input_shape, kshp=_hint_of(filter_shape),
                                    border_mode=border_mode, subsample=subsample,
                                    filter_flip=filter_flip, filter_dilation=filter_dilation,
                                    num_groups=num_groups, unshared=unshared)
    return op(as_tensor_variable(input), output_grad, spatial)


def conv3d(input: Any, filters: Any, input_shape: Any = None, filter_shape: Any = None,
           border_mode: Any = "valid", subsample: Any = (1, 1, 1), filter_flip: bool = True,
           filter_dilation: Any = (1, 1, 1), num_groups: int = 1) -> TensorVariable:
    """3-d convolution of a 5-d `input` (batch, channels, depth, rows, cols) with 5-d
    `filters` (out channels, channels / num_groups, depth, rows, cols), Theano 1.0's.

    border_mode: 'valid', 'full', 'half', an int, 3 ints or 3 (before, after) pairs;
    subsample, filter_dilation: 3 ints; the rest as conv2d (ops/conv3d.py).
    """
    op = AbstractConv3d(imshp=input_shape, kshp=filter_shape, border_mode=border_mode,
                        subsample=subsample, filter_flip=filter_flip,
                        filter_dilation=filter_dilation, num_groups=num_groups)
    return op(input, filters)


def _spatial3(shape: Any, what: str, where: str) -> Any:
    if isinstance(shape, Variable):
        return shape[-3:]
    if not isinstance(shape, (tuple, list)) or len(shape) != 5:
        raise ValueError(f"{where}: {what} must be a tuple of 5 entries (or a vector), got "
                         f"{shape!r}")
    if any(s is None for s in shape[-3:]):
        raise ValueError(f"{where}: {what}[2:] (the spatial sizes) must be known, got "
                         f"{shape!r}")
    return list(shape[-3:])


def conv3d_grad_wrt_inputs(output_grad: Any, filters: Any, input_shape: Any,
                           filter_shape: Any = None, border_mode: Any = "valid",
                           subsample: Any = (1, 1, 1), filter_flip: bool = True,
                           filter_dilation: Any = (1, 1, 1), num_groups: int = 1
                           ) -> TensorVariable:
    """The gradient of conv3d(input, filters) with respect to `input` (a transposed 3-d
    convolution); input_shape's spatial sizes are required."""
    where = "conv3d_grad_wrt_inputs"
    spatial = _spatial3(input_shape, "input_shape", where)
    op = AbstractConv3d_gradInputs(imshp=_hint_of(input_shape), kshp=filter_shape,
                                   border_mode=border_mode, subsample=subsample,
                                   filter_flip=filter_flip, filter_dilation=filter_dilation,
                                   num_groups=num_groups)
    return op(filters, output_grad, spatial)


def conv3d_grad_wrt_weights(input: Any, output_grad: Any, filter_shape: Any,
                            input_shape: Any = None, border_mode: Any = "valid",
                            subsample: Any = (1, 1, 1), filter_flip: bool = True,
                            filter_dilation: Any = (1, 1, 1), num_groups: int = 1
                            ) -> TensorVariable:
    """The gradient of conv3d(input, filters) with respect to `filters`; filter_shape's
    spatial sizes are required."""
    where = "conv3d_grad_wrt_weights"
    spatial = _spatial3(filter_shape, "filter_shape", where)
    op = AbstractConv3d_gradWeights(imshp=input_shape, kshp=_hint_of(filter_shape),
                                    border_mode=border_mode, subsample=subsample,
                                    filter_flip=filter_flip, filter_dilation=filter_dilation,
                                    num_groups=num_groups)
    return op(as_tensor_variable(input), output_grad, spatial)


def bilinear_kernel_1D(ratio: Any, normalize: bool = True) -> TensorVariable:  # noqa: N802
    """Theano 1.0's 1-d bilinear kernel for upsampling by `ratio` (an int or integer
    scalar): 1, 2, ..., ratio, ..., 2, 1 (of length 2 * ratio - 1), divided by ratio when
    normalize; floatX."""
    from tensordsl.config import config
    from tensordsl.tensor import math as tm
    from tensordsl.tensor.basic import arange, concatenate

    half = arange(1, ratio + 1, dtype=config.floatX)
    kern = concatenate([half, half[-2::-1]])
    return kern / tm.cast(ratio, config.floatX) if normalize else kern


def bilinear_kernel_2D(ratio: Any, normalize: bool = True) -> TensorVariable:  # noqa: N802
    """The outer product of two bilinear_kernel_1D (ratio an int, or (rows, cols))."""
    ratio_v, ratio_h = ratio if isinstance(ratio, tuple) else (ratio, ratio)
    hkern = bilinear_kernel_1D(ratio_h, normalize).dimshuffle("x", 0)
    vkern = bilinear_kernel_1D(ratio_v, normalize).dimshuffle(0, "x")
    return hkern * vkern


def bilinear_upsampling(input: Any, ratio: Any = None, frac_ratio: Any = None,
                        batch_size: Any = None, num_input_channels: Any = None,
                        use_1D_kernel: bool = True) -> TensorVariable:  # noqa: N803
    """Theano 1.0's bilinear upsampling of 4-d `input` by the integer `ratio`: the rows
    and cols each grow `ratio` times, the border rows/cols repeated, by a transposed
    convolution with the bilinear kernel (two 1-d passes, or one 2-d pass when not
    use_1D_kernel; the same values). `frac_ratio` (p, q) or ((p, q), (r, s)) upsamples
    by fractions instead (frac_bilinear_upsampling; the 2-d kernel only, as Theano);
    batch_size / num_input_channels are Theano's static hints."""
    from tensordsl.tensor.basic import concatenate, reshape

    if ratio and frac_ratio:
        raise ValueError("can't use ratio and frac_ratio together")
    if not (ratio or frac_ratio):
        raise ValueError("No ratio (or frac_ratio) provided")
    if frac_ratio:
        if use_1D_kernel:
            raise ValueError("For fractional ratios 1D kernel method not implemented. You "
                             "may want to pass use_1D_kernel as False")
        return frac_bilinear_upsampling(input, frac_ratio=frac_ratio)
    input = as_tensor_variable(input)
    if input.ndim != 4:
        raise TypeError(f"bilinear_upsampling: input must be a 4-d tensor, got {input.type}")
    up_bs = batch_size * num_input_channels if None not in (batch_size,
                                                            num_input_channels) else None
    row, col = input.shape[2], input.shape[3]
    up = reshape(input, (-1, 1, row, col), ndim=4)
    # the first and last rows, then cols, repeated
    mat = concatenate([up[:, :, :1, :], up, up[:, :, -1:, :]], axis=2)
    mat = concatenate([mat[:, :, :, :1], mat, mat[:, :, :, -1:]], axis=3)
    pad = 2 * ratio - (ratio - 1) // 2 - 1
    if use_1D_kernel:
        kern = bilinear_kernel_1D(ratio, normalize=True)
        rows = conv2d_grad_wrt_inputs(mat, kern.dimshuffle("x", "x", 0, "x"),
                                      (up_bs, 1, row * ratio, col + 2),
                                      filter_shape=(1, 1, None, 1), border_mode=(pad, 0),
                                      subsample=(ratio, 1))
        out = conv2d_grad_wrt_inputs(rows, kern.dimshuffle("x", "x", "x", 0),
                                     (up_bs, 1, row * ratio, col * ratio),
                                     filter_shape=(1, 1, 1, None), border_mode=(0, pad),
                                     subsample=(1, ratio))
    else:
        kern = bilinear_kernel_2D(ratio, normalize=True)
        out = conv2d_grad_wrt_inputs(mat, kern.dimshuffle("x", "x", 0, 1),
                                     (up_bs, 1, row * ratio, col * ratio),
                                     filter_shape=(1, 1, None, None), border_mode=(pad, pad),
                                     subsample=(ratio, ratio))
    return reshape(out, (input.shape[0], input.shape[1], row * ratio, col * ratio), ndim=4)


def separable_conv2d(input: Any, depthwise_filters: Any, pointwise_filters: Any,
                     num_channels: int, input_shape: Any = None,
                     depthwise_filter_shape: Any = None, pointwise_filter_shape: Any = None,
                     border_mode: Any = "valid", subsample: Any = (1, 1),
                     filter_flip: bool = True, filter_dilation: Any = (1, 1)
                     ) -> TensorVariable:
    """Theano 1.0's depthwise-separable conv: a depthwise conv2d (num_groups =
    num_channels; depthwise_filters (depthwise out channels, 1, rows, cols)) with the
    given border_mode / subsample / dilation, then a pointwise 1x1 conv2d
    (pointwise_filters (out channels, depthwise out channels, 1, 1))."""
    depthwise = AbstractConv2d(imshp=input_shape, kshp=depthwise_filter_shape,
                               border_mode=border_mode, subsample=subsample,
                               filter_flip=filter_flip, filter_dilation=filter_dilation,
                               num_groups=num_channels)(input, depthwise_filters)
    return conv2d(depthwise, pointwise_filters, filter_shape=pointwise_filter_shape,
                  border_mode="valid", subsample=(1, 1), filter_flip=filter_flip)


def separable_conv3d(input: Any, depthwise_filters: Any, pointwise_filters: Any,
                     num_channels: int, input_shape: Any = None,
                     depthwise_filter_shape: Any = None, pointwise_filter_shape: Any = None,
                     border_mode: Any = "valid", subsample: Any = (1, 1, 1),
                     filter_flip: bool = True, filter_dilation: Any = (1, 1, 1)
                     ) -> TensorVariable:
    """The 3-d separable conv: a depthwise conv3d (num_groups = num_channels), then a
    pointwise 1x1x1 conv3d."""
    depthwise = AbstractConv3d(imshp=input_shape, kshp=depthwise_filter_shape,
                               border_mode=border_mode, subsample=subsample,
                               filter_flip=filter_flip, filter_dilation=filter_dilation,
                               num_groups=num_channels)(input, depthwise_filters)
    return conv3d(depthwise, pointwise_filters, filter_shape=pointwise_filter_shape,
                  border_mode="valid", filter_flip=filter_flip)


def frac_bilinear_upsampling(input: Any, frac_ratio: Any) -> TensorVariable:
    """Theano 1.0's bilinear upsampling by fractional ratios: frac_ratio (p, q) for both
    axes or ((p, q), (r, s)) per axis (reduced by their gcd). The edge-padded images
    act as the filters of a convolution, dilated by the numerators and strided by the
    denominators, over a zero-padded bilinear kernel (Theano's construction)."""
    import math

    from tensordsl.config import config
    from tensordsl.tensor.basic import concatenate, reshape, stack, zeros

    if not isinstance(frac_ratio, tuple):
        raise ValueError("frac_ratio must be a tuple")
    pairs = frac_ratio if isinstance(frac_ratio[0], tuple) else (frac_ratio, frac_ratio)
    reduced = [(p // math.gcd(p, q), q // math.gcd(p, q)) for p, q in pairs]
    ratio = (reduced[0][0], reduced[1][0])
    subsample = (reduced[0][1], reduced[1][1])
    input = as_tensor_variable(input)
    if input.ndim != 4:
        raise TypeError(f"bilinear_upsampling: input must be a 4-d tensor, got {input.type}")
    row, col = input.shape[2], input.shape[3]
    up = reshape(input, (-1, 1, row, col), ndim=4)
    mat = concatenate([up[:, :, :1, :], up, up[:, :, -1:, :]], axis=2)
    mat = concatenate([mat[:, :, :, :1], mat, mat[:, :, :, -1:]], axis=3)
    double_pad = [(2 * row - 1) * ratio[0] + 1, (2 * col - 1) * ratio[1] + 1]
    pad = [d // 2 for d in double_pad]
    kern = bilinear_kernel_2D(ratio).dimshuffle("x", "x", 0, 1)
    floatx = config.floatX
    kern = concatenate([zeros(stack([1, 1, pad[0], kern.shape[3]]), dtype=floatx), kern,
                        zeros(stack([1, 1, double_pad[0] - pad[0], kern.shape[3]]),
                              dtype=floatx)], axis=2)
    kern = concatenate([zeros(stack([1, 1, kern.shape[2], pad[1]]), dtype=floatx), kern,
                        zeros(stack([1, 1, kern.shape[2], double_pad[1] - pad[1]]),
                              dtype=floatx)], axis=3)
    upsampled = conv2d(kern, mat, border_mode="valid", filter_dilation=ratio,
                       subsample=subsample)
    return reshape(upsampled, (input.shape[0], input.shape[1], upsampled.shape[2],
                               upsampled.shape[3]), ndim=4)
