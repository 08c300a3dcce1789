"""Join (concatenate) on the device: one strided copy kernel per input, writing into the
output at that input's offset along the axis.

`td_place` copies a strided n-d array (any element strides: transposed, sliced,
reversed views) into a strided n-d window of the output, converting the element type
(Join's output dtype is the inputs' upcast). The output is a new contiguous array of
the joined shape; input i's window starts at the sum of the earlier inputs' extents
along the axis, with the output's own strides. One program per (input dtype, output
dtype, rank), built once per runner; empty inputs launch nothing.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tensordsl.backends.cfamily.dialect import OPENCL
from tensordsl.backends.opencl import build
from tensordsl.backends.opencl.device import Runtime
from tensordsl.backends.opencl.render import prelude

ENTRY = "td_place"


def place_source(in_dtype: str, out_dtype: str, ndim: int) -> str:
    """The OpenCL C program copying an `ndim`-d `in_dtype` array into a strided window
    of an `out_dtype` array."""
    tin, tout = OPENCL.type_name(in_dtype), OPENCL.type_name(out_dtype)
    params = ["const long n"] + [f"const long sh{d}" for d in range(ndim)]
    params += [f"__global const {tin} *src", "const long soff"]
    params += [f"const long ss{d}" for d in range(ndim)]
    params += [f"__global {tout} *dst", "const long doff"]
    params += [f"const long ds{d}" for d in range(ndim)]
    lines = [f"/* tensordsl join: {in_dtype} -> {out_dtype}, {ndim}-d */",
             *prelude("float64" in (in_dtype, out_dtype)), "",
             f"__kernel void {ENTRY}({', '.join(params)})", "{",
             "    const long i = get_global_id(0);", "    if (i >= n) return;",
             "    long p = soff, q = doff, r = i, c;"]
    for d in reversed(range(ndim)):  # unravel: the last dim moves fastest
        lines.append(f"    c = r % sh{d}; r /= sh{d};" if d else "    c = r;")
        lines.append(f"    p += c * ss{d}; q += c * ds{d};")
    value = "src[p]"
    if out_dtype == "bool":
        value = f"(({tout})(src[p] != 0))"
    elif in_dtype != out_dtype:
        value = OPENCL.convert("src[p]", out_dtype)
    lines += [f"    dst[q] = {value};", "}", ""]
    return "\n".join(lines)


class JoinRunner:
    """Runs Join(axis) of inputs of `in_dtypes` into `out_dtype` on a device."""

    def __init__(self, axis: int, in_dtypes: list[str], out_dtype: str, ndim: int,
                 rt: Runtime, labels: list[str], who: str) -> None:
        from tensordsl.backends.opencl.runtime import check_fp64

        if "float64" in [*in_dtypes, out_dtype]:
            check_fp64(rt, who)
        self.axis, self.out_dtype, self.ndim = axis, out_dtype, ndim
        self.rt, self.labels, self.who = rt, labels, who
        self.sources = {d: place_source(d, out_dtype, ndim) for d in dict.fromkeys(in_dtypes)}
        self.source = "\n".join(self.sources.values())  # for .source(): every program
        self.entry = ENTRY
        self.fns = {d: build.kernel(rt.context, src, rt.info.name, ENTRY)
                    for d, src in self.sources.items()}

    def call(self, values: list[Any]) -> list[Any]:
        """[the joined device array] of `values` (device arrays of the inputs)."""
        from tensordsl.backends.opencl.runtime import (
            _buffer,
            empty,
            group_size,
            launch,
            to_device,
        )

        arrays = [to_device(self.rt, v, self.who, lbl) for v, lbl in zip(values, self.labels)]
        shapes = [tuple(a.shape) for a in arrays]
        rest = {s[:self.axis] + s[self.axis + 1:] for s in shapes}
        if len(rest) != 1 or any(len(s) != self.ndim for s in shapes):
            listed = ", ".join(f"{lbl} {s}" for lbl, s in zip(self.labels, shapes))
            raise ValueError(f"concatenate along axis {self.axis}: the inputs' shapes must be "
                             f"equal outside that axis, got {listed}")
        full = list(shapes[0])
        full[self.axis] = sum(s[self.axis] for s in shapes)
        out = empty(self.rt, tuple(full), self.out_dtype)
        item = np.dtype(self.out_dtype).itemsize
        dst_strides = [st // item for st in out.strides]
        start = 0
        wg = group_size(self.rt)
        for a, shape in zip(arrays, shapes):
            n = math.prod(shape)
            if n:
                size = a.dtype.itemsize
                args: list[Any] = [np.int64(n)] + [np.int64(s) for s in shape]
                args += [_buffer(self.rt, a), np.int64(a.offset // size)]
                args += [np.int64(st // size) for st in a.strides]
                args += [out.base_data, np.int64(start * dst_strides[self.axis])]
                args += [np.int64(st) for st in dst_strides]
                launch(self.fns[a.dtype.name], self.rt.queue, (-(-n // wg) * wg,), (wg,),
                       *args)
            start += shape[self.axis]
        return [out]
