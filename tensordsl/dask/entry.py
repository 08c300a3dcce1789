"""From a compiled object and its arguments to the symbolic graph the dask path lowers.

`@tensordsl.compile` functions are built (not compiled) for the argument types the
dask arrays give; `tensordsl.function`s reuse their symbolic outputs. Both end in
`run_graph`, which prepares the graph (global shapes) and lowers it. What a call
prepares is kept per compiled object, argument types and shapes, so repeating a call
reuses the same kernels (same digests: workers find them compiled).
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from tensordsl.dask import is_dask_array
from tensordsl.dask.prepare import prepare
from tensordsl.dtypes import cast_policy, using_cast_policy
from tensordsl.graph.basic import Variable
from tensordsl.graph.type import TensorType

_PLANS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_MAX_PLANS = 32  # per compiled object: shapes vary, do not grow without bound


class _Plan:
    """What one (compiled object, argument types, shapes) prepares once."""

    def __init__(self, inputs: list[Variable], outputs: list[Variable], structure: Any,
                 shapes: list[tuple[int, ...]], policy: str) -> None:
        with using_cast_policy(policy):
            self.prepared = prepare(inputs, outputs, shapes)
        self.inputs, self.structure, self.policy = inputs, structure, policy
        self.kernels: dict[Any, Any] = {}


def _plan(owner: Any, key: Any, make: Any) -> _Plan:
    plans = _PLANS.setdefault(owner, {})
    plan = plans.get(key)
    if plan is None:
        if len(plans) >= _MAX_PLANS:
            plans.pop(next(iter(plans)))
        plan = plans[key] = make()
    return plan


def _shape_of(value: Any, who: str, what: str) -> tuple[int, ...]:
    shape = tuple(np.shape(value)) if not is_dask_array(value) else tuple(value.shape)
    if any(not isinstance(s, (int, np.integer)) or s != s for s in shape):
        raise ValueError(f"{who}: {what} is a dask array of unknown shape {shape}; call "
                         f".compute_chunk_sizes() on it first")
    return tuple(int(s) for s in shape)


def _lower(plan: _Plan, values: list[Any], mode: Any, who: str) -> list[Any]:
    from tensordsl.dask.lower import Lowerer

    lowerer = Lowerer(plan.prepared, dict(zip(plan.inputs, values)), mode, plan.policy, who,
                      plan.kernels)
    with using_cast_policy(plan.policy):
        return lowerer.outputs()


# -- @tensordsl.compile --------------------------------------------------------------------
def call_compiled(cf: Any, values: tuple) -> Any:
    """A decorated function's result on bound `values`, some of them dask arrays."""
    from tensordsl.frontend import signature as sig
    from tensordsl.frontend.build import flatten, unflatten
    from tensordsl.frontend.semantics import KIND_DTYPE

    who = cf.__qualname__
    names = cf.parameters

    for name, value in zip(names, values):
        if is_dask_array(value):
            _shape_of(value, who, f"argument {name!r}")  # known sizes, or a clear error

    def key_of(value: Any) -> Any:
        if not is_dask_array(value):
            return sig.arg_key(value)
        return sig.type_key(TensorType(np.dtype(value.dtype).name,
                                       tuple(1 if s == 1 else None for s in value.shape)))

    key = cf.signature_key(values, key_of)
    cf.declared_for(key)  # raises when declared signatures refuse these arguments
    positions = [i for i, k in enumerate(key) if sig.key_type(k) is not None]
    shapes = [_shape_of(values[i], who, f"argument {names[i]!r}") for i in positions]

    def make() -> _Plan:
        params = cf.symbolic_inputs(key, values)
        _, outputs = cf.build(params)
        leaves, structure = flatten(outputs)
        inputs = [_var(params[names[i]]) for i in positions]
        return _Plan(inputs, [_var(v) for v in leaves], structure, shapes, "numpy")

    plan = _plan(cf, (key, tuple(shapes)), make)
    args = []
    for i in positions:
        value, kind = values[i], sig.key_type(key[i])
        if isinstance(kind, type):  # a Python number: a weak scalar input
            value = np.asarray(value, KIND_DTYPE[kind])
        args.append(value)
    results = _lower(plan, args, cf.mode, who)
    return unflatten(plan.structure, results, scalars=False)


def _var(value: Any) -> Variable:
    from tensordsl.frontend.semantics import Weak

    return value.var if isinstance(value, Weak) else value


# -- tensordsl.function --------------------------------------------------------------------
def call_function(fn: Any, args: tuple, kwargs: dict) -> Any:
    """A compiled Function's result on arguments of which some are dask arrays."""
    who = fn.name or "the compiled function"
    if fn.update_targets:
        raise TypeError(f"{who} updates shared variables and cannot run on dask arrays "
                        f"(updates need the computed values); compile a function without "
                        f"updates for dask arguments")
    specs = fn.input_specs

    def dask_input(pos: int, value: Any) -> Any:
        if not is_dask_array(value):
            return None  # numpy values are filtered as the Function filters them
        spec = specs[pos]
        return _check_dask(value, spec.type, spec.label, spec.allow_downcast)

    values = fn.bind_inputs(args, kwargs, convert=dask_input)
    variables = [i.variable for i in fn.maker.inputs] + list(fn.shared_vars)
    values += [s.container_value for s in fn.shared_vars]
    labels = [spec.label for spec in specs] + [repr(s) for s in fn.shared_vars]
    shapes = [_shape_of(v, who, f"input {lbl}") for v, lbl in zip(values, labels)]
    key = (tuple((type(v).__name__, np.dtype(getattr(v, "dtype", "f8")).str) for v in values),
           tuple(shapes), cast_policy())

    def make() -> _Plan:
        roots = getattr(fn.maker, "roots", None) or fn.maker.outputs
        return _Plan(variables, list(roots[:fn.n_outputs]), None, shapes, cast_policy())

    plan = _plan(fn, key, make)
    results = _lower(plan, values, fn.maker.mode, who)
    if fn.kind == "single":
        return results[0]
    return tuple(results) if fn.kind == "tuple" else results


def _check_dask(value: Any, ttype: TensorType, label: str, downcast: Any) -> Any:
    if value.ndim != ttype.ndim:
        raise TypeError(f"input {label}: expected a {ttype.ndim}-d array ({ttype}), got a "
                        f"{value.ndim}-d dask array of shape {value.shape}")
    for axis, (static, actual) in enumerate(zip(ttype.shape, value.shape)):
        if static is not None and static != actual:
            raise ValueError(f"input {label}: dim {axis} must have size {static} ({ttype}), "
                             f"got a dask array of shape {value.shape}")
    if value.dtype == np.dtype(ttype.dtype):
        return value
    if downcast or np.can_cast(value.dtype, ttype.dtype, "safe"):
        return value.astype(ttype.dtype)
    raise TypeError(f"input {label}: {ttype} cannot hold a {value.dtype} value without risking "
                    f"loss of precision; cast the dask array with .astype({ttype.dtype!r})")
