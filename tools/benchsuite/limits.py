"""Physical ceilings: memory bandwidth (a STREAM triad in C) and BLAS peak (numpy GEMM).

The triad `a = b + s*c` is written to a temporary directory, built with
`gcc -O3 -march=native -fopenmp -shared -fPIC` and loaded with ctypes, so it runs on
all cores with no Python in the loop: the best a memory-bound kernel can hope for.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

TRIAD_C = r"""
#include <omp.h>
void triad(double *restrict a, const double *restrict b, const double *restrict c,
           double s, long n) {
    #pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) a[i] = b[i] + s * c[i];
}
int max_threads(void) { return omp_get_max_threads(); }
"""

CFLAGS = ["-O3", "-march=native", "-fopenmp", "-shared", "-fPIC"]


class LimitUnavailable(Exception):
    """The ceiling cannot be measured here (no C compiler, build failure)."""


@dataclass
class Triad:
    """A loaded triad kernel with its arrays; calling it runs one triad."""

    lib: ctypes.CDLL
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray

    @property
    def bytes_per_call(self) -> int:
        """Bytes moved by one call (3 arrays counted, STREAM's convention)."""
        return 3 * self.a.nbytes

    @property
    def threads(self) -> int:
        """OpenMP threads the kernel runs on."""
        return int(self.lib.max_threads())

    def __call__(self) -> np.ndarray:
        ptr = ctypes.c_void_p
        self.lib.triad(ptr(self.a.ctypes.data), ptr(self.b.ctypes.data),
                       ptr(self.c.ctypes.data), ctypes.c_double(3.0), ctypes.c_long(self.a.size))
        return self.a


def _build(source: str, name: str) -> ctypes.CDLL:
    cc = shutil.which(os.environ.get("CC", "gcc")) or shutil.which("cc")
    if cc is None:
        raise LimitUnavailable("no C compiler (gcc/cc) on PATH")
    with tempfile.TemporaryDirectory(prefix="tensordsl-bench-") as tmp:
        src, lib = os.path.join(tmp, f"{name}.c"), os.path.join(tmp, f"{name}.so")
        with open(src, "w") as f:
            f.write(source)
        proc = subprocess.run([cc, *CFLAGS, src, "-o", lib], capture_output=True, text=True)
        if proc.returncode != 0:
            raise LimitUnavailable(f"{cc} failed: {proc.stderr.strip()[:300]}")
        loaded = ctypes.CDLL(lib)  # stays mapped after the directory is removed
    loaded.max_threads.restype = ctypes.c_int
    return loaded


def make_triad(n: int) -> Triad:
    """A built triad over `n` float64 elements (raises LimitUnavailable)."""
    lib = _build(TRIAD_C, "triad")
    rng = np.random.default_rng(0)
    b, c = rng.random(n), rng.random(n)
    triad = Triad(lib, np.empty(n), b, c)
    if not np.allclose(triad(), b + 3.0 * c):
        raise LimitUnavailable("the C triad gave wrong values")
    return triad


def gemm(n: int, dtype: str) -> Callable[[], np.ndarray]:
    """numpy's n x n GEMM in `dtype`: the BLAS peak every compute-bound row is held to."""
    rng = np.random.default_rng(1)
    a, b = rng.random((n, n)).astype(dtype), rng.random((n, n)).astype(dtype)
    return lambda: a @ b


def gemm_flops(n: int) -> float:
    """Floating-point operations of an n x n x n matrix product."""
    return 2.0 * n ** 3
