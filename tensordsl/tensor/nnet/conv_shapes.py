"""Theano 1.0's abstract_conv shape helpers: the output, filter-gradient and
input-gradient shapes of a convolution per axis and for whole NCHW / NCDHW shapes
(ints, symbolic scalars or None where unknown), check_conv_gradinputs_shape,
border_mode_to_pad, assert_conv_shape and assert_shape."""

from __future__ import annotations

from typing import Any

from tensordsl.graph.basic import Constant, Variable
from tensordsl.graph.convert import as_tensor_variable
from tensordsl.ops.conv_kernels import is_int

__all__ = ["assert_conv_shape", "assert_shape", "border_mode_to_pad",
           "check_conv_gradinputs_shape", "get_conv_gradinputs_shape",
           "get_conv_gradinputs_shape_1axis", "get_conv_gradweights_shape",
           "get_conv_gradweights_shape_1axis", "get_conv_shape_1axis"]


def _pads_1axis(border_mode: Any, dil_kernel: Any) -> tuple[Any, Any]:
    if border_mode == "half":
        return dil_kernel // 2, dil_kernel // 2
    if border_mode == "full":
        return dil_kernel - 1, dil_kernel - 1
    if border_mode == "valid":
        return 0, 0
    lo, hi = border_mode if isinstance(border_mode, tuple) else (border_mode, border_mode)
    if (is_int(lo) and lo < 0) or (is_int(hi) and hi < 0):
        raise ValueError("border_mode must be >= 0")
    return lo, hi


def get_conv_shape_1axis(image_shape: Any, kernel_shape: Any, border_mode: Any,
                         subsample: Any, dilation: Any = 1) -> Any:
    """The output size of one axis (None when an argument is None)."""
    if None in (image_shape, kernel_shape, border_mode, subsample, dilation):
        return None
    dil = (kernel_shape - 1) * dilation + 1
    lo, hi = _pads_1axis(border_mode, dil)
    return (image_shape + lo + hi - dil) // subsample + 1


def get_conv_gradweights_shape_1axis(image_shape: Any, top_shape: Any, border_mode: Any,
                                     subsample: Any, dilation: Any) -> Any:
    """The filter size of one axis, from the image and output sizes; None when it is
    not determined (an unknown argument, a stride > 1 or border_mode 'half')."""
    if None in (image_shape, top_shape, border_mode, subsample, dilation):
        return None
    if subsample != 1 or border_mode == "half":
        return None
    if border_mode == "full":
        span = top_shape - image_shape
    elif border_mode == "valid":
        span = image_shape - top_shape
    else:
        lo, hi = _pads_1axis(border_mode, 0)
        span = image_shape + lo + hi - top_shape
    return (span // dilation if dilation > 1 else span) + 1


def get_conv_gradinputs_shape_1axis(kernel_shape: Any, top_shape: Any, border_mode: Any,
                                    subsample: Any, dilation: Any) -> Any:
    """The image size of one axis, from the filter and output sizes; None when it is not
    determined (an unknown argument, or a stride > 1)."""
    if None in (kernel_shape, top_shape, border_mode, subsample, dilation):
        return None
    if subsample != 1:
        return None
    dil = (kernel_shape - 1) * dilation + 1
    lo, hi = _pads_1axis(border_mode, dil)
    return top_shape + dil - 1 - lo - hi


def _per_axis(border_mode: Any, n: int) -> list:
    return list(border_mode) if isinstance(border_mode, tuple) else [border_mode] * n


def get_conv_gradweights_shape(image_shape: tuple, top_shape: tuple, border_mode: Any,
                               subsample: tuple, filter_dilation: tuple | None = None
                               ) -> tuple:
    """(out channels, in channels, *filter sizes) from the image and output shapes."""
    nd = len(subsample)
    dil = filter_dilation or (1,) * nd
    modes = _per_axis(border_mode, nd)
    spatial = tuple(get_conv_gradweights_shape_1axis(image_shape[2 + i], top_shape[2 + i],
                                                     modes[i], subsample[i], dil[i])
                    for i in range(nd))
    return (top_shape[1], image_shape[1]) + spatial


def get_conv_gradinputs_shape(kernel_shape: tuple, top_shape: tuple, border_mode: Any,
                              subsample: tuple, filter_dilation: tuple | None = None
                              ) -> tuple:
    """(batch, in channels, *image sizes) from the filter and output shapes."""
    nd = len(subsample)
    dil = filter_dilation or (1,) * nd
    modes = _per_axis(border_mode, nd)
    spatial = tuple(get_conv_gradinputs_shape_1axis(kernel_shape[-nd + i], top_shape[2 + i],
                                                    modes[i], subsample[i], dil[i])
                    for i in range(nd))
    return (top_shape[0], kernel_shape[-nd - 1]) + spatial


def _const(value: Any) -> Any:
    """An int for ints and constants, else None (symbolic)."""
    if is_int(value):
        return int(value)
    if isinstance(value, Constant) and value.data.ndim == 0:
        return int(value.data)
    return None


def check_conv_gradinputs_shape(image_shape: tuple, kernel_shape: tuple,
                                output_shape: tuple, border_mode: Any, subsample: tuple,
                                filter_dilation: tuple | None = None) -> bool:
    """False when a convolution of these shapes and parameters would not give
    `output_shape`; True otherwise (also when symbolic entries leave it open)."""
    image_shape, kernel_shape = tuple(image_shape), tuple(kernel_shape)
    output_shape = tuple(output_shape)
    if not len(image_shape) == len(kernel_shape) == len(output_shape):
        return False
    nd = len(image_shape) - 2
    if len(subsample) != nd or (filter_dilation is not None and len(filter_dilation) != nd):
        return False
    dil = filter_dilation or (1,) * nd
    modes = _per_axis(border_mode, nd)
    computed = [image_shape[0], kernel_shape[0]] + [
        get_conv_shape_1axis(image_shape[2 + i], kernel_shape[2 + i], modes[i],
                             subsample[i], dil[i]) for i in range(nd)]
    for given, want in zip(output_shape, computed):
        g, w = _const(given), _const(want)
        if g is not None and w is not None and g != w:
            return False
    return True


def border_mode_to_pad(mode: Any, convdim: int, kshp: tuple) -> tuple:
    """Per spatial dim the (before, after) padding of a border mode and filter size."""
    if isinstance(mode, tuple):
        if len(mode) != convdim:
            raise ValueError(f"invalid border_mode {mode} which must be a tuple of length "
                             f"{convdim}")
        pads = []
        for m in mode:
            if is_int(m) and m >= 0:
                pads.append((int(m), int(m)))
            elif (isinstance(m, tuple) and len(m) == 2 and all(is_int(b) and b >= 0
                                                                for b in m)):
                pads.append((int(m[0]), int(m[1])))
            else:
                raise ValueError(f"invalid border mode {mode}. The tuple can only contain "
                                 f"integers or tuples of length 2")
        return tuple(pads)
    if mode == "full":
        return tuple((kshp[i] - 1,) * 2 for i in range(convdim))
    if mode == "half":
        return tuple((kshp[i] // 2,) * 2 for i in range(convdim))
    if mode == "valid":
        return ((0, 0),) * convdim
    raise ValueError(f"invalid border_mode {mode}, which must be either 'valid', 'full', "
                     f"'half', an integer or a tuple of length {convdim}")


def assert_conv_shape(shape: tuple) -> tuple:
    """`shape` with each entry checked: the first two >= 0, the others > 0; a constant
    violating it is a ValueError now, a symbolic entry is wrapped in an Assert."""
    from tensordsl.ops.assert_op import Assert
    from tensordsl.tensor import math as tm

    out = []
    for i, n in enumerate(shape):
        c = _const(n)
        bound = "< 0" if i < 2 else "<= 0"
        if c is not None:
            if (i < 2 and c < 0) or (i >= 2 and c <= 0):
                raise ValueError(f"The convolution would produce an invalid shape "
                                 f"(dim[{i}]: {c} {bound}).")
            out.append(n)
        else:
            n = as_tensor_variable(n)
            cond = tm.ge(n, 0) if i < 2 else tm.gt(n, 0)
            out.append(Assert(f"The convolution would produce an invalid shape "
                              f"(dim[{i}] {bound}).")(n, cond))
    return tuple(out)


def assert_shape(x: Any, expected_shape: Any, msg: str = "Unexpected shape.") -> Variable:
    """`x`, wrapped in an Assert that its shape matches `expected_shape` where that is
    not None (x itself when nothing is to be checked)."""
    from tensordsl.ops.assert_op import Assert
    from tensordsl.tensor import math as tm

    x = as_tensor_variable(x)
    if expected_shape is None:
        return x
    tests = [tm.eq(x.shape[i], expected_shape[i]) for i in range(x.ndim)
             if expected_shape[i] is not None]
    return Assert(msg)(x, *tests) if tests else x
