"""numpy kernels of pooling over the last `nd` dims (Theano 1.0's Pool semantics).

Modes: 'max' and 'sum' never count the zero padding, 'average_inc_pad' divides by the
window clipped to the padded input, 'average_exc_pad' by the part of the window inside
the real input. With ignore_border=False a partial window is kept at the high border
(padding must then be 0).

The input is padded once (with -inf for max, zeros otherwise, also filling the partial
windows of ignore_border=False) and every window is taken as a strided view, one view
per offset inside the window: the reduction is `ws[0]*ws[1]` vectorised maximum/add
passes over output-sized arrays, and the gradients scatter-add through the same views
(the max gradient in one pass over a (..., rows, ws0, cols, ws1) view when stride == ws).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

MODES = ("max", "sum", "average_inc_pad", "average_exc_pad")


def pool_out_size(size: int, ws: int, stride: int, pad: int, ignore_border: bool) -> int:
    """Theano 1.0's Pool.out_shape for one pooled dim."""
    v = size + 2 * pad
    if ignore_border:
        return max(0, (v - ws) // stride + 1)
    if stride >= ws:
        return (v - 1) // stride + 1
    return max(0, (v - 1 - ws + stride) // stride) + 1


def check_mode(mode: str) -> str:
    """The pooling mode, 'max_deterministic' read as 'max' (as in Theano)."""
    if mode == "max_deterministic":
        return "max"
    if mode not in MODES:
        raise ValueError(f"pool: mode must be one of {', '.join(map(repr, MODES))}, got "
                         f"{mode!r}")
    return mode


# ---------------------------------------------------------------- numpy kernels


class Geometry:
    """Window sizes, strides, padding and output size of one pooling call."""

    def __init__(self, shape: tuple[int, ...], ws: np.ndarray, stride: np.ndarray,
                 pad: np.ndarray, ignore_border: bool, where: str) -> None:
        nd = len(ws)
        self.nd = nd
        self.ws = tuple(int(v) for v in ws)
        self.stride = tuple(int(v) for v in stride)
        self.pad = tuple(int(v) for v in pad)
        check_params(self.ws, self.stride, self.pad, ignore_border, where)
        if len(shape) < nd:
            raise ValueError(f"{where}: the input needs at least {nd} dims, got shape {shape}")
        self.img = tuple(shape[-nd:])
        self.lead = tuple(shape[:-nd])
        self.out = tuple(pool_out_size(s, w, st, p, ignore_border)
                         for s, w, st, p in zip(self.img, self.ws, self.stride, self.pad))
        # padding after the image: the pad, plus what partial windows reach past it
        self.hi = tuple(max(p, (o - 1) * st + w - s - p) if o > 0 else p
                        for s, w, st, p, o in zip(self.img, self.ws, self.stride, self.pad,
                                                  self.out))

    def padded(self, x: np.ndarray, fill: Any) -> np.ndarray:
        """x with the pad before and self.hi after each pooled dim, filled with `fill`."""
        lead = [(0, 0)] * len(self.lead)
        widths = lead + [(p, h) for p, h in zip(self.pad, self.hi)]
        if not any(p or h for p, h in zip(self.pad, self.hi)):
            return x
        return np.pad(x, widths, constant_values=fill)

    def offsets(self) -> Any:
        """Every offset inside a window, as a tuple of slices selecting it in each window."""
        for off in itertools.product(*(range(w) for w in self.ws)):
            yield tuple(slice(o, o + st * (n - 1) + 1, st) if n > 0 else slice(0, 0)
                        for o, st, n in zip(off, self.stride, self.out))

    def counts(self, mode: str) -> np.ndarray:
        """The divisor of each output element for the average modes (broadcastable)."""
        total = np.ones((1,) * self.nd)
        for d, (s, w, st, p, n) in enumerate(zip(self.img, self.ws, self.stride, self.pad,
                                                 self.out)):
            start = np.arange(n) * st
            if mode == "average_inc_pad":
                size = np.minimum(start + w, s + 2 * p) - start
            else:
                size = np.minimum(start + w, s + p) - np.maximum(start, p)
            shape = [1] * self.nd
            shape[d] = n
            total = total * size.reshape(shape)
        return total

    def tiles(self, padded: np.ndarray) -> np.ndarray:
        """With stride == ws: the windows of a padded array as a (..., o0, w0, o1, w1) view."""
        lead = padded.ndim - self.nd
        shape, strides = list(padded.shape[:lead]), list(padded.strides[:lead])
        for o, w, step in zip(self.out, self.ws, padded.strides[lead:]):
            shape += [o, w]
            strides += [step * w, step]
        # built as strides, not reshape: always a view, so writes through it land in `padded`
        return as_strided(padded, tuple(shape), tuple(strides))

    def spread(self, per_window: np.ndarray) -> np.ndarray:
        """An output-shaped array as (..., o0, 1, o1, 1), to broadcast against tiles()."""
        return per_window.reshape(per_window.shape[:-self.nd] + tuple(
            v for o in self.out for v in (o, 1)))

    def crop(self, padded: np.ndarray) -> np.ndarray:
        """The image part of a padded array."""
        return padded[(Ellipsis,) + tuple(slice(p, p + s) for p, s in zip(self.pad, self.img))]

    def check_nonempty(self, mode: str, where: str) -> None:
        if mode in ("max", "average_exc_pad") and any(
                s == 0 and n > 0 for s, n in zip(self.img, self.out)):
            raise ValueError(f"{where}: mode {mode!r} needs at least one input element per "
                             f"window, but the pooled dims have size {self.img}")


def _lowest(dtype: np.dtype) -> Any:
    if dtype.kind == "f":
        return -np.inf
    if dtype.kind == "b":
        return False
    return np.iinfo(dtype).min


def pool_forward(x: np.ndarray, geo: Geometry, mode: str) -> np.ndarray:
    """Pool the last geo.nd dims of x."""
    geo.check_nonempty(mode, "pool")
    shape = geo.lead + geo.out
    if mode == "max":
        xp = geo.padded(x, _lowest(x.dtype))
        out = np.full(shape, _lowest(x.dtype), dtype=x.dtype)
        for sl in geo.offsets():
            np.maximum(out, xp[(Ellipsis,) + sl], out=out)
        return out
    acc_dtype = np.result_type(x.dtype, np.float64) if x.dtype.kind != "f" else x.dtype
    xp = geo.padded(x, 0)
    total = np.zeros(shape, dtype=acc_dtype)
    for sl in geo.offsets():
        total += xp[(Ellipsis,) + sl]
    if mode != "sum":
        total = total / geo.counts(mode)
    return np.asarray(total, dtype=x.dtype) if total.dtype != x.dtype else total


def max_pool_grad(x: np.ndarray, maxout: np.ndarray, gz: np.ndarray, geo: Geometry
                  ) -> np.ndarray:
    """Route gz[window] to every element of the window equal to its max (Theano's rule)."""
    _check_out(maxout, geo, "MaxPoolGrad: maxout")
    _check_out(gz, geo, "MaxPoolGrad: gz")
    dtype = np.result_type(x.dtype, gz.dtype)
    xp = geo.padded(x, _lowest(x.dtype))
    if geo.stride == geo.ws:  # windows tile the array: one pass over a reshaped view
        routed = np.where(geo.tiles(xp) == geo.spread(maxout), geo.spread(gz), 0).astype(
            dtype, copy=False)
        if xp.shape[-geo.nd:] == tuple(o * w for o, w in zip(geo.out, geo.ws)) \
                and xp.shape == x.shape:  # the windows cover x exactly (LeNet's case)
            return routed.reshape(x.shape)
        gx = np.zeros(xp.shape, dtype=dtype)
        geo.tiles(gx)[...] = routed
        return geo.crop(gx)
    gx = np.zeros(xp.shape, dtype=dtype)
    for sl in geo.offsets():
        index = (Ellipsis,) + sl
        gx[index] += np.where(xp[index] == maxout, gz, 0)
    return geo.crop(gx)


def average_pool_grad(shape: tuple[int, ...], dtype: np.dtype, gz: np.ndarray, geo: Geometry,
                      mode: str) -> np.ndarray:
    """Spread each gz evenly over its window (sum mode: copy it to every element)."""
    _check_out(gz, geo, "AveragePoolGrad: gz")
    share = gz if mode == "sum" else gz / geo.counts(mode)
    padded = tuple(s + p + h for s, p, h in zip(geo.img, geo.pad, geo.hi))
    gx = np.zeros(geo.lead + padded, dtype=np.result_type(dtype, share.dtype))
    for sl in geo.offsets():
        gx[(Ellipsis,) + sl] += share
    return geo.crop(gx)


def max_pool_grad_grad(x: np.ndarray, maxout: np.ndarray, ggx: np.ndarray, geo: Geometry
                       ) -> np.ndarray:
    """The adjoint of max_pool_grad in gz: sum of ggx over each window's maxima."""
    _check_out(maxout, geo, "MaxPoolGradGrad: maxout")
    xp = geo.padded(x, _lowest(x.dtype))
    gp = geo.padded(ggx, 0)
    out = np.zeros(maxout.shape, dtype=np.result_type(x.dtype, ggx.dtype))
    for sl in geo.offsets():
        index = (Ellipsis,) + sl
        out += np.where(xp[index] == maxout, gp[index], 0)
    return out


def _check_out(value: np.ndarray, geo: Geometry, what: str) -> None:
    if value.shape != geo.lead + geo.out:
        raise ValueError(f"{what} has shape {value.shape}, expected {geo.lead + geo.out}")


def check_params(ws: tuple, stride: tuple, pad: tuple, ignore_border: bool, where: str
                 ) -> None:
    """Theano's checks of ws, stride and pad (None entries are unknown until run time)."""
    if any(w is not None and w < 1 for w in ws):
        raise ValueError(f"{where}: ws must be >= 1, got {ws}")
    if any(s is not None and s < 1 for s in stride):
        raise ValueError(f"{where}: stride must be >= 1, got {stride}")
    if any(p is not None and p < 0 for p in pad):
        raise ValueError(f"{where}: pad must be >= 0, got {pad}")
    if any(p for p in pad) and not ignore_border:
        raise ValueError(f"{where}: padding works only with ignore_border=True, got "
                                  f"pad={pad}")
    if any(p is not None and w is not None and p >= w for p, w in zip(pad, ws)):
        raise ValueError(f"{where}: pad must be smaller than ws in every dim, got "
                                  f"pad={pad}, ws={ws}")
