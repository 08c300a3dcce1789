"""The compute limit of Black-Scholes: a hand-written C loop using glibc's vector maths.

`#pragma omp declare simd notinbranch` on the libm prototypes plus `-fno-math-errno`
and `-lmvec` let gcc call libmvec's vector log/exp/erf inside an `omp parallel for
simd` loop, with IEEE semantics otherwise (no -ffast-math) and `-ffp-contract=off`.
This is what a fused tensordsl kernel should approach (issue 6: within 1.25x).
The output buffer is preallocated once (the best case for a hand-written loop).
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import tempfile
from typing import Any

import numpy as np

from benchsuite.cases import NotApplicable, Run

COLUMN = "C vector-math loop (limit)"

SOURCE = r"""
#pragma omp declare simd notinbranch
T LOG(T);
#pragma omp declare simd notinbranch
T EXP(T);
#pragma omp declare simd notinbranch
T ERF(T);
T SQRT(T);
void bs(const T *restrict S, const T *restrict K, const T *restrict Tm, T *restrict out,
        long n)
{
    #pragma omp parallel for simd schedule(static)
    for (long i = 0; i < n; i++) {
        T sqrt_t = SQRT(Tm[i]);
        T d1 = (LOG(S[i] / K[i]) + (T)(0.02 + 0.5 * 0.3 * 0.3) * Tm[i]) / ((T)0.3 * sqrt_t);
        T d2 = d1 - (T)0.3 * sqrt_t;
        T cnd1 = (T)0.5 + (T)0.5 * ERF(d1 * (T)0.7071067811865476);
        T cnd2 = (T)0.5 + (T)0.5 * ERF(d2 * (T)0.7071067811865476);
        out[i] = S[i] * cnd1 - K[i] * EXP((T)-0.02 * Tm[i]) * cnd2;
    }
}
"""

FLAGS = ["-O3", "-march=native", "-ffp-contract=off", "-fno-math-errno", "-fopenmp",
         "-shared", "-fPIC"]


def _build(dtype: str) -> Any:
    cc = shutil.which(os.environ.get("CC", "gcc")) or shutil.which("cc")
    if cc is None:
        raise NotApplicable("no C compiler")
    f = "f" if dtype == "float32" else ""
    t = "float" if dtype == "float32" else "double"
    defines = [f"-DT={t}", f"-DLOG=log{f}", f"-DEXP=exp{f}", f"-DERF=erf{f}", f"-DSQRT=sqrt{f}"]
    with tempfile.TemporaryDirectory(prefix="tensordsl-bench-bs-") as tmp:
        src, lib = os.path.join(tmp, "bs.c"), os.path.join(tmp, "bs.so")
        with open(src, "w") as fh:
            fh.write(SOURCE)
        cmd = [cc, *FLAGS, *defines, src, "-o", lib, "-lmvec", "-lm"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise NotApplicable(f"build failed: {proc.stderr[:200]}")
        return ctypes.CDLL(lib)


def bs_loop(dtype: str) -> Any:
    """Factory: inputs -> run() of the hand-written loop on them."""
    def factory(inp: dict[str, Any]) -> Run:
        lib = _build(dtype)
        S, K, T = inp["S"], inp["K"], inp["T"]
        out = np.empty_like(S)
        ptr = ctypes.c_void_p
        args = [ptr(a.ctypes.data) for a in (S, K, T, out)] + [ctypes.c_long(S.size)]

        def run() -> np.ndarray:
            lib.bs(*args)
            return out
        return run
    return factory
