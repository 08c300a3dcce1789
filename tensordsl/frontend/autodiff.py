"""grad / value_and_grad of decorated (or plain) numpy functions.

`grad(fn, argnums=0)` returns a compiled function computing the gradient of the scalar
`fn(*args)` with respect to the arguments `argnums`, by building `fn`'s graph from its
AST and differentiating it with the symbolic `tensordsl.gradient.grad`.
`tensordsl.grad` is this function: called with a symbolic cost (a Variable) instead of
a Python function, it is exactly the symbolic grad.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tensordsl.errors import CompileError
from tensordsl.frontend import semantics as S
from tensordsl.frontend.dispatcher import CompiledFunction
from tensordsl.graph.basic import Variable


def grad(fn: Any, *args: Any, argnums: int | Sequence[int] = 0, **kwargs: Any) -> Any:
    """The compiled gradient of the scalar-valued function `fn` w.r.t. `argnums`.

    With a symbolic cost as first argument, `grad(cost, wrt, ...)` is the symbolic
    tensordsl.gradient.grad (Theano's T.grad).
    """
    if fn is None or isinstance(fn, Variable):
        from tensordsl.gradient import grad as symbolic_grad

        return symbolic_grad(fn, *args, **kwargs)
    if args or kwargs:
        raise TypeError("grad(fn, argnums=...) takes only the function and argnums; call the "
                        "returned function with the arguments")
    return _differentiated(fn, argnums, with_value=False)


def value_and_grad(fn: Any, argnums: int | Sequence[int] = 0) -> Any:
    """A compiled function returning (fn(*args), gradient w.r.t. `argnums`)."""
    return _differentiated(fn, argnums, with_value=True)


def _differentiated(fn: Any, argnums: int | Sequence[int], with_value: bool
                    ) -> CompiledFunction:
    target, mode = None, None  # None: the default target (FAST_RUN's backend)
    if isinstance(fn, CompiledFunction):
        target, mode, fn = fn.target, fn._mode_arg, fn.py_func
    if not callable(fn):
        raise TypeError(f"grad: expected a function or a symbolic cost, got {fn!r:.60}")
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)

    def transform(params: list[str], values: dict[str, Any], outputs: Any) -> Any:
        cost = _scalar_cost(fn, outputs)
        wrt = [_wrt(params, values, i, fn) for i in nums]
        from tensordsl.gradient import grad as symbolic_grad

        grads = symbolic_grad(cost, wrt, disconnected_inputs="ignore")
        grads = grads[0] if single else tuple(grads)
        return (cost, grads) if with_value else grads

    return CompiledFunction(fn, target, None, mode, transform=transform)


def _scalar_cost(fn: Any, outputs: Any) -> Variable:
    if not S.is_symbolic(outputs):
        raise CompileError(f"grad: {fn.__qualname__} must return one scalar that depends on "
                           f"its arguments, got {S.describe_type(outputs)}")
    cost = S.strong(outputs)
    if cost.ndim != 0 or not cost.dtype.startswith("float"):
        raise CompileError(f"grad: {fn.__qualname__} must return a float scalar, got "
                           f"{cost.type}; reduce it with .sum() or .mean()")
    return cost


def _wrt(params: list[str], values: dict[str, Any], num: int, fn: Any) -> Variable:
    if not -len(params) <= num < len(params):
        raise ValueError(f"grad: argnums {num} out of range for {fn.__qualname__} with "
                         f"{len(params)} parameters")
    value = values[params[num]]
    if not S.is_symbolic(value) or not S.strong(value).dtype.startswith("float"):
        raise TypeError(f"grad: argument {params[num]!r} must be a float array or number to "
                        f"differentiate with respect to it, got {S.describe_type(value)}")
    return S.strong(value)
