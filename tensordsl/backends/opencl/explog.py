"""Inline, branch-free exp and log for OpenCL C (float32 and float64, scalar or vector).

Why: PoCL calls its builtin `exp`/`log` out of line (SLEEF's vector functions), and
every call spills the kernel's live vector registers; in the Black-Scholes kernel that
is a large share of the time (docs/opencl.md). These helpers are straight-line
arithmetic and bit manipulation, so they inline and vectorise (double8/float8 in the
vector path) like erf64.py's erf. `runtime.inline_math` decides per device whether they
are used (PoCL's CPU devices); elsewhere the builtins stay.

exp (Cody-Waite): k = round(x / ln2) by the 1.5 * 2^p rounding trick (k read from the
sum's low bits, no conversion builtin), r = (x - k ln2_hi) - k ln2_lo with ln2_hi short
enough that k ln2_hi is exact, |r| <= ln2/2 (a hair over: k is rounded from a rounded
product); exp(r) = 1 + (r + r^2 q(r)) with q the Taylor polynomial (float64: to r^13,
truncation < 0.02 ulp) or Cephes' expf minimax polynomial (float32); then times 2^k
built from exponent bits as two factors 2^(k>>1) and 2^(k - k>>1), so subnormal results
round once and no factor overflows. x is clamped to [lo, hi] just past the range where
exp is finite and nonzero, so large |x| overflows to inf or underflows to 0 by
arithmetic; NaN passes the clamps (comparisons with NaN are false) and stays NaN.

log: x = 2^k z with z in [sqrt(2)/2, sqrt(2)) by integer arithmetic on the bits
(subnormals scaled by 2^54 / 2^24 first); f = z - 1.
* float64: fdlibm's e_log.c: s = f / (2 + f), log(1+f) = f - (hfsq - s (hfsq + R(s^2))),
  R a degree-14 even minimax polynomial (one division);
* float32: Cephes' logf: log(1+f) = f - f^2/2 + f^3 P(f), P of degree 8 (no division);
then + k ln2 in two parts. Special values by selects: log(+-0) = -inf, log(x < 0) and
log(NaN) = NaN, log(inf) = inf.

Error against numpy, measured on PoCL (tests/backends/opencl/test_explog.py, docs/accuracy.md):
`MEASURED_ULPS`. Against the correctly rounded value all four are within 1 ulp; the
float32 distances to numpy are mostly numpy's own error (its float32 log is up to 4 ulp
off on [1/8, 8)).
"""

from __future__ import annotations

import math

import numpy as np

# the largest ulp distance to numpy measured over the test grids (millions of points incl.
# subnormal inputs/results, the overflow/underflow edges and the specials)
MEASURED_ULPS = {("exp", "float64"): 1, ("log", "float64"): 1,
                 ("exp", "float32"): 3, ("log", "float32"): 4}

_TAYLOR13 = tuple(1.0 / math.factorial(n) for n in range(13, 1, -1))  # 1/13! ... 1/2!
# Cephes expf: exp(r) = 1 + r + r^2 (0.5 + r P(r)), |r| <= ln2/2
_EXPF = (1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2,
         1.6666665459e-1, 5.0000001201e-1)
# fdlibm e_log.c: Lg1..Lg7
_LG = (6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01,
       2.222219843214978396e-01, 1.818357216161805012e-01, 1.531383769920937332e-01,
       1.479819860511658591e-01)
# Cephes logf: P(f), highest degree first
_LOGF = (7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1,
         1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1,
         3.3333331174e-1)


def _lit(value: float, dtype: str) -> str:
    """An exact OpenCL C literal: hex double, or hex float with the f suffix."""
    if dtype == "float32":
        return f"{float(np.float32(value)).hex()}f"
    return float(value).hex()


def _horner(coefficients: tuple[float, ...], var: str, dtype: str) -> str:
    """Horner's scheme, highest degree first."""
    expr = _lit(coefficients[0], dtype)
    for c in coefficients[1:]:
        expr = f"({expr} * {var} + {_lit(c, dtype)})"
    return expr


def _int_type(vtype: str) -> str:
    """The signed integer type with `vtype`'s lanes and lane width (double8 -> long8)."""
    if vtype.startswith("double"):
        return "long" + vtype[len("double"):]
    return "int" + vtype[len("float"):]


def name(op: str, dtype: str) -> str:
    """The helper's function name, e.g. td_exp_f64."""
    return f"td_{op}_f{64 if dtype == 'float64' else 32}"


def exp_source(vtype: str) -> str:
    """The OpenCL C text of td_exp_f64/td_exp_f32 over `vtype` (double[N] or float[N])."""
    f64 = vtype.startswith("double")
    d = "float64" if f64 else "float32"
    t, it = vtype, _int_type(vtype)
    L = (lambda v: _lit(v, d))  # noqa: E731
    if f64:
        # exp is finite below log(DBL_MAX) = 709.78 and rounds to 0 below -745.13
        hi, lo, magic, magic_bits = 709.8, -745.2, 1.5 * 2.0**52, "0x4338000000000000L"
        ln2_hi, ln2_lo = 6.93147180369123816490e-01, 1.90821492927058770002e-10
        poly = _horner(_TAYLOR13, "r", d)
        bias, shift = "1023L", 52
    else:
        hi, lo, magic, magic_bits = 88.8, -104.0, 1.5 * 2.0**23, "0x4b400000"
        ln2_hi, ln2_lo = 0.693359375, -2.12194440e-4  # Cephes expf's C1, C2
        poly = _horner(_EXPF, "r", d)
        bias, shift = "127", 23
    inv_ln2 = 1.4426950408889634
    return (
        f"static inline {t} {name('exp', d)}({t} x0)\n{{\n"
        "    /* Cody-Waite reduction, polynomial, 2^k from exponent bits (opencl/explog.py) */\n"
        f"    {t} x = x0 > {L(hi)} ? {L(hi)} : x0;  /* NaN stays NaN */\n"
        f"    x = x < {L(lo)} ? {L(lo)} : x;\n"
        f"    {t} t = x * {L(inv_ln2)} + {L(magic)};  /* rounds x/ln2 to an integer */\n"
        f"    {t} kd = t - {L(magic)};\n"
        f"    {it} k = as_{it}(t) - {magic_bits};\n"
        f"    {t} r = (x - kd * {L(ln2_hi)}) - kd * {L(ln2_lo)};\n"
        f"    {t} e = {L(1.0)} + (r + (r * r) * {poly});\n"
        f"    {it} k1 = k >> 1;\n"
        f"    {t} s1 = as_{t}((k1 + {bias}) << {shift});\n"
        f"    {t} s2 = as_{t}((k - k1 + {bias}) << {shift});\n"
        "    return (e * s1) * s2;\n}\n")


def log_source(vtype: str) -> str:
    """The OpenCL C text of td_log_f64/td_log_f32 over `vtype` (double[N] or float[N])."""
    f64 = vtype.startswith("double")
    d = "float64" if f64 else "float32"
    t, it = vtype, _int_type(vtype)
    L = (lambda v: _lit(v, d))  # noqa: E731
    if f64:
        tiny, scale, scale_k = 2.0**-1022, 2.0**54, 54
        sqrt_half_bits, exp_mask = "0x3fe6a09e667f3bcdL", "(long)0xfff0000000000000UL"
        shift, magic, magic_bits = 52, 1.5 * 2.0**52, "0x4338000000000000L"
        ln2_hi, ln2_lo = 6.93147180369123816490e-01, 1.90821492927058770002e-10
    else:
        tiny, scale, scale_k = 2.0**-126, 2.0**24, 24
        sqrt_half_bits, exp_mask = "0x3f3504f3", "(int)0xff800000U"
        shift, magic, magic_bits = 23, 1.5 * 2.0**23, "0x4b400000"
        ln2_hi, ln2_lo = 0.693359375, -2.12194440e-4
    lines = [
        f"static inline {t} {name('log', d)}({t} x0)\n{{",
        "    /* x = 2^k z, z in [0.7071, 1.4142) from the bits; polynomial in z - 1 "
        "(opencl/explog.py) */",
        f"    {it} sub = x0 < {L(tiny)};  /* subnormal (and <= 0: fixed up below) */",
        f"    {t} xs = sub ? x0 * {L(scale)} : x0;",
        f"    {it} ix = as_{it}(xs) - {sqrt_half_bits};",
        f"    {it} k = (ix >> {shift}) - (sub ? ({it})({scale_k}) : ({it})(0));",
        f"    {t} z = as_{t}(as_{it}(xs) - (ix & {exp_mask}));",
        f"    {t} kd = as_{t}(k + {magic_bits}) - {L(magic)};  /* k as a float, exactly */",
        f"    {t} f = z - {L(1.0)};",
    ]
    if f64:
        w1 = _horner((_LG[5], _LG[3], _LG[1]), "w", d)
        w2 = _horner((_LG[6], _LG[4], _LG[2], _LG[0]), "w", d)
        lines += [
            f"    {t} s = f / ({L(2.0)} + f);",
            f"    {t} zz = s * s;",
            f"    {t} w = zz * zz;",
            f"    {t} R = zz * {w2} + w * {w1};",
            f"    {t} hfsq = {L(0.5)} * f * f;",
            f"    {t} r = kd * {L(ln2_hi)} - ((hfsq - (s * (hfsq + R) + kd * {L(ln2_lo)})) - f);",
        ]
    else:
        lines += [
            f"    {t} zz = f * f;",
            f"    {t} y = f * zz * {_horner(_LOGF, 'f', d)};",
            f"    y = y + kd * {L(ln2_lo)};",
            f"    y = y - {L(0.5)} * zz;",
            f"    {t} r = (f + y) + kd * {L(ln2_hi)};",
        ]
    inf = "((double)INFINITY)" if f64 else "INFINITY"
    nan = "((double)NAN)" if f64 else "NAN"
    lines += [
        f"    r = x0 == {L(0.0)} ? -{inf} : r;",
        f"    r = x0 == {inf} ? {inf} : r;",
        f"    return x0 >= {L(0.0)} ? r : {nan};  /* x < 0 and NaN */",
        "}", ""]
    return "\n".join(lines)


def sqrt_source(vtype: str) -> str:
    """The OpenCL C text of td_sqrt_f64/td_sqrt_f32 over `vtype`: clang's
    `__builtin_sqrt[f]` per lane, which LLVM lowers to its sqrt intrinsic (one vector
    square root instruction, correctly rounded) where PoCL's `sqrt` is a call."""
    f64 = vtype.startswith("double")
    d = "float64" if f64 else "float32"
    fn = "__builtin_sqrt" if f64 else "__builtin_sqrtf"
    width = vtype[len("double" if f64 else "float"):]
    if not width:
        body = f"{fn}(x)"
    else:
        lanes = ", ".join(f"{fn}(x.s{'0123456789abcdef'[e]})" for e in range(int(width)))
        body = f"({vtype})({lanes})"
    return f"static inline {vtype} {name('sqrt', d)}({vtype} x)\n{{\n    return {body};\n}}\n"
