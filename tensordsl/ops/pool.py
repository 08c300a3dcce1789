"""Pooling over the last `ndim` dims (Theano's signal.pool): Pool and its gradient ops.

Inputs follow Theano 1.0: (x, ws, stride, pad) with ws/stride/pad integer vectors of
`ndim` entries (constants in practice). Modes: 'max' and 'sum' never count the zero
padding, 'average_inc_pad' divides by the window clipped to the padded input,
'average_exc_pad' by the part of the window inside the real input. With
ignore_border=False a partial window is kept at the high border (padding must then be 0).

The numpy kernels pad the input once (with -inf for max, zeros otherwise, also filling the
partial windows of ignore_border=False) and take every window as a strided view, one view
per offset inside the window: the reduction is then `ws[0]*ws[1]` vectorised
maximum/add passes over output-sized arrays, and the gradients scatter-add through the
same views.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from tensordsl import dtypes
from tensordsl.graph.basic import Apply, Constant, Op, Variable
from tensordsl.graph.convert import as_tensor_variable
from tensordsl.graph.type import TensorType

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


class _Geometry:
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


def pool_forward(x: np.ndarray, geo: _Geometry, mode: str) -> np.ndarray:
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


def max_pool_grad(x: np.ndarray, maxout: np.ndarray, gz: np.ndarray, geo: _Geometry
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


def average_pool_grad(shape: tuple[int, ...], dtype: np.dtype, gz: np.ndarray, geo: _Geometry,
                      mode: str) -> np.ndarray:
    """Spread each gz evenly over its window (sum mode: copy it to every element)."""
    _check_out(gz, geo, "AveragePoolGrad: gz")
    share = gz if mode == "sum" else gz / geo.counts(mode)
    padded = tuple(s + p + h for s, p, h in zip(geo.img, geo.pad, geo.hi))
    gx = np.zeros(geo.lead + padded, dtype=np.result_type(dtype, share.dtype))
    for sl in geo.offsets():
        gx[(Ellipsis,) + sl] += share
    return geo.crop(gx)


def max_pool_grad_grad(x: np.ndarray, maxout: np.ndarray, ggx: np.ndarray, geo: _Geometry
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


def _check_out(value: np.ndarray, geo: _Geometry, what: str) -> None:
    if value.shape != geo.lead + geo.out:
        raise ValueError(f"{what} has shape {value.shape}, expected {geo.lead + geo.out}")


# ---------------------------------------------------------------- ops


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


def as_int_vector(value: Any, nd: int, what: str, where: str) -> Variable:
    """ws / stride / pad as an integer vector of nd entries."""
    if isinstance(value, (tuple, list)) and len(value) != nd:
        raise ValueError(f"{where}: {what} must have {nd} entries, got {value!r}")
    if isinstance(value, (tuple, list)) and not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value):
        raise TypeError(f"{where}: {what} must hold ints, got {value!r}")
    var = as_tensor_variable(np.asarray(value, dtype="int64")
                             if isinstance(value, (tuple, list)) else value)
    if var.ndim != 1 or not dtypes.is_int(var.dtype):
        raise TypeError(f"{where}: {what} must be an integer vector, got {var.type}")
    if var.type.shape[0] not in (None, nd):
        raise ValueError(f"{where}: {what} must have {nd} entries, got {var.type.shape[0]}")
    return var


def _static(var: Variable, nd: int) -> tuple[int | None, ...]:
    if isinstance(var, Constant):
        return tuple(int(v) for v in var.data)
    return (None,) * nd


def _run_values(var_values: list[np.ndarray], nd: int, where: str) -> list[np.ndarray]:
    for name, v in zip(("ws", "stride", "pad"), var_values):
        if v.shape != (nd,):
            raise ValueError(f"{where}: {name} must have {nd} entries, got {v.tolist()}")
    return var_values


class PoolBase(Op):
    """Parameters shared by Pool and its gradient ops."""

    __props__ = ("ignore_border", "mode", "ndim")

    def __init__(self, ignore_border: bool = False, mode: str = "max", ndim: int = 2) -> None:
        if not isinstance(ignore_border, (bool, np.bool_)):
            raise TypeError(f"pool: ignore_border must be a bool, got {ignore_border!r}")
        if not isinstance(ndim, int) or ndim < 1:
            raise ValueError(f"pool: ndim must be an int >= 1, got {ndim!r}")
        self.ignore_border = bool(ignore_border)
        self.mode = check_mode(mode)
        self.ndim = ndim

    def _params(self, ws: Any, stride: Any, pad: Any, where: str) -> list[Variable]:
        nd = self.ndim
        ws = as_int_vector(ws, nd, "ws", where)
        stride = ws if stride is None else as_int_vector(stride, nd, "stride", where)
        pad = as_int_vector((0,) * nd if pad is None else pad, nd, "pad", where)
        check_params(_static(ws, nd), _static(stride, nd), _static(pad, nd),
                     self.ignore_border, where)
        return [ws, stride, pad]

    def _check_x(self, x: Variable, where: str) -> None:
        if x.ndim < self.ndim:
            raise TypeError(f"{where}: the input must have at least {self.ndim} dims, got "
                            f"{x.ndim} ({x.type})")

    def _out_static(self, x: Variable, params: list[Variable]) -> tuple:
        nd = self.ndim
        ws, stride, pad = (_static(p, nd) for p in params)
        spatial = tuple(
            None if None in (s, w, st, p) else pool_out_size(s, w, st, p, self.ignore_border)
            for s, w, st, p in zip(x.type.shape[-nd:], ws, stride, pad))
        return x.type.shape[:-nd] + spatial

    def geometry(self, shape: tuple[int, ...], params: list[np.ndarray], where: str
                 ) -> _Geometry:
        """The run-time geometry of one call."""
        ws, stride, pad = _run_values(params, self.ndim, where)
        return _Geometry(shape, ws, stride, pad, self.ignore_border, where)


class Pool(PoolBase):
    """Pool(ignore_border, mode, ndim)(x, ws, stride=None, pad=None)."""

    def make_node(self, x: Any, ws: Any, stride: Any = None, pad: Any = None) -> Apply:
        x = as_tensor_variable(x)
        self._check_x(x, "pool")
        params = self._params(ws, stride, pad, "pool")
        out = TensorType(x.dtype, self._out_static(x, params))()
        return Apply(self, [x, *params], [out])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        x, *params = inputs
        return [pool_forward(x, self.geometry(x.shape, params, "pool"), self.mode)]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        nd = self.ndim
        ws, stride, pad = (_static(p, nd) for p in node.inputs[1:])
        if None in ws + stride + pad:
            raise NotImplementedError("Pool.infer_shape needs constant ws, stride and pad")
        shape = input_shapes[0]
        return [tuple(shape[:-nd]) + tuple(
            _symbolic_out_size(s, w, st, p, self.ignore_border)
            for s, w, st, p in zip(shape[-nd:], ws, stride, pad))]


def _symbolic_out_size(size: Any, ws: int, stride: int, pad: int, ignore_border: bool) -> Any:
    """pool_out_size for a symbolic (or int) size and constant parameters."""
    if isinstance(size, (int, np.integer)):
        return pool_out_size(int(size), ws, stride, pad, ignore_border)
    from tensordsl.tensor import math as tm

    v = size + 2 * pad
    if ignore_border:
        return tm.maximum((v - ws) // stride + 1, 0)
    if stride >= ws:
        return (v - 1) // stride + 1
    return tm.maximum((v - 1 - ws + stride) // stride, 0) + 1


class MaxPoolGrad(PoolBase):
    """MaxPoolGrad(ignore_border, ndim)(x, maxout, gz, ws, stride=None, pad=None)."""

    def __init__(self, ignore_border: bool = False, ndim: int = 2, mode: str = "max") -> None:
        super().__init__(ignore_border, "max", ndim)

    def make_node(self, x: Any, maxout: Any, gz: Any, ws: Any, stride: Any = None,
                  pad: Any = None) -> Apply:
        x, maxout, gz = (as_tensor_variable(v) for v in (x, maxout, gz))
        self._check_x(x, "MaxPoolGrad")
        if not x.ndim == maxout.ndim == gz.ndim:
            raise TypeError(f"MaxPoolGrad: x, maxout and gz must have the same number of "
                            f"dims, got {x.ndim}, {maxout.ndim} and {gz.ndim}")
        params = self._params(ws, stride, pad, "MaxPoolGrad")
        dtype = dtypes.upcast(x.dtype, gz.dtype)
        return Apply(self, [x, maxout, gz, *params], [TensorType(dtype, x.type.shape)()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        x, maxout, gz, *params = inputs
        geo = self.geometry(x.shape, params, "MaxPoolGrad")
        out = max_pool_grad(x, maxout, gz, geo)
        return [out.astype(node.outputs[0].dtype, copy=False)]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [input_shapes[0]]


class AveragePoolGrad(PoolBase):
    """AveragePoolGrad(ignore_border, mode, ndim)(x, gz, ws, stride=None, pad=None).

    x is read for its shape only. Also serves mode 'sum' (each element gets gz).
    """

    def make_node(self, x: Any, gz: Any, ws: Any, stride: Any = None, pad: Any = None
                  ) -> Apply:
        if self.mode == "max":
            raise ValueError("AveragePoolGrad: mode must be 'sum' or an average mode, not "
                             "'max' (use MaxPoolGrad)")
        x, gz = as_tensor_variable(x), as_tensor_variable(gz)
        self._check_x(x, "AveragePoolGrad")
        if x.ndim != gz.ndim:
            raise TypeError(f"AveragePoolGrad: x and gz must have the same number of dims, "
                            f"got {x.ndim} and {gz.ndim}")
        params = self._params(ws, stride, pad, "AveragePoolGrad")
        dtype = dtypes.upcast(x.dtype, gz.dtype)
        return Apply(self, [x, gz, *params], [TensorType(dtype, x.type.shape)()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        x, gz, *params = inputs
        geo = self.geometry(x.shape, params, "AveragePoolGrad")
        out = average_pool_grad(x.shape, x.dtype, gz, geo, self.mode)
        return [out.astype(node.outputs[0].dtype, copy=False)]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [input_shapes[0]]


class DownsampleFactorMaxGradGrad(PoolBase):
    """(x, maxout, ggx, ws, stride, pad) -> the gradient of MaxPoolGrad in its gz."""

    def __init__(self, ignore_border: bool = False, mode: str = "max", ndim: int = 2) -> None:
        super().__init__(ignore_border, "max", ndim)

    def make_node(self, x: Any, maxout: Any, ggx: Any, ws: Any, stride: Any = None,
                  pad: Any = None) -> Apply:
        x, maxout, ggx = (as_tensor_variable(v) for v in (x, maxout, ggx))
        self._check_x(x, "DownsampleFactorMaxGradGrad")
        params = self._params(ws, stride, pad, "DownsampleFactorMaxGradGrad")
        dtype = dtypes.upcast(x.dtype, ggx.dtype)
        return Apply(self, [x, maxout, ggx, *params], [TensorType(dtype, maxout.type.shape)()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        x, maxout, ggx, *params = inputs
        geo = self.geometry(x.shape, params, "DownsampleFactorMaxGradGrad")
        out = max_pool_grad_grad(x, maxout, ggx, geo)
        return [out.astype(node.outputs[0].dtype, copy=False)]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [input_shapes[1]]
