"""The C-family text of one MRG31k3p step (Theano's mrg_uniform C code), shared by the
C unit (`backends/c/mrg.py`) and the OpenCL program (`backends/opencl/mrg.py`).

The text is a fixed template: only the sample dtype chooses between two constant
lines, nothing from the graph or the user reaches it.

Arithmetic: Theano's step adds int32 values that may overflow and relies on the wrap
(its numpy `perform` wraps silently, its C code relied on the compiler). Here every sum
is computed in `unsigned int` (wrap-around is defined in C and OpenCL C) and turned back
into a signed int by `td_s32`, a branch the compilers fold into a no-op, so the result
is the same as numpy's int32 arithmetic on any conforming compiler, with or without
-fwrapv.

Float conversion (`rng_mrg._to_unit`, the reference's): the integer k in [1, M1] becomes
the float64 product k * norm, rounded once more to float32 for float32 samples. Both
products are computed in double, so the float32 path needs double arithmetic too.
"""

from __future__ import annotations

from tensordsl.sandbox.rng_mrg import _TO_UNIT, M1, M2, MASK2, MASK12, MASK13, MULT2

DTYPES = ("float32", "float64")  # float16 samples run the host perform (no half type here)

STEP = f"""\
/* int32 wrap-around: the unsigned value as a two's-complement int (no overflow) */
static inline int td_s32(unsigned int u)
{{
    return u < 2147483648u ? (int)u : -(int)(4294967295u - u) - 1;
}}

/* Theano's conditional subtraction: y - m when y is negative or at least m */
static inline int td_fold(int y, int m)
{{
    return td_s32((unsigned int)y - (((y < 0) | (y >= m)) ? (unsigned int)m : 0u));
}}

/* one MRG31k3p step of a stream (x11 x12 x13 x21 x22 x23, each by pointer: the C unit
   passes elements of per-component arrays, the OpenCL kernel private variables);
   returns k in [1, M1]. Branch-free (conditional values), so loops over streams
   vectorise once it is inlined */
static inline int td_mrg_next(int *p11, int *p12, int *p13, int *p21, int *p22, int *p23)
{{
    int x11 = *p11, x12 = *p12, x13 = *p13, x21 = *p21, x22 = *p22, x23 = *p23;
    unsigned int u;
    int y1, y2;
    u = ((unsigned int)(x12 & {MASK12}) << 22) + (unsigned int)(x12 >> 9)
        + ((unsigned int)(x13 & {MASK13}) << 7) + (unsigned int)(x13 >> 24);
    y1 = td_fold(td_s32(u), {M1});
    y1 = td_fold(td_s32((unsigned int)y1 + (unsigned int)x13), {M1});
    *p13 = x12;
    *p12 = x11;
    *p11 = y1;
    x11 = y1;
    u = ((unsigned int)(x21 & {MASK2}) << 15) + (unsigned int){MULT2} * (unsigned int)(x21 >> 16);
    y1 = td_fold(td_s32(u), {M2});
    u = ((unsigned int)(x23 & {MASK2}) << 15) + (unsigned int){MULT2} * (unsigned int)(x23 >> 16);
    y2 = td_fold(td_s32(u), {M2});
    y2 = td_fold(td_s32((unsigned int)y2 + (unsigned int)x23), {M2});
    y2 = td_fold(td_s32((unsigned int)y2 + (unsigned int)y1), {M2});
    *p23 = x22;
    *p22 = x21;
    *p21 = y2;
    return x11 <= y2 ? td_s32((unsigned int)x11 - (unsigned int)y2 + {M1}u) : x11 - y2;
}}
"""


def sample_type(dtype: str) -> str:
    """The C / OpenCL C type of `dtype` samples."""
    if dtype not in DTYPES:
        raise ValueError(f"mrg_uniform: compiled samples are float32 or float64, got {dtype}")
    return "float" if dtype == "float32" else "double"


def to_unit(dtype: str) -> str:
    """The expression turning the int `k` into a sample of `dtype`: the double product
    k * norm (exact in k, one rounding), then (float32) one more rounding, as numpy's
    float64 product followed by astype."""
    mask, offset, norm = _TO_UNIT[dtype]
    if (mask, offset) != (0xFFFFFFFF, 0):  # k in [1, M1] is positive: the mask keeps it
        raise ValueError(f"mrg_uniform: no compiled conversion for {dtype}")
    value = f"(double)k * {float(norm)!r}"
    return value if dtype == "float64" else f"(float)({value})"


__all__ = ["DTYPES", "STEP", "sample_type", "to_unit"]
