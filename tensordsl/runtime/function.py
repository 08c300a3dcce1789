"""`tensordsl.function`: compile symbolic inputs -> outputs (+ updates) into a callable.

Pipeline: normalise inputs/outputs/updates -> apply givens -> FunctionGraph over
(explicit inputs + shared variables) -> the mode's rewrites -> the backend's thunk.
A call binds and checks arguments (errors name the input), runs the thunk, and only
then writes the updates, so a failed call leaves every shared variable unchanged.
"""

from __future__ import annotations

import inspect
import sys
import types
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from tensordsl import dask as _dask
from tensordsl.config import config
from tensordsl.errors import UnusedInputError
from tensordsl.graph.basic import Constant, Variable, ancestors, clone_graph
from tensordsl.graph.convert import as_tensor_variable, constant
from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.runtime.mode import Mode, apply_rewrites, get_mode, make_thunk
from tensordsl.runtime.shared import SharedVariable

_NO_DEFAULT = object()
_MODULES = sys.modules


class In:
    """An input with options: a default `value`, a keyword `name`, an `update`."""

    def __init__(self, variable: Variable, name: str | None = None, value: Any = _NO_DEFAULT,
                 update: Any = None, mutable: bool = False, strict: bool = False,
                 allow_downcast: bool | None = None, autoname: bool = True,
                 implicit: bool = False, borrow: bool = False) -> None:
        if not isinstance(variable, Variable):
            raise TypeError(f"In(): expected a symbolic variable, got {type(variable).__name__}")
        self.variable = variable
        self.name = name if name is not None else (variable.name if autoname else None)
        self.value = value
        self.update = update
        self.strict = strict
        self.allow_downcast = allow_downcast
        self.mutable = mutable
        self.borrow = borrow

    @property
    def has_default(self) -> bool:
        """True when the input has a default value."""
        return self.value is not _NO_DEFAULT


Param = In  # Theano's older name


class Out:
    """An output with options (Theano's theano.Out): `borrow=True` lets the function
    return a buffer it may reuse on the next call. tensordsl's outputs are always arrays
    the caller owns, which every borrow setting allows, so only the variable matters."""

    def __init__(self, variable: Any, borrow: bool = False) -> None:
        if not isinstance(borrow, (bool, np.bool_)):
            raise TypeError(f"Out(): borrow must be a bool, got {borrow!r}")
        self.variable = as_tensor_variable(variable)
        self.borrow = bool(borrow)

    def __repr__(self) -> str:
        return f"Out({self.variable}, borrow={self.borrow})"


@dataclass
class FunctionMaker:
    """What a compiled function was made from (Theano's `f.maker`)."""

    inputs: list[In]
    fgraph: FunctionGraph
    mode: Mode
    outputs: list[Variable]


def _normalize_outputs(outputs: Any) -> tuple[list[Variable], str]:
    if outputs is None:
        return [], "list"
    if isinstance(outputs, (list, tuple)):
        kind = "tuple" if isinstance(outputs, tuple) else "list"
        return [_output_variable(o) for o in outputs], kind
    return [_output_variable(outputs)], "single"


def _output_variable(output: Any) -> Variable:
    return output.variable if isinstance(output, Out) else as_tensor_variable(output)


def _normalize_updates(updates: Any) -> list[tuple[SharedVariable, Variable]]:
    if updates is None:
        return []
    pairs = list(updates.items()) if isinstance(updates, Mapping) else list(updates)
    result = []
    seen: set[int] = set()
    for pair in pairs:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"updates must be (shared variable, new value) pairs, got {pair!r}")
        target, value = pair
        if not isinstance(target, SharedVariable):
            raise TypeError(f"update target {target!r} is not a shared variable; only shared "
                            f"variables can be updated")
        if id(target) in seen:
            raise ValueError(f"shared variable {target!r} is updated twice")
        seen.add(id(target))
        value = _as_variable_of(target, value, f"the update of {target!r}")
        if value.dtype != target.dtype:
            raise TypeError(
                f"the update of {target!r} has dtype {value.dtype} but the shared variable has "
                f"{target.dtype}; cast the update with .astype({target.dtype!r})")
        if value.ndim != target.ndim:
            raise TypeError(f"the update of {target!r} has {value.ndim} dims but the shared "
                            f"variable has {target.ndim}")
        result.append((target, value))
    return result


def _default_updates(outputs: list[Variable], explicit: list[tuple[SharedVariable, Variable]],
                     inputs: list[Variable], givens: dict[Variable, Variable],
                     no_default_updates: Any) -> list[tuple[SharedVariable, Variable]]:
    """Theano's default updates: each shared variable the outputs or updates use (not
    through an input or a givens key) whose `default_update` is set gets that update,
    unless `updates=` names it or `no_default_updates` is True or lists it. A default
    update's own graph is searched too (it may use more such variables)."""
    if no_default_updates is True:
        return []
    if no_default_updates in (False, None):
        excluded: set[int] = set()
    elif isinstance(no_default_updates, (list, tuple)):
        excluded = {id(v) for v in no_default_updates}
    else:
        raise TypeError(f"function(): no_default_updates must be True, False or a list of "
                        f"shared variables, got {type(no_default_updates).__name__}")
    done = {id(t) for t, _ in explicit} | excluded | {id(k) for k in givens}
    blockers = list(inputs) + list(givens)
    pairs: list[tuple[SharedVariable, Any]] = []
    pending = list(outputs) + [v for _, v in explicit]
    while pending:
        found = [v for v in ancestors(pending, blockers=blockers)
                 if isinstance(v, SharedVariable) and v.default_update is not None
                 and id(v) not in done]
        found = sorted(set(found), key=lambda v: v.auto_name)  # a deterministic order
        done.update(id(v) for v in found)
        new_pairs = _normalize_updates([(v, v.default_update) for v in found])
        pairs += new_pairs
        pending = [u for _, u in new_pairs]
    return pairs


def _normalize_givens(givens: Any) -> dict[Variable, Variable]:
    if givens is None:
        return {}
    pairs = list(givens.items()) if isinstance(givens, Mapping) else list(givens)
    result: dict[Variable, Variable] = {}
    for old, new in pairs:
        if not isinstance(old, Variable):
            raise TypeError(f"givens keys must be symbolic variables, got {old!r}")
        new = _as_variable_of(old, new, f"the given value of {old!r}")
        if new.dtype != old.dtype or new.ndim != old.ndim:
            raise TypeError(f"givens: {old!r} ({old.type}) cannot be replaced by {new!r} "
                            f"({new.type}): dtype and ndim must match")
        result[old] = new
    return result


def _as_variable_of(like: Variable, value: Any, what: str) -> Variable:
    """`value` as a Variable; plain Python/numpy values become constants of like's type
    (Theano's filter_variable), so `updates=[(w, 0.0)]` works for a float64 w."""
    if isinstance(value, Variable) or hasattr(value, "__tensordsl_variable__"):
        return as_tensor_variable(value)
    return constant(like.type.filter(value, name=what), dtype=like.dtype)


def function(inputs: Sequence[Any] | None = None, outputs: Any = None, mode: Any = None,
             updates: Any = None, givens: Any = None, no_default_updates: bool = False,
             accept_inplace: bool = False, name: str | None = None,
             rebuild_strict: bool = True, allow_input_downcast: bool | None = None,
             profile: Any = None, on_unused_input: str | None = None,
             trust_input: bool = False, return_device_arrays: bool = False) -> Function:
    """Compile a callable computing `outputs` from `inputs` (Theano's theano.function).

    On a device backend (OpenCL) shared variables stay on the device between calls and
    updates happen there; `return_device_arrays=True` returns outputs computed on the
    device as device arrays (pyopencl.array.Array) instead of copying them back."""
    if profile not in (None, False):
        raise NotImplementedError(f"function(profile={profile!r}): profiling is not "
                                  f"implemented; leave profile unset (time calls with timeit)")
    if inputs is None:
        inputs = []
    if not isinstance(inputs, (list, tuple)):
        raise TypeError(f"function(): inputs must be a list of variables, got "
                        f"{type(inputs).__name__}")
    ins = [i if isinstance(i, In) else In(_check_input(i, n)) for n, i in enumerate(inputs)]
    if on_unused_input not in ("raise", "warn", "ignore", None):
        raise ValueError(f"on_unused_input must be 'raise', 'warn' or 'ignore', got "
                         f"{on_unused_input!r}")
    if on_unused_input is None:  # Theano: None means config.on_unused_input
        on_unused_input = config.on_unused_input
    variables = [i.variable for i in ins]
    _check_unique(variables)
    out_vars, kind = _normalize_outputs(outputs)
    update_pairs = _normalize_updates(updates)
    for i in ins:
        if i.update is not None:
            raise NotImplementedError("In(update=...) is not supported; use updates=")
    given = _normalize_givens(givens)
    update_pairs += _default_updates(out_vars, update_pairs, variables, given,
                                     no_default_updates)

    roots = out_vars + [v for _, v in update_pairs]
    if given:
        memo = clone_graph(roots, replace=given, blockers=variables)
        roots = [memo.get(v, v) for v in roots]
    _check_unused(variables, roots, on_unused_input)
    shared_vars = [v for v in ancestors(roots, blockers=variables)
                   if isinstance(v, SharedVariable) and v.owner is None
                   and all(v is not x for x in variables)]
    shared_vars = sorted(set(shared_vars), key=lambda v: v.auto_name)
    shared_vars += [t for t, _ in update_pairs if t not in shared_vars]
    fgraph = FunctionGraph(variables + shared_vars, roots, clone=True)
    # {graph output index: graph input index} of each update, for in-place updates
    fgraph.update_targets = {len(out_vars) + k: len(variables) + shared_vars.index(t)
                             for k, (t, _) in enumerate(update_pairs)}
    resolved = get_mode(mode)
    # rewrites build nodes whose inputs have no test values: Theano's FunctionMaker runs
    # them under compute_test_value_opt (default 'off'); the labels of compiled steps are
    # the variables' names, without the values print_test_value would add to repr()
    with config.change_flags(compute_test_value=config.compute_test_value_opt,
                             print_test_value=False):
        apply_rewrites(fgraph, resolved)
        thunk = make_thunk(fgraph, resolved)
    maker = FunctionMaker(ins, fgraph, resolved, out_vars)
    maker.roots = roots  # outputs + updates after givens, un-rewritten (pickling, dask)
    if return_device_arrays and thunk.resident is None:
        raise ValueError(f"function(return_device_arrays=True): the {thunk.backend} backend "
                         f"keeps no values on a device; use device=opencl (or mode with "
                         f"the opencl backend)")
    fn = Function(maker, thunk, shared_vars, update_pairs, len(out_vars), kind, name,
                  allow_input_downcast, trust_input, return_device_arrays)
    # what Function.copy recompiles from (swap and delete_updates change the graph)
    fn._source = dict(inputs=inputs, outputs=outputs, mode=mode, updates=update_pairs,
                      givens=given, no_default_updates=no_default_updates, name=name,
                      allow_input_downcast=allow_input_downcast,
                      on_unused_input=on_unused_input, trust_input=trust_input,
                      return_device_arrays=return_device_arrays)
    return fn


def _check_input(var: Any, position: int) -> Variable:
    if isinstance(var, SharedVariable):
        raise TypeError(f"input {position} ({var!r}) is a shared variable; shared variables are "
                        f"implicit inputs and cannot be listed in inputs (use givens to "
                        f"substitute them)")
    if isinstance(var, Constant):
        raise TypeError(f"input {position} ({var!r}) is a constant; inputs must be symbolic "
                        f"variables")
    if not isinstance(var, Variable):
        raise TypeError(f"input {position} must be a symbolic variable (e.g. T.dscalar()), got "
                        f"{type(var).__name__} {var!r:.40}")
    return var


def _check_unique(variables: list[Variable]) -> None:
    seen: set[int] = set()
    for v in variables:
        if id(v) in seen:
            raise ValueError(f"input {v!r} is listed twice in inputs")
        seen.add(id(v))


def _check_unused(variables: list[Variable], roots: list[Variable], policy: str | None) -> None:
    if policy in ("ignore", None):
        return
    used = {id(v) for v in ancestors(roots, blockers=variables)}
    for i, v in enumerate(variables):
        if id(v) not in used:
            msg = (f"input {i} ({v!r}) is not used to compute any output or update; pass "
                   f"on_unused_input='ignore' (or 'warn') to function() to allow it")
            if policy == "raise":
                raise UnusedInputError(msg)
            warnings.warn(msg, stacklevel=3)


class InputSpec(NamedTuple):
    """One input of a compiled Function, as `Function.input_specs` lists it."""
    label: str
    type: Any
    allow_downcast: bool | None


class Function:
    """A compiled function: call it with values for its inputs."""

    def __init__(self, maker: FunctionMaker, thunk: Any, shared_vars: list[SharedVariable],
                 updates: list[tuple[SharedVariable, Variable]], n_outputs: int, kind: str,
                 name: str | None, allow_input_downcast: bool | None, trust_input: bool,
                 return_device_arrays: bool = False) -> None:
        self.maker = maker
        self.thunk = thunk
        self.return_device_arrays = return_device_arrays
        # a device backend keeps shared values (and, if asked, outputs) on its device
        self._resident = thunk.resident if shared_vars or return_device_arrays else None
        self.shared_vars = shared_vars
        self.update_targets = [t for t, _ in updates]
        # shared variables whose buffer a node overwrites (an in-place update)
        self._overwritten = _overwritten_shared(maker.fgraph, shared_vars)
        self.n_outputs = n_outputs
        self.kind = kind
        self.name = name
        self.trust_input = trust_input
        self._inputs = maker.inputs
        self._labels = [_label(i, n) for n, i in enumerate(maker.inputs)]
        self._by_name = {i.name: n for n, i in enumerate(maker.inputs) if i.name is not None}
        self._types = [i.variable.type for i in maker.inputs]
        self._downcast = [i.allow_downcast if i.allow_downcast is not None
                          else allow_input_downcast for i in maker.inputs]
        self._defaults = [_filter_default(i, t, lbl, d) for i, t, lbl, d in
                          zip(maker.inputs, self._types, self._labels, self._downcast)]
        # The per-call fast path: positional calls filter each argument with a check
        # specialised to its type (same result and errors as TensorType.filter), and
        # outputs the thunk guarantees fresh skip the aliasing copies.
        self._n_inputs = len(maker.inputs)
        self._fast_filters = [_fast_filter(t, lbl, d) for t, lbl, d in
                              zip(self._types, self._labels, self._downcast)]
        if thunk.resident is not None:  # arrays already on the device are taken as they are
            self._fast_filters = [_device_filter(thunk.resident, f, t, lbl) for f, t, lbl in
                                  zip(self._fast_filters, self._types, self._labels)]
        self._filter_positional = _positional_binder(self._fast_filters)
        self._run = thunk.run
        self._lender = _lender(thunk, self._n_inputs, n_outputs, shared_vars,
                               self.update_targets)
        fresh = thunk.fresh_outputs
        self._outputs_fresh = (len(fresh) == n_outputs and all(fresh) and n_outputs > 0
                               and not updates)
        self._lean = self._outputs_fresh and not shared_vars and not trust_input \
            and self._resident is None
        self._single = kind == "single"
        self._fast_call = None
        make_fast_call = thunk.fast_call
        if make_fast_call is not None and self._outputs_fresh and not shared_vars \
                and type(self) is Function:  # a subclass keeps its own __call__
            self._use_fast_call(make_fast_call)

    def _use_fast_call(self, make_fast_call: Any) -> None:
        """Make the backend's fast call (e.g. the C trampoline of a 0-d kernel) this
        Function's `__call__`; it hands every call it does not take to the Python path.
        Python looks `__call__` up on the type, so this Function gets its own subclass
        (the fast call has no `__get__`: it receives the call's arguments as they are)."""
        fast = make_fast_call(types.MethodType(Function.__call__, self), self.kind,
                              self._types, self._by_name, self.trust_input)
        if fast is None:
            return
        self._fast_call = fast
        self.__class__ = type("Function", (Function,), {
            "__call__": fast, "__module__": Function.__module__,
            "__qualname__": Function.__qualname__, "__doc__": Function.__doc__,
            "__signature__": property(_python_call_signature), "__slots__": ()})

    def __repr__(self) -> str:
        return f"<tensordsl.Function {self.name or ''}({', '.join(self._labels)})>"

    @property
    def input_specs(self) -> list[InputSpec]:
        """Each input's label (as errors name it), type and downcast permission."""
        return [InputSpec(lbl, t, d) for lbl, t, d in
                zip(self._labels, self._types, self._downcast)]

    def bind_inputs(self, args: tuple, kwargs: dict,
                    convert: Callable[[int, Any], Any] | None = None) -> list[Any]:
        """Positional and keyword arguments as one value per input, in input order, each
        filtered as a call filters it (defaults filled in; TypeError naming what is
        missing or unknown). `convert(position, value)`, when given, is tried first on each
        value passed: its result is taken unless it is None."""
        n = len(self._inputs)
        if len(args) > n:
            raise TypeError(f"{self._what()} takes {n} argument{'s' if n != 1 else ''} "
                            f"({', '.join(self._labels)}) but {len(args)} were given")
        values: list[Any] = list(args) + [_NO_DEFAULT] * (n - len(args))
        for key, value in kwargs.items():
            pos = self._by_name.get(key)
            if pos is None:
                known = ", ".join(sorted(self._by_name)) or "none"
                raise TypeError(f"{self._what()} got an unknown keyword argument {key!r}; "
                                f"input names: {known}")
            if values[pos] is not _NO_DEFAULT:
                raise TypeError(f"{self._what()} got multiple values for input {key!r}")
            values[pos] = value
        out = []
        for pos, value in enumerate(values):
            if value is _NO_DEFAULT:
                default = self._defaults[pos]
                if default is _NO_DEFAULT:
                    given = len(args) + len(kwargs)
                    raise TypeError(f"{self._what()} takes {n} argument{'s' if n != 1 else ''} "
                                    f"({', '.join(self._labels)}) but {given} "
                                    f"{'was' if given == 1 else 'were'} given: missing a value "
                                    f"for input {self._labels[pos]} (input {pos})")
                out.append(default)
            else:
                converted = convert(pos, value) if convert is not None else None
                # TensorType.filter's results unless `convert` took the value
                out.append(self._fast_filters[pos](value) if converted is None else converted)
        return out

    def _what(self) -> str:
        return f"function {self.name!r}" if self.name else "the compiled function"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # dask arrays in, dask arrays out (none can exist before dask.array is imported)
        if "dask.array" in _MODULES and _dask.has_dask_array(args, kwargs):
            return _dask.call_function(self, args, kwargs)
        if self._lean and not kwargs and len(args) == self._n_inputs:
            # the common call: positional arguments, no shared variables, fresh outputs
            outputs = self._run(self._filter_positional(args))
            if self._single:
                return outputs[0]
            return tuple(outputs) if self.kind == "tuple" else outputs
        if self.trust_input and not kwargs:
            values = list(args)
        elif kwargs or len(args) != self._n_inputs:
            values = self.bind_inputs(args, kwargs)
        else:
            values = [check(v) for check, v in zip(self._fast_filters, args)]
        if self._resident is not None:
            return self._shape(self._call_resident(values))
        if self._outputs_fresh and not self.shared_vars:
            outputs = self._run(values)  # fresh arrays nobody else holds: no copies
            if self._single:
                return outputs[0]
            return tuple(outputs) if self.kind == "tuple" else outputs
        if self._lender is not None:  # before any list below holds the shared values
            runner, pairs = self._lender
            runner.lend({j: self.shared_vars[s]._value for j, s in pairs
                         if _private(self.shared_vars[s])})
        shared_values = [s.container_value for s in self.shared_vars]
        if self._overwritten:  # an argument sharing such a buffer must not change under us
            values = [np.array(v, copy=True) if any(np.may_share_memory(v, s.container_value)
                                                    for s in self._overwritten) else v
                      for v in values]
        results = self._run(values + shared_values)
        outputs = results[:self.n_outputs]
        protected = values + shared_values
        outputs = _owned(outputs, protected)
        updated = results[self.n_outputs:]
        # an update computed in place already is the shared variable's own buffer
        in_place = [raw is t.container_value for t, raw in zip(self.update_targets, updated)]
        new_values = iter(_owned([r for r, same in zip(updated, in_place) if not same],
                                 protected + outputs))
        for target, raw, same in zip(self.update_targets, updated, in_place):
            target._value = raw if same else next(new_values)
        if self.kind == "single":
            return outputs[0]
        return tuple(outputs) if self.kind == "tuple" else outputs

    def _call_resident(self, values: list[Any]) -> list[Any]:
        """A call on a device backend: shared values are passed as the device holds them
        (uploaded once), updates computed on the device stay there, outputs are copied
        back unless `return_device_arrays`."""
        res = self._resident
        shared_values = [s.value_on(res) for s in self.shared_vars]
        results = res.run(values + shared_values)
        n = self.n_outputs
        inputs = values + shared_values
        if self.return_device_arrays:  # never hand out a buffer an input or state owns
            outputs = [o.copy() if any(o is v for v in inputs) and res.holds(o) else o
                       for o in results[:n]]
            outputs = [o if res.holds(o) else _owned([o], values)[0] for o in outputs]
        else:
            outputs = _owned([res.download(o) if res.holds(o) else o for o in results[:n]],
                             [v for v in values if not res.holds(v)])
        for target, raw in zip(self.update_targets, results[n:]):
            target.store(raw if res.holds(raw) else _owned([raw], values)[0], res)
        return outputs

    def _shape(self, outputs: list[Any]) -> Any:
        """The outputs as this function returns them (one value, a tuple or a list)."""
        if self.kind == "single":
            return outputs[0]
        return tuple(outputs) if self.kind == "tuple" else outputs

    def _repr_svg_(self) -> str | None:
        """The rewritten graph as SVG for Jupyter (None without a Graphviz renderer)."""
        from tensordsl.printing.dot import repr_svg

        return repr_svg(self)

    def __reduce__(self) -> Any:
        """Pickled as its symbolic graph and options; compiled again where unpickled."""
        from tensordsl.pickling import reduce_function

        return reduce_function(self)

    def free(self) -> None:
        """Release cached buffers (kept for Theano compatibility)."""

    def copy(self, share_memory: bool = False, swap: dict | None = None,
             delete_updates: bool = False, name: str | None = None, profile: Any = None
             ) -> Function:
        """A new Function (Theano's copy): `swap` maps shared variables of this function to
        shared variables of the same type that the copy reads and updates instead;
        `delete_updates` drops the updates; `name` defaults to this name + ' copy'."""
        from tensordsl.runtime.copying import copy_function

        return copy_function(self, swap, delete_updates, name, profile)

    def source(self, target: str = "c") -> str:
        """The kernel text `target` ('c', 'opencl' or 'numpy') runs for this function,
        like a decorated function's `.source` (tensordsl.cli.sources)."""
        from tensordsl.cli.sources import function_source

        return function_source(self, target)


def _python_call_signature(fn: Function) -> inspect.Signature:
    """inspect.signature of a Function with a fast call: that of `Function.__call__`."""
    return inspect.signature(types.MethodType(Function.__call__, fn))


def _overwritten_shared(fgraph: FunctionGraph, shared_vars: list[SharedVariable]
                        ) -> list[SharedVariable]:
    destroyed = {id(node.inputs[i]) for node in fgraph.apply_nodes
                 for ins in node.op.destroy_map.values() for i in ins}
    return [s for s in shared_vars if id(s) in destroyed]


def _label(inp: In, position: int) -> str:
    return repr(inp.name) if inp.name else f"<unnamed input {position}>"


def _filter_default(inp: In, ttype: Any, label: str, downcast: bool | None) -> Any:
    if not inp.has_default:
        return _NO_DEFAULT
    value = ttype.filter(inp.value, name=f"default of {label}", allow_downcast=downcast)
    value = np.array(value, copy=True)
    value.setflags(write=False)
    return value


def _fast_filter(ttype: Any, label: str, downcast: bool | None) -> Any:
    """`ttype.filter` with the common cases decided first: an ndarray already of the
    type (no static sizes to check) and a Python float for a float scalar."""
    dtype = np.dtype(ttype.dtype)
    ndim = ttype.ndim
    free_shape = all(s is None for s in ttype.shape)
    python_float_ok = ndim == 0 and dtype.kind == "f"
    slow = ttype.filter
    ndarray = np.ndarray
    array = np.array
    asarray = np.asarray
    as_float64 = dtype == np.float64  # np.asarray(a Python float) is float64, and faster

    def check(value: Any) -> Any:
        kind = type(value)
        if kind is ndarray and value.dtype is dtype and value.ndim == ndim and free_shape:
            return value
        if kind is float and python_float_ok:
            return asarray(value) if as_float64 else array(value, dtype)
        return slow(value, name=label, allow_downcast=downcast)

    return check


def _device_filter(resident: Any, host_check: Any, ttype: Any, label: str) -> Any:
    """A filter taking arrays on the backend's device without a copy (dtype and rank
    checked), and everything else through `host_check`."""
    def check(value: Any) -> Any:
        if not resident.holds(value):
            return host_check(value)
        if value.dtype.name != ttype.dtype or value.ndim != ttype.ndim:
            raise TypeError(f"input {label}: expected a {ttype.ndim}-d {ttype.dtype} array, got "
                            f"a {value.ndim}-d {value.dtype.name} device array")
        return value

    return check


def _positional_binder(checks: list[Any]) -> Any:
    """args -> [check_i(args[i])], unrolled for up to three inputs (a zip costs more
    than the checks themselves on the per-call path)."""
    if len(checks) == 1:
        (c0,) = checks
        return lambda args: [c0(args[0])]
    if len(checks) == 2:
        c0, c1 = checks
        return lambda args: [c0(args[0]), c1(args[1])]
    if len(checks) == 3:
        c0, c1, c2 = checks
        return lambda args: [c0(args[0]), c1(args[1]), c2(args[2])]
    return lambda args: [check(v) for check, v in zip(checks, args)]


def _lender(thunk: Any, n_inputs: int, n_outputs: int, shared_vars: list[SharedVariable],
            targets: list[SharedVariable]) -> tuple[Any, list[tuple[int, int]]] | None:
    """(runner, [(input position, shared variable number)]) when the thunk's C function
    driver may compute a shared variable's update in that variable's own buffer
    (`DriverRunner.lend`): the output it would accumulate into that input must be the
    update of the very same shared variable, so the buffer holds the new value after the
    call, as the update replaces the old one."""
    runner = (getattr(thunk, "notes", None) or {}).get("driver")
    donations = getattr(getattr(runner, "graph", None), "donations", None)
    if not donations:
        return None
    pairs = []
    for k, j in donations.items():
        s, u = j - n_inputs, k - n_outputs
        if 0 <= s < len(shared_vars) and 0 <= u < len(targets) \
                and targets[u] is shared_vars[s]:
            pairs.append((j, s))
    return (runner, pairs) if pairs else None


def _references(var: Any) -> int:
    """sys.getrefcount of `var._value`, counted the same way for every caller."""
    value = var._value
    return sys.getrefcount(value)


class _Holder:
    def __init__(self) -> None:
        self._value = np.empty(0)


# what `_references` reports for a value only its holder references (var._value, the
# local, getrefcount's argument: 3 on CPython 3.11; measured, not assumed)
_ONLY_HOLDER = _references(_Holder())


def _private(var: SharedVariable) -> bool:
    """Whether nothing but `var` can see its value's buffer: an array owning its data
    whose only reference is the variable's (get_value(borrow=True), a view, an output of
    an earlier call or the array `shared(..., borrow=True)` was given all add one)."""
    value = var._value
    return type(value) is np.ndarray and value.base is None \
        and _references(var) == _ONLY_HOLDER + 1  # + `value` here


def _owned(arrays: list[Any], protected: list[Any]) -> list[np.ndarray]:
    """Copy results that alias caller-visible memory, so the caller owns every output."""
    owned: list[np.ndarray] = []
    for a in arrays:
        a = np.asarray(a)
        if not a.flags.writeable or any(np.may_share_memory(a, p) for p in protected) \
                or any(np.may_share_memory(a, o) for o in owned):
            a = a.copy()
        owned.append(a)
    return owned
