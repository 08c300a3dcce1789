"""Black-Scholes as an explicit element loop: the numba peers' formulation.

One definition for the suite's numba column (wl_elemwise) and the compile-time child
(compile_child). `prange` is `range` until `numba_kernel` binds numba.prange; numba
resolves the global when it compiles.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

prange = range


def bs_loop(S, K, T):  # noqa: N803 - the formula's names
    """European call price, r=0.02, sigma=0.3, normal CDF through erf, one element a step."""
    out = np.empty_like(S)
    for i in prange(S.size):
        sqrt_t = math.sqrt(T[i])
        d1 = (math.log(S[i] / K[i]) + (0.02 + 0.5 * 0.3 * 0.3) * T[i]) / (0.3 * sqrt_t)
        d2 = d1 - 0.3 * sqrt_t
        cnd1 = 0.5 + 0.5 * math.erf(d1 * 0.7071067811865476)
        cnd2 = 0.5 + 0.5 * math.erf(d2 * 0.7071067811865476)
        out[i] = S[i] * cnd1 - K[i] * math.exp(-0.02 * T[i]) * cnd2
    return out


def numba_kernel(njit: Any) -> Any:
    """`bs_loop` compiled by the given numba.njit(...) decorator, with numba.prange."""
    global prange
    import numba

    prange = numba.prange
    return njit(bs_loop)
