"""Measure how far the C backend's transcendental functions are from numpy's, in ulp.

For each inexact op of the accuracy contract (tensordsl.accuracy.INEXACT) and each float
dtype, a one-op kernel is compiled with the C backend and run on a sweep of points over
the op's domain: once as an array (the `omp simd` loop: glibc's libmvec variant for this
CPU and -march) and once per element on 0-d inputs (the scalar libm call). The largest
ulp distance to numpy/scipy is printed as a markdown table (docs/accuracy.md quotes it).

    python tools/measure_ulps.py [--points 200000] [--scalar-points 2000] [--march native]
"""

from __future__ import annotations

import argparse
import platform
import sys
import time

import numpy as np

import tensordsl
from tensordsl import accuracy
from tensordsl.config import config
from tensordsl.graph.type import TensorType
from tensordsl.ops import scalar
from tensordsl.ops.elemwise import Elemwise

# The sweep of each op: its domain (a tail beyond these only over/underflows).
DOMAINS = {
    "exp": (-80, 80), "exp2": (-120, 120), "expm1": (-30, 30), "log": (1e-30, 1e6),
    "log2": (1e-30, 1e6), "log10": (1e-30, 1e6), "log1p": (-0.999, 1e6),
    "sin": (-100, 100), "cos": (-100, 100), "tan": (-1.5, 1.5), "arcsin": (-1, 1),
    "arccos": (-1, 1), "arctan": (-100, 100), "sinh": (-80, 80), "cosh": (-80, 80),
    "tanh": (-20, 20), "arcsinh": (-1e6, 1e6), "arccosh": (1, 1e6),
    "arctanh": (-0.999, 0.999), "erf": (-6, 6), "erfc": (-6, 30), "sigmoid": (-80, 80),
    "softplus": (-80, 80), "pow": (0.01, 10), "arctan2": (-100, 100),
}


def sweep(op: str, dtype: str, n: int, seed: int = 0) -> list[np.ndarray]:
    """The measured inputs: an even grid, random points and a log-spaced grid near 0."""
    lo, hi = DOMAINS[op]
    rng = np.random.default_rng(seed)
    pts = np.concatenate([np.linspace(lo, hi, n // 2), rng.uniform(lo, hi, n // 2)])
    if lo < 0.01 < hi:
        tiny = np.geomspace(1e-8, min(hi, 10.0), n // 8)
        pts = np.concatenate([pts, tiny, -tiny if lo < 0 else tiny])
    x = pts.astype(dtype)
    if scalar.get(op).nin == 2:
        y = rng.uniform(lo if op == "arctan2" else -4, hi if op == "arctan2" else 4,
                        x.size).astype(dtype)
        return [x, y]
    return [x]


def compiled(op: str, dtype: str, ndim: int) -> tensordsl.Function:
    """A C-backend function applying the scalar op `op` to `ndim`-d inputs."""
    sop = scalar.get(op)
    inputs = [TensorType(dtype, (None,) * ndim)(f"x{i}") for i in range(sop.nin)]
    out = Elemwise(sop)(*inputs)
    return tensordsl.function(inputs, out, mode="FAST_RUN")


def measure(op: str, dtype: str, points: int, scalar_points: int) -> tuple[float, float]:
    """(max ulp of the vector path, max ulp of the scalar path) against numpy/scipy."""
    impl = scalar.get(op).impl
    args = sweep(op, dtype, points)
    with np.errstate(all="ignore"):
        want = np.asarray(impl(*args)).astype(dtype)
        got = compiled(op, dtype, 1)(*args)
    vector = float(np.max(accuracy.ulp_distance(got, want)))
    step = max(1, args[0].size // scalar_points)
    f0 = compiled(op, dtype, 0)
    picked = [a[::step] for a in args]
    with np.errstate(all="ignore"):
        got0 = np.array([f0(*vals) for vals in zip(*picked)], dtype=dtype)
        want0 = np.asarray(impl(*picked)).astype(dtype)
    scalar_ulps = float(np.max(accuracy.ulp_distance(got0, want0)))
    return vector, scalar_ulps


def cpu_model() -> str:
    """The CPU model name (Linux), else the platform's processor string."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--scalar-points", type=int, default=2000)
    parser.add_argument("--ops", default=",".join(sorted(DOMAINS)))
    parser.add_argument("--march", default=None, help="c_march for this run (default: flag)")
    args = parser.parse_args(argv)
    if args.march and "c_march" in dir(config):
        config.c_march = args.march
    march = getattr(config, "c_march", "native")
    print(f"CPU: {cpu_model()}; -march={march}; numpy {np.__version__}; "
          f"{args.points} vector points, {args.scalar_points} scalar points per op")
    print()
    print("| op | f32 vector | f32 scalar | f64 vector | f64 scalar | contract |")
    print("|---|---|---|---|---|---|")
    start = time.time()
    for op in args.ops.split(","):
        cells = []
        for dtype in ("float32", "float64"):
            vec, sca = measure(op, dtype, args.points, args.scalar_points)
            cells += [f"{vec:.3g}", f"{sca:.3g}"]
        print(f"| {op} | {' | '.join(cells)} | {accuracy.ulp_bound(op)} |", flush=True)
    print(f"\n({time.time() - start:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
