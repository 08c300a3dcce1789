"""The C unit and the checked caller of a RowBlock node (tensordsl/ops/rowblock.py).

One pass over X: the rows are split in fixed chunks (one F-vector accumulator each) that
OpenMP threads take dynamically; each chunk is walked in blocks of BLOCK rows. Per block:

1. `d_r = X_r . w` for its rows, one row at a time (4 rows at a time, sharing the loads
   of w, measured slower here: 4 streams 6 KB apart);
2. the row kernel (rendered by `CRenderer.body`) gives g_r, the row outputs, and adds
   the summed values into the chunk's accumulators;
3. `acc += g_r * X_r` into the chunk's F-vector accumulator while the block is still
   in L1/L2 (4 rows per sweep of acc, added in row order).

After the loop the chunk accumulators (and sums) are combined in chunk order, then
`out = alpha * acc + beta * c`: the summation order does not depend on the threads.
The entry takes the ndarrays (`td_array` heads, C-contiguous: the runner copies others)
and a few scalars; the runner checks shapes and dtypes first and falls back to the
node's numpy `perform` whenever a row vector does not have X's row count (numpy would
broadcast it: the reference handles every such case, and every error message).
"""

from __future__ import annotations

import ctypes
import functools
from typing import Any

import numpy as np

from tensordsl.backends.c import cache, runtime, validate
from tensordsl.backends.c.lowering import Lowering
from tensordsl.backends.c.render import PRELUDE, CRenderer, sanitize_comment
from tensordsl.config import config
from tensordsl.graph.basic import Apply
from tensordsl.kernel.ir import Kernel
from tensordsl.kernel.prune import loaded_inputs, prune_kernel

BLOCK = 32  # rows per block: 32 rows of 784 doubles are 200 KB, still in L2 for the 2nd pass
ENTRY = "td_rowblock"
PARALLEL_MIN = 1 << 19  # N * F below this runs on one thread (render.PARALLEL_NS)
CHUNKS = 16  # fixed row chunks (one F-vector accumulator each), combined in order
CHUNK_MIN_ROWS = 64


def render_rowblock(kernel: Kernel, n_rows_out: int, n_sums: int, openmp: bool) -> str:
    """The C99 unit of a RowBlock kernel (no system header), entry `td_rowblock`."""
    kernel = prune_kernel(kernel)
    r = CRenderer(openmp=openmp)
    r.kernel = kernel
    r.low = Lowering()
    r.name = ENTRY
    t = r.type_name(kernel.output_dtypes[0])
    nin = len(kernel.inputs)
    scalar = [all(x.broadcastable) for x in kernel.inputs]
    load = ["d[r]"] + [f"s{j}" if scalar[j] else f"in{j}[i]" for j in range(1, nin)]
    body = r.body(load, "            ")
    leaves = [f"const {r.in_type(j)} *restrict in{j}" for j in range(1, nin)]
    routs = [f"{r.out_type(1 + k)} *restrict rout{k}" for k in range(n_rows_out)]
    sums = [f"{r.out_type(1 + n_rows_out + k)} *restrict part{k}" for k in range(n_sums)]
    params = ", ".join(["long long lo", "long long hi", "long long f",
                        f"const {t} *restrict X", f"const {t} *restrict w",
                        f"{t} *restrict acc", *leaves, *routs, *sums])
    sum_vars = [f"sum{k}" for k in range(n_sums)]
    g = kernel.outputs[0]
    lines = [f"static void rows({params})", "{", f"    {t} d[{BLOCK}], gv[{BLOCK}];"]
    loaded = loaded_inputs(kernel)
    lines += [f"    const {r.in_type(j)} s{j} = in{j}[0];" for j in range(1, nin)
              if scalar[j] and j in loaded]
    lines += [f"    {r.out_type(1 + n_rows_out + k)} sum{k} = 0;" for k in range(n_sums)]
    lines += ["    for (long long j = 0; j < f; j++) acc[j] = 0;",
              f"    for (long long r0 = lo; r0 < hi; r0 += {BLOCK}) {{",
              f"        long long nb = hi - r0 < {BLOCK} ? hi - r0 : {BLOCK};",
              "        long long r = 0;",
              "        for (; r < nb; r++) {",
              f"            const {t} *x0 = X + (r0 + r) * f;",
              f"            {t} a0 = 0;"]
    lines += ["            " + p for p in r.pragma("simd reduction(+:a0)")]
    lines += ["            for (long long j = 0; j < f; j++) a0 += x0[j] * w[j];",
              "            d[r] = a0;",
              "        }"]
    red = f"simd reduction(+:{','.join(sum_vars)})" if sum_vars else "simd"
    lines += ["        " + p for p in r.pragma(red)]
    lines += ["        for (long long r = 0; r < nb; r++) {",
              "            long long i = r0 + r;"]
    lines += body
    lines += [f"            gv[r] = v{g};"]
    lines += [f"            rout{k}[i] = v{o};"
              for k, o in enumerate(kernel.outputs[1:1 + n_rows_out])]
    lines += [f"            sum{k} += v{o};"
              for k, o in enumerate(kernel.outputs[1 + n_rows_out:])]
    lines += ["        }",
              "        r = 0;",
              "        for (; r + 4 <= nb; r += 4) {",
              "            const " + t + " *x0 = X + (r0 + r) * f, *x1 = x0 + f, "
              "*x2 = x1 + f, *x3 = x2 + f;",
              f"            {t} g0 = gv[r], g1 = gv[r + 1], g2 = gv[r + 2], g3 = gv[r + 3];"]
    lines += ["            " + p for p in r.pragma("simd")]
    lines += ["            for (long long j = 0; j < f; j++) {",
              f"                {t} s = acc[j];",
              "                s += g0 * x0[j]; s += g1 * x1[j]; s += g2 * x2[j]; "
              "s += g3 * x3[j];",
              "                acc[j] = s;",
              "            }",
              "        }",
              "        for (; r < nb; r++) {",
              f"            const {t} *x0 = X + (r0 + r) * f;",
              f"            {t} g0 = gv[r];"]
    lines += ["            " + p for p in r.pragma("simd")]
    lines += ["            for (long long j = 0; j < f; j++) acc[j] += g0 * x0[j];",
              "        }",
              "    }"]
    lines += [f"    part{k}[0] = sum{k};" for k in range(n_sums)]
    lines += ["}", ""]
    funcs = ["\n".join(lines), _entry(r, kernel, n_rows_out, n_sums, t)]
    header = (f"/* tensordsl row-block kernel: ops "
              f"{sanitize_comment(','.join(n.op.name for n in kernel.body if n.op))} */\n")
    threads = "int td_rowblock_threads(void) { return "
    threads += "omp_get_max_threads(); }\n" if openmp else "1; }\n"
    return "\n".join([header, PRELUDE, r.declarations(), *r.low.helpers.values(), *funcs,
                      threads])


def _entry(r: CRenderer, kernel: Kernel, n_rows_out: int, n_sums: int, t: str) -> str:
    nin = len(kernel.inputs)
    st = [r.out_type(1 + n_rows_out + k) for k in range(n_sums)]
    # arrays come as the ndarrays themselves (td_array heads: no pointer marshalling in
    # Python); the runner makes them C-contiguous
    arrays = [(f"const {t}", "X"), (f"const {t}", "w"), (t, "out"), (f"const {t}", "c"),
              (t, "acc")]
    arrays += [(st[k], f"part{k}") for k in range(n_sums)]
    arrays += [(st[k], f"sum{k}") for k in range(n_sums)]
    arrays += [(f"const {r.in_type(j)}", f"in{j}") for j in range(1, nin)]
    arrays += [(r.out_type(1 + k), f"rout{k}") for k in range(n_rows_out)]
    params = ["long long c_step", f"{t} alpha", f"{t} beta", "int has_c", "int nt"]
    params += [f"td_array *{name}_a" for _, name in arrays]
    unpack = [f"    {ty} *{name} = ({ty} *){name}_a->data;" for ty, name in arrays]
    unpack += ["    long long n = X_a->dims[0], f = X_a->dims[1];"]

    def call(lo: str, hi: str, tid: str) -> str:
        args = [lo, hi, "f", "X", "w", f"acc + (long long){tid} * f"]
        args += [f"in{j}" for j in range(1, nin)]
        args += [f"rout{k}" for k in range(n_rows_out)]
        args += [f"part{k} + {tid}" for k in range(n_sums)]
        return f"rows({', '.join(args)});"

    # the rows are split in `nc` fixed chunks (acc has one F-vector per chunk), run in
    # any order by any thread and combined in chunk order: the result does not depend
    # on the thread count or on which thread ran what, and a descheduled thread does
    # not hold the others up (dynamic schedule)
    lines = [f"void {ENTRY}({', '.join(params)})", "{", *unpack,
             "    long long nc = acc_a->dims[0];"]
    lines += ["    " + p for p in r.pragma("parallel for schedule(dynamic, 1) num_threads(nt) "
                                          "if (nt > 1)")]
    lines += ["    for (long long ch = 0; ch < nc; ch++) {",
              "        long long lo = n / nc * ch + (ch < n % nc ? ch : n % nc);",
              "        long long hi = lo + n / nc + (ch < n % nc ? 1 : 0);",
              "        " + call("lo", "hi", "ch"),
              "    }",
              "    for (long long j = 0; j < f; j++) {",
              f"        {t} s = acc[j];",
              "        for (long long p = 1; p < nc; p++) s += acc[p * f + j];",
              "        s = alpha * s;",
              "        if (has_c) s += beta * c[j * c_step];",
              "        out[j] = s;",
              "    }"]
    for k in range(n_sums):
        lines += [f"    {{ {st[k]} s = part{k}[0];",
                  f"      for (long long p = 1; p < nc; p++) s += part{k}[p];",
                  f"      sum{k}[0] = s; }}"]
    return "\n".join(lines + ["}", ""])


@functools.cache
def _library(kernel: Kernel, n_rows_out: int, n_sums: int, openmp: bool, cxx: str,
             cflags: str, compiledir: Any) -> tuple[Any, int]:
    source = render_rowblock(kernel, n_rows_out, n_sums, openmp)
    # found by its key when the function's bundle built it (`rowblock_unit`)
    path, symbol = cache.get_entry(source, ENTRY, validate.check_source, also=ALSO)
    runtime.check_layout()
    lib = ctypes.CDLL(path)
    fn = getattr(lib, symbol)
    fn.restype = None
    nthreads = getattr(lib, symbol + "_threads")
    nthreads.restype = ctypes.c_int
    return fn, max(1, int(nthreads()))


ALSO = ("_threads",)  # the unit also exports `td_rowblock_threads`


def rowblock_unit(node: Apply) -> cache.Unit:
    """The unit of a RowBlock node, for the function's bundle build (`schedule.prebuild`)."""
    op = node.op
    return cache.Unit(render_rowblock(op.kernel, op.n_rows_out, op.n_sums, config.openmp),
                      ENTRY, ALSO)


def rowblock_runner(node: Apply) -> RowBlockRunner:
    """The checked caller of a RowBlock node (`.call`: list of input arrays -> outputs)."""
    op = node.op
    fn, max_threads = _library(op.kernel, op.n_rows_out, op.n_sums, config.openmp,
                               config.cxx, f"{config.cflags} {config.c_march}",
                               config.compiledir)
    return RowBlockRunner(op, node, fn, max_threads)


class RowBlockRunner:
    """Checks operands, takes the compiled path when every row vector is X's length."""

    def __init__(self, op: Any, node: Apply, fn: Any, max_threads: int) -> None:
        self.op, self.node, self.fn, self.max_threads = op, node, fn, max_threads
        k = op.kernel
        self.dtype = np.dtype(k.output_dtypes[0])
        self.scalar = [all(x.broadcastable) for x in k.inputs[1:]]
        self.leaf_dtypes = [np.dtype(x.dtype) for x in k.inputs[1:]]
        self.row_dtypes = [np.dtype(d) for d in k.output_dtypes[1:1 + op.n_rows_out]]
        self.sum_dtypes = [np.dtype(d) for d in k.output_dtypes[1 + op.n_rows_out:]]
        self.labels = [repr(v) for v in node.inputs]
        self.who = str(op)  # named in error messages; built once (it lists the kernel's ops)
        c = ctypes
        ct = c.c_double if self.dtype == np.float64 else c.c_float
        n_arrays = 5 + 2 * op.n_sums + len(self.scalar) + op.n_rows_out
        fn.argtypes = [c.c_longlong, ct, ct, c.c_int, c.c_int] + [c.py_object] * n_arrays

    def fallback(self, arrays: list[Any]) -> list[Any]:
        return self.op.perform(self.node, list(arrays))

    def _checked(self, j: int, value: Any, dtype: np.dtype) -> np.ndarray:
        return runtime.as_operand(value, dtype, self.who, self.labels[j])

    def call(self, arrays: list[Any]) -> list[Any]:
        """Check, then one foreign call (or the numpy reference for broadcast rows)."""
        op, dt = self.op, self.dtype
        x = self._checked(0, arrays[0], dt)
        w = self._checked(1, arrays[1], dt)
        if x.ndim != 2 or w.ndim != 1 or w.shape[0] != x.shape[1]:
            return self.fallback(arrays)  # the reference raises the dot's error
        n, f = x.shape
        has_c, c, alpha, beta = 0, None, 1.0, 0.0
        if op.gemm:
            c = self._checked(2, arrays[2], dt)
            a, b = (self._checked(j, arrays[j], dt) for j in (3, 4))
            if c.ndim != 1 or c.shape[0] not in (1, f) or a.ndim or b.ndim:
                return self.fallback(arrays)
            has_c, alpha, beta = 1, float(a), float(b)
        leaves = []
        for j, (value, scalar, ldt) in enumerate(zip(arrays[op.n_fixed:], self.scalar,
                                                      self.leaf_dtypes)):
            value = self._checked(op.n_fixed + j, value, ldt)
            if scalar:
                if value.size != 1 or value.ndim > 1:
                    return self.fallback(arrays)
            elif value.ndim != 1 or value.shape[0] != n:
                return self.fallback(arrays)  # numpy broadcasting between rows
            leaves.append(np.ascontiguousarray(value))
        x, w = np.ascontiguousarray(x), np.ascontiguousarray(w)
        if c is not None:
            c = np.ascontiguousarray(c)
        nt = min(self.max_threads, 256) if n * f >= PARALLEL_MIN else 1
        chunks = max(1, min(CHUNKS, n // CHUNK_MIN_ROWS))
        out = np.empty(f, dt)
        acc = np.empty((chunks, f), dt)
        parts = [np.zeros(chunks, sd) for sd in self.sum_dtypes]
        sums = [np.empty((), sd) for sd in self.sum_dtypes]
        routs = [np.empty(n, rd) for rd in self.row_dtypes]
        c_step = 1 if c is not None and c.shape[0] == f and f != 1 else 0
        self.fn(c_step, alpha, beta, has_c, nt, x, w, out, out if c is None else c, acc,
                *parts, *sums, *leaves, *routs)
        return [out, *routs, *sums]
