"""Child process of compile_time.py: import one library, compile Black-Scholes, report JSON.

    python compile_child.py KIND     (KIND: numba, pytensor, jax, or a tensordsl column label)

Prints {"import_s", "first_s", "second_s"} (or {"na": why} / {"error": what}); the parent
sets the cache-directory environment variables, so the same command is cold or warm.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

N = 1000

def _inputs() -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(0)
    return (rng.uniform(50, 150, N), rng.uniform(50, 150, N), rng.uniform(0.25, 2.0, N))


def _numba() -> Callable[[], Callable[[], Any]]:
    import numba

    from benchsuite.bs_loop import numba_kernel

    args = _inputs()

    def build() -> Callable[[], Any]:
        kernel = numba_kernel(numba.njit(parallel=True, cache=True))
        return lambda: kernel(*args)

    return build


def _pytensor() -> Callable[[], Callable[[], Any]]:
    import pytensor
    import pytensor.tensor as pt

    from benchsuite.wl_elemwise import bs_expr

    args = _inputs()

    def build() -> Callable[[], Any]:
        S, K, T = pt.dvector("S"), pt.dvector("K"), pt.dvector("T")  # noqa: N806
        fn = pytensor.function([S, K, T], bs_expr(pt, S, K, T))
        return lambda: fn(*args)

    return build


def _jax() -> Callable[[], Callable[[], Any]]:
    import jax
    import jax.numpy as jnp
    from jax.scipy.special import erf

    from benchsuite.wl_elemwise import bs_expr

    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    jax.config.update("jax_compilation_cache_dir", os.environ["BENCH_CACHE_DIR"])
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    ns = type("ns", (), {"sqrt": jnp.sqrt, "log": jnp.log, "exp": jnp.exp, "erf": erf})
    args = _inputs()

    def build() -> Callable[[], Any]:
        fn = jax.jit(lambda S, K, T: bs_expr(ns, S, K, T))
        return lambda: jax.block_until_ready(fn(*args))

    return build


def _tensordsl(label: str) -> Callable[[], Callable[[], Any]]:
    import tensordsl
    from benchsuite import tdsl
    from benchsuite.wl_elemwise import black_scholes, bs_expr
    from tensordsl import tensor as T

    args = _inputs()
    if label == tdsl.DECORATOR:
        compile_ = tdsl.decorator()

        def build_decorated() -> Callable[[], Any]:
            compiled = compile_(black_scholes)
            return lambda: compiled(*args)

        return build_decorated
    mode = {c.label: c.mode for c in tdsl.symbolic_columns()}[label]

    def build() -> Callable[[], Any]:
        S, K, Tm = T.dvector("S"), T.dvector("K"), T.dvector("T")
        fn = tensordsl.function([S, K, Tm], bs_expr(T, S, K, Tm), mode=mode)
        return lambda: fn(*args)

    return build


def main(kind: str) -> dict[str, Any]:
    """Import, build + first call, second call; seconds of each."""
    from benchsuite.cases import NotApplicable

    start = time.perf_counter()
    try:
        importer = {"numba": _numba, "pytensor": _pytensor, "jax": _jax}.get(kind)
        build = importer() if importer else _tensordsl(kind)
        imported = time.perf_counter()
        run = build()
        run()
        first = time.perf_counter()
        run()
        second = time.perf_counter()
    except NotApplicable as exc:
        return {"na": str(exc)}
    except Exception as exc:  # reported as an error cell by the parent
        return {"error": f"{type(exc).__name__}: {exc}"[:240]}
    return {"import_s": imported - start, "first_s": first - imported,
            "second_s": second - first}


if __name__ == "__main__":
    print("BENCH-RESULT " + json.dumps(main(sys.argv[1])), flush=True)
