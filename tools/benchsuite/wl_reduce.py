"""Reductions: sum(x*y) (fused multiply + reduce) and a row-wise logsumexp."""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import numpy as np

from benchsuite import tdsl
from benchsuite.cases import Case, Run, noted
from benchsuite.env import jax_modules, require
from benchsuite.peers import jax_run, numba_jit, numba_run, numexpr_run, pytensor_run


def sum_xy(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """sum(x * y)."""
    return np.sum(x * y)


def logsumexp_rows(x: np.ndarray) -> np.ndarray:
    """log(sum(exp(x), axis=1)), computed stably (row max subtracted)."""
    m = np.max(x, axis=1, keepdims=True)
    return np.log(np.sum(np.exp(x - m), axis=1)) + m[:, 0]


@cache
def _numba_sum_xy() -> Any:
    from numba import prange

    @numba_jit()
    def kernel(x, y):
        total = 0.0
        for i in prange(x.size):
            total += x[i] * y[i]
        return total

    return kernel


@cache
def _numba_lse() -> Any:
    from numba import prange

    @numba_jit()
    def kernel(x):
        rows, cols = x.shape
        out = np.empty(rows, dtype=x.dtype)
        for r in prange(rows):
            m = -np.inf
            for c in range(cols):
                m = max(m, x[r, c])
            s = 0.0
            for c in range(cols):
                s += math.exp(x[r, c] - m)
            out[r] = math.log(s) + m
        return out

    return kernel


def _sum_program(inp: dict[str, Any]) -> tdsl.Program:
    from tensordsl import tensor as T

    x, y = T.dvector("x"), T.dvector("y")
    return tdsl.Program([x, y], T.sum(x * y), [inp["x"], inp["y"]])


def _lse_program(inp: dict[str, Any]) -> tdsl.Program:
    from tensordsl import tensor as T

    x = T.dmatrix("x")
    return tdsl.Program([x], T.logsumexp(x, axis=1), [inp["x"]])


def _sum_pytensor(inp: dict[str, Any]) -> Run:
    def build(pt: Any) -> tuple:
        x, y = pt.dvector("x"), pt.dvector("y")
        return [x, y], pt.sum(x * y), [inp["x"], inp["y"]]

    return pytensor_run(build, "float64")


def _lse_pytensor(inp: dict[str, Any]) -> Run:
    def build(pt: Any) -> tuple:
        x = pt.dmatrix("x")
        return [x], pt.logsumexp(x, axis=1), [inp["x"]]

    return pytensor_run(build, "float64")


def _lse_numexpr(inp: dict[str, Any]) -> Run:
    ne, x = require("numexpr"), inp["x"]

    def run() -> np.ndarray:
        m = np.max(x, axis=1, keepdims=True)
        total = ne.evaluate("sum(exp(x - m), axis=1)", local_dict={"x": x, "m": m})
        return np.log(total) + m[:, 0]

    return noted(run, "row max and log in numpy; exp and sum in numexpr")


def _lse_jax(inp: dict[str, Any]) -> Run:
    jax, _ = jax_modules()
    return jax_run(lambda x: jax.nn.logsumexp(x, axis=1), (inp["x"],))


def reduce_cases(quick: bool) -> list[Case]:
    """sum(x*y) over 10M float64 and logsumexp over the rows of 2000x5000 float64."""
    n = 100_000 if quick else 10_000_000
    rows, cols = (200, 500) if quick else (2000, 5000)
    sum_impls = {
        "numpy": lambda i: lambda: sum_xy(i["x"], i["y"]),
        "numexpr": lambda i: numexpr_run("sum(x*y)", {"x": i["x"], "y": i["y"]}),
        "numba": lambda i: numba_run(_numba_sum_xy, (i["x"], i["y"])),
        "pytensor": _sum_pytensor,
        "jax": lambda i: jax_run(lambda x, y: (x * y).sum(), (i["x"], i["y"])),
    }
    sum_impls.update(tdsl.all_factories(_sum_program, sum_xy, ("x", "y")))
    lse_impls = {
        "numpy": lambda i: lambda: logsumexp_rows(i["x"]),
        "numexpr": _lse_numexpr,
        "numba": lambda i: numba_run(_numba_lse, (i["x"],)),
        "pytensor": _lse_pytensor,
        "jax": _lse_jax,
    }
    lse_impls.update(tdsl.all_factories(_lse_program, logsumexp_rows, ("x",)))
    rng = np.random.default_rng(12)
    return [
        Case("reduce", f"sum(x*y) float64, N={n:,}",
             lambda: {"x": rng.random(n), "y": rng.random(n)}, sum_impls,
             rtol=1e-9, atol=0.0, work=2 * 8 * n, limit="triad"),
        Case("reduce", f"logsumexp rows float64, {rows}x{cols}",
             lambda: {"x": rng.standard_normal((rows, cols)) * 3}, lse_impls,
             rtol=1e-10, atol=1e-10, work=8 * rows * cols, limit="triad"),
    ]
