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
