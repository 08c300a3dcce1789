"""`@tensordsl.compile`: plain numpy functions compiled by parsing their Python AST.

    @tensordsl.compile
    def f(x, y):
        return np.exp(x) * y + 1.0

The pipeline, one module each: source.py (getsource + ast.parse) -> fence.py (reject
unsupported constructs) -> statements.py / expressions.py (the AST visitor) using
semantics.py (numpy's rules on symbolic values) and table.py (THE numpy-name table) ->
build.py (one graph per signature) -> dispatcher.py (signature dispatch, compile with
the target's backend) -> autodiff.py (grad / value_and_grad of decorated functions).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tensordsl.frontend.autodiff import grad, value_and_grad
from tensordsl.frontend.dispatcher import TARGETS, CompiledFunction
from tensordsl.frontend.statements import MAX_UNROLL


def compile(fn: Callable | None = None, *, target: str | None = None, signature: Any = None,
            mode: Any = None, static_argnames: Any = (),
            return_device_arrays: bool = False) -> Any:
    """Compile a numpy function: `@compile`, `@compile(target='c')`, `compile(fn, ...)`.

    The default target is FAST_RUN's backend: 'c' when a C compiler is found, else
    'numpy' (the reference).

    Each call's argument types (dtype, ndim, size-1 dims; Python numbers as weak
    scalars) select a specialisation, compiled on first use. `signature`
    ("f8[:,:], f8[:]", or typed variables) compiles eagerly and restricts calls to it.
    Parameters named in `static_argnames` are compiled in: each value gets its own
    specialisation (use it for loop bounds and flags passed as Python ints).
    `return_device_arrays` (device targets: opencl) returns results computed on the
    device as device arrays instead of copying them back.
    """
    if fn is None:
        return lambda f: CompiledFunction(_unwrap(f), target, signature, mode,
                                          static_argnames=static_argnames,
                                          return_device_arrays=return_device_arrays)
    return CompiledFunction(_unwrap(fn), target, signature, mode,
                            static_argnames=static_argnames,
                            return_device_arrays=return_device_arrays)


def _unwrap(fn: Any) -> Any:
    return fn.py_func if isinstance(fn, CompiledFunction) else fn


__all__ = ["MAX_UNROLL", "TARGETS", "CompiledFunction", "compile", "grad", "value_and_grad"]
