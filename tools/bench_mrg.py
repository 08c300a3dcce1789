"""MRG_RandomStreams: a function drawing 10**6 uniforms per call on the numpy reference
(the op's numpy perform), the C backend (compiled draw) and the OpenCL backend (PoCL),
interleaved in one run; medians of ROUNDS rounds, each round timing every column.

    python tools/bench_mrg.py [ROUNDS]          (docs/random.md, "Compiled draws")

Two functions per backend and dtype: `samples` returns the 10**6 samples (OpenCL copies
them back every call), `sum` returns their sum (the samples stay where they were drawn).
The state is a shared variable in every case (Theano's default nstreams: 15360 streams).
Each column gets its wall time and the process's CPU time (all threads: OpenMP's and
PoCL's too), which a loaded host disturbs less.
"""
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tensordsl  # noqa: E402
from tensordsl.runtime.mode import target_mode  # noqa: E402
from tensordsl.sandbox.rng_mrg import MRG_RandomStreams  # noqa: E402

N = 10 ** 6
ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 15
BACKENDS = ["numpy", "c", "opencl"]


def make(backend: str, dtype: str, what: str):
    rng = MRG_RandomStreams(1234)
    u = rng.uniform((N,), dtype=dtype)
    out = u if what == "samples" else u.sum()
    fn = tensordsl.function([], out, mode=target_mode(backend))
    fn()  # compile-time work and the first upload are not timed
    return fn


def timed(fn, calls: int = 3) -> tuple[float, float]:
    """(wall, CPU of the whole process: every thread, PoCL's too) ms per call."""
    t, c = time.perf_counter(), time.process_time()
    for _ in range(calls):
        fn()
    return ((time.perf_counter() - t) / calls * 1e3, (time.process_time() - c) / calls * 1e3)


rows = []
for dtype in ("float32", "float64"):
    for what in ("samples", "sum"):
        fns = {b: make(b, dtype, what) for b in BACKENDS}
        times: dict[str, list[tuple[float, float]]] = {b: [] for b in BACKENDS}
        for _ in range(ROUNDS):
            for b in BACKENDS:  # interleaved: a load change hits every column alike
                times[b].append(timed(fns[b]))
        for k, clock in enumerate(("wall", "CPU")):
            med = {b: statistics.median(v[k] for v in times[b]) for b in BACKENDS}
            rows.append((dtype, what, clock, med))

print(f"10**6 uniforms per call, medians of {ROUNDS} rounds x 3 calls (ms per call)")
print("| dtype | returns | clock | numpy perform | C | OpenCL (PoCL) | numpy / C "
      "| numpy / OpenCL |")
print("|---|---|---|---|---|---|---|---|")
for dtype, what, clock, med in rows:
    print(f"| {dtype} | {what} | {clock} | {med['numpy']:.2f} | {med['c']:.2f} "
          f"| {med['opencl']:.2f} | {med['numpy'] / med['c']:.1f}x "
          f"| {med['numpy'] / med['opencl']:.1f}x |")
