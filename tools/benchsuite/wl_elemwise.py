"""Elementwise workloads: axpy (memory-bound) and Black-Scholes (transcendental-heavy)."""

from __future__ import annotations

from functools import cache
from types import SimpleNamespace
from typing import Any

import numpy as np
from scipy.special import erf

from benchsuite import bs_limit, bs_loop, tdsl
from benchsuite.cases import Case, NotApplicable, Run
from benchsuite.env import jax_modules
from benchsuite.peers import jax_run, numba_jit, numba_run, numexpr_run, pytensor_run


def axpy(a: Any, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """z = a*x + y."""
    return a * x + y


def black_scholes(S: np.ndarray, K: np.ndarray, T: np.ndarray) -> np.ndarray:
    """European call price, r=0.02, sigma=0.3, normal CDF through erf."""
    sqrt_t = np.sqrt(T)
    d1 = (np.log(S / K) + (0.02 + 0.5 * 0.3 * 0.3) * T) / (0.3 * sqrt_t)
    d2 = d1 - 0.3 * sqrt_t
    cnd1 = 0.5 + 0.5 * erf(d1 * 0.7071067811865476)
    cnd2 = 0.5 + 0.5 * erf(d2 * 0.7071067811865476)
    return S * cnd1 - K * np.exp(-0.02 * T) * cnd2


def bs_expr(m: Any, S: Any, K: Any, T: Any) -> Any:
    """The same formula over any namespace `m` with sqrt, log, exp and erf."""
    sqrt_t = m.sqrt(T)
    d1 = (m.log(S / K) + (0.02 + 0.5 * 0.3 * 0.3) * T) / (0.3 * sqrt_t)
    d2 = d1 - 0.3 * sqrt_t
    cnd1 = 0.5 + 0.5 * m.erf(d1 * 0.7071067811865476)
    cnd2 = 0.5 + 0.5 * m.erf(d2 * 0.7071067811865476)
    return S * cnd1 - K * m.exp(-0.02 * T) * cnd2


# ---------------------------------------------------------------- numba kernels

@cache
def _numba_axpy() -> Any:
    from numba import prange

    @numba_jit()
    def kernel(a, x, y):
        out = np.empty_like(x)
        for i in prange(x.size):
            out[i] = a * x[i] + y[i]
        return out

    return kernel


@cache
def _numba_bs() -> Any:
    return bs_loop.numba_kernel(numba_jit())


# ---------------------------------------------------------------- axpy

def _axpy_inputs(n: int) -> dict[str, Any]:
    rng = np.random.default_rng(10)
    return {"a": np.float64(2.5), "x": rng.random(n), "y": rng.random(n)}


def _axpy_program(inp: dict[str, Any]) -> tdsl.Program:
    from tensordsl import tensor as T

    a, x, y = T.dscalar("a"), T.dvector("x"), T.dvector("y")
    return tdsl.Program([a, x, y], a * x + y, [inp["a"], inp["x"], inp["y"]])


def _axpy_pytensor(inp: dict[str, Any]) -> Run:
    def build(pt: Any) -> tuple:
        a, x, y = pt.dscalar("a"), pt.dvector("x"), pt.dvector("y")
        return [a, x, y], a * x + y, [inp["a"], inp["x"], inp["y"]]

    return pytensor_run(build, "float64")


def axpy_cases(quick: bool) -> list[Case]:
    """z = a*x + y over 10M float64 (100k with --quick)."""
    n = 100_000 if quick else 10_000_000
    impls = {
        "numpy": lambda i: lambda: axpy(i["a"], i["x"], i["y"]),
        "numexpr": lambda i: numexpr_run("a*x + y", {"a": i["a"], "x": i["x"], "y": i["y"]}),
        "numba": lambda i: numba_run(_numba_axpy, (i["a"], i["x"], i["y"])),
        "pytensor": _axpy_pytensor,
        "jax": lambda i: jax_run(lambda a, x, y: a * x + y, (i["a"], i["x"], i["y"])),
    }
    impls.update(tdsl.all_factories(_axpy_program, axpy, ("a", "x", "y")))
    return [Case("axpy", f"float64, N={n:,}", lambda: _axpy_inputs(n), impls,
                 work=3 * 8 * n, limit="triad")]


# ---------------------------------------------------------------- black_scholes

def _bs_inputs(n: int, dtype: str) -> dict[str, Any]:
    rng = np.random.default_rng(11)
    return {"S": rng.uniform(50, 150, n).astype(dtype), "K": rng.uniform(50, 150, n).astype(dtype),
            "T": rng.uniform(0.25, 2.0, n).astype(dtype)}


def _bs_args(inp: dict[str, Any]) -> list[np.ndarray]:
    return [inp["S"], inp["K"], inp["T"]]


def _bs_program(dtype: str) -> Any:
    def build(inp: dict[str, Any]) -> tdsl.Program:
        import tensordsl
        from tensordsl import tensor as T

        with tensordsl.config.change_flags(floatX=dtype):
            S, K, Tm = (T.vector(name, dtype=dtype) for name in ("S", "K", "T"))
            return tdsl.Program([S, K, Tm], bs_expr(T, S, K, Tm), _bs_args(inp))

    return build


def _bs_pytensor(dtype: str) -> Any:
    def factory(inp: dict[str, Any]) -> Run:
        def build(pt: Any) -> tuple:
            S, K, Tm = (pt.vector(name, dtype=dtype) for name in ("S", "K", "T"))
            return [S, K, Tm], bs_expr(pt, S, K, Tm), _bs_args(inp)

        return pytensor_run(build, dtype)

    return factory


def _bs_jax(inp: dict[str, Any]) -> Run:
    jax, jnp = jax_modules()
    from jax.scipy.special import erf as jerf

    m = SimpleNamespace(sqrt=jnp.sqrt, log=jnp.log, exp=jnp.exp, erf=jerf)
    return jax_run(lambda S, K, T: bs_expr(m, S, K, T), tuple(_bs_args(inp)))


def _no_erf(_inp: dict[str, Any]) -> Run:
    raise NotApplicable("numexpr has no erf()")


def black_scholes_cases(quick: bool) -> list[Case]:
    """Black-Scholes call prices over 10M elements (100k with --quick), float64 and float32."""
    n = 100_000 if quick else 10_000_000
    cases = []
    for dtype, rtol, atol in (("float64", 1e-9, 1e-9), ("float32", 1e-4, 2e-3)):
        impls = {
            "numpy": lambda i: lambda: black_scholes(*_bs_args(i)),
            "numexpr": _no_erf,
            "numba": lambda i: numba_run(_numba_bs, tuple(_bs_args(i))),
            "pytensor": _bs_pytensor(dtype),
            "jax": _bs_jax,
        }
        impls.update(tdsl.all_factories(_bs_program(dtype), black_scholes, ("S", "K", "T")))
        impls[bs_limit.COLUMN] = bs_limit.bs_loop(dtype)
        size = np.dtype(dtype).itemsize
        cases.append(Case("black_scholes", f"{dtype}, N={n:,}",
                          lambda d=dtype: _bs_inputs(n, d), impls, rtol=rtol, atol=atol,
                          work=4 * size * n, limit="triad"))
    return cases
