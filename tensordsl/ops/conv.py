"""2-d convolution ops: Theano's AbstractConv2d and its two gradients, numpy `perform`.

Layout is NCHW: images (batch, channels, rows, cols), filters (out channels, in channels /
num_groups, rows, cols). The three ops are the adjoints of each other, so each one's
gradient is built from the other two (as in Theano; rules in gradient/rules_nnet.py).
The numpy kernels and the border-mode arithmetic are in conv_kernels.py; `perform` takes
the window copies (im2col, col2im) as an argument, so the C backend runs the same
arithmetic with compiled ones (backends/c/nnet.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl import dtypes
from tensordsl.graph.basic import Apply, Constant, Op, Variable
from tensordsl.graph.convert import as_tensor_variable
from tensordsl.graph.type import TensorType
from tensordsl.ops.conv_kernels import (
    NUMPY_COLUMNS,
    ColumnKernels,
    check_groups,
    conv2d_forward,
    conv2d_grad_inputs,
    conv2d_grad_weights,
    conv_out_size,
    dilated,
    get_conv_output_shape,
    int_pair,
    is_int,
    normalize_border_mode,
    pads_for,
)

__all__ = ["AbstractConv2d", "AbstractConv2d_gradInputs", "AbstractConv2d_gradWeights",
           "BaseConv2d", "get_conv_output_shape"]


def _static_pair(var: Variable) -> tuple[int | None, int | None]:
    """The two values of a constant int vector, else (None, None)."""
    if isinstance(var, Constant):
        return int(var.data[0]), int(var.data[1])
    return None, None


def check_hint(hint: tuple | None, actual: tuple, what: str, where: str) -> None:
    """A ValueError naming `where` when a known size of `actual` differs from the hint's."""
    if hint is None:
        return
    for i, (want, got) in enumerate(zip(hint, actual)):
        if want is not None and got is not None and want != got:
            raise ValueError(f"{where}: {what} says dim {i} has size {want}, but it has "
                             f"{got} (the {what} given is {hint}, the value's shape {actual})")


def shape_hint(shape: Any, rank: int, what: str, where: str,
               of: str = "") -> tuple[int | None, ...] | None:
    """A shape hint (input_shape / filter_shape) as a `rank`-tuple of ints and Nones
    (symbolic entries unknown), or a ValueError naming `where` and `what` (`of` ends the
    expected-length phrase, e.g. " for unshared convolution")."""
    if shape is None:
        return None
    if not isinstance(shape, (tuple, list)) or len(shape) != rank:
        raise ValueError(f"{where}: {what} must be None or a tuple of {rank} entries{of}, "
                         f"got {shape!r}")
    out: list[int | None] = []
    for s in shape:
        if isinstance(s, Constant):
            s = int(s.data)
        if s is None or isinstance(s, Variable):
            out.append(None)
        elif is_int(s) and s >= 0:
            out.append(int(s))
        else:
            raise ValueError(f"{where}: {what} entries must be ints >= 0 or None, got {shape!r}")
    return tuple(out)


def unshared_flag(unshared: Any, where: str) -> bool:
    """`unshared` as a bool, or a TypeError naming `where` (Theano's flag is a bool)."""
    if not isinstance(unshared, (bool, np.bool_)):
        raise TypeError(f"{where}: unshared must be a bool, got {unshared!r}")
    return bool(unshared)


class BaseConv2d(Op):
    """Parameters shared by the three conv ops (see conv2d for their meaning).

    As in Theano 1.0, each public op class takes `unshared` as its last parameter:
    `AbstractConv2d(..., unshared=True)` builds the unshared (locally connected, 6-d
    filter) variant from conv_unshared.py, a subclass of the class named, so the
    shared classes stay free of 6-d filter logic and `isinstance` still holds.
    """

    __props__ = ("border_mode", "subsample", "filter_flip", "filter_dilation", "num_groups",
                 "imshp", "kshp")
    unshared = False  # the unshared variants (conv_unshared.py) say True

    def __new__(cls, *args: Any, **kwargs: Any) -> BaseConv2d:
        # `unshared` is the 8th parameter, as in Theano 1.0's signature
        unshared = kwargs.get("unshared", args[7] if len(args) > 7 else False)
        if cls.unshared or not unshared_flag(unshared, cls.__name__):
            return super().__new__(cls)
        from tensordsl.ops.conv_unshared import UNSHARED_VARIANT  # imports this module

        variant = UNSHARED_VARIANT.get(cls)
        if variant is None:
            raise TypeError(f"{cls.__name__} has no unshared variant: use AbstractConv2d, "
                            f"AbstractConv2d_gradWeights or AbstractConv2d_gradInputs")
        # type.__call__ then runs the variant's __init__ with the same arguments
        return super().__new__(variant)

    def __init__(self, imshp: Any = None, kshp: Any = None, border_mode: Any = "valid",
                 subsample: Any = (1, 1), filter_flip: bool = True,
                 filter_dilation: Any = (1, 1), num_groups: int = 1,
                 unshared: bool = False) -> None:
        if unshared_flag(unshared, type(self).__name__) != self.unshared:
            raise ValueError(f"{type(self).__name__} is the {'un' * (not unshared)}shared "
                             f"convolution, got unshared={unshared!r}")
        self.border_mode = normalize_border_mode(border_mode)
        self.subsample = int_pair(subsample, "subsample")
        self.filter_dilation = int_pair(filter_dilation, "filter_dilation")
        if not isinstance(filter_flip, (bool, np.bool_)):
            raise TypeError(f"conv2d: filter_flip must be a bool, got {filter_flip!r}")
        self.filter_flip = bool(filter_flip)
        if not is_int(num_groups) or num_groups < 1:
            raise ValueError(f"conv2d: num_groups must be an int >= 1, got {num_groups!r}")
        self.num_groups = int(num_groups)
        self.imshp = shape_hint(imshp, 4, "input_shape", "conv2d")
        self.kshp = shape_hint(kshp, 4, "filter_shape", "conv2d")

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


def _as_4d(x: Any, what: str, where: str) -> Variable:
    x = as_tensor_variable(x)
    if x.ndim != 4:
        hint = (" (6-d filters are an unshared convolution: pass unshared=True)"
                if what == "filters" and x.ndim == 6 else "")
        raise TypeError(f"{where}: {what} must be a 4-d tensor (NCHW), got {x.ndim} dims "
                        f"({x.type}){hint}")
    if x.dtype == "bool" or dtypes.is_complex(x.dtype):
        raise TypeError(f"{where}: {what} must be real numbers, got {x.dtype}")
    return x


def _as_shape2(shape: Any, what: str, where: str) -> Variable:
    """An int64 vector of 2 (spatial sizes) from ints, variables or a vector."""
    from tensordsl.ops.shape import MakeVector
    from tensordsl.tensor import math as tm

    if isinstance(shape, (tuple, list)):
        if len(shape) != 2:
            raise ValueError(f"{where}: {what} must have 2 entries (rows, cols), got {shape!r}")
        if all(is_int(s) for s in shape):
            return as_tensor_variable(np.asarray(shape, dtype="int64"))
        parts = [as_tensor_variable(s) for s in shape]
        for p in parts:
            if p.ndim != 0 or not dtypes.is_int(p.dtype):
                raise TypeError(f"{where}: {what} entries must be integer scalars, got {p.type}")
        return MakeVector("int64")(*[tm.cast(p, "int64") for p in parts])
    var = as_tensor_variable(shape)
    if var.ndim != 1 or not dtypes.is_int(var.dtype) or var.type.shape[0] not in (None, 2):
        raise TypeError(f"{where}: {what} must be an integer vector of 2 entries, got "
                        f"{var.type}")
    return var


def _size_at_run(shape: np.ndarray, what: str, where: str) -> tuple[int, int]:
    if shape.shape != (2,) or (shape < 0).any():
        raise ValueError(f"{where}: {what} must be 2 sizes >= 0, got {shape.tolist()}")
    return int(shape[0]), int(shape[1])


class AbstractConv2d(BaseConv2d):
    """conv2d(img, kern): the forward convolution."""

    def make_node(self, img: Any, kern: Any) -> Apply:
        img = _as_4d(img, "input", "conv2d")
        kern = _as_4d(kern, "filters", "conv2d")
        ishape = self._merged(img.type.shape, self.imshp, "input_shape", "conv2d")
        kshape = self._merged(kern.type.shape, self.kshp, "filter_shape", "conv2d")
        if None not in (ishape[1], kshape[1]):
            check_groups(ishape[1], kshape[1], kshape[0] if kshape[0] is not None
                          else self.num_groups, self.num_groups, "conv2d")
        out = _static_out(ishape, kshape, self)
        dtype = dtypes.upcast(img.dtype, kern.dtype)
        return Apply(self, [img, kern], [TensorType(dtype, out)()])

    def perform(self, node: Apply, inputs: list[np.ndarray],
                impl: ColumnKernels = NUMPY_COLUMNS) -> list[np.ndarray]:
        img, kern = inputs
        check_hint(self.imshp, img.shape, "input_shape", "conv2d")
        check_hint(self.kshp, kern.shape, "filter_shape", "conv2d")
        return [conv2d_forward(img, kern, *self._args(), node.outputs[0].dtype, impl)]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        ish, ksh = input_shapes
        pads = pads_for(self.border_mode, tuple(ksh[2:]), self.filter_dilation)  # type: ignore
        return [(ish[0], ksh[0]) + tuple(
            conv_out_size(s, k, p, st, d) for s, k, p, st, d in
            zip(ish[2:], ksh[2:], pads, self.subsample, self.filter_dilation))]


def _static_out(ishape: tuple, kshape: tuple, op: BaseConv2d) -> tuple:
    pads = pads_for(op.border_mode, kshape[2:], op.filter_dilation)
    for dim in (2, 3):
        size, ext, (lo, hi) = ishape[dim], dilated(kshape[dim], op.filter_dilation[dim - 2]), \
            pads[dim - 2]
        if None not in (size, ext, lo) and size + lo + hi < ext:
            raise ValueError(f"conv2d: the filters ({kshape}) span {ext} in dim {dim}, more "
                             f"than the padded input ({ishape}, border_mode "
                             f"{op.border_mode!r}, filter_dilation {op.filter_dilation})")
    return get_conv_output_shape(ishape, kshape, op.border_mode, op.subsample,
                                 op.filter_dilation)


class AbstractConv2d_gradWeights(BaseConv2d):  # noqa: N801 - Theano's name
    """(img, topgrad, (kh, kw)) -> the gradient of conv2d with respect to its filters."""

    def make_node(self, img: Any, topgrad: Any, shape: Any, add_assert_shape: bool = True
                  ) -> Apply:
        """Theano's add_assert_shape=False (its own gradients pass it) only skips its
        Assert node; tensordsl checks the shape hints when the op runs either way."""
        where = "conv2d_grad_wrt_weights"
        img = _as_4d(img, "input", where)
        topgrad = _as_4d(topgrad, "output_grad", where)
        shape = _as_shape2(shape, "filter_shape[2:]", where)
        kh, kw = _static_pair(shape)
        ishape = self._merged(img.type.shape, self.imshp, "input_shape", where)
        c = ishape[1]
        out = (topgrad.type.shape[1], None if c is None else c // self.num_groups, kh, kw)
        out = self._merged(out, self.kshp, "filter_shape", where)
        dtype = dtypes.upcast(img.dtype, topgrad.dtype)
        return Apply(self, [img, topgrad, shape], [TensorType(dtype, out)()])

    def perform(self, node: Apply, inputs: list[np.ndarray],
                impl: ColumnKernels = NUMPY_COLUMNS) -> list[np.ndarray]:
        img, topgrad, shape = inputs
        where = "conv2d_grad_wrt_weights"
        check_hint(self.imshp, img.shape, "input_shape", where)
        kshape = _size_at_run(shape, "filter_shape[2:]", where)
        out = conv2d_grad_weights(img, topgrad, kshape, *self._args(), node.outputs[0].dtype,
                                  impl)
        check_hint(self.kshp, out.shape, "filter_shape", where)
        return [out]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        ish, tsh, _ = input_shapes
        shape = node.inputs[2]
        return [(tsh[1], ish[1] // self.num_groups, shape[0], shape[1])]


class AbstractConv2d_gradInputs(BaseConv2d):  # noqa: N801 - Theano's name
    """(kern, topgrad, (h, w)) -> the gradient of conv2d with respect to its input."""

    def make_node(self, kern: Any, topgrad: Any, shape: Any, add_assert_shape: bool = True
                  ) -> Apply:
        """Theano's add_assert_shape=False (its own gradients pass it) only skips its
        Assert node; tensordsl checks the shape hints when the op runs either way."""
        where = "conv2d_grad_wrt_inputs"
        kern = _as_4d(kern, "filters", where)
        topgrad = _as_4d(topgrad, "output_grad", where)
        shape = _as_shape2(shape, "input_shape[2:]", where)
        h, w = _static_pair(shape)
        kshape = self._merged(kern.type.shape, self.kshp, "filter_shape", where)
        kc = kshape[1]
        out = (topgrad.type.shape[0], None if kc is None else kc * self.num_groups, h, w)
        out = self._merged(out, self.imshp, "input_shape", where)
        dtype = dtypes.upcast(kern.dtype, topgrad.dtype)
        return Apply(self, [kern, topgrad, shape], [TensorType(dtype, out)()])

    def perform(self, node: Apply, inputs: list[np.ndarray],
                impl: ColumnKernels = NUMPY_COLUMNS) -> list[np.ndarray]:
        kern, topgrad, shape = inputs
        where = "conv2d_grad_wrt_inputs"
        check_hint(self.kshp, kern.shape, "filter_shape", where)
        ishape = _size_at_run(shape, "input_shape[2:]", where)
        out = conv2d_grad_inputs(kern, topgrad, ishape, *self._args(), node.outputs[0].dtype,
                                 impl)
        check_hint(self.imshp, out.shape, "input_shape", where)
        return [out]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        ksh, tsh, _ = input_shapes
        shape = node.inputs[2]
        return [(tsh[0], ksh[1] * self.num_groups, shape[0], shape[1])]
