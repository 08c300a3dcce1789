"""Black-Scholes on the OpenCL backend against the C backend, before and after the
kernel changes of issue 12, in one process (rounds interleaved).

`python tools/profile_opencl_bs.py [--n N] [--rounds R] [float64|float32 ...]` compiles
the benchmark's formula (tools/benchsuite/wl_elemwise.py) with FAST_RUN on the C
backend and several times on OpenCL: as the backend renders it now, and with each change
undone while compiling (vloadN loads instead of scalar loads; the builtin erf instead
of erf64.py's for float64; the builtin exp/log/sqrt and 8 lanes, tuning.BUILTIN,
instead of the PoCL CPU tuning), plus the current kernels with their outputs copied
back from pooled device buffers (the path before host-backed outputs), then times
every function on the same host inputs, one call of each per round, and prints
medians and each one's speed relative to C.

Undoing a change patches the renderer only while that function is compiled: a built
runner keeps its programs, so the variants then run side by side.

`--kernel-only` times instead the fused kernel's vector program alone on device
buffers, rendered with each tuning (tuning.py: builtins or inline math, 8 or 16 lanes),
in CPU time of the process (all PoCL threads; steadier than wall time on a loaded
host), and prints nanoseconds of CPU per element.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


@contextmanager
def undone(vload: bool, builtin_erf: bool, builtin_math: bool = False) -> Any:
    """While active, the OpenCL renderer loads with vloadN and/or lowers float64 erf to
    the builtin (the state before issue 12's changes), and/or every device gets the
    BUILTIN tuning (builtin exp/log/sqrt, 8 lanes)."""
    from tensordsl.backends.cfamily.lowering import Lowering
    from tensordsl.backends.opencl import render, runtime, tuning

    saved_tuning = runtime.kernel_tuning
    if builtin_math:
        runtime.kernel_tuning = lambda info: tuning.BUILTIN  # type: ignore[assignment]

    saved_lower = render.OpenCLLowering.lower_op
    saved_vector = render.OpenCLRenderer.vector_kernel
    if builtin_erf:
        render.OpenCLLowering.lower_op = Lowering.lower_op  # type: ignore[method-assign]
    if vload:
        def vector_kernel(self: Any, width: int) -> str:
            text = saved_vector(self, width)
            for j, scalar in enumerate(self.scalar_inputs):
                if not scalar:
                    loads = ", ".join(f"in{j}[p{j} + {e}]" for e in range(width))
                    vtype = self.low.type(self.kernel.output_dtypes[0])
                    text = text.replace(f"(({vtype})({loads}))", f"vload{width}(i, in{j} + off{j})")
            return text
        render.OpenCLRenderer.vector_kernel = vector_kernel  # type: ignore[method-assign]
    try:
        yield
    finally:
        render.OpenCLLowering.lower_op = saved_lower  # type: ignore[method-assign]
        render.OpenCLRenderer.vector_kernel = saved_vector  # type: ignore[method-assign]
        runtime.kernel_tuning = saved_tuning  # type: ignore[assignment]


def functions(dtype: str) -> dict[str, Callable]:
    """Label -> compiled Black-Scholes function (C, and the OpenCL variants)."""
    from benchsuite.wl_elemwise import bs_expr

    import tensordsl
    from tensordsl import tensor as T
    from tensordsl.runtime.mode import target_mode

    def build(backend: str, **kwargs: Any) -> Callable:
        with tensordsl.config.change_flags(floatX=dtype):
            S, K, Tm = (T.vector(name, dtype=dtype) for name in ("S", "K", "T"))
            return tensordsl.function([S, K, Tm], bs_expr(T, S, K, Tm),
                                      mode=target_mode(backend), **kwargs)

    fns = {"C backend": build("c"), "OpenCL now": build("opencl")}
    on_device = build("opencl", return_device_arrays=True)

    def copied_back(*args: Any) -> Any:
        out = on_device(*args)
        return (out[0] if isinstance(out, (list, tuple)) else out).get()

    fns["OpenCL now, outputs copied back"] = copied_back
    variants = [("OpenCL, builtin exp/log/sqrt, 8 lanes", False, False, True),
                ("OpenCL, vload loads", True, False, False)]
    if dtype == "float64":
        variants += [("OpenCL, builtin erf", False, True, False)]
    # the kernels as issue 12 found them (outputs host-backed all the same)
    variants += [("OpenCL kernels before (vload8, builtins, 8 lanes)", True,
                  dtype == "float64", True)]
    for label, vload, erf, math in variants:
        with undone(vload, erf, math):
            fns[label] = build("opencl")
    return fns


def kernel_only(dtype: str, n: int, rounds: int) -> None:
    """CPU time per element of the Black-Scholes vector kernel under each tuning."""
    import pyopencl as cl
    from benchsuite.wl_elemwise import bs_expr

    import tensordsl
    from tensordsl import tensor as T
    from tensordsl.backends.opencl import build, runtime
    from tensordsl.backends.opencl.render import OpenCLRenderer
    from tensordsl.backends.opencl.schedule import current_device, make_thunk
    from tensordsl.backends.opencl.tuning import KernelTuning
    from tensordsl.runtime.mode import target_mode

    with tensordsl.config.change_flags(floatX=dtype):
        S, K, Tm = (T.vector(name, dtype=dtype) for name in ("S", "K", "T"))
        fn = tensordsl.function([S, K, Tm], bs_expr(T, S, K, Tm), mode=target_mode("opencl"))
    kernel, = [s.runner.kernel for s in make_thunk(fn.maker.fgraph).steps
               if isinstance(s.runner, runtime.KernelRunner)]
    rt = current_device()
    kernels = {}
    for inline in (False, True):
        for width in (8, 16):
            source = OpenCLRenderer(KernelTuning(inline, width)).render_vector(kernel)
            label = f"{'inline math' if inline else 'builtins'}, {width} lanes"
            kernels[label] = (width, build.kernel(rt.context, source, rt.info.name, "td_vec"))
    rng = np.random.default_rng(0)
    n -= n % (16 * 256)
    host = [rng.uniform(lo, hi, n).astype(dtype) for lo, hi in ((5, 30), (1, 100), (0.25, 10))]
    flags = cl.mem_flags.READ_ONLY | cl.mem_flags.COPY_HOST_PTR
    bufs = [cl.Buffer(rt.context, flags, hostbuf=a) for a in host]
    out = cl.Buffer(rt.context, cl.mem_flags.WRITE_ONLY, host[0].nbytes)
    times: dict[str, list[float]] = {k: [] for k in kernels}
    for r in range(rounds + 1):
        for label, (width, knl) in kernels.items():
            nv = n // width
            start = time.process_time()
            knl(rt.queue, (nv,), (256,), np.int64(nv), bufs[0], np.int64(0), bufs[1],
                np.int64(0), bufs[2], np.int64(0), out)
            rt.queue.finish()
            if r:  # the first round warms up
                times[label].append(time.process_time() - start)
    print(f"\nBlack-Scholes {dtype} vector kernel alone, N = {n:,}, medians of {rounds} "
          "interleaved rounds, CPU time of all threads\n")
    print("| kernel | CPU ns per element |\n|---|---|")
    for label, ts in times.items():
        print(f"| {label} | {statistics.median(ts) / n * 1e9:.2f} |")


def main(argv: list[str] | None = None) -> int:
    """Time the variants and print a markdown table per dtype."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dtypes", nargs="*", default=["float64", "float32"])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--kernel-only", action="store_true",
                        help="time the vector kernel alone under each tuning")
    args = parser.parse_args(argv)
    if args.kernel_only:
        for dtype in args.dtypes:
            kernel_only(dtype, args.n, args.rounds)
        return 0
    from benchsuite.wl_elemwise import black_scholes

    for dtype in args.dtypes:
        rng = np.random.default_rng(0)
        S = rng.uniform(5, 30, args.n).astype(dtype)
        K = rng.uniform(1, 100, args.n).astype(dtype)
        Tm = rng.uniform(0.25, 10, args.n).astype(dtype)
        fns = functions(dtype)
        want = black_scholes(S[:1000].astype(np.float64), K[:1000].astype(np.float64),
                             Tm[:1000].astype(np.float64))
        times: dict[str, list[float]] = {k: [] for k in fns}
        for label, fn in fns.items():  # warm-up, and a check of the values
            got = fn(S, K, Tm)[:1000]
            tol = 1e-4 if dtype == "float32" else 1e-10
            assert np.allclose(got, want, rtol=tol, atol=tol * 100), label
        for _ in range(args.rounds):
            for label, fn in fns.items():
                start = time.perf_counter()
                fn(S, K, Tm)
                times[label].append(time.perf_counter() - start)
        c = statistics.median(times["C backend"])
        print(f"\nBlack-Scholes {dtype}, N = {args.n:,}, medians of {args.rounds} "
              "interleaved rounds\n")
        print("| function | median | speed / C backend |\n|---|---|---|")
        for label, ts in times.items():
            t = statistics.median(ts)
            print(f"| {label} | {t * 1e3:.1f} ms | {c / t:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
