"""Black-Scholes option pricing written as plain numpy, compiled with @tensordsl.compile.

Run from the repository root:  python -m examples.decorator_black_scholes
"""

import math
import time

import numpy as np
from scipy.special import erf

import tensordsl


def norm_cdf(x):
    return 0.5 * (1.0 + erf(x / math.sqrt(2.0)))


def black_scholes(S, K, T, r, sigma):
    sqrt_t = np.sqrt(T)
    d1 = (np.log(S / K) + (r + 0.5 * sigma * sigma) * T) / (sigma * sqrt_t)
    d2 = d1 - sigma * sqrt_t
    call = S * norm_cdf(d1) - K * np.exp(-r * T) * norm_cdf(d2)
    put = call - S + K * np.exp(-r * T)
    return call, put


def main() -> None:
    rng = np.random.default_rng(0)
    n = 200_000
    S = rng.uniform(5.0, 30.0, n)
    K = rng.uniform(1.0, 100.0, n)
    T = rng.uniform(0.25, 10.0, n)
    sigma = rng.uniform(0.1, 0.5, n)
    r = 0.02  # a Python float: a weak scalar, as in numpy

    for target in ("numpy", "c"):
        try:
            priced = tensordsl.compile(black_scholes, target=target)
            call, put = priced(S, K, T, r, sigma)  # first call: parse, build, compile
        except tensordsl.CompileError as err:
            print(f"target {target!r} unavailable: {err}")
            continue
        start = time.perf_counter()
        call, put = priced(S, K, T, r, sigma)  # later calls: a dictionary lookup
        elapsed = time.perf_counter() - start
        ref_call, ref_put = black_scholes(S, K, T, r, sigma)
        print(f"target {target!r}: {elapsed * 1e3:.1f} ms for {n} options, max |error| "
              f"{max(np.abs(call - ref_call).max(), np.abs(put - ref_put).max()):.2e}, "
              f"dtype {call.dtype}")
    print("signatures:", priced.signatures)
    print("normalised Python after inlining and SSA:")
    print(priced.source("python"))
    delta = tensordsl.grad(call_price_sum, argnums=0)
    print("delta of the first 3 calls:", delta(S[:3], K[:3], T[:3], r, sigma[:3]))


def call_price_sum(S, K, T, r, sigma):
    call, _ = black_scholes(S, K, T, r, sigma)
    return call.sum()


if __name__ == "__main__":
    main()
