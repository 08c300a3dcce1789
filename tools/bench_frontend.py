"""Frontend benchmarks: decorator dispatch overhead and Black-Scholes decorator vs symbolic API.

    python -m tools.bench_frontend [--quick]

Prints, per workload, the best-of-5 time per call. Peers (numba, JAX) are measured when
installed. Timings on a shared machine are noisy: compare rows of one run.
"""

from __future__ import annotations

import argparse
import timeit

import numpy as np

import tensordsl
from tensordsl import tensor as T
from tests.frontend.corpus import black_scholes


def add(a, b):
    return a + b


def best(fn, number: int) -> float:
    """Best-of-5 seconds per call."""
    return min(timeit.repeat(fn, number=number, repeat=5)) / number


def dispatch_rows(number: int) -> list[tuple[str, float]]:
    """Call overhead of `a + b` on two Python floats."""
    rows = [("plain Python", best(lambda: add(1.0, 2.0), number))]
    for target in ("numpy", "c"):
        try:
            f = tensordsl.compile(add, target=target)
            f(1.0, 2.0)
        except tensordsl.CompileError:
            continue
        rows.append((f"@tensordsl.compile target={target}", best(lambda f=f: f(1.0, 2.0),
                                                                  number)))
    x, y = T.dscalars("x", "y")
    g = tensordsl.function([x, y], x + y)
    rows.append(("tensordsl.function", best(lambda: g(1.0, 2.0), number)))
    try:
        import numba

        nf = numba.njit(add)
        nf(1.0, 2.0)
        rows.append(("numba.njit", best(lambda: nf(1.0, 2.0), number)))
    except ImportError:
        pass
    try:
        import jax

        jf = jax.jit(add)
        jf(1.0, 2.0)
        rows.append(("jax.jit", best(lambda: jf(1.0, 2.0), number)))
    except ImportError:
        pass
    return rows


def black_scholes_rows(n: int, number: int) -> list[tuple[str, float]]:
    """The decorator against the same graph built with the symbolic API."""
    rng = np.random.default_rng(0)
    S, K, T_, sigma = (rng.uniform(lo, hi, n) for lo, hi in
                       ((5, 30), (1, 100), (0.25, 10), (0.1, 0.5)))
    rows = [("plain numpy", best(lambda: black_scholes(S, K, T_, 0.02, sigma), number))]
    for target in ("numpy", "c"):
        try:
            f = tensordsl.compile(black_scholes, target=target)
            f(S, K, T_, 0.02, sigma)
        except tensordsl.CompileError:
            continue
        rows.append((f"decorator target={target}",
                     best(lambda f=f: f(S, K, T_, 0.02, sigma), number)))
        symbolic = tensordsl.function(*_symbolic_black_scholes(), mode=f.mode)
        rows.append((f"symbolic API target={target}",
                     best(lambda s=symbolic: s(S, K, T_, 0.02, sigma), number)))
    return rows


def _symbolic_black_scholes() -> tuple[list, list]:
    S, K, T_ = T.dvectors("S", "K", "T")
    r = T.dscalar("r")
    sigma = T.dvector("sigma")
    with tensordsl.config.change_flags(cast_policy="numpy"):
        sqrt_t = T.sqrt(T_)
        d1 = (T.log(S / K) + (r + 0.5 * sigma * sigma) * T_) / (sigma * sqrt_t)
        d2 = d1 - sigma * sqrt_t
        cdf = [0.5 * (1.0 + T.erf(d / np.sqrt(2.0))) for d in (d1, d2)]
        call = S * cdf[0] - K * T.exp(-r * T_) * cdf[1]
        put = call - S + K * T.exp(-r * T_)
    return [S, K, T_, r, sigma], [call, put]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    number = 2000 if args.quick else 20000
    # Black-Scholes first: importing JAX (dispatch rows) changes the OpenMP/threading
    # environment of this process and with it the C kernels' timings.
    print("Black-Scholes, 100k options (ms per call)")
    for name, seconds in black_scholes_rows(100_000, 5 if args.quick else 20):
        print(f"  {name:34s} {seconds * 1e3:9.2f}")
    print("dispatch overhead, a + b on Python floats (us per call)")
    for name, seconds in dispatch_rows(number):
        print(f"  {name:34s} {seconds * 1e6:9.2f}")


if __name__ == "__main__":
    main()
