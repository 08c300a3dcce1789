"""The function driver's direct small-GEMM kernel against ?gemm, one product at a time.

    python tools/bench_direct_gemm.py [--batches 8,16,32,64,128] [--reps 200] [--rounds 7]

Builds one library with the driver's two paths for a product (`td_gemm_*`: scipy's
OpenBLAS ?gemm through its cython_blas pointer, the driver's wrapper; `td_direct_*`:
small_gemm.direct_source, b read in place), holds OpenBLAS at one thread, and times
both on the eight products of the mlp512 step (tools/benchsuite/wl_mlp.py) at each batch,
as the step runs them (weights row-major; W.T a column-major view; the weight gradients
m = fan-in, k = batch, accumulated into the weight with beta 1), plus a few other shapes.
Interleaved rounds of `--reps` calls each; prints the medians of the process CPU time per
call (one thread: descheduled time does not count on a loaded host) and their ratio.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import sys
import tempfile
import time
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
sys.path[:0] = [str(TOOLS.parent)]

import numpy as np  # noqa: E402

from tensordsl.backends.c import blas_ptrs, build, small_gemm, threads  # noqa: E402
from tensordsl.backends.c.render import PRELUDE  # noqa: E402
from tensordsl.backends.c.scan_codegen import GEMM, SUPPORT, c_real_type  # noqa: E402
from tensordsl.backends.c.scan_plan import _blas_operand  # noqa: E402

BENCH = """\
void td_bench_TD_NAME(int direct, long long reps, void *fp, const td_array *a,
                      const td_array *b, const td_array *c, const long long *g, double alpha,
                      double beta, td_array *out, char *ws)
{
    for (long long r = 0; r < reps; r++) {
        if (direct) td_direct_TD_NAME(a, b, c, g, (TD_REAL)alpha, (TD_REAL)beta, out);
        else td_gemm_TD_NAME(fp, a, b, c, g, (TD_REAL)alpha, (TD_REAL)beta, out, ws);
    }
}
"""


def library() -> ctypes.CDLL:
    """Both paths for float32 and float64 in one library, built in a temporary folder."""
    parts = [PRELUDE, SUPPORT]
    for d in ("float32", "float64"):
        parts += [GEMM.replace("TD_NAME", d).replace("TD_REAL", c_real_type(d)),
                  small_gemm.direct_source(d),
                  BENCH.replace("TD_NAME", d).replace("TD_REAL", c_real_type(d))]
    target = os.path.join(tempfile.mkdtemp(), "bench_direct.so")
    build.compile_library("\n".join(parts), target, build.find_compiler())
    lib = ctypes.CDLL(target)
    for d in ("float32", "float64"):
        fn = getattr(lib, f"td_bench_{d}")  # (lib[...] makes a new object each time)
        fn.argtypes = [ctypes.c_int, ctypes.c_longlong] + [ctypes.c_void_p] * 5 + \
            [ctypes.c_double, ctypes.c_double, ctypes.c_void_p, ctypes.c_void_p]
        fn.restype = None
    return lib


def meta(a: np.ndarray, b: np.ndarray, c: np.ndarray | None) -> np.ndarray:
    """The 8 per-product slots `scan_plan.gemm_plan` gives td_gemm (no operand copied)."""
    item = a.itemsize
    g = []
    for x in (a, b):
        mode, ld = _blas_operand(x.shape[0], x.shape[1], x.strides, item)
        assert mode != 2
        g += [mode, ld, 0]
    if c is not None:
        g += [0 if c.shape[d] == 1 else c.strides[d] for d in range(2)]
    else:
        g += [0, 0]
    return np.array(g, np.int64)


def cases(batch: int) -> list[tuple[str, np.ndarray, np.ndarray, bool, str]]:
    """(name, a, b, accumulate into a weight, dtype) of the mlp512 step's products."""
    rng = np.random.default_rng(0)
    out = []
    for dtype in ("float32", "float64"):
        def r(*s: int, dtype: str = dtype) -> np.ndarray:
            return rng.standard_normal(s).astype(dtype)
        x, w1, w2, w3 = r(batch, 784), r(784, 512), r(512, 512), r(512, 10)
        h, d2, dz = r(batch, 512), r(batch, 512), r(batch, 10)
        out += [("X@W1", x, w1, False, dtype), ("h1@W2", h, w2, False, dtype),
                ("h2@W3", h, w3, False, dtype), ("dz@W3.T", dz, w3.T, False, dtype),
                ("d2@W2.T", d2, w2.T, False, dtype),
                ("W3 -= h2.T@dz", h.T, dz, True, dtype),
                ("W2 -= h1.T@d2", h.T, d2, True, dtype),
                ("W1 -= X.T@d1", x.T, d2, True, dtype)]
        if dtype == "float32":
            out += [("(b,128)@(128,512)", r(batch, 128), r(128, 512), False, dtype),
                    ("(b,96)@(96,330)", r(batch, 96), r(96, 330), False, dtype),
                    ("(b,64)@(64,64)", r(batch, 64), r(64, 64), False, dtype)]
    return out


def shaped(spec: str) -> list[tuple[str, np.ndarray, np.ndarray, bool, str]]:
    """Row-major products of the shapes `spec` lists, float32 and float64."""
    rng = np.random.default_rng(1)
    out = []
    for dtype in ("float32", "float64"):
        for text in spec.split(","):
            m, k, n = (int(x) for x in text.split("x"))
            out.append(("a@b", rng.standard_normal((m, k)).astype(dtype),
                        rng.standard_normal((k, n)).astype(dtype), False, dtype))
    return out


def main() -> None:
    """Print one markdown row per product and batch."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", default="8,16,32,64,128")
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--only", default="", help="product names containing this")
    parser.add_argument("--shapes", default="",
                        help="m x k x n list (row-major a, b) instead of the mlp512 products, "
                             "e.g. 1x784x512,48x512x512; --batches is then ignored")
    args = parser.parse_args()
    threads.knobs().single()
    lib = library()
    sgemm, dgemm = blas_ptrs.gemm_pointers()
    ws = np.empty(1 << 16, np.uint8)
    print(f"load average at start: {os.getloadavg()}")
    print("| product | batch | dtype | m x k x n | ?gemm us | direct us | direct / gemm |")
    print("|---|---|---|---|---|---|---|")
    for batch in [int(b) for b in args.batches.split(",")]:
        todo = cases(batch) if not args.shapes else shaped(args.shapes) if batch == int(
            args.batches.split(",")[0]) else []
        for name, a, b, acc, dtype in todo:
            if args.only not in name or b.strides[1] != b.itemsize:
                if args.only not in name:
                    continue
            m, k, n = a.shape[0], a.shape[1], b.shape[1]
            if b.strides[1] != b.itemsize or n < small_gemm.nr(dtype):
                direct_ok = False
            else:
                direct_ok = True
            out = np.zeros((m, n), dtype)
            c = out if acc else None
            g = meta(a, b, c)
            fn = getattr(lib, f"td_bench_{dtype}")
            fp = sgemm if dtype == "float32" else dgemm
            alpha, beta = (-0.01, 1.0) if acc else (1.0, 0.0)
            args_of = (fp, id(a), id(b), id(c) if c is not None else None, g.ctypes.data,
                       alpha, beta, id(out), ws.ctypes.data)
            times: dict[int, list[float]] = {0: [], 1: []}
            kinds = (0, 1) if direct_ok else (0,)
            for rnd in range(args.rounds):
                for kind in kinds if rnd % 2 == 0 else kinds[::-1]:
                    fn(kind, 2, *args_of)
                    t = time.process_time()
                    fn(kind, args.reps, *args_of)
                    times[kind].append((time.process_time() - t) / args.reps * 1e6)
            tg = float(np.median(times[0]))
            if direct_ok:
                td = float(np.median(times[1]))
                cells = f"{td:.1f} | {td / tg:.2f}"
            else:
                cells = "- (b not row-contiguous or narrower than a panel) | -"
            print(f"| {name} | {batch} | {dtype} | {m}x{k}x{n} | {tg:.1f} | {cells} |",
                  flush=True)
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
