"""The mlp512 step (tensordsl FAST_RUN) and its GEMM floor under fixed thread counts
(OpenBLAS via threadpoolctl, libgomp via omp_set_num_threads), quiet, with a busy
neighbour core, quiet again; medians of 15 calls.

    python tools/bench_threads.py [BATCH]     (docs/benchmarks.md, "Training loops")
    TENSORDSL_ADAPTIVE_THREADS=0|1 python tools/bench_threads.py BATCH adaptive

The first form holds the counts itself, so tensordsl's adaptive choice is turned off for
it; the second times the step alone (40 calls) with the adaptive choice on or off.
"""
import ctypes
import os
import statistics
import sys
import time
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
sys.path[:0] = [str(TOOLS.parent), str(TOOLS)]

ADAPTIVE = sys.argv[2:3] == ["adaptive"]
if not ADAPTIVE:  # the counts are set here: the schedule must not change them per call
    os.environ["TENSORDSL_ADAPTIVE_THREADS"] = "0"

from benchsuite import tdsl, wl_mlp  # noqa: E402
from benchsuite.contention import busy_neighbour  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

batch = int(sys.argv[1]) if len(sys.argv) > 1 else 128
inp = wl_mlp.mlp_inputs(batch)
label = next(c for c in tdsl.column_labels() if c.startswith("tensordsl FAST_RUN ("))
run = wl_mlp.step_impls()[label](inp)
floor = wl_mlp.gemm_floor(inp)
run()
floor()
gomp = next((ctypes.CDLL(line.split()[-1]) for line in open("/proc/self/maps")
             if "libgomp" in line), None)

def omp(n):
    if gomp is not None:
        gomp.omp_set_num_threads(n)

def med(fn, n=15):
    s = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        s.append(time.perf_counter() - t)
    return statistics.median(s) * 1e3

def variants():
    out = {}
    for blas in (2, 1):
        for nomp in (2, 1):
            with threadpool_limits(blas, user_api="blas"):
                omp(nomp)
                time.sleep(0.2)
                out[f"blas{blas} omp{nomp}"] = (med(run), med(floor))
    omp(2)
    return out

if ADAPTIVE:
    for mode in ("quiet", "contended", "quiet"):
        if mode == "contended":
            with busy_neighbour():
                ms = med(run, 40)
        else:
            ms = med(run, 40)
        print(os.environ.get("TENSORDSL_ADAPTIVE_THREADS", "1"), batch, mode, f"{ms:.2f} ms",
              f"load {os.getloadavg()[0]:.1f}", flush=True)
    sys.exit(0)

for mode in ("quiet", "contended", "quiet"):
    if mode == "contended":
        with busy_neighbour():
            time.sleep(0.5)
            res = variants()
    else:
        res = variants()
    print(mode, f"load {os.getloadavg()[0]:.1f}",
          " | ".join(f"{k}: step {a:.2f} floor {b:.2f} ms" for k, (a, b) in res.items()),
          flush=True)
