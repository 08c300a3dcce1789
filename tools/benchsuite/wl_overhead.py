"""Call overhead: f(a, b) = a + b on float64 scalars, the fixed cost of one call."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from benchsuite import tdsl
from benchsuite.cases import Case, NotApplicable, Run, noted
from benchsuite.env import jax_modules
from benchsuite.peers import numba_jit, pytensor_run


def add(a: Any, b: Any) -> Any:
    """a + b."""
    return a + b


@cache
def _numba_add() -> Any:
    return numba_jit(parallel=False)(add)


def _numba(inp: dict[str, Any]) -> Run:
    kernel, a, b = _numba_add(), inp["a"], inp["b"]
    return noted(lambda: kernel(a, b), "@njit (no parallel: a scalar has no loop)")


def _pytensor(inp: dict[str, Any]) -> Run:
    def build(pt: Any) -> tuple:
        a, b = pt.dscalar("a"), pt.dscalar("b")
        return [a, b], a + b, [inp["a"], inp["b"]]

    return pytensor_run(build, "float64")


def _jax(inp: dict[str, Any]) -> Run:
    jax, _ = jax_modules()
    jitted, a, b = jax.jit(add), inp["a"], inp["b"]
    return noted(lambda: jax.block_until_ready(jitted(a, b)),
                 "Python floats in, block_until_ready per call")


def _program(inp: dict[str, Any]) -> tdsl.Program:
    from tensordsl import tensor as T

    a, b = T.dscalar("a"), T.dscalar("b")
    return tdsl.Program([a, b], a + b, [inp["a"], inp["b"]])


def _numexpr(_inp: dict[str, Any]) -> Run:
    raise NotApplicable("numexpr evaluates array expressions; it makes no callable function")


def overhead_cases(quick: bool) -> list[Case]:
    """One case: a + b on Python floats (the caller's natural scalar)."""
    impls = {
        "numpy": lambda i: noted(lambda: np.add(i["a"], i["b"]), "np.add on Python floats"),
        "numexpr": _numexpr,
        "numba": _numba,
        "pytensor": _pytensor,
        "jax": _jax,
    }
    impls.update(tdsl.all_factories(_program, add, ("a", "b")))
    return [Case("call_overhead", "f(a, b) = a + b, float64 scalars (time per call)",
                 lambda: {"a": 1.5, "b": 2.25}, impls, rtol=0.0, atol=0.0)]
