"""Device probe for tools/gpu_check.sh: device-memory bandwidth and float32 GEMM.

`python tools/gpu_probe.py [--quick] [--n N] [--out FILE]` on the OpenCL device that
`TENSORDSL_FLAGS=device=opencl[:P:D]` selects (the first one otherwise) measures:

* the device: name, vendor, driver, compute units, global memory (and `nvidia-smi -L`
  when that exists);
* device-memory bandwidth: a `float4` copy kernel over a buffer of `--mib` MiB, counted
  as read + write bytes, against `clEnqueueCopyBuffer` of the same buffer;
* float32 GEMM of two N x N matrices (N = 4096, 1024 with --quick): tensordsl's OpenCL
  `dot` with device-resident inputs and output, checked against numpy's product on a
  sample of rows, and cuBLAS through CuPy when CuPy imports (else the table says so).

Times are medians of `--repeats` runs after one warm-up, each finished on the queue
(`queue.finish()` / a CuPy stream synchronize). Markdown goes to `--out` (stdout
without it). Nothing here needs the network.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

COPY_KERNEL = """
__kernel void copy4(__global const float4 *src, __global float4 *dst)
{
    const size_t i = get_global_id(0);
    dst[i] = src[i];
}
"""


def median_time(fn: Callable[[], None], repeats: int) -> float:
    """Median seconds of `fn()` over `repeats` runs after one warm-up run."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def device_lines(rt: Any) -> list[str]:
    """Markdown lines describing the OpenCL device (and the NVIDIA GPUs, if any)."""
    d = rt.device
    lines = [f"- OpenCL device: **{d.name.strip()}** ({rt.info.spec}, {rt.info.type}), "
             f"platform {d.platform.name.strip()}, vendor {d.vendor.strip()}, driver "
             f"{d.driver_version.strip()}, {d.version.strip()}",
             f"- compute units {d.max_compute_units}, global memory "
             f"{d.global_mem_size / 2**30:.1f} GiB, max work-group {d.max_work_group_size}, "
             f"fp64 {'yes' if rt.info.fp64 else 'no'}"]
    if shutil.which("nvidia-smi"):
        try:
            smi = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True,
                                 timeout=20).stdout.strip()
        except (OSError, subprocess.SubprocessError) as err:
            smi = f"nvidia-smi failed: {err}"
        lines.append(f"- nvidia-smi -L: {smi or '(no output)'}")
    else:
        lines.append("- nvidia-smi: not on PATH (no NVIDIA driver here)")
    return lines


def bandwidth(rt: Any, mib: int, repeats: int) -> list[str]:
    """Table rows: the copy kernel's and clEnqueueCopyBuffer's GB/s (read + write)."""
    import pyopencl as cl

    n4 = mib * 2**20 // 16
    nbytes = n4 * 16
    src = cl.Buffer(rt.context, cl.mem_flags.READ_WRITE, nbytes)
    dst = cl.Buffer(rt.context, cl.mem_flags.READ_WRITE, nbytes)
    cl.enqueue_fill_buffer(rt.queue, src, np.float32(1.5), 0, nbytes)
    kernel = cl.Kernel(cl.Program(rt.context, COPY_KERNEL).build(), "copy4")

    def run_kernel() -> None:
        kernel(rt.queue, (n4,), None, src, dst)
        rt.queue.finish()

    def run_copy() -> None:
        cl.enqueue_copy(rt.queue, dst, src)
        rt.queue.finish()

    check = np.empty(4, np.float32)
    run_kernel()
    cl.enqueue_copy(rt.queue, check, dst)
    if not np.all(check == 1.5):
        raise RuntimeError(f"copy kernel wrote {check}, expected 1.5")
    rows = []
    for label, fn in (("float4 copy kernel", run_kernel),
                      ("clEnqueueCopyBuffer", run_copy)):
        t = median_time(fn, repeats)
        rows.append(f"| device-memory bandwidth, {label}, {mib} MiB | {t * 1e3:.3f} ms | "
                    f"{2 * nbytes / t / 1e9:.1f} GB/s (read + write) |")
    return rows


def gemm_tensordsl(rt: Any, n: int, repeats: int) -> tuple[list[str], np.ndarray, Any]:
    """Table row of tensordsl's OpenCL float32 dot of n x n matrices (device-resident
    operands and result), and the host operands for the cuBLAS run."""
    import pyopencl.array as cla

    import tensordsl
    from tensordsl import tensor as T
    from tensordsl.runtime.mode import get_mode

    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    x, y = T.matrix("a", dtype="float32"), T.matrix("b", dtype="float32")
    fn = tensordsl.function([x, y], T.dot(x, y),
                            mode=replace(get_mode("FAST_RUN"), backend="opencl"),
                            return_device_arrays=True)
    da, db = cla.to_device(rt.queue, a), cla.to_device(rt.queue, b)
    holder: list[Any] = []

    def run() -> None:
        holder[:] = [fn(da, db)]
        rt.queue.finish()

    t = median_time(run, repeats)
    result = holder[0]
    result = result.get() if hasattr(result, "get") else np.asarray(result)
    rows = [0, n // 2, n - 1]
    want = a[rows].astype(np.float64) @ b.astype(np.float64)
    err = float(np.max(np.abs(result[rows] - want)) / np.max(np.abs(want)))
    ok = err < 1e-4
    line = (f"| float32 GEMM {n}², tensordsl OpenCL dot (device arrays in and out) | "
            f"{t * 1e3:.2f} ms | "
            f"{2 * n**3 / t / 1e9:.1f} GFLOP/s; max rel. error vs float64 "
            f"{err:.1e} ({'ok' if ok else 'WRONG'}) |")
    if not ok:
        raise RuntimeError(f"tensordsl's OpenCL GEMM is wrong: {line}")
    return [line], a, b


def gemm_cublas(a: np.ndarray, b: np.ndarray, repeats: int) -> list[str]:
    """Table row of CuPy's (cuBLAS) float32 product, or a row saying why there is none."""
    n = a.shape[0]
    try:
        import cupy
    except Exception as err:  # ImportError, or a CUDA library CuPy could not load
        return [f"| float32 GEMM {n}², cuBLAS via CuPy | - | not run: CuPy is not "
                f"importable ({type(err).__name__}: {str(err)[:120]}) |"]
    try:
        da, db = cupy.asarray(a), cupy.asarray(b)

        def run() -> None:
            cupy.matmul(da, db)
            cupy.cuda.Stream.null.synchronize()

        t = median_time(run, repeats)
        name = cupy.cuda.runtime.getDeviceProperties(0)["name"]
        name = name.decode() if isinstance(name, bytes) else name
    except Exception as err:  # no CUDA device, driver mismatch, ...
        return [f"| float32 GEMM {n}², cuBLAS via CuPy | - | not run: CuPy imports but "
                f"failed ({type(err).__name__}: {str(err)[:120]}) |"]
    return [f"| float32 GEMM {n}², cuBLAS via CuPy on {name} | {t * 1e3:.2f} ms | "
            f"{2 * n**3 / t / 1e9:.1f} GFLOP/s |"]


def main(argv: list[str] | None = None) -> int:
    """Run the probe and write its markdown."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="small sizes (N = 1024, 64 MiB) for a CPU device or a smoke run")
    parser.add_argument("--n", type=int, default=0, help="GEMM size (default 4096, quick 1024)")
    parser.add_argument("--mib", type=int, default=0,
                        help="copy buffer MiB (default 1024, quick 64)")
    parser.add_argument("--repeats", type=int, default=0, help="timed runs (default 10, quick 3)")
    parser.add_argument("--out", default="", help="markdown file to write (default stdout)")
    args = parser.parse_args(argv)
    n = args.n or (1024 if args.quick else 4096)
    mib = args.mib or (64 if args.quick else 1024)
    repeats = args.repeats or (3 if args.quick else 10)

    import tensordsl
    from tensordsl.backends.opencl.device import runtime

    spec = tensordsl.config.device
    rt = runtime(spec if spec.startswith("opencl") else "opencl")
    mib = min(mib, max(1, rt.device.max_mem_alloc_size // 2**20 // 2))
    lines = ["### Device", "", *device_lines(rt), "",
             "### Bandwidth and GEMM (tools/gpu_probe.py)", "",
             f"Medians of {repeats} runs after a warm-up, each finished on the queue.", "",
             "| measurement | time | rate |", "|---|---|---|"]
    # written after each measurement, so a run cut short by a timeout keeps what it has
    emit(lines, args.out)
    lines += bandwidth(rt, mib, repeats)
    emit(lines, args.out)
    rows, a, b = gemm_tensordsl(rt, n, repeats)
    lines += rows
    emit(lines, args.out)
    lines += gemm_cublas(a, b, repeats)
    emit(lines, args.out, final=True)
    return 0


def emit(lines: list[str], out: str, final: bool = False) -> None:
    """Write the markdown so far to `out` (stdout only once, at the end)."""
    text = "\n".join(lines) + "\n"
    if out:
        Path(out).write_text(text)
    elif final:
        sys.stdout.write(text)


if __name__ == "__main__":
    raise SystemExit(main())
