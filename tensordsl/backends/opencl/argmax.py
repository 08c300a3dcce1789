"""Argmax / Argmin on the device: one work-item per output element, scanning its line.

The program `td_arg` takes the output count `m`, the scanned extent `r` and its element
stride, the kept dims' sizes and strides (the work-item's id is unravelled over them,
last dim fastest) and writes int64 indices. The scan keeps the first index of the
extreme value, and a NaN counts as the extreme (its first occurrence wins), as numpy's
argmax/argmin. `axis=None` scans the flattened array: a strided input is made
contiguous on the device first, then scanned as one line.

The scan is sequential per output: fine for many outputs (a row-wise argmax), slow for
few long lines (a flattened argmax of millions of elements runs on one work-item);
it keeps the value on the device instead of copying it back to the host.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tensordsl.backends.cfamily.dialect import OPENCL
from tensordsl.backends.opencl import build
from tensordsl.backends.opencl.device import Runtime
from tensordsl.backends.opencl.render import prelude


def argmax_source(dtype: str, kept: int, kind: str) -> str:
    """The OpenCL C program `td_arg` for `dtype` inputs with `kept` kept dims; kind is
    "max" or "min"."""
    if kind not in ("max", "min"):
        raise ValueError(f"argmax_source: kind must be 'max' or 'min', got {kind!r}")
    t = OPENCL.type_name(dtype)
    cmp = ">" if kind == "max" else "<"
    floating = dtype in ("float32", "float64")
    # a NaN beats any number; among NaNs (and equal values) the first stays
    better = (f"(v {cmp} best || (v != v && best == best))" if floating
              else f"(v {cmp} best)")
    params = ["const long m", "const long r", "const long rs"]
    params += [f"const long ks{d}, const long kst{d}" for d in range(kept)]
    params += [f"__global const {t} *x", "const long off", "__global long *out"]
    lines = [f"/* tensordsl arg{kind}: {dtype}, {kept} kept dims */",
             *prelude(dtype == "float64"), "",
             f"__kernel void td_arg({', '.join(params)})", "{",
             "    const long i = get_global_id(0);", "    if (i >= m) return;",
             "    long p = off;"]
    if kept:
        lines.append("    long q = i, c;")
    for d in reversed(range(kept)):
        lines.append(f"    c = q % ks{d}; q /= ks{d};" if d else "    c = q;")
        lines.append(f"    p += c * kst{d};")
    lines += [f"    {t} best = x[p];", "    long at = 0;",
              "    for (long k = 1; k < r; ++k) {",
              f"        const {t} v = x[p + k * rs];",
              f"        if {better} {{ best = v; at = k; }}",
              "    }", "    out[i] = at;", "}", ""]
    return "\n".join(lines)


class ArgmaxRunner:
    """Argmax/Argmin(axis) of a device array (a step's `call`)."""

    def __init__(self, dtype: str, ndim: int, axis: int | None, kind: str, rt: Runtime,
                 who: str) -> None:
        from tensordsl.backends.opencl.runtime import check_fp64

        if dtype == "float64":
            check_fp64(rt, who)
        self.dtype = np.dtype(dtype)
        self.axis = axis
        self.kind = kind
        self.rt = rt
        self.who = who
        kept = 0 if axis is None else ndim - 1
        self.source = argmax_source(dtype, kept, kind)
        self.fn = build.kernel(rt.context, self.source, rt.info.name, "td_arg")

    def call(self, values: list[Any]) -> list[Any]:
        """[int64 indices] as a device array."""
        from tensordsl.backends.opencl import runtime

        x = runtime.to_device(self.rt, values[0], self.who, "x")
        if x.dtype != self.dtype:
            raise ValueError(f"{self.who}: input must have dtype {self.dtype.name}, got "
                             f"{x.dtype}")
        if x.size == 0 or (self.axis is not None and x.shape[self.axis] == 0):
            raise ValueError(f"{self.who}: attempt to get arg{self.kind} of an empty "
                             f"sequence (input shape {x.shape})")
        item = x.dtype.itemsize
        if self.axis is None:
            if not x.flags.c_contiguous:
                x = runtime.contiguous(x)
            kept_shape: tuple[int, ...] = ()
            kept_strides: list[int] = []
            r, rs = x.size, 1
        else:
            kept_dims = [d for d in range(x.ndim) if d != self.axis]
            kept_shape = tuple(x.shape[d] for d in kept_dims)
            kept_strides = [x.strides[d] // item for d in kept_dims]
            r, rs = x.shape[self.axis], x.strides[self.axis] // item
        out = runtime.empty(self.rt, kept_shape, "int64")
        m = math.prod(kept_shape)
        if m == 0:
            return [out]
        args: list[Any] = [np.int64(m), np.int64(r), np.int64(rs)]
        for size, stride in zip(kept_shape, kept_strides):
            args += [np.int64(size), np.int64(stride)]
        args += [runtime._buffer(self.rt, x), np.int64(x.offset // item), out.base_data]
        wg = runtime.group_size(self.rt)
        runtime.launch(self.fn, self.rt.queue, (-(-m // wg) * wg,), (wg,), *args)
        return [out]
