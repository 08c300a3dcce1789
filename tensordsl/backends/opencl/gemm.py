"""A tiled matrix product in OpenCL C: C = alpha * A @ B + beta * Cin (Dot and Gemm).

One work-group computes a TS x TS tile of the result; per step of TS along K it loads a
tile of A and of B into local memory (each work-item one element of each), then every
work-item accumulates its dot product from local memory. A and B are read through
element strides, so transposed and sliced operands need no copy, and a vector is a
matrix with one stride 0 (gemv, dot of vectors). The summation order over K is fixed
(k = 0, 1, ..., K-1 per output), so results are deterministic. The result is written
at an element offset with a row stride (one launch per batch of an N-d `Dot`'s second
operand writes its columns of the joined result). Integer products accumulate in the
unsigned type of at least 32 bits (`uint`/`ulong`): wrap-around arithmetic is exact
modulo 2^32 / 2^64, so the result converted back is numpy's wrapped value, and no signed
overflow (undefined in C) happens.
"""

from __future__ import annotations

from tensordsl.backends.cfamily.dialect import OPENCL
from tensordsl.backends.opencl.render import prelude


def gemm_source(dtype: str, tile: int, with_c: bool, name: str = "td_gemm") -> str:
    """The program of the `dtype` product with TS = `tile`; `with_c` adds the
    alpha/beta/Cin epilogue (Gemm), else the result is A @ B (Dot)."""
    t = OPENCL.type_name(dtype)
    zero = OPENCL.const(0, dtype)
    integer = dtype.startswith(("int", "uint"))
    acc_t = ("ulong" if dtype.endswith("64") else "uint") if integer else t
    term = (f"({acc_t})As[lr][k] * ({acc_t})Bs[k][lc]" if integer
            else "As[lr][k] * Bs[k][lc]")
    params = ["const long M", "const long N", "const long K",
              f"__global const {t} *A", "const long offA", "const long sAm", "const long sAk",
              f"__global const {t} *B", "const long offB", "const long sBk", "const long sBn",
              f"__global {t} *C", "const long offO", "const long sOm"]
    if with_c:
        params += [f"__global const {t} *Cin", "const long offC", "const long sCm",
                   "const long sCn", f"const {t} alpha", f"const {t} beta"]
    result = f"({t})acc" if integer else "acc"
    if with_c:
        result = "alpha * acc + beta * Cin[offC + row * sCm + col * sCn]"
    lines = [f"/* tensordsl {dtype} matrix product, {tile}x{tile} tiles */",
             *prelude(dtype == "float64"), "",
             f"__attribute__((reqd_work_group_size({tile}, {tile}, 1)))",
             f"__kernel void {name}({', '.join(params)})", "{",
             f"    __local {t} As[{tile}][{tile + 1}];",
             f"    __local {t} Bs[{tile}][{tile + 1}];",
             "    const int lr = get_local_id(1), lc = get_local_id(0);",
             f"    const long row = get_group_id(1) * {tile} + lr;",
             f"    const long col = get_group_id(0) * {tile} + lc;",
             f"    {acc_t} acc = {'0' if integer else zero};",
             f"    for (long k0 = 0; k0 < K; k0 += {tile}) {{",
             "        const long ka = k0 + lc, kb = k0 + lr;",
             f"        As[lr][lc] = (row < M && ka < K) ? A[offA + row * sAm + ka * sAk] : {zero};",
             f"        Bs[lr][lc] = (kb < K && col < N) ? B[offB + kb * sBk + col * sBn] : {zero};",
             "        barrier(CLK_LOCAL_MEM_FENCE);",
             f"        for (int k = 0; k < {tile}; k++) {{",
             f"            acc += {term};",
             "        }",
             "        barrier(CLK_LOCAL_MEM_FENCE);",
             "    }",
             f"    if (row < M && col < N) C[offO + row * sOm + col] = {result};",
             "}", ""]
    return "\n".join(lines)
