"""The compiled-function object: one specialisation per argument-type signature.

A call computes the argument key (signature.arg_key per argument) and looks it up in a
dict; only the first call with a new key parses (once per function), builds the graph
and compiles it with the target's backend. Symbolic arguments build and return
symbolic outputs instead (so a decorated function can be used inside a bigger graph).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from tensordsl import dask as _dask
from tensordsl.dtypes import using_cast_policy
from tensordsl.frontend import signature as sig
from tensordsl.frontend.build import Built, build, flatten, unflatten
from tensordsl.frontend.semantics import KIND_DTYPE, Weak, is_python_scalar
from tensordsl.frontend.statements import parsed
from tensordsl.graph.basic import Variable
from tensordsl.graph.convert import constant
from tensordsl.graph.type import TensorType
from tensordsl.runtime.function import _owned
from tensordsl.runtime.mode import target_mode, target_names

TARGETS = target_names()

_DEFAULT = object()


def default_target() -> str:
    """The decorator's default target: config.device's backend (C on a CPU with a C
    compiler, numpy without one, OpenCL for device=opencl)."""
    from tensordsl.runtime.mode import backend_name, get_mode

    return backend_name(get_mode("FAST_RUN"))


class Specialisation:
    """One compiled version: which parameters are inputs, the Function, the output tree."""

    def __init__(self, key: tuple, built: Built, function: Any, positions: list[int],
                 structure: Any, converters: list[Any]) -> None:
        self.key, self.built, self.function = key, built, function
        self.positions, self.structure, self.converters = positions, structure, converters
        # without shared variables, call the thunk directly (Function.__call__ re-checks
        # what the key already guarantees)
        self.thunk = function.thunk if function is not None and not function.shared_vars \
            and not function.return_device_arrays else None
        fresh = self.thunk.fresh_outputs if self.thunk is not None else ()
        self.known_fresh = bool(fresh) and all(fresh)  # the backend allocated every output
        # the common single-output case skips the generic tree rebuild
        self.single = structure if structure[0] == "leaf" else None

    def __call__(self, args: tuple) -> Any:
        if self.function is None:
            return unflatten(self.structure, [])
        values = [args[p] if c is None else c(args[p])
                  for p, c in zip(self.positions, self.converters)]
        if self.thunk is None:
            results = self.function(*values)
            return unflatten(self.structure, results if isinstance(results, list) else
                             [results])
        results = self.thunk(values)
        if not self.known_fresh and not _all_fresh(results, values):
            results = _owned(results, values)
        single = self.single
        if single is not None:
            out = results[0]
            if out.ndim:
                return out
            return out.item() if single[2] else out[()]
        return unflatten(self.structure, results)


def _all_fresh(results: list[Any], values: list[Any]) -> bool:
    """True when every result is a new, writable array owning its memory (no copy needed)."""
    seen = set()
    for r in results:
        if type(r) is not np.ndarray or r.base is not None or not r.flags.writeable \
                or id(r) in seen:
            return False
        seen.add(id(r))
    for v in values:
        if id(v) in seen:
            return False
    return True


class CompiledFunction:
    """A Python function compiled per argument signature (`@tensordsl.compile`)."""

    def __init__(self, py_func: Any, target: str | None = None, signature: Any = None,
                 mode: Any = None, transform: Any = None,
                 static_argnames: Any = (), return_device_arrays: bool = False) -> None:
        self.py_func = py_func
        self.return_device_arrays = return_device_arrays
        self.target = target or default_target()
        self.mode = target_mode(self.target, mode)
        self._mode_arg = mode
        self._signature_arg = signature  # kept for pickling (tensordsl.pickling)
        self._transform = transform  # (params, inputs, outputs) -> outputs (e.g. gradients)
        self._signature = inspect.signature(py_func)
        self._params = list(self._signature.parameters)
        self._nparams = len(self._params)
        self._static = _static_positions(self._params, static_argnames, py_func)
        self._cache: dict[tuple, Specialisation] = {}
        self._declared: list[Specialisation] = []
        self.stats = {"parses": 0, "builds": 0, "compiles": 0}
        self.__name__ = getattr(py_func, "__name__", "compiled")
        self.__qualname__ = getattr(py_func, "__qualname__", self.__name__)
        self.__doc__ = py_func.__doc__
        self.__wrapped__ = py_func
        if signature is not None:
            for ttype_list in _signatures(signature):
                self._declared.append(self._compile_declared(ttype_list))

    def __repr__(self) -> str:
        return f"<tensordsl.compile {self.__qualname__} target={self.target!r}>"

    def __reduce__(self) -> Any:
        """Pickled as its Python function and options; compiled again where unpickled."""
        from tensordsl.pickling import reduce_compiled

        return reduce_compiled(self)

    # -- the call path (kept short: it is benchmarked) -----------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        values = args
        if kwargs or len(args) != self._nparams:
            values = self._bind(args, kwargs)
        try:
            key = tuple([sig.arg_key(a) for a in values])
        except TypeError:
            if any(isinstance(a, Variable) for a in values):
                return self.symbolic(*args, **kwargs)
            if _dask.has_dask_array(values):  # dask arrays in, dask arrays out
                return _dask.call_compiled(self, values)
            raise
        if self._static:
            key = self._static_key(key, values)
        spec = self._cache.get(key)
        if spec is None:
            spec = self._specialise(key, values)
        return spec(values)

    def _static_key(self, key: tuple, values: tuple) -> tuple:
        entries = list(key)
        for i in self._static:
            value = values[i]
            try:
                hash(value)
            except TypeError:
                raise TypeError(f"{self.__qualname__}: static argument {self._params[i]!r} "
                                f"must be hashable (a number, bool, string or tuple), got "
                                f"{type(value).__name__}") from None
            entries[i] = ("static", value.value if isinstance(value, _Default) else value)
        return tuple(entries)

    def _bind(self, args: tuple, kwargs: dict) -> tuple:
        bound = self._signature.bind(*args, **kwargs)
        values = []
        for name, param in self._signature.parameters.items():
            if name in bound.arguments:
                values.append(bound.arguments[name])
            else:
                values.append(_Default(param.default))
        return tuple(values)

    def _specialise(self, key: tuple, args: tuple) -> Specialisation:
        spec = self.declared_for(key)
        if spec is None:
            spec = self._compile(key, args)
        self._cache[key] = spec
        return spec

    @property
    def parameters(self) -> list[str]:
        """The decorated function's parameter names, in order."""
        return list(self._params)

    def signature_key(self, values: tuple, key_of: Callable[[Any], Any] = sig.arg_key
                      ) -> tuple:
        """The specialisation key of bound argument `values` (`key_of` gives each
        argument's entry; static arguments enter by value)."""
        key = tuple([key_of(v) for v in values])
        return self._static_key(key, values) if self._static else key

    def declared_for(self, key: tuple) -> Specialisation | None:
        """The declared signature's specialisation accepting `key`; None when none was
        declared; TypeError naming the arguments when signatures were declared and none
        accepts them."""
        if not self._declared:
            return None
        for spec in self._declared:
            if all(sig.accepts(t, k) for t, k in zip(spec.built_types, key)):
                return spec
        raise TypeError(f"{self.__qualname__}: no compiled signature accepts arguments "
                        f"({', '.join(sig.key_text(k) for k in key)}); declared: "
                        f"{'; '.join(self.signatures)}")

    # -- building and compiling ----------------------------------------------------------------
    def symbolic_inputs(self, key: tuple, args: tuple) -> dict[str, Any]:
        """Each parameter's symbolic input (or static value) for specialisation `key`."""
        values: dict[str, Any] = {}
        for name, k, a in zip(self._params, key, args):
            kind = sig.key_type(k)
            if kind is None:
                values[name] = a.value if isinstance(a, _Default) else k[1]
            elif isinstance(kind, type):
                values[name] = Weak(TensorType(KIND_DTYPE[kind], ())(name), kind)
            else:
                values[name] = kind(name)
        return values

    def build(self, values: dict[str, Any]) -> tuple[Built, Any]:
        """Build the graph for parameter `values`; (Built, outputs after the transform)."""
        if self.stats["parses"] == 0:
            parsed(self.py_func)
            self.stats["parses"] += 1
        self.stats["builds"] += 1
        built = build(self.py_func, values)
        outputs = built.outputs
        if self._transform is not None:
            with using_cast_policy("numpy"):
                outputs = self._transform(self._params, values, outputs)
        return built, outputs

    def _compile(self, key: tuple, args: tuple) -> Specialisation:
        values = self.symbolic_inputs(key, args)
        built, outputs = self.build(values)
        leaves, structure = flatten(outputs)
        positions = [i for i, k in enumerate(key) if sig.key_type(k) is not None]
        inputs = [_var(values[self._params[i]]) for i in positions]
        converters = [_converter(k) for k in key if sig.key_type(k) is not None]
        function = self._function(inputs, [_var(v) for v in leaves]) if leaves else None
        spec = Specialisation(key, built, function, positions, structure, converters)
        spec.built_types = [sig.key_type(k) for k in key]  # type: ignore[attr-defined]
        return spec

    def _function(self, inputs: list[Variable], outputs: list[Variable]) -> Any:
        from tensordsl.runtime.function import function

        self.stats["compiles"] += 1
        with using_cast_policy("numpy"):
            return function(inputs, list(outputs), mode=self.mode, on_unused_input="ignore",
                            trust_input=True, return_device_arrays=self.return_device_arrays)

    def _compile_declared(self, ttypes: list[Any]) -> Specialisation:
        if len(ttypes) != self._nparams:
            raise TypeError(f"{self.__qualname__} takes {self._nparams} arguments but the "
                            f"signature gives {len(ttypes)} types")
        key = tuple(sig.type_key(t) for t in ttypes)
        spec = self._compile(key, tuple(None for _ in ttypes))
        spec.converters = [_declared_converter(t) for t in ttypes]
        spec.built_types = ttypes  # type: ignore[attr-defined]
        self._cache[key] = spec
        return spec

    # -- introspection -------------------------------------------------------------------------
    def symbolic(self, *args: Any, **kwargs: Any) -> Any:
        """Build with symbolic arguments and return symbolic outputs (no compilation)."""
        bound = self._signature.bind(*args, **kwargs)
        bound.apply_defaults()
        values = {n: (v if isinstance(v, Variable) or is_python_scalar(v) or v is None
                      else _as_constant(v)) for n, v in bound.arguments.items()}
        _, outputs = self.build(values)
        leaves, structure = flatten(outputs)
        return unflatten(structure, [_var(v) for v in leaves], scalars=False)

    def _spec_for(self, args: tuple) -> Specialisation:
        if not args and self._cache:
            return next(reversed(self._cache.values()))
        if not args:
            raise ValueError(f"{self.__qualname__} has not been compiled yet: pass example "
                             f"arguments")
        if len(args) != self._nparams:
            args = self._bind(args, {})
        key = tuple(sig.arg_key(a) for a in args)
        if self._static:
            key = self._static_key(key, args)
        return self._cache.get(key) or self._specialise(key, args)

    @property
    def signatures(self) -> list[str]:
        """The argument types of every compiled specialisation."""
        return [", ".join(sig.key_text(k) for k in key) for key in self._cache]

    def graph(self, *args: Any) -> Any:
        """The (rewritten) FunctionGraph compiled for these arguments' types."""
        spec = self._spec_for(args)
        if spec.function is None:
            raise ValueError(f"{self.__qualname__} has no symbolic outputs for these types")
        return spec.function.maker.fgraph

    def source(self, target: str = "python", *args: Any) -> str:
        """Kernel text: 'python' (normalised Python), 'numpy' (the graph), or 'c'."""
        spec = self._spec_for(args)
        if target == "python":
            return spec.built.normalised
        from tensordsl.frontend.render import graph_source

        return graph_source(self, spec, target)

    def inspect(self) -> dict[str, dict[str, str]]:
        """For every specialisation, the type of every local (by its SSA name)."""
        return {", ".join(sig.key_text(k) for k in key): dict(spec.built.local_types)
                for key, spec in self._cache.items()}


class _Default:
    """A parameter left at its default value (compiled in as a constant)."""

    __slots__ = ("value", "static_key")

    def __init__(self, value: Any) -> None:
        self.value = value
        self.static_key = ("static", _DefaultMarker(value))


class _DefaultMarker:
    """The key entry of a defaulted parameter: equal for the same default object."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _DefaultMarker) and other.value is self.value

    def __hash__(self) -> int:
        return id(self.value)

    def __repr__(self) -> str:
        return f"default {self.value!r}"


def _static_positions(params: list[str], names: Any, fn: Any) -> tuple[int, ...]:
    names = (names,) if isinstance(names, str) else tuple(names)
    for name in names:
        if name not in params:
            raise ValueError(f"static_argnames: {fn.__qualname__} has no parameter {name!r}; "
                             f"parameters: {', '.join(params)}")
    return tuple(params.index(n) for n in names)


def _var(value: Any) -> Variable:
    return value.var if isinstance(value, Weak) else value


def _as_constant(value: Any) -> Any:
    return constant(np.asarray(value))


def _converter(key: Any) -> Any:
    if isinstance(key, type):
        dtype = np.dtype(KIND_DTYPE[key])
        return lambda v: np.asarray(v, dtype)
    if isinstance(key, tuple) and key[1] == ():
        return np.asarray
    return _as_array_if_list


def _as_array_if_list(value: Any) -> Any:
    return np.asarray(value) if isinstance(value, (list, tuple)) else value


def _declared_converter(ttype: Any) -> Any:
    dtype = np.dtype(ttype.dtype)
    return lambda v: v if type(v) is np.ndarray and v.dtype == dtype else np.asarray(v, dtype)


def _signatures(signature: Any) -> list[list[Any]]:
    """One or several signatures (a list of strings declares several)."""
    if isinstance(signature, list) and signature and all(isinstance(s, str) for s in signature)\
            and any("," in s or "(" in s for s in signature):
        return [sig.parse_signature(s) for s in signature]
    return [sig.parse_signature(signature)]
