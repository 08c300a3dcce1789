"""Theano 1.0's Images2Neibs: every (neighbourhood) patch of 4-d images as a matrix row,
and its adjoint, the scatter-add of rows back into images.

For images (n, s, h, w), neib_shape (c, d) and neib_step (sx, sy), row
`b + gd * (a + gc * (k + s * m))` of the output is patch (a, b) of image (m, k),
flattened row-major: `out[row, j + d * i] = x[m, k, a * sx + i - sh, b * sy + j - sw]`.
Per mode (as Theano's `Images2Neibs.perform`):
  valid           sh = sw = 0; (h - c) % sx == 0 and (w - d) % sy == 0, else TypeError
  ignore_borders  sh = sw = 0; the patches that fit (the borders are dropped)
  half            sh = c // 2, sw = d // 2, out-of-image pixels are 0; (h - c % 2) % sx
                  == 0 (likewise w), else TypeError
  full            sh = c - 1, sw = d - 1, out-of-image pixels are 0; (h + c - 2) % sx
                  == 0 (likewise w), else TypeError
  wrap_centered   sh = c // 2, sw = d // 2, indices wrap around the image (c, d odd and
                  at most the image size, else TypeError); ceil(h / sx) patch rows

Both ops are linear and adjoint to each other, so each one's gradient is the other
(gradient/rules_extra.py); Theano 1.0 differentiates only valid and ignore_borders.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl import dtypes
from tensordsl.graph.basic import Apply, Constant, Op, Variable
from tensordsl.graph.convert import as_tensor_variable
from tensordsl.graph.type import TensorType

__all__ = ["MODES", "Images2Neibs", "Images2NeibsGrad", "neib_grid"]

MODES = ("valid", "ignore_borders", "half", "full", "wrap_centered")


def _consistent(size: int, k: int, step: int, dim: int, extent: int) -> None:
    if size < k or extent % step:
        raise TypeError(f"neib_shape[{dim}]={k}, neib_step[{dim}]={step} and "
                        f"ten4.shape[{dim + 2}]={size} not consistent")


def _axis(size: int, k: int, step: int, mode: str, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """(source index, in-image mask), both (patches, k), of one spatial axis."""
    if mode == "wrap_centered":
        if k % 2 != 1:
            raise TypeError("Images2Neibs: in mode wrap_centered need patch with odd shapes")
        grid, shift = -(-size // step), k // 2
    elif mode == "valid":
        _consistent(size, k, step, dim, size - k)
        grid, shift = 1 + (size - k) // step, 0
    elif mode == "ignore_borders":
        grid, shift = max(0, 1 + (size - k) // step), 0
    elif mode == "half":
        _consistent(size, k, step, dim, size - k % 2)
        grid, shift = 1 + (size - k % 2) // step, k // 2
    else:  # full
        _consistent(size, k, step, dim, size + k - 2)
        grid, shift = 1 + (size + k - 2) // step, k - 1
    index = np.arange(grid)[:, None] * step + np.arange(k)[None, :] - shift
    if mode == "wrap_centered":
        return index % size, np.ones(index.shape, dtype=bool)
    inside = (index >= 0) & (index < size)
    return np.clip(index, 0, max(size - 1, 0)), inside


def neib_grid(hw: tuple[int, int], neib_shape: tuple[int, int], neib_step: tuple[int, int],
              mode: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(rows, row mask, cols, col mask): per axis the source pixel of each patch tap."""
    (h, w), (c, d), (sx, sy) = hw, neib_shape, neib_step
    if sx <= 0 or sy <= 0:
        raise ValueError(f"neib_step wrong step ; values <= 0. Got {[sx, sy]}")
    if c <= 0 or d <= 0:
        raise ValueError(f"neib_shape values <=0. Got {[c, d]}")
    if mode == "wrap_centered" and (h < c or w < d):
        raise TypeError(f"Images2Neibs: in wrap_centered mode, don't support image shapes "
                        f"smaller then the patch shapes: neib_shape=({c},{d}), "
                        f"ten4[2:]=[{h},{w}]")
    rows, rmask = _axis(h, c, sx, mode, 0)
    cols, cmask = _axis(w, d, sy, mode, 1)
    return rows, rmask, cols, cmask


def _pair(v: np.ndarray, what: str) -> tuple[int, int]:
    if v.shape != (2,):
        raise ValueError(f"images2neibs: {what} must have 2 entries, got {v.tolist()}")
    return int(v[0]), int(v[1])


def _int_vector(v: Any, what: str, length: int) -> Variable:
    """`v` (ints, integer scalars or an integer vector) as an integer vector variable."""
    if isinstance(v, (tuple, list)) and not all(isinstance(e, (int, np.integer)) for e in v):
        from tensordsl.ops.shape import MakeVector
        from tensordsl.tensor import math as tm

        parts = [as_tensor_variable(e) for e in v]
        if any(p.ndim != 0 or not dtypes.is_int(p.dtype) for p in parts):
            raise TypeError(f"images2neibs: {what} entries must be integer scalars, got "
                            f"{[str(p.type) for p in parts]}")
        v = MakeVector("int64")(*[tm.cast(p, "int64") for p in parts])
    elif isinstance(v, (tuple, list)):
        v = np.asarray(v, dtype="int64")
    var = as_tensor_variable(v)
    if var.ndim != 1 or not dtypes.is_int(var.dtype) or var.type.shape[0] not in (None, length):
        raise TypeError(f"images2neibs: {what} must be an integer vector of {length} entries, "
                        f"got {var.type}")
    return var


def _mode(mode: Any) -> str:
    if mode not in MODES:
        raise NotImplementedError(f"Only modes {', '.join(MODES)} have been implemented for "
                                  f"Images2Neibs, got {mode!r}")
    return mode


def _patch_width(shape: Variable) -> int | None:
    return int(shape.data[0] * shape.data[1]) if isinstance(shape, Constant) else None


class Images2Neibs(Op):
    """(ten4, neib_shape, neib_step) -> the patch matrix (module docstring)."""

    __props__ = ("mode",)

    def __init__(self, mode: str = "valid") -> None:
        self.mode = _mode(mode)

    def make_node(self, ten4: Any, neib_shape: Any, neib_step: Any = None) -> Apply:
        ten4 = as_tensor_variable(ten4)
        if ten4.ndim != 4:
            raise TypeError(f"images2neibs: ten4 must be a 4-d tensor, got {ten4.type}")
        neib_shape = _int_vector(neib_shape, "neib_shape", 2)
        neib_step = neib_shape if neib_step is None else _int_vector(neib_step,
                                                                      "neib_step", 2)
        out = TensorType(ten4.dtype, (None, _patch_width(neib_shape)))()
        return Apply(self, [ten4, neib_shape, neib_step], [out])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        x, shape, step = inputs
        c, d = _pair(shape, "neib_shape")
        rows, rmask, cols, cmask = neib_grid(x.shape[2:], (c, d), _pair(step, "neib_step"),
                                             self.mode)
        # (n, s, patch rows, patch cols, c, d) by one gather
        patches = x[:, :, rows[:, None, :, None], cols[None, :, None, :]]
        mask = rmask[:, None, :, None] & cmask[None, :, None, :]
        if not mask.all():
            patches = np.where(mask, patches, np.zeros((), dtype=x.dtype))
        return [np.ascontiguousarray(patches).reshape(-1, c * d)]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        from tensordsl.tensor import math as tm

        n, s, h, w = input_shapes[0]
        shape, step = node.inputs[1], node.inputs[2]
        c, d, sx, sy = shape[0], shape[1], step[0], step[1]
        if self.mode == "wrap_centered":
            gc, gd = (h + sx - 1) // sx, (w + sy - 1) // sy
        elif self.mode in ("valid", "ignore_borders"):
            gc, gd = 1 + (h - c) // sx, 1 + (w - d) // sy
        elif self.mode == "half":
            gc, gd = 1 + (h - c % 2) // sx, 1 + (w - d % 2) // sy
        else:
            gc, gd = 1 + (h + c - 2) // sx, 1 + (w + d - 2) // sy
        if self.mode == "ignore_borders":
            gc, gd = tm.maximum(gc, 0), tm.maximum(gd, 0)
        return [(gc * gd * s * n, c * d)]


class Images2NeibsGrad(Op):
    """(neibs, neib_shape, neib_step, image_shape) -> the images whose pixels are the sums
    of the patch-matrix entries images2neibs reads them into (its adjoint; also
    neibs2images for disjoint patches)."""

    __props__ = ("mode",)

    def __init__(self, mode: str = "valid") -> None:
        self.mode = _mode(mode)

    def make_node(self, neibs: Any, neib_shape: Any, neib_step: Any, image_shape: Any
                  ) -> Apply:
        neibs = as_tensor_variable(neibs)
        if neibs.ndim != 2:
            raise TypeError(f"neibs2images: neibs must be a matrix, got {neibs.type}")
        neib_shape = _int_vector(neib_shape, "neib_shape", 2)
        neib_step = _int_vector(neib_step, "neib_step", 2)
        image_shape = _int_vector(image_shape, "original_shape", 4)
        static = (tuple(int(v) for v in image_shape.data) if isinstance(image_shape, Constant)
                  else (None,) * 4)
        return Apply(self, [neibs, neib_shape, neib_step, image_shape],
                     [TensorType(neibs.dtype, static)()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        neibs, shape, step, image_shape = inputs
        if image_shape.shape != (4,) or (image_shape < 0).any():
            raise ValueError(f"neibs2images: original_shape must be 4 sizes >= 0, got "
                             f"{image_shape.tolist()}")
        n, s, h, w = (int(v) for v in image_shape)
        c, d = _pair(shape, "neib_shape")
        rows, rmask, cols, cmask = neib_grid((h, w), (c, d), _pair(step, "neib_step"),
                                             self.mode)
        want = (n * s * rows.shape[0] * cols.shape[0], c * d)
        if neibs.shape != want:
            raise ValueError(f"neibs2images: neibs has shape {neibs.shape} but images of shape "
                             f"{(n, s, h, w)} give {want} patches x taps in mode "
                             f"{self.mode!r}")
        g = neibs.reshape(n, s, rows.shape[0], cols.shape[0], c, d)
        mask = rmask[:, None, :, None] & cmask[None, :, None, :]
        if not mask.all():
            g = np.where(mask, g, np.zeros((), dtype=g.dtype))
        out = np.zeros((n, s, h, w), dtype=node.outputs[0].dtype)
        # scatter-add: a pixel read by several patches (overlaps, wrapping) sums them
        np.add.at(out, (slice(None), slice(None), rows[:, None, :, None],
                        cols[None, :, None, :]), g)
        return [out]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        shape = node.inputs[3]
        return [(shape[0], shape[1], shape[2], shape[3])]
