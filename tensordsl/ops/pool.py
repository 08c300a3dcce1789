"""Pooling over the last `ndim` dims (Theano's signal.pool): Pool and its gradient ops.

Inputs follow Theano 1.0: (x, ws, stride, pad) with ws/stride/pad integer vectors of
`ndim` entries (constants in practice). Semantics and numpy kernels: pool_kernels.py;
gradient rules: gradient/rules_nnet.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl import dtypes
from tensordsl.graph.basic import Apply, Constant, Op, Variable
from tensordsl.graph.convert import as_tensor_variable
from tensordsl.graph.type import TensorType
from tensordsl.ops.pool_kernels import (
    Geometry,
    average_pool_grad,
    check_mode,
    check_params,
    max_pool_grad,
    max_pool_grad_grad,
    pool_forward,
    pool_out_size,
)

__all__ = ["AveragePoolGrad", "DownsampleFactorMaxGradGrad", "MaxPoolGrad", "Pool", "PoolBase",
           "pool_out_size"]


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
                 ) -> Geometry:
        """The run-time geometry of one call."""
        ws, stride, pad = _run_values(params, self.ndim, where)
        return Geometry(shape, ws, stride, pad, self.ignore_border, where)


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
