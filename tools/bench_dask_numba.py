"""The numba kernel of tools/bench_dask.py, in a module of its own.

dask ships a function defined in a script (`__main__`) by value with every task, so a
numba dispatcher defined there would be compiled again for every block; imported from
this module it is pickled by name and compiled once per worker process.
"""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=False)
def _kernel(S, K, T, sigma, r):
    out = np.empty((2, S.shape[0]))
    for i in range(S.shape[0]):
        sqrt_t = math.sqrt(T[i])
        d1 = (math.log(S[i] / K[i]) + (r + 0.5 * sigma[i] * sigma[i]) * T[i]) / (
            sigma[i] * sqrt_t)
        d2 = d1 - sigma[i] * sqrt_t
        cnd1 = 0.5 * (1.0 + math.erf(d1 / math.sqrt(2.0)))
        cnd2 = 0.5 * (1.0 + math.erf(d2 / math.sqrt(2.0)))
        disc = K[i] * math.exp(-r * T[i])
        call = S[i] * cnd1 - disc * cnd2
        out[0, i] = call
        out[1, i] = call - S[i] + disc
    return out


def black_scholes_block(S: np.ndarray, K: np.ndarray, T: np.ndarray, sigma: np.ndarray,
                        r: float) -> np.ndarray:
    """Call and put of one block, as rows 0 and 1 of a (2, n) array."""
    return _kernel(S, K, T, sigma, r)
