"""The accuracy contract: how far a compiled result may be from numpy's (docs/accuracy.md).

Exact where IEEE makes it exact: + - * /, comparisons, integer ops, casts, min/max, and
sums in the documented order. Transcendental functions come from whichever libm/libmvec
variant (or OpenCL builtin) the target picks on the user's CPU, so compiled and numpy
values differ by a few units in the last place (ulp); the bounds below state how many.
No test compares a transcendental bit for bit, and no test may depend on which variant
a CPU picks.
"""

from __future__ import annotations

import numpy as np

# Ops whose compiled results come from a libm-like implementation rather than IEEE
# arithmetic. glibc documents <= 4 ulp for its scalar and libmvec functions (AVX2 and
# AVX-512 variants differ from each other and from numpy's own loops); OpenCL 1.2
# allows <= 4 ulp for exp/log and <= 8 for pow-like functions in float32.
INEXACT = frozenset("exp exp2 log log2 log10 log1p expm1 sin cos tan arcsin arccos arctan "
                    "sinh cosh tanh arcsinh arccosh arctanh erf erfc arctan2 pow "
                    "sigmoid softplus".split())

# ulp bound against numpy for one application of an inexact op (both sides may be
# off by up to 4 ulp from the true value, in opposite directions).
DEFAULT_ULPS = 8
# Measured exceptions (a 220k-point sweep over [-30, 30]): libmvec's float64 erfc is up to
# ~500 ulp off scipy's far in the tail (x > 6, erfc < 1e-17).
ULPS_BY_OP = {"erfc": 1024}


def ulp_bound(op: str) -> int:
    """How many ulp a compiled `op` may differ from numpy's (0 for exact ops)."""
    if op not in INEXACT:
        return 0
    return ULPS_BY_OP.get(op, DEFAULT_ULPS)


def ulp_distance(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """|got - want| in units of the last place of `want` in got's dtype (float arrays).

    NaN against NaN and equal infinities are 0 apart; a NaN against a number is inf.
    Subnormal results count in units of the smallest normal's spacing."""
    got, want = np.asarray(got), np.asarray(want)
    dtype = got.dtype if got.dtype.kind == "f" else np.dtype("float64")
    with np.errstate(all="ignore"):
        spacing = np.spacing(np.abs(want).astype(dtype)).astype("float64")
        spacing = np.maximum(spacing, float(np.finfo(dtype).smallest_normal))
        diff = np.abs(got.astype("float64") - want.astype("float64")) / spacing
        same = (got == want) | (np.isnan(got) & np.isnan(want))
    return np.where(same, 0.0, np.where(np.isnan(diff), np.inf, diff))


def within_ulps(got: np.ndarray, want: np.ndarray, ulps: float) -> np.ndarray:
    """Elementwise: `got` equals `want` within `ulps` ulp (NaN == NaN)."""
    return ulp_distance(got, want) <= ulps


# Measured by tools/measure_ulps.py (200k-point sweeps over each op's domain, numpy 2.4,
# glibc 2.36 libm/libmvec, gcc 12) on an Intel Xeon (Rocket Lake, AVX-512): the largest
# ulp distance to numpy/scipy as (float32 vector, float32 scalar, float64 vector, float64
# scalar). "vector" is the compiled array loop (libmvec), "scalar" a 0-d call (libm).
# Two -march values were measured, because they call different libmvec variants:
# x86-64-v3 (AVX2, `_ZGVdN4v_*`; also what -march=native picks on this CPU, where gcc
# prefers 256-bit vectors) and x86-64-v4 (AVX-512, `_ZGVeN8v_*`).
MEASURED_AVX2 = {
    "arccos": (3, 2, 1, 1), "arccosh": (1, 1, 1, 1), "arcsin": (4, 2, 2, 1),
    "arcsinh": (2, 1, 2, 1), "arctan": (2, 1, 2, 0), "arctan2": (0, 2, 2, 1),
    "arctanh": (2, 1, 2, 1), "cos": (2, 1, 3, 0), "cosh": (2, 2, 1, 1), "erf": (5, 4, 3, 2),
    "erfc": (1, 2, 508, 479), "exp": (4, 2, 3, 1), "exp2": (1, 1, 2, 1),
    "expm1": (3, 2, 3, 1), "log": (4, 2, 1, 0), "log10": (2, 2, 2, 2), "log1p": (0, 1, 2, 1),
    "log2": (2, 1, 1, 0), "pow": (1, 1, 1, 1), "sigmoid": (4, 0, 4, 0), "sin": (2, 1, 3, 0),
    "sinh": (0, 2, 2, 1), "softplus": (3, 0, 3, 0), "tan": (3, 1, 3, 1), "tanh": (1, 2, 2, 2),
}
MEASURED_AVX512 = {
    "arccos": (1, 2, 1, 1), "arccosh": (0, 1, 1, 1), "arcsin": (1, 2, 2, 1),
    "arcsinh": (1, 1, 1, 1), "arctan": (0, 1, 2, 0), "arctan2": (0, 2, 2, 1),
    "arctanh": (2, 1, 1, 1), "cos": (2, 1, 3, 0), "cosh": (1, 2, 2, 1), "erf": (5, 4, 3, 2),
    "erfc": (1, 2, 508, 479), "exp": (4, 2, 3, 1), "exp2": (1, 1, 1, 1),
    "expm1": (1, 2, 2, 1), "log": (4, 2, 1, 0), "log10": (1, 2, 1, 2), "log1p": (0, 1, 2, 1),
    "log2": (0, 1, 2, 0), "pow": (1, 1, 1, 1), "sigmoid": (4, 0, 4, 0), "sin": (2, 1, 3, 0),
    "sinh": (0, 2, 2, 1), "softplus": (3, 0, 3, 0), "tan": (1, 1, 3, 1), "tanh": (1, 2, 0, 2),
}


def measured_ulps(op: str, dtype: str) -> int | None:
    """The largest error measured for `op` in `dtype` (float32/float64) over both libmvec
    variants and libm, or None when it was not measured (exact ops, other dtypes)."""
    column = {"float32": 0, "float64": 2}.get(str(dtype))
    if column is None or op not in MEASURED_AVX2:
        return None
    return max(table[op][column + k] for table in (MEASURED_AVX2, MEASURED_AVX512)
               for k in (0, 1))
