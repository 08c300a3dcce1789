"""Unshared ('locally connected') 2-d convolution: Theano 1.0's conv2d(..., unshared=True).

Every output pixel has its own filters: filters are 6-d, (output channels, output rows,
output cols, input channels / num_groups, filter rows, filter cols), and

    out[n, o, i, j] = sum_{c,u,v} pad(img)[n, g*Cg + c, i*s0 + u*d0, j*s1 + v*d1]
                                  * K[o, i, j, c, u, v]

with K the filters flipped in their last two dims when filter_flip (a true convolution
per position, as Theano's `unshared2d` reference does), g the group of o. Every border
mode, subsample, filter_dilation and num_groups of the shared conv2d apply; the filters'
output rows/cols must equal the output size they give (Theano's ValueError otherwise).

The three ops are adjoint to each other like the shared ones (gradient rules at the
bottom). Kept apart from conv.py / conv_kernels.py, which hold the shared convolution;
the border-mode geometry is reused from conv_kernels.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from tensordsl import dtypes
from tensordsl.graph.basic import Apply, Variable
from tensordsl.graph.convert import as_tensor_variable
from tensordsl.graph.type import TensorType
from tensordsl.ops.conv import (
    AbstractConv2d,
    AbstractConv2d_gradInputs,
    AbstractConv2d_gradWeights,
    BaseConv2d,
    _as_4d,
    _as_shape2,
    _size_at_run,
    _static_pair,
    check_hint,
    shape_hint,
)
from tensordsl.ops.conv_kernels import Pads, conv_out_size, dilated, pads_for

__all__ = ["UNSHARED_VARIANT", "AbstractConv2dUnshared", "AbstractConv2dUnshared_gradInputs",
           "AbstractConv2dUnshared_gradWeights", "unshared_forward", "unshared_grad_inputs",
           "unshared_grad_weights"]


# ---------------------------------------------------------------- geometry


def _out_sizes(ishape: tuple, kshape: tuple, border_mode: Any, stride: tuple[int, int],
               dilation: tuple[int, int]) -> tuple[Any, Any]:
    """Output rows/cols for input spatial sizes `ishape` and filter taps `kshape`
    (entries may be None: unknown)."""
    pads = pads_for(border_mode, kshape, dilation)
    return tuple(conv_out_size(s, k, p, st, d)  # type: ignore[return-value]
                 for s, k, p, st, d in zip(ishape, kshape, pads, stride, dilation))


def _run_geometry(hw: tuple[int, int], khw: tuple[int, int], border_mode: str | Pads,
                  stride: tuple[int, int], dilation: tuple[int, int], where: str
                  ) -> tuple[Pads, tuple[int, int]]:
    """Explicit padding and the output size, or a ValueError when no window fits."""
    pads = pads_for(border_mode, khw, dilation)
    out = []
    for dim, (size, k, p, st, d) in enumerate(zip(hw, khw, pads, stride, dilation)):
        if size + p[0] + p[1] < dilated(k, d):
            raise ValueError(f"{where}: the filters span {dilated(k, d)} in dim {dim + 2} "
                             f"(size {k}, dilation {d}) but the padded input has only "
                             f"{size + p[0] + p[1]}")
        out.append(conv_out_size(size, k, p, st, d))
    return pads, (out[0], out[1])  # type: ignore[return-value]


def _check_filter_grid(kern_shape: tuple, out_hw: tuple, where: str) -> None:
    """The filters' output grid (dims 1, 2) must be the output size (entries may be None)."""
    if any(None not in (k, o) and k != o for k, o in zip(kern_shape[1:3], out_hw)):
        raise ValueError(f"{where}: unshared filters of shape {tuple(kern_shape)} have "
                         f"{tuple(kern_shape[1:3])} output positions (dims 1, 2) but the "
                         f"convolution gives an output of {tuple(out_hw)} rows/cols")


def _check_groups(c_in: int, kern_c: int, out_c: int, groups: int, where: str) -> None:
    if c_in % groups or out_c % groups:
        raise ValueError(f"{where}: the input's {c_in} channels and the {out_c} filters "
                         f"must be divisible by num_groups={groups}")
    if c_in != kern_c * groups:
        raise ValueError(f"{where}: the input has {c_in} channels but the unshared filters "
                         f"take {kern_c} per group (dim 3) x num_groups={groups}")


# ---------------------------------------------------------------- numpy kernels


def _windows(xp: np.ndarray, khw: tuple[int, int], out_hw: tuple[int, int],
             stride: tuple[int, int], dilation: tuple[int, int], groups: int) -> np.ndarray:
    """(groups, out rows, out cols, batch, channels/groups * kh * kw) copy of every window.

    Pixel-major so that each output position is one batched GEMM row block.
    """
    n, c, _, _ = xp.shape
    s = xp.strides
    cg = c // groups
    win = as_strided(xp, (groups, *out_hw, n, cg, *khw),
                     (s[1] * cg, s[2] * stride[0], s[3] * stride[1], s[0], s[1],
                      s[2] * dilation[0], s[3] * dilation[1]), writeable=False)
    return np.ascontiguousarray(win).reshape(groups, *out_hw, n, cg * khw[0] * khw[1])


def _filter_matrices(kern: np.ndarray, groups: int, flip: bool) -> np.ndarray:
    """(O, oh, ow, Cg, kh, kw) filters as (groups, oh, ow, Cg*kh*kw, O/groups)."""
    o, oh, ow, cg, kh, kw = kern.shape
    if flip:
        kern = kern[..., ::-1, ::-1]
    k = kern.reshape(groups, o // groups, oh, ow, cg * kh * kw)
    return k.transpose(0, 2, 3, 4, 1)


def unshared_forward(img: np.ndarray, kern: np.ndarray, border_mode: str | Pads,
                     stride: tuple[int, int], dilation: tuple[int, int], flip: bool,
                     groups: int, dtype: str) -> np.ndarray:
    """The unshared convolution of NCHW `img` with 6-d `kern` (module docstring)."""
    where = "conv2d(unshared=True)"
    n, c, h, w = img.shape
    o, _, _, kc, kh, kw = kern.shape
    _check_groups(c, kc, o, groups, where)
    pads, out_hw = _run_geometry((h, w), (kh, kw), border_mode, stride, dilation, where)
    _check_filter_grid(kern.shape, out_hw, where)
    img, kern = img.astype(dtype, copy=False), kern.astype(dtype, copy=False)
    xp = np.pad(img, ((0, 0), (0, 0)) + tuple(pads))
    cols = _windows(xp, (kh, kw), out_hw, stride, dilation, groups)
    # one (batch, K) @ (K, O/groups) GEMM per group and output position
    out = np.matmul(cols, _filter_matrices(kern, groups, flip))  # (g, oh, ow, n, og)
    # positions last with one 2-d transpose per group (as in unshared_grad_inputs)
    out = np.ascontiguousarray(out.reshape(groups, out_hw[0] * out_hw[1], -1)
                               .transpose(0, 2, 1))
    return out.reshape(groups, n, o // groups, *out_hw).transpose(1, 0, 2, 3, 4).reshape(
        n, o, *out_hw)


def _top_blocks(topgrad: np.ndarray, groups: int) -> np.ndarray:
    """(n, O, oh, ow) as (groups, oh, ow, n, O/groups)."""
    n, o, oh, ow = topgrad.shape
    return topgrad.reshape(n, groups, o // groups, oh, ow).transpose(1, 3, 4, 0, 2)


def unshared_grad_weights(img: np.ndarray, topgrad: np.ndarray, khw: tuple[int, int],
                          border_mode: str | Pads, stride: tuple[int, int],
                          dilation: tuple[int, int], flip: bool, groups: int, dtype: str
                          ) -> np.ndarray:
    """d sum(topgrad * unshared_conv(img, K)) / dK for filter taps of size `khw`."""
    where = "conv2d_grad_wrt_weights(unshared=True)"
    n, c, h, w = img.shape
    o = topgrad.shape[1]
    if c % groups or o % groups:
        raise ValueError(f"{where}: the input's {c} channels and the output_grad's {o} "
                         f"channels must be divisible by num_groups={groups}")
    pads, out_hw = _run_geometry((h, w), khw, border_mode, stride, dilation, where)
    if topgrad.shape[0] != n or tuple(topgrad.shape[2:]) != out_hw:
        raise ValueError(f"{where}: output_grad has shape {topgrad.shape}, expected batch "
                         f"{n} and spatial shape {out_hw} for these shapes and parameters")
    img, topgrad = img.astype(dtype, copy=False), topgrad.astype(dtype, copy=False)
    xp = np.pad(img, ((0, 0), (0, 0)) + tuple(pads))
    cols = _windows(xp, khw, out_hw, stride, dilation, groups)  # (g, oh, ow, n, K)
    gz = _top_blocks(topgrad, groups)  # (g, oh, ow, n, og)
    gk = np.matmul(gz.transpose(0, 1, 2, 4, 3), cols)  # (g, oh, ow, og, K)
    cg = c // groups
    gk = gk.reshape(groups, *out_hw, o // groups, cg, *khw).transpose(0, 3, 1, 2, 4, 5, 6)
    gk = gk.reshape(o, *out_hw, cg, *khw)
    return np.ascontiguousarray(gk[..., ::-1, ::-1] if flip else gk)


def unshared_grad_inputs(kern: np.ndarray, topgrad: np.ndarray, hw: tuple[int, int],
                         border_mode: str | Pads, stride: tuple[int, int],
                         dilation: tuple[int, int], flip: bool, groups: int, dtype: str
                         ) -> np.ndarray:
    """d sum(topgrad * unshared_conv(X, kern)) / dX for images of spatial size `hw`."""
    where = "conv2d_grad_wrt_inputs(unshared=True)"
    o, _, _, kc, kh, kw = kern.shape
    n = topgrad.shape[0]
    if topgrad.shape[1] != o:
        raise ValueError(f"{where}: output_grad has {topgrad.shape[1]} channels but there "
                         f"are {o} filters")
    if o % groups:
        raise ValueError(f"{where}: the {o} filters are not divisible by "
                         f"num_groups={groups}")
    pads, out_hw = _run_geometry(hw, (kh, kw), border_mode, stride, dilation, where)
    _check_filter_grid(kern.shape, out_hw, where)
    if tuple(topgrad.shape[2:]) != out_hw:
        raise ValueError(f"{where}: output_grad has shape {topgrad.shape}, expected spatial "
                         f"shape {out_hw} for these shapes and parameters")
    kern, topgrad = kern.astype(dtype, copy=False), topgrad.astype(dtype, copy=False)
    oh, ow = out_hw
    og = o // groups
    # unflipped filters as a view; the flip is applied to the taps in the scatter below
    kmat = kern.reshape(groups, og, oh, ow, kc * kh * kw).transpose(0, 2, 3, 1, 4)
    gz = _top_blocks(topgrad, groups)  # (g, oh, ow, n, og)
    gcols = np.matmul(gz, kmat)  # (g, oh, ow, n, K)
    # positions last (one 2-d transpose per group: 8x faster than a full 7-d permutation
    # copy), so each tap's scatter-add reads rows of out-rows*out-cols contiguous values
    gcols = np.ascontiguousarray(gcols.reshape(groups, oh * ow, -1).transpose(0, 2, 1))
    gcols = gcols.reshape(groups, n, kc, kh, kw, oh, ow).transpose(1, 0, 2, 3, 4, 5, 6)
    h, w = hw
    hp, wp = h + pads[0][0] + pads[0][1], w + pads[1][0] + pads[1][1]
    gx = np.zeros((n, groups, kc, hp, wp), dtype=dtype)
    for u in range(kh):  # scatter-add every filter tap back (col2im)
        rows = slice(u * dilation[0], u * dilation[0] + stride[0] * (oh - 1) + 1, stride[0])
        for v in range(kw):
            cols = slice(v * dilation[1], v * dilation[1] + stride[1] * (ow - 1) + 1,
                         stride[1])
            tap = gcols[:, :, :, kh - 1 - u, kw - 1 - v] if flip else gcols[:, :, :, u, v]
            gx[:, :, :, rows, cols] += tap
    gx = gx.reshape(n, groups * kc, hp, wp)
    return gx[:, :, pads[0][0]:pads[0][0] + h, pads[1][0]:pads[1][0] + w]


# ---------------------------------------------------------------- ops


def _as_6d(x: Any, what: str, where: str) -> Variable:
    x = as_tensor_variable(x)
    if x.ndim != 6:
        raise TypeError(f"{where}: {what} must be a 6-d tensor for unshared convolution "
                        f"(output channels, output rows, output cols, input channels, "
                        f"filter rows, filter cols), got {x.ndim} dims ({x.type})")
    if x.dtype == "bool" or dtypes.is_complex(x.dtype):
        raise TypeError(f"{where}: {what} must be real numbers, got {x.dtype}")
    return x


class _UnsharedBase(BaseConv2d):
    """BaseConv2d with a 6-d filter_shape hint; `unshared` is always True.

    Each op below also subclasses its shared counterpart, which `AbstractConv2d(...,
    unshared=True)` (Theano 1.0's spelling) builds it from (BaseConv2d.__new__); the
    ops dispatch (gradients, backends) on the exact class, so the shared rules never
    see 6-d filters.
    """

    unshared = True

    def __init__(self, imshp: Any = None, kshp: Any = None, border_mode: Any = "valid",
                 subsample: Any = (1, 1), filter_flip: bool = True,
                 filter_dilation: Any = (1, 1), num_groups: int = 1,
                 unshared: bool = True) -> None:
        super().__init__(imshp, None, border_mode, subsample, filter_flip, filter_dilation,
                         num_groups, unshared)
        self.kshp = shape_hint(kshp, 6, "filter_shape", "conv2d(unshared=True)",
                               " for unshared convolution")

    def _merged6(self, static: tuple, where: str) -> tuple:
        check_hint(self.kshp, static, "filter_shape", where)
        if self.kshp is None:
            return static
        return tuple(s if s is not None else h for s, h in zip(static, self.kshp))


class AbstractConv2dUnshared(_UnsharedBase, AbstractConv2d):
    """conv2d(img, kern, unshared=True): img 4-d NCHW, kern 6-d."""

    def make_node(self, img: Any, kern: Any) -> Apply:
        where = "conv2d(unshared=True)"
        img = _as_4d(img, "input", where)
        kern = _as_6d(kern, "filters", where)
        ishape = self._merged(img.type.shape, self.imshp, "input_shape", where)
        kshape = self._merged6(kern.type.shape, where)
        if None not in (ishape[1], kshape[3]):
            _check_groups(ishape[1], kshape[3], self.num_groups if kshape[0] is None
                          else kshape[0], self.num_groups, where)
        out_hw = _out_sizes(ishape[2:], kshape[4:], self.border_mode, self.subsample,
                            self.filter_dilation)
        _check_filter_grid(kshape, out_hw, where)
        for dim, got in enumerate(out_hw):
            if got is not None and got < 1:
                raise ValueError(f"{where}: the filters ({kshape}) do not fit the padded "
                                 f"input ({ishape}) in dim {dim + 2}")
        out_hw = tuple(g if g is not None else k for g, k in zip(out_hw, kshape[1:3]))
        dtype = dtypes.upcast(img.dtype, kern.dtype)
        out = (ishape[0], kshape[0], *out_hw)
        return Apply(self, [img, kern], [TensorType(dtype, out)()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        img, kern = inputs
        where = "conv2d(unshared=True)"
        check_hint(self.imshp, img.shape, "input_shape", where)
        check_hint(self.kshp, kern.shape, "filter_shape", where)
        return [unshared_forward(img, kern, *self._args(), node.outputs[0].dtype)]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        ish, ksh = input_shapes
        return [(ish[0], ksh[0], ksh[1], ksh[2])]


class AbstractConv2dUnshared_gradWeights(  # noqa: N801 - Theano's style
        _UnsharedBase, AbstractConv2d_gradWeights):
    """(img, topgrad, (kh, kw)) -> the gradient of the unshared conv wrt its 6-d filters."""

    def make_node(self, img: Any, topgrad: Any, shape: Any, add_assert_shape: bool = True
                  ) -> Apply:
        where = "conv2d_grad_wrt_weights(unshared=True)"
        img = _as_4d(img, "input", where)
        topgrad = _as_4d(topgrad, "output_grad", where)
        shape = _as_shape2(shape, "filter_shape[4:]", where)
        kh, kw = _static_pair(shape)
        ishape = self._merged(img.type.shape, self.imshp, "input_shape", where)
        c = ishape[1]
        tsh = topgrad.type.shape
        out = (tsh[1], tsh[2], tsh[3], None if c is None else c // self.num_groups, kh, kw)
        out = self._merged6(out, where)
        dtype = dtypes.upcast(img.dtype, topgrad.dtype)
        return Apply(self, [img, topgrad, shape], [TensorType(dtype, out)()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        img, topgrad, shape = inputs
        where = "conv2d_grad_wrt_weights(unshared=True)"
        check_hint(self.imshp, img.shape, "input_shape", where)
        khw = _size_at_run(shape, "filter_shape[4:]", where)
        out = unshared_grad_weights(img, topgrad, khw, *self._args(), node.outputs[0].dtype)
        check_hint(self.kshp, out.shape, "filter_shape", where)
        return [out]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        ish, tsh, _ = input_shapes
        shape = node.inputs[2]
        return [(tsh[1], tsh[2], tsh[3], ish[1] // self.num_groups, shape[0], shape[1])]


class AbstractConv2dUnshared_gradInputs(  # noqa: N801 - Theano's style
        _UnsharedBase, AbstractConv2d_gradInputs):
    """(kern, topgrad, (h, w)) -> the gradient of the unshared conv wrt its input."""

    def make_node(self, kern: Any, topgrad: Any, shape: Any, add_assert_shape: bool = True
                  ) -> Apply:
        where = "conv2d_grad_wrt_inputs(unshared=True)"
        kern = _as_6d(kern, "filters", where)
        topgrad = _as_4d(topgrad, "output_grad", where)
        shape = _as_shape2(shape, "input_shape[2:]", where)
        h, w = _static_pair(shape)
        kshape = self._merged6(kern.type.shape, where)
        kc = kshape[3]
        out = (topgrad.type.shape[0], None if kc is None else kc * self.num_groups, h, w)
        out = self._merged(out, self.imshp, "input_shape", where)
        dtype = dtypes.upcast(kern.dtype, topgrad.dtype)
        return Apply(self, [kern, topgrad, shape], [TensorType(dtype, out)()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        kern, topgrad, shape = inputs
        where = "conv2d_grad_wrt_inputs(unshared=True)"
        check_hint(self.kshp, kern.shape, "filter_shape", where)
        hw = _size_at_run(shape, "input_shape[2:]", where)
        out = unshared_grad_inputs(kern, topgrad, hw, *self._args(), node.outputs[0].dtype)
        check_hint(self.imshp, out.shape, "input_shape", where)
        return [out]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        ksh, tsh, _ = input_shapes
        shape = node.inputs[2]
        return [(tsh[0], ksh[3] * self.num_groups, shape[0], shape[1])]


# What `AbstractConv2d...(..., unshared=True)` builds (BaseConv2d.__new__).
UNSHARED_VARIANT: dict[type, type] = {
    AbstractConv2d: AbstractConv2dUnshared,
    AbstractConv2d_gradWeights: AbstractConv2dUnshared_gradWeights,
    AbstractConv2d_gradInputs: AbstractConv2dUnshared_gradInputs,
}
