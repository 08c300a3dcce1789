"""Compiled functions on dask arrays: dask arrays in, dask arrays out.

    import dask.array as da, numpy as np, tensordsl

    @tensordsl.compile
    def f(x, y):
        return np.exp(x) * y - x.mean(axis=0)

    x = da.random.random((100_000, 100), chunks=(10_000, 100))
    f(x, np.arange(100.0))          # a dask array; .compute() runs it (on any scheduler)

A `@tensordsl.compile` function, or a `tensordsl.function` whose inputs are tensors,
takes this path when an argument is a `dask.array.Array`. The graph is cut at its
reductions (tensordsl.dask.stages): elementwise/broadcasting parts become one compiled
kernel per region mapped with `dask.array.blockwise` (dask aligns the chunks),
reductions over axes become `dask.array.reduction` tree reductions whose chunk,
combine and aggregate steps are compiled kernels. Other ops raise CompileError naming
the op. Kernels pickle as their graph and compile once per worker process
(tensordsl.dask.kernels), so any dask scheduler, distributed included, can run them.

Nothing in tensordsl imports dask: the call paths test `is_dask_array` (by type name,
no import) and only then import this package's dask-using modules.
"""

from __future__ import annotations

from typing import Any


def is_dask_array(value: Any) -> bool:
    """True for a dask.array.Array (decided from its type, without importing dask)."""
    cls = type(value)
    return cls.__name__ == "Array" and cls.__module__.startswith("dask.")


def has_dask_array(args: Any, kwargs: Any = None) -> bool:
    """True when a positional or keyword argument is a dask array."""
    for a in args:
        if is_dask_array(a):
            return True
    return bool(kwargs) and any(is_dask_array(v) for v in kwargs.values())


def call_compiled(compiled: Any, values: tuple) -> Any:
    """Run a `@tensordsl.compile` function on (bound) arguments including dask arrays."""
    from tensordsl.dask.entry import call_compiled as call

    return call(compiled, values)


def call_function(function: Any, args: tuple, kwargs: dict) -> Any:
    """Run a `tensordsl.function` on arguments including dask arrays."""
    from tensordsl.dask.entry import call_function as call

    return call(function, args, kwargs)


def stats() -> dict[str, int]:
    """This process's kernel counts (compiles, chunk calls); run it on workers with
    `client.run(tensordsl.dask.stats)`."""
    from tensordsl.dask.kernels import stats as kernel_stats

    return kernel_stats()


__all__ = ["call_compiled", "call_function", "has_dask_array", "is_dask_array", "stats"]
