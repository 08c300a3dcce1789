"""The OpenCL backend's MRGUniform (Theano's mrg_uniform): one work-item per stream.

Work-item s loads stream s's 6-int state into private memory, gives samples s,
s + n_streams, s + 2 n_streams, ... (one MRG31k3p step each, the step text shared with
the C backend: `backends/c/mrg_source.py`) and stores its new state. The loop over the
full rounds has the same trip count in every work-item (the partial last round is a
separate `if`): on PoCL that took 6.6 ms of CPU per 10**6 samples instead of 7.9 ms for a
loop `for (i = s; i < n; i += ns)`. Streams past the
sample count do not move, as in the reference. Consecutive work-items write consecutive
samples of a round, so the stores of a work-group are contiguous.

The state is taken as a device array when it already is one (a shared variable lives on
the device once a function runs there: the update is the kernel's new-state output, so a
function drawing samples every call moves no state over the bus), else copied up once
per call. A constant size is read from the graph; a computed size must be known on the
host to allocate the samples, so it is read back (counted in TRANSFERS).

The program is a fixed template checked with pycparserext before it is built. The
float conversion is a double product (see mrg_source), so a device without cl_khr_fp64
runs the draw on the host (the node's numpy perform).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tensordsl.backends.c.mrg_source import DTYPES, STEP, sample_type, to_unit
from tensordsl.backends.opencl import build, runtime
from tensordsl.backends.opencl.device import Runtime
from tensordsl.backends.opencl.render import prelude
from tensordsl.graph.basic import Apply, Constant

ENTRY = "td_mrg_uniform"


def mrg_program(dtype: str) -> str:
    """The OpenCL C program drawing `dtype` samples, kernel `td_mrg_uniform`:
    (state, element offset, new state, samples, n, n_streams)."""
    t = sample_type(dtype)
    lines = [f"/* tensordsl MRG31k3p uniform draw (Theano's mrg_uniform), {dtype} samples, "
             "one work-item per stream */",
             *prelude(True), "", STEP,
             f"__kernel void {ENTRY}(__global const int *state, const long off, "
             f"__global int *next, __global {t} *out, const long n, const long ns)",
             "{",
             "    const long s = get_global_id(0);",
             "    int x11, x12, x13, x21, x22, x23, k;",
             "    const long full = n / ns, rest = n % ns;",
             "    long r;",
             "    if (s >= ns) return;",
             "    x11 = state[off + s * 6]; x12 = state[off + s * 6 + 1];",
             "    x13 = state[off + s * 6 + 2]; x21 = state[off + s * 6 + 3];",
             "    x22 = state[off + s * 6 + 4]; x23 = state[off + s * 6 + 5];",
             "    for (r = 0; r < full; r++) {  /* the same trip count in every work-item */",
             "        k = td_mrg_next(&x11, &x12, &x13, &x21, &x22, &x23);",
             f"        out[r * ns + s] = {to_unit(dtype)};",
             "    }",
             "    if (s < rest) {  /* the last, partial round */",
             "        k = td_mrg_next(&x11, &x12, &x13, &x21, &x22, &x23);",
             f"        out[full * ns + s] = {to_unit(dtype)};",
             "    }",
             "    next[s * 6] = x11; next[s * 6 + 1] = x12; next[s * 6 + 2] = x13;",
             "    next[s * 6 + 3] = x21; next[s * 6 + 4] = x22; next[s * 6 + 5] = x23;",
             "}", ""]
    return "\n".join(lines)


class MRGRunner:
    """The device draw of an MRGUniform node: `call([state(, size)])` -> [new state,
    samples] as device arrays. `calls` counts the kernel launches (tests read it)."""

    def __init__(self, node: Apply, rt: Runtime) -> None:
        op = node.op
        self.op, self.node, self.rt = op, node, rt
        self.dtype = np.dtype(op.dtype)
        size = node.inputs[1]
        self.size = size.data if isinstance(size, Constant) else None
        self.who = str(op)
        self.label = repr(node.inputs[0])
        self.source, self.entry = mrg_program(op.dtype), ENTRY
        self.fn = build.kernel(rt.context, self.source, rt.info.name, ENTRY)
        self.wg = runtime.group_size(rt, 64)
        self.calls = 0

    def call(self, values: list[Any]) -> list[Any]:
        """Check as `perform` does, then one launch; outputs stay on the device."""
        state = values[0]
        if not runtime.is_device_array(state):
            state = np.asarray(state)
        size = self.size if self.size is not None else runtime.to_host(values[1])
        shape, n = self.op.check_draw(state, size)
        state = runtime.to_device(self.rt, state, self.who, self.label)
        if not state.flags.c_contiguous and state.size:
            state = runtime.contiguous(state)
        ns = state.shape[0]
        new = runtime.empty(self.rt, (ns, 6), np.int32)
        out = runtime.empty(self.rt, shape, self.dtype)
        if ns:
            groups = math.ceil(ns / self.wg)
            runtime.launch(self.fn, self.rt.queue, (groups * self.wg,), (self.wg,),
                           state.base_data, np.int64(state.offset // 4), new.base_data,
                           out.base_data if n else new.base_data, np.int64(n),
                           np.int64(ns))
            self.calls += 1
        return [new, out]


def lower_mrg(node: Apply, rt: Runtime) -> tuple[str, Any, list[int], None] | str:
    """("device", runner, node inputs it reads, None), or why the draw runs on the host."""
    op = node.op
    if op.dtype not in DTYPES:
        return f"{op} ({op.dtype} samples)"
    if not rt.fp64:
        return f"{op} (the sample conversion needs cl_khr_fp64)"
    runner = MRGRunner(node, rt)
    return "device", runner, [0] if runner.size is not None else [0, 1], None


__all__ = ["ENTRY", "MRGRunner", "lower_mrg", "mrg_program"]
