"""3-d convolution (NCDHW), Theano 1.0's AbstractConv3d and its two gradients.

Images (batch, channels, depth, rows, cols), filters (out channels, channels /
num_groups, depth, rows, cols). The numpy kernels are im2col + GEMM as conv_kernels.py
does for 2-d: an `as_strided` view gives every window, one copy lays the windows out as
(groups, batch * output positions, channels/groups * taps), and one batched matrix
product per direction gives the output, the filter gradient or the window gradient
(scatter-added back tap by tap). filter_flip=True flips the filters in all three
spatial dims (a true convolution). Every backend runs this `perform` (the C backend has
no 3-d rule). Gradient rules: gradient/rules_conv3d.py.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from tensordsl import dtypes
from tensordsl.graph.basic import Apply, Constant, Op, Variable
from tensordsl.graph.convert import as_tensor_variable
from tensordsl.graph.type import TensorType
from tensordsl.ops.conv import check_hint, shape_hint
from tensordsl.ops.conv_kernels import is_int

__all__ = ["AbstractConv3d", "AbstractConv3d_gradInputs", "AbstractConv3d_gradWeights",
           "BaseConv3d", "conv3d_forward", "conv3d_grad_inputs", "conv3d_grad_weights",
           "get_conv3d_output_shape"]

ND = 3
Pads3 = tuple[tuple[int, int], tuple[int, int], tuple[int, int]]


def _triple(value: Any, what: str, minimum: int = 1) -> tuple[int, int, int]:
    if (not isinstance(value, (tuple, list)) or len(value) != ND
            or not all(is_int(v) for v in value)):
        raise ValueError(f"conv3d: {what} must be a tuple of 3 ints, got {value!r}")
    if any(int(v) < minimum for v in value):
        raise ValueError(f"conv3d: {what} must be >= {minimum}, got {tuple(value)!r}")
    return int(value[0]), int(value[1]), int(value[2])


def normalize_border_mode3(border_mode: Any) -> str | Pads3:
    """'valid', 'full', 'half', or explicit per-dim (before, after) zero padding from an
    int, 3 ints, or 3 (before, after) pairs; all-zero padding is 'valid'."""
    if isinstance(border_mode, str):
        if border_mode not in ("valid", "full", "half"):
            raise ValueError(f"conv3d: border_mode must be 'valid', 'full', 'half', an int "
                             f"or a tuple of 3 ints, got {border_mode!r}")
        return border_mode
    if is_int(border_mode):
        if border_mode < 0:
            raise ValueError(f"conv3d: border_mode must be >= 0, got {border_mode!r}")
        pads = ((int(border_mode),) * 2,) * ND
    elif (isinstance(border_mode, (tuple, list)) and len(border_mode) == ND
          and all(isinstance(b, (tuple, list)) for b in border_mode)):
        pairs = []
        for b in border_mode:
            if len(b) != 2 or not all(is_int(v) and v >= 0 for v in b):
                raise ValueError(f"conv3d: border_mode pairs must be 2 ints >= 0, got "
                                 f"{border_mode!r}")
            pairs.append((int(b[0]), int(b[1])))
        pads = tuple(pairs)
    elif isinstance(border_mode, (tuple, list)):
        p = _triple(border_mode, "border_mode", minimum=0)
        pads = tuple((v, v) for v in p)
    else:
        raise ValueError(f"conv3d: border_mode must be 'valid', 'full', 'half', an int or a "
                         f"tuple of 3 ints, got {border_mode!r}")
    return "valid" if all(p == (0, 0) for p in pads) else pads  # type: ignore[return-value]


def _pads(border_mode: str | Pads3, kshape: tuple, dilation: tuple) -> tuple:
    if border_mode == "valid":
        return ((0, 0),) * ND
    if border_mode in ("full", "half"):
        out = []
        for k, d in zip(kshape, dilation):
            if k is None:
                out.append((None, None))
                continue
            ext = (k - 1) * d + 1
            p = ext - 1 if border_mode == "full" else ext // 2
            out.append((p, p))
        return tuple(out)
    return border_mode


def _out_size(size: Any, k: Any, pad: tuple, stride: int, dilation: int) -> Any:
    if size is None or k is None or pad[0] is None:
        return None
    return (size + pad[0] + pad[1] - ((k - 1) * dilation + 1)) // stride + 1


def get_conv3d_output_shape(image_shape: tuple, kernel_shape: tuple, border_mode: Any,
                            subsample: Any, filter_dilation: Any = None) -> tuple:
    """The NCDHW output shape (entries may be None), Theano's get_conv_output_shape."""
    mode = normalize_border_mode3(border_mode)
    stride = _triple(subsample, "subsample")
    dil = _triple((1, 1, 1) if filter_dilation is None else filter_dilation,
                  "filter_dilation")
    pads = _pads(mode, tuple(kernel_shape[2:]), dil)
    return (image_shape[0], kernel_shape[0]) + tuple(
        _out_size(s, k, p, st, d) for s, k, p, st, d in
        zip(image_shape[2:], kernel_shape[2:], pads, stride, dil))


# ---------------------------------------------------------------- numpy kernels


def _geometry(spatial: tuple, kshape: tuple, border_mode: str | Pads3, stride: tuple,
              dilation: tuple, where: str) -> tuple[tuple, tuple]:
    pads = _pads(border_mode, kshape, dilation)
    out = []
    for dim, (size, k, p, st, d) in enumerate(zip(spatial, kshape, pads, stride, dilation)):
        ext = (k - 1) * d + 1
        if size + p[0] + p[1] < ext:
            raise ValueError(f"{where}: the filters span {ext} in dim {dim + 2} (size {k}, "
                             f"dilation {d}) but the padded input has only "
                             f"{size + p[0] + p[1]}")
        out.append(_out_size(size, k, p, st, d))
    return pads, tuple(out)


def _windows(xp: np.ndarray, kshape: tuple, out: tuple, stride: tuple, dilation: tuple,
             groups: int) -> np.ndarray:
    """(groups, batch * positions, channels/groups * taps) copy of every window."""
    n, c = xp.shape[:2]
    cg = c // groups
    s = xp.strides
    view = as_strided(
        xp, (groups, n, *out, cg, *kshape),
        (s[1] * cg, s[0], *(s[2 + i] * stride[i] for i in range(ND)), s[1],
         *(s[2 + i] * dilation[i] for i in range(ND))), writeable=False)
    return view.reshape(groups, n * math.prod(out), cg * math.prod(kshape))


def _check_groups(c_in: int, kern_c: int, out_c: int, groups: int, where: str) -> None:
    if c_in % groups or out_c % groups:
        raise ValueError(f"{where}: the input's {c_in} channels and the {out_c} filters must "
                         f"be divisible by num_groups={groups}")
    if c_in != kern_c * groups:
        raise ValueError(f"{where}: the input has {c_in} channels but the filters take "
                         f"{kern_c} per group (filters.shape[1]) x num_groups={groups}")


def _flip(kern: np.ndarray, flip: bool) -> np.ndarray:
    return kern[:, :, ::-1, ::-1, ::-1] if flip else kern


def conv3d_forward(img: np.ndarray, kern: np.ndarray, border_mode: str | Pads3,
                   stride: tuple, dilation: tuple, flip: bool, groups: int, dtype: str
                   ) -> np.ndarray:
    """The 3-d convolution of NCDHW `img` with `kern` (module docstring)."""
    where = "conv3d"
    n, c = img.shape[:2]
    o, kc = kern.shape[:2]
    _check_groups(c, kc, o, groups, where)
    pads, out = _geometry(img.shape[2:], kern.shape[2:], border_mode, stride, dilation, where)
    img, kern = img.astype(dtype, copy=False), kern.astype(dtype, copy=False)
    xp = np.pad(img, ((0, 0), (0, 0)) + tuple(pads))
    cols = _windows(xp, kern.shape[2:], out, stride, dilation, groups)
    og = o // groups
    kmat = _flip(kern, flip).reshape(groups, og, -1)
    res = np.matmul(cols, kmat.transpose(0, 2, 1))  # (groups, n * P, og)
    res = res.reshape(groups, n, *out, og)
    # (groups, n, *out, og) -> (n, groups, og, *out): channel g * og + j
    return np.ascontiguousarray(res.transpose(1, 0, 5, 2, 3, 4)).reshape(n, o, *out)


def _top_matrix(topgrad: np.ndarray, groups: int) -> np.ndarray:
    """(n, O, *out) as (groups, n * positions, O / groups)."""
    n, o = topgrad.shape[:2]
    out = topgrad.shape[2:]
    t = topgrad.reshape(n, groups, o // groups, *out)
    t = np.moveaxis(t, 2, -1).transpose(1, 0, 2, 3, 4, 5)  # (groups, n, *out, og)
    return t.reshape(groups, n * math.prod(out), o // groups)


def conv3d_grad_weights(img: np.ndarray, topgrad: np.ndarray, kshape: tuple,
                        border_mode: str | Pads3, stride: tuple, dilation: tuple, flip: bool,
                        groups: int, dtype: str) -> np.ndarray:
    """d sum(topgrad * conv3d(img, K)) / dK for filters of spatial size `kshape`."""
    where = "conv3d_grad_wrt_weights"
    n, c = img.shape[:2]
    o = topgrad.shape[1]
    if c % groups or o % groups:
        raise ValueError(f"{where}: the input's {c} channels and the output_grad's {o} "
                         f"channels must be divisible by num_groups={groups}")
    pads, out = _geometry(img.shape[2:], kshape, border_mode, stride, dilation, where)
    if topgrad.shape[0] != n or tuple(topgrad.shape[2:]) != out:
        raise ValueError(f"{where}: output_grad has shape {topgrad.shape}, expected batch {n} "
                         f"and spatial shape {out} for these shapes and parameters")
    img, topgrad = img.astype(dtype, copy=False), topgrad.astype(dtype, copy=False)
    xp = np.pad(img, ((0, 0), (0, 0)) + tuple(pads))
    cols = _windows(xp, kshape, out, stride, dilation, groups)
    gk = np.matmul(_top_matrix(topgrad, groups).transpose(0, 2, 1), cols)  # (g, og, cg*K)
    gk = gk.reshape(o, c // groups, *kshape)
    return np.ascontiguousarray(_flip(gk, flip))


def conv3d_grad_inputs(kern: np.ndarray, topgrad: np.ndarray, spatial: tuple,
                       border_mode: str | Pads3, stride: tuple, dilation: tuple, flip: bool,
                       groups: int, dtype: str) -> np.ndarray:
    """d sum(topgrad * conv3d(X, kern)) / dX for images of spatial size `spatial`."""
    where = "conv3d_grad_wrt_inputs"
    o, kc = kern.shape[:2]
    kshape = kern.shape[2:]
    n = topgrad.shape[0]
    if topgrad.shape[1] != o:
        raise ValueError(f"{where}: output_grad has {topgrad.shape[1]} channels but there are "
                         f"{o} filters")
    if o % groups:
        raise ValueError(f"{where}: the {o} filters are not divisible by num_groups={groups}")
    pads, out = _geometry(spatial, kshape, border_mode, stride, dilation, where)
    if tuple(topgrad.shape[2:]) != out:
        raise ValueError(f"{where}: output_grad has shape {topgrad.shape}, expected spatial "
                         f"shape {out} for these shapes and parameters")
    kern, topgrad = kern.astype(dtype, copy=False), topgrad.astype(dtype, copy=False)
    og = o // groups
    kmat = _flip(kern, flip).reshape(groups, og, -1)
    gcols = np.matmul(_top_matrix(topgrad, groups), kmat)  # (groups, n * P, kc * K)
    gcols = gcols.reshape(groups, n, *out, kc, *kshape)
    padded = tuple(s + p[0] + p[1] for s, p in zip(spatial, pads))
    gx = np.zeros((n, groups, kc, *padded), dtype=dtype)
    for tap in np.ndindex(*kshape):  # scatter-add every filter tap back (col2im)
        sl = tuple(slice(t * d, t * d + st * (ob - 1) + 1, st)
                   for t, d, st, ob in zip(tap, dilation, stride, out))
        # (groups, n, *out, kc) -> (n, groups, kc, *out)
        part = gcols[(slice(None),) * (2 + ND) + (slice(None),) + tap]
        gx[(slice(None),) * 3 + sl] += np.moveaxis(part, -1, 2).transpose(1, 0, 2, 3, 4, 5)
    gx = gx.reshape(n, groups * kc, *padded)
    return gx[(slice(None), slice(None)) + tuple(slice(p[0], p[0] + s)
                                                for p, s in zip(pads, spatial))]


# ---------------------------------------------------------------- ops


def _as_5d(x: Any, what: str, where: str) -> Variable:
    x = as_tensor_variable(x)
    if x.ndim != 2 + ND:
        raise TypeError(f"{where}: {what} must be a 5-d tensor (NCDHW), got {x.ndim} dims "
                        f"({x.type})")
    if x.dtype == "bool" or dtypes.is_complex(x.dtype):
        raise TypeError(f"{where}: {what} must be real numbers, got {x.dtype}")
    return x


def _as_shape3(shape: Any, what: str, where: str) -> Variable:
    from tensordsl.ops.shape import MakeVector
    from tensordsl.tensor import math as tm

    if isinstance(shape, (tuple, list)):
        if len(shape) != ND:
            raise ValueError(f"{where}: {what} must have 3 entries, got {shape!r}")
        if all(is_int(s) for s in shape):
            return as_tensor_variable(np.asarray(shape, dtype="int64"))
        parts = [as_tensor_variable(s) for s in shape]
        for p in parts:
            if p.ndim != 0 or not dtypes.is_int(p.dtype):
                raise TypeError(f"{where}: {what} entries must be integer scalars, got {p.type}")
        return MakeVector("int64")(*[tm.cast(p, "int64") for p in parts])
    var = as_tensor_variable(shape)
    if var.ndim != 1 or not dtypes.is_int(var.dtype) or var.type.shape[0] not in (None, ND):
        raise TypeError(f"{where}: {what} must be an integer vector of 3 entries, got "
                        f"{var.type}")
    return var


def _static3(var: Variable) -> tuple:
    if isinstance(var, Constant):
        return tuple(int(v) for v in var.data)
    return (None,) * ND


def _size_at_run(shape: np.ndarray, what: str, where: str) -> tuple[int, int, int]:
    if shape.shape != (ND,) or (shape < 0).any():
        raise ValueError(f"{where}: {what} must be 3 sizes >= 0, got {shape.tolist()}")
    return int(shape[0]), int(shape[1]), int(shape[2])


class BaseConv3d(Op):
    """Parameters shared by the three 3-d conv ops (Theano 1.0's signature)."""

    __props__ = ("border_mode", "subsample", "filter_flip", "filter_dilation", "num_groups",
                 "imshp", "kshp")

    def __init__(self, imshp: Any = None, kshp: Any = None, border_mode: Any = "valid",
                 subsample: Any = (1, 1, 1), filter_flip: bool = True,
                 filter_dilation: Any = (1, 1, 1), num_groups: int = 1) -> None:
        self.border_mode = normalize_border_mode3(border_mode)
        self.subsample = _triple(subsample, "subsample")
        self.filter_dilation = _triple(filter_dilation, "filter_dilation")
        if not isinstance(filter_flip, (bool, np.bool_)):
            raise TypeError(f"conv3d: filter_flip must be a bool, got {filter_flip!r}")
        self.filter_flip = bool(filter_flip)
        if not is_int(num_groups) or num_groups < 1:
            raise ValueError(f"conv3d: num_groups must be an int >= 1, got {num_groups!r}")
        self.num_groups = int(num_groups)
        self.imshp = shape_hint(imshp, 2 + ND, "input_shape", "conv3d")
        self.kshp = shape_hint(kshp, 2 + ND, "filter_shape", "conv3d")

    def params(self) -> dict[str, Any]:
        """Keyword arguments that rebuild this op's parameters (for the sibling ops)."""
        return {"imshp": self.imshp, "kshp": self.kshp, "border_mode": self.border_mode,
                "subsample": self.subsample, "filter_flip": self.filter_flip,
                "filter_dilation": self.filter_dilation, "num_groups": self.num_groups}

    def _args(self) -> tuple:
        return (self.border_mode, self.subsample, self.filter_dilation, self.filter_flip,
                self.num_groups)

    def _merged(self, static: tuple, hint: tuple | None, what: str, where: str) -> tuple:
        check_hint(hint, static, what, where)
        if hint is None:
            return static
        return tuple(s if s is not None else h for s, h in zip(static, hint))


class AbstractConv3d(BaseConv3d):
    """conv3d(img, kern): the forward 3-d convolution."""

    def make_node(self, img: Any, kern: Any) -> Apply:
        img, kern = _as_5d(img, "input", "conv3d"), _as_5d(kern, "filters", "conv3d")
        ishape = self._merged(img.type.shape, self.imshp, "input_shape", "conv3d")
        kshape = self._merged(kern.type.shape, self.kshp, "filter_shape", "conv3d")
        if None not in (ishape[1], kshape[1]):
            _check_groups(ishape[1], kshape[1], kshape[0] if kshape[0] is not None
                          else self.num_groups, self.num_groups, "conv3d")
        pads = _pads(self.border_mode, kshape[2:], self.filter_dilation)
        for dim in range(ND):
            size, k, p = ishape[2 + dim], kshape[2 + dim], pads[dim]
            if None not in (size, k, p[0]):
                ext = (k - 1) * self.filter_dilation[dim] + 1
                if size + p[0] + p[1] < ext:
                    raise ValueError(f"conv3d: the filters ({kshape}) span {ext} in dim "
                                     f"{dim + 2}, more than the padded input ({ishape})")
        out = get_conv3d_output_shape(ishape, kshape, self.border_mode, self.subsample,
                                      self.filter_dilation)
        return Apply(self, [img, kern],
                     [TensorType(dtypes.upcast(img.dtype, kern.dtype), out)()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        img, kern = inputs
        check_hint(self.imshp, img.shape, "input_shape", "conv3d")
        check_hint(self.kshp, kern.shape, "filter_shape", "conv3d")
        return [conv3d_forward(img, kern, *self._args(), node.outputs[0].dtype)]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        ish, ksh = input_shapes
        pads = _pads(self.border_mode, tuple(ksh[2:]), self.filter_dilation)
        return [(ish[0], ksh[0]) + tuple(
            _out_size(s, k, p, st, d) for s, k, p, st, d in
            zip(ish[2:], ksh[2:], pads, self.subsample, self.filter_dilation))]


class AbstractConv3d_gradWeights(BaseConv3d):  # noqa: N801 - Theano's name
    """(img, topgrad, (kd, kh, kw)) -> the gradient of conv3d with respect to its filters."""

    def make_node(self, img: Any, topgrad: Any, shape: Any, add_assert_shape: bool = True
                  ) -> Apply:
        where = "conv3d_grad_wrt_weights"
        img, topgrad = _as_5d(img, "input", where), _as_5d(topgrad, "output_grad", where)
        shape = _as_shape3(shape, "filter_shape[2:]", where)
        ishape = self._merged(img.type.shape, self.imshp, "input_shape", where)
        c = ishape[1]
        out = (topgrad.type.shape[1], None if c is None else c // self.num_groups,
               *_static3(shape))
        out = self._merged(out, self.kshp, "filter_shape", where)
        return Apply(self, [img, topgrad, shape],
                     [TensorType(dtypes.upcast(img.dtype, topgrad.dtype), out)()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        img, topgrad, shape = inputs
        where = "conv3d_grad_wrt_weights"
        check_hint(self.imshp, img.shape, "input_shape", where)
        kshape = _size_at_run(shape, "filter_shape[2:]", where)
        out = conv3d_grad_weights(img, topgrad, kshape, *self._args(), node.outputs[0].dtype)
        check_hint(self.kshp, out.shape, "filter_shape", where)
        return [out]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        ish, tsh, _ = input_shapes
        shape = node.inputs[2]
        return [(tsh[1], ish[1] // self.num_groups, shape[0], shape[1], shape[2])]


class AbstractConv3d_gradInputs(BaseConv3d):  # noqa: N801 - Theano's name
    """(kern, topgrad, (d, h, w)) -> the gradient of conv3d with respect to its input."""

    def make_node(self, kern: Any, topgrad: Any, shape: Any, add_assert_shape: bool = True
                  ) -> Apply:
        where = "conv3d_grad_wrt_inputs"
        kern, topgrad = _as_5d(kern, "filters", where), _as_5d(topgrad, "output_grad", where)
        shape = _as_shape3(shape, "input_shape[2:]", where)
        kshape = self._merged(kern.type.shape, self.kshp, "filter_shape", where)
        kc = kshape[1]
        out = (topgrad.type.shape[0], None if kc is None else kc * self.num_groups,
               *_static3(shape))
        out = self._merged(out, self.imshp, "input_shape", where)
        return Apply(self, [kern, topgrad, shape],
                     [TensorType(dtypes.upcast(kern.dtype, topgrad.dtype), out)()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        kern, topgrad, shape = inputs
        where = "conv3d_grad_wrt_inputs"
        check_hint(self.kshp, kern.shape, "filter_shape", where)
        spatial = _size_at_run(shape, "input_shape[2:]", where)
        out = conv3d_grad_inputs(kern, topgrad, spatial, *self._args(), node.outputs[0].dtype)
        check_hint(self.imshp, out.shape, "input_shape", where)
        return [out]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        ksh, tsh, _ = input_shapes
        shape = node.inputs[2]
        return [(tsh[0], ksh[1] * self.num_groups, shape[0], shape[1], shape[2])]
