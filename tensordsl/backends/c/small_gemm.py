"""A generated small-GEMM kernel for a scan step's products by a loop-invariant matrix.

An LSTM step's `h @ Wh` is a 32x128 by 128x512 float32 product, 200 times in sequence.
OpenBLAS's sgemm (through scipy's pointer, `blas_ptrs`) re-packs Wh on every call and
decides its threading each time; JAX's and PyTorch's loops run below that floor. Here
the step's right operand, when it is a non-sequence or a constant (or a view of one:
the same bytes at every step), is packed ONCE per loop execution (at step 0) into
panels of `nr` columns (128 bytes: 32 floats, 16 doubles), zero padded, each panel k
rows of `nr` contiguous values; the kernel then computes MR x NR blocks of
the output with the accumulators in registers: for every k, MR broadcasts of `a` times
one panel row, `fmaf`/`fma` (which gcc inlines and vectorises: vfmadd on ymm/zmm with
-march=native, although the unit is built with -ffp-contract=off, since the call is
explicit). Plain C99 (the unit is checked by pycparser): no intrinsics, no attributes.

Which products take it is decided per call (`use_small`) from the measured shapes;
everything else keeps the ?gemm call. Measured on the development host (2 cores,
AVX-512, one thread, load 3.8: ratios within one run), 8x32 blocks with 512-bit vectors
vs OpenBLAS sgemm: 32x128 @ 128x512 26 vs 46 us, 32x512 @ 512x128 24 vs 45 us; but
4x128 @ 128x512 7.0 vs 3.3 us (a block of 8 rows half empty), 33x50 @ 50x330 9.1 vs
7.6 us and 16x64 @ 64x64 0.8 vs 0.8 us (OpenBLAS's small-matrix kernels win on few rows
or a short k; 4-row 256-bit blocks were 36 us on the LSTM shape).

The function driver's variant (`direct_source`, `td_direct_*`) is for weights that change
every call (an MLP step's X @ W1 at batch 16: OpenBLAS packs all of W1 per call for 16
rows of output, ~30% of its time): b is read where it lies, which needs b's columns
contiguous (any row stride). For each 32-column panel (128 float32 / 256 float64 bytes of
a row of b) it runs every row block of a while the panel is in the L2 cache; the last
panel, when 32 does not divide n, is shifted left to end at column n (it recomputes
columns of the panel before and writes only its own), so nothing is padded or copied.
Register blocks: 8 x 32 float32, 4 x 32 float64 (16 zmm accumulators each; an 8 x 16
float64 block is vectorised by gcc across the rows, 5x slower). Summation order of every
output element, whatever block or panel it falls in: acc = 0, acc = fma(a[i][p],
b[p][j], acc) for p = 0, 1, .. k-1, then alpha * acc, plus beta * c when beta != 0 (c
copied into the output first, or the output IS c's lent buffer and is updated in place).
`use_direct` is the rule, decided per call in the driver's plan (else ?gemm). Measured
with `python tools/bench_direct_gemm.py` (one thread, process CPU time, medians of
interleaved rounds, load 3.4-4.2 from other sessions: ratios within one run; direct /
sgemm): the mlp512 step's forward products, float32, X @ W1 (784x512) at m = 8, 16, 32,
64, 128: 0.29, 0.68, 0.70, 1.09, 1.56; h1 @ W2 (512x512): 0.35, 0.54, 0.50, 1.09, 1.15;
1 x 784 x 512: 2.56 (OpenBLAS's m = 1 path; 4 rows: 0.39); 8 x 128 x 512 0.90-0.94, 16
x 128 x 512 0.52, 16 x 96 x 512 0.97, 16 x 64 x 64 1.07-1.10, 16 x 256 x 48 1.00, 8 x
512 x 256 0.24. float64: 8 x 512 x 512 0.80, 8 x 256 x 512 0.74, 8 x 784 x 512 1.09-1.13
(b 3.2 MB, past the 2 MB L2), 4 x 784 x 512 0.60, 16 x 512 x 512 1.17-1.26, 16 x 784 x
512 1.46-1.51. Kept on ?gemm, measured: the weight gradients (m = fan-in, k = batch,
h1.T @ d2 and X.T @ d1: 1.24-1.64 at every batch; OpenBLAS's packing is cheap at k = 16),
and a transposed b (d2 @ W2.T): the kernel cannot read it in place; copying each
32-column panel of it into a k x 32 buffer just before the panel's blocks (the buffer in
L1/L2) took 1.16x sgemm's time at 16 x 512 x 512 float32 (1.10x float64; the copy alone
~100 us, gcc's gathers), and a dot-product form (rows of a and of W both contiguous, 16
lanes over p, a lane-sum tree at the end), auto-vectorised, 2.6x.
"""

from __future__ import annotations

from typing import Any

import numpy as np

MR = 8  # output rows per block (8 x 32 float accumulators: 16 zmm registers)
NR_BYTES = 128  # a panel row: 32 floats / 16 doubles

# the rule (see the module doc): a short, wide-enough product whose packed panel stays
# in the L2 cache (2 MB per core here)
MIN_M, MAX_M = MR, 64
MIN_KN = 1 << 14
MIN_K = 96
MAX_PACKED_BYTES = 1 << 21


def nr(dtype: str) -> int:
    """Panel width in elements for `dtype`."""
    return NR_BYTES // np.dtype(dtype).itemsize


def packed_bytes(k: int, n: int, dtype: str) -> int:
    """Bytes of the packed copy of a k x n operand."""
    width = nr(dtype)
    return -(-n // width) * width * k * np.dtype(dtype).itemsize


def use_small(m: int, k: int, n: int, dtype: str) -> bool:
    """Whether an (m x k) @ (k x n) product of a loop-invariant right operand takes the
    generated kernel (else ?gemm): the measured rule of the module doc."""
    return (MIN_M <= m <= MAX_M and k >= MIN_K and k * n >= MIN_KN
            and packed_bytes(k, n, dtype) <= MAX_PACKED_BYTES)


def invariant_vars(vars_: list[Any], nodes: list[Any], view_type: type) -> set[int]:
    """The step variables whose data is the same at every step: non-sequences,
    constants, and views of them (`view_type` nodes)."""
    same = {v.index for v in vars_ if v.kind in ("nonseq", "const")}
    for n in nodes:
        if isinstance(n, view_type) and n.src in same:
            same.add(n.out)
    return same


# gcc's default for this CPU family is 256-bit vectors (-mprefer-vector-width=256); the
# kernel's register block is laid out for 512-bit ones where the CPU has them (measured:
# 26 us vs 36 us for 32x128 @ 128x512); on a CPU without AVX-512 the option changes nothing
SOURCE = """\
#pragma GCC push_options
#pragma GCC target("prefer-vector-width=512")
TD_REAL TD_FMA(TD_REAL, TD_REAL, TD_REAL);

/* b (k x n, any strides) into panels of TD_NR columns, zero padded: panel j holds
   columns j*TD_NR.. as k rows of TD_NR contiguous values */
static void td_pack_TD_NAME(const td_array *b, TD_REAL *bp)
{
    long long k = b->dims[0], n = b->dims[1];
    long long rs = b->strides[0], cs = b->strides[1];
    for (long long j0 = 0; j0 < n; j0 += TD_NR)
        for (long long p = 0; p < k; p++) {
            TD_REAL *dst = bp + j0 * k + p * TD_NR;
            const char *src = b->data + p * rs;
            for (long long c = 0; c < TD_NR; c++)
                dst[c] = j0 + c < n ? *(const TD_REAL *)(src + (j0 + c) * cs) : (TD_REAL)0;
        }
}

/* out (contiguous m x n) = alpha * a @ b (+ beta * c broadcast, g as for td_gemm), b
   packed in bp; MR x TD_NR blocks with their accumulators in registers */
static void td_small_TD_NAME(const td_array *a, const TD_REAL *bp, const td_array *c,
                             const long long *g, TD_REAL alpha, TD_REAL beta, td_array *out)
{
    long long m = a->dims[0], k = a->dims[1], n = out->dims[1];
    if (m == 0 || n == 0) return;
    TD_REAL *o = (TD_REAL *)out->data;
    if (c && g[7] == (long long)sizeof(TD_REAL) && g[6] == n * g[7]) {
        memcpy(o, c->data, (unsigned long)(m * n) * sizeof(TD_REAL));
    } else if (c) {
        for (long long i = 0; i < m; i++)
            for (long long j = 0; j < n; j++)
                o[i * n + j] = *(const TD_REAL *)(c->data + i * g[6] + j * g[7]);
    } else {
        beta = 0;
    }
    long long ars = a->strides[0], acs = a->strides[1];
    for (long long j0 = 0; j0 < n; j0 += TD_NR) {
        const TD_REAL *panel = bp + j0 * k;
        long long nw = n - j0 < TD_NR ? n - j0 : TD_NR;
        for (long long i0 = 0; i0 < m; i0 += TD_MR) {
            TD_REAL acc[TD_MR][TD_NR];
            const char *ar[TD_MR];
            long long mr = m - i0 < TD_MR ? m - i0 : TD_MR;
            for (int r = 0; r < TD_MR; r++)  /* a short last block reads its last row again */
                ar[r] = a->data + (i0 + (r < mr ? r : mr - 1)) * ars;
            for (int r = 0; r < TD_MR; r++)
                for (int q = 0; q < TD_NR; q++) acc[r][q] = 0;
            for (long long p = 0; p < k; p++) {
                const TD_REAL *br = panel + p * TD_NR;
                for (int r = 0; r < TD_MR; r++) {
                    TD_REAL av = *(const TD_REAL *)(ar[r] + p * acs);
                    for (int q = 0; q < TD_NR; q++) acc[r][q] = TD_FMA(av, br[q], acc[r][q]);
                }
            }
            for (long long r = 0; r < mr; r++) {
                TD_REAL *row = o + (i0 + r) * n + j0;
                if (beta != 0)
                    for (long long q = 0; q < nw; q++) row[q] = beta * row[q] + alpha * acc[r][q];
                else
                    for (long long q = 0; q < nw; q++) row[q] = alpha * acc[r][q];
            }
        }
    }
}
#pragma GCC pop_options
"""


# The function driver's variant: b is read where it lies (a weight that changes every
# call, so a packed copy would be used once): its rows must be contiguous (unit column
# stride, any row stride), and it must be at least one panel wide: the last panel is
# shifted left to end at column n (it recomputes columns the panel before wrote, and
# writes only its own), so no read passes the end of a row and nothing needs padding.
DIRECT_NR = 32  # panel width in elements, both dtypes (16 float64 columns: see the doc)
DIRECT_MR = {"float32": 8, "float64": 4}  # 16 zmm accumulators either way
# the driver's rule (measured, module doc): per dtype the row range, the shortest k and
# the narrowest n where reading b in place beat ?gemm, and the most bytes of b (float64:
# a b beyond the L2 cache lost); float32 caps b's panel at half the L2 cache, unmeasured
DIRECT_RULE = {"float32": (2, 32, 128, 128, None), "float64": (2, 8, 256, 128, 1 << 21)}
MAX_PANEL_BYTES = 1 << 20


def use_direct(m: int, k: int, n: int, dtype: str, b_strides: tuple[int, ...]) -> bool:
    """Whether the function driver runs an (m x k) @ (k x n) product whose b has these
    byte strides through the generated kernel that reads b in place (`direct_source`),
    else through ?gemm: the measured rule of the module doc. b's columns must be
    contiguous (a transposed or strided b keeps ?gemm)."""
    rule = DIRECT_RULE.get(dtype)
    if rule is None or b_strides[1] != np.dtype(dtype).itemsize:
        return False
    lo, hi, min_k, min_n, max_b = rule
    item = np.dtype(dtype).itemsize
    return (lo <= m <= hi and k >= min_k and n >= max(min_n, DIRECT_NR)
            and k * DIRECT_NR * item <= MAX_PANEL_BYTES
            and (max_b is None or k * n * item <= max_b))


DIRECT = """\
#pragma GCC push_options
#pragma GCC target("prefer-vector-width=512")
TD_REAL TD_FMA(TD_REAL, TD_REAL, TD_REAL);

/* out (contiguous m x n) = alpha * a @ b (+ beta * c broadcast; g as for td_gemm; c may
   be out's own buffer: a lent input, accumulated in place), b (k x n, n >= TD_NR) read in
   place with unit column stride. Per 32-column panel every MR-row block of a, so the
   panel is read from memory once and from the cache after. Every output element is
   fma(a[i][p], b[p][j], acc) for p = 0, 1, .. k-1 from acc = 0, then alpha * acc
   (+ beta * c): the same order whatever the block or panel it falls in. */
static void td_direct_TD_NAME(const td_array *a, const td_array *b, const td_array *c,
                              const long long *g, TD_REAL alpha, TD_REAL beta, td_array *out)
{
    long long m = a->dims[0], k = a->dims[1], n = out->dims[1];
    if (m == 0 || n == 0) return;
    TD_REAL *o = (TD_REAL *)out->data;
    if (c && g[7] == (long long)sizeof(TD_REAL) && g[6] == n * g[7]) {
        if (c->data != out->data)
            memcpy(o, c->data, (unsigned long)(m * n) * sizeof(TD_REAL));
    } else if (c) {
        for (long long i = 0; i < m; i++)
            for (long long j = 0; j < n; j++)
                o[i * n + j] = *(const TD_REAL *)(c->data + i * g[6] + j * g[7]);
    } else {
        beta = 0;
    }
    long long ars = a->strides[0], acs = a->strides[1], brs = b->strides[0];
    for (long long j0 = 0; j0 < n; j0 += TD_NR) {
        long long jb = j0 + TD_NR <= n ? j0 : n - TD_NR;  /* the last panel ends at n */
        const char *bcol = b->data + jb * (long long)sizeof(TD_REAL);
        for (long long i0 = 0; i0 < m; i0 += TD_MR) {
            TD_REAL acc[TD_MR][TD_NR];
            const char *ar[TD_MR];
            long long mr = m - i0 < TD_MR ? m - i0 : TD_MR;
            for (int r = 0; r < TD_MR; r++)  /* a short last block reads its last row again */
                ar[r] = a->data + (i0 + (r < mr ? r : mr - 1)) * ars;
            for (int r = 0; r < TD_MR; r++)
                for (int q = 0; q < TD_NR; q++) acc[r][q] = 0;
            for (long long p = 0; p < k; p++) {
                const TD_REAL *br = (const TD_REAL *)(bcol + p * brs);
                for (int r = 0; r < TD_MR; r++) {
                    TD_REAL av = *(const TD_REAL *)(ar[r] + p * acs);
                    for (int q = 0; q < TD_NR; q++) acc[r][q] = TD_FMA(av, br[q], acc[r][q]);
                }
            }
            for (long long r = 0; r < mr; r++) {
                TD_REAL *row = o + (i0 + r) * n + jb;
                if (beta != 0)
                    for (long long q = j0 - jb; q < TD_NR; q++)
                        row[q] = beta * row[q] + alpha * acc[r][q];
                else
                    for (long long q = j0 - jb; q < TD_NR; q++) row[q] = alpha * acc[r][q];
            }
        }
    }
}
#pragma GCC pop_options
"""


def _fill(text: str, dtype: str, mr: int = MR, width: int = 0) -> str:
    real = {"float32": "float", "float64": "double"}[dtype]
    fma = {"float32": "fmaf", "float64": "fma"}[dtype]
    return (text.replace("TD_NAME", dtype).replace("TD_REAL", real).replace("TD_FMA", fma)
            .replace("TD_NR", str(width or nr(dtype))).replace("TD_MR", str(mr)))


def direct_source(dtype: str) -> str:
    """The function driver's kernel `td_direct_<dtype>` (b read in place, unpacked)."""
    return _fill(DIRECT, dtype, DIRECT_MR[dtype], DIRECT_NR)


def source(dtype: str) -> str:
    """The pack and kernel functions for `dtype` (float32/float64)."""
    return _fill(SOURCE, dtype)
