"""Matrix products: plain `dot` (float64, float32) and a dense layer relu(x @ W + b)."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from benchsuite import tdsl
from benchsuite.cases import Case, NotApplicable, Run, noted
from benchsuite.env import jax_modules, require
from benchsuite.peers import jax_run, numba_jit, numba_run, pytensor_run


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b."""
    return np.dot(a, b)


def dense_relu(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """relu(x @ W + b)."""
    return np.maximum(x @ W + b, 0)


@cache
def _numba_dot() -> Any:
    @numba_jit(parallel=False)
    def kernel(a, b):
        return np.dot(a, b)

    return kernel


@cache
def _numba_dense() -> Any:
    from numba import prange

    @numba_jit()
    def kernel(x, W, b):
        h = np.dot(x, W)
        for i in prange(h.shape[0]):
            for j in range(h.shape[1]):
                v = h[i, j] + b[j]
                h[i, j] = v if v > 0 else 0
        return h

    return kernel


def _no_numexpr_dot(_inp: dict[str, Any]) -> Run:
    raise NotApplicable("numexpr has no matrix product")


def _dense_numexpr(inp: dict[str, Any]) -> Run:
    ne = require("numexpr")
    x, W, b = inp["x"], inp["W"], inp["b"]

    def run() -> np.ndarray:
        h = x @ W
        return ne.evaluate("where(h + b > 0, h + b, 0)", local_dict={"h": h, "b": b})

    return noted(run, "x @ W in numpy (BLAS), bias + ReLU in numexpr")


def _dot_program(dtype: str) -> Any:
    def build(inp: dict[str, Any]) -> tdsl.Program:
        from tensordsl import tensor as T

        a, b = T.matrix("a", dtype=dtype), T.matrix("b", dtype=dtype)
        return tdsl.Program([a, b], T.dot(a, b), [inp["a"], inp["b"]])

    return build


def _dense_program(inp: dict[str, Any]) -> tdsl.Program:
    import tensordsl
    from tensordsl import tensor as T

    with tensordsl.config.change_flags(floatX="float32"):
        x, W, b = T.fmatrix("x"), T.fmatrix("W"), T.fvector("b")
        return tdsl.Program([x, W, b], T.maximum(T.dot(x, W) + b, 0),
                            [inp["x"], inp["W"], inp["b"]])


def _dot_pytensor(dtype: str) -> Any:
    def factory(inp: dict[str, Any]) -> Run:
        def build(pt: Any) -> tuple:
            a, b = pt.matrix("a", dtype=dtype), pt.matrix("b", dtype=dtype)
            return [a, b], pt.dot(a, b), [inp["a"], inp["b"]]

        return pytensor_run(build, dtype)

    return factory


def _dense_pytensor(inp: dict[str, Any]) -> Run:
    def build(pt: Any) -> tuple:
        x, W, b = pt.fmatrix("x"), pt.fmatrix("W"), pt.fvector("b")
        return [x, W, b], pt.maximum(pt.dot(x, W) + b, 0), [inp["x"], inp["W"], inp["b"]]

    return pytensor_run(build, "float32")


def _dense_jax(inp: dict[str, Any]) -> Run:
    _, jnp = jax_modules()
    return jax_run(lambda x, W, b: jnp.maximum(x @ W + b, 0), (inp["x"], inp["W"], inp["b"]))


def _dot_case(n: int, dtype: str) -> Case:
    rng = np.random.default_rng(13)
    impls = {
        "numpy": lambda i: lambda: matmul(i["a"], i["b"]),
        "numexpr": _no_numexpr_dot,
        "numba": lambda i: noted(numba_run(_numba_dot, (i["a"], i["b"])),
                                 "np.dot inside @njit (calls BLAS)"),
        "pytensor": _dot_pytensor(dtype),
        "jax": lambda i: jax_run(lambda a, b: a @ b, (i["a"], i["b"])),
    }
    impls.update(tdsl.all_factories(_dot_program(dtype), matmul, ("a", "b")))
    tol = (1e-9, 1e-9) if dtype == "float64" else (1e-4, 1e-3)
    return Case("gemm", f"dot {dtype}, {n}x{n} @ {n}x{n}",
                lambda: {"a": rng.random((n, n)).astype(dtype),
                         "b": rng.random((n, n)).astype(dtype)}, impls,
                rtol=tol[0], atol=tol[1], work=2.0 * n ** 3, limit=f"blas_{dtype}")


def _dense_case(n: int) -> Case:
    rng = np.random.default_rng(14)
    impls = {
        "numpy": lambda i: lambda: dense_relu(i["x"], i["W"], i["b"]),
        "numexpr": _dense_numexpr,
        "numba": lambda i: noted(numba_run(_numba_dense, (i["x"], i["W"], i["b"])),
                                 "np.dot (BLAS) + prange bias/ReLU loop"),
        "pytensor": _dense_pytensor,
        "jax": _dense_jax,
    }
    impls.update(tdsl.all_factories(_dense_program, dense_relu, ("x", "W", "b")))
    return Case("gemm", f"relu(x @ W + b) float32, {n}x{n} @ {n}x{n}",
                lambda: {"x": rng.standard_normal((n, n)).astype("float32"),
                         "W": (rng.standard_normal((n, n)) / np.sqrt(n)).astype("float32"),
                         "b": rng.standard_normal(n).astype("float32")}, impls,
                rtol=1e-4, atol=1e-4, work=2.0 * n ** 3, limit="blas_float32")


def gemm_cases(quick: bool) -> list[Case]:
    """2048² dot in float64 and float32, and a 2048-wide dense ReLU layer (256 with --quick)."""
    n = 256 if quick else 2048
    return [_dot_case(n, "float64"), _dot_case(n, "float32"), _dense_case(n)]
