"""Small helpers shared by the peer factories of every workload."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from benchsuite.cases import Run, noted
from benchsuite.env import jax_modules, require


def numexpr_run(expr: str, names: dict[str, Any], post: Callable[[Any], Any] | None = None
                ) -> Run:
    """A numexpr.evaluate call on fixed operands (optionally post-processed by numpy)."""
    ne = require("numexpr")
    ne.evaluate(expr, local_dict=names)  # compile the expression once
    if post is None:
        return lambda: ne.evaluate(expr, local_dict=names)
    return lambda: post(ne.evaluate(expr, local_dict=names))


def jax_run(fn: Callable, args: tuple) -> Run:
    """jax.jit(fn) on device-resident args; each call blocks until the result is ready."""
    jax, _ = jax_modules()
    jitted = jax.jit(fn)
    device_args = [jax.device_put(a) for a in args]

    def run() -> Any:
        return jax.block_until_ready(jitted(*device_args))

    return noted(run, "inputs device-resident (CPU)")


def jax_stepper(step: Callable, data: tuple, state: tuple) -> Run:
    """A jitted pure training step whose state lives on the device between calls."""
    jax, _ = jax_modules()
    jitted = jax.jit(step)
    device_data = [jax.device_put(a) for a in data]
    current = [jax.device_put(s) for s in state]

    def run() -> tuple:
        result = jax.block_until_ready(jitted(*device_data, *current))
        current[:] = result[-len(current):]
        return result

    return run


def pytensor_run(build: Callable[[Any], tuple[list, Any, list]], dtype: str) -> Run:
    """pytensor.function (default mode) of the graph `build(pytensor.tensor)` makes.

    `build` returns (symbolic inputs, outputs, argument values).
    """
    pytensor = require("pytensor")
    pt = require("pytensor.tensor")
    with pytensor.config.change_flags(floatX=dtype):
        inputs, outputs, args = build(pt)
        fn = pytensor.function(inputs, outputs)
    return noted(lambda: fn(*args), f"default mode, {pytensor_linker(fn)}")


def pytensor_linker(fn: Any) -> str:
    """The linker pytensor's default mode picked (e.g. NumbaLinker, VMLinker)."""
    return type(fn.maker.linker).__name__


@cache
def numba_jit(parallel: bool = True) -> Callable:
    """numba.njit with the suite's options (raises NotInstalled)."""
    numba = require("numba")
    return numba.njit(parallel=parallel, cache=False)


def numba_run(kernel: Callable[[], Callable], args: tuple) -> Run:
    """Call the numba kernel `kernel()` builds on fixed args (compiled at the first call)."""
    require("numba")  # 'not installed' rather than the kernel's own ImportError
    compiled = kernel()
    return lambda: compiled(*args)
