"""Pickling compiled objects by source and signature, not by compiled code.

A compiled kernel (a loaded shared library, a C trampoline) cannot travel to another
process, and need not: the receiver compiles again, and the C backend's disk cache
makes that a lookup when the machine has compiled the same kernel before.

* `@tensordsl.compile` functions pickle as (the Python function, target, declared
  signature, mode, static argument names, transform). The Python function pickles as
  pickle does (by qualified name) or, with cloudpickle (what dask.distributed uses), by
  value for functions defined in `__main__` or a notebook. Specialisations compile
  again on first use.
* `tensordsl.function` objects pickle as their symbolic graph (inputs with their
  options, outputs and updates after givens, un-rewritten) and compile options. Shared
  variables travel by value: the copy's updates change the copy's shared variables,
  as with Theano's pickled functions.
"""

from __future__ import annotations

import importlib
import inspect
import linecache
import os
from typing import Any

_MISSING = object()


def reduce_compiled(cf: Any) -> tuple:
    """`__reduce__` of a CompiledFunction.

    A function decorated at the top level of an importable module pickles as its
    qualified name (the receiver imports the module: one shared object, one cache per
    process). Others pickle as their Python function (by value under cloudpickle), its
    source lines (so a receiver without the file can still parse it) and options.
    """
    py_func = cf.py_func
    module, qualname = getattr(py_func, "__module__", None), cf.__qualname__
    if module not in (None, "__main__") and _lookup(module, qualname, None) is cf:
        return _lookup, (module, qualname)
    try:
        lines, first = inspect.getsourcelines(py_func)
    except (OSError, TypeError):
        lines, first = [], 0
    static = tuple(cf._params[i] for i in cf._static)
    source = (py_func.__code__.co_filename, first, "".join(lines))
    return _rebuild_compiled, (py_func, source, cf.target, cf._signature_arg, cf._mode_arg,
                               cf._transform, static)


def _lookup(module: str, qualname: str, default: Any = _MISSING) -> Any:
    try:
        obj: Any = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        if default is _MISSING:
            raise
        return default
    return obj


def _rebuild_compiled(py_func: Any, source: tuple, target: str, signature: Any, mode: Any,
                      transform: Any, static_argnames: tuple) -> Any:
    from tensordsl.frontend.dispatcher import CompiledFunction

    filename = source[0]
    code = getattr(py_func, "__code__", None)
    if code is not None and code.co_filename != filename and source[2]:
        # cloudpickle rebuilds functions with a placeholder file name: point it back at
        # the file (or the shipped lines) so the frontend can read the source
        py_func.__code__ = code.replace(co_filename=filename)
    _ensure_source(*source)
    return CompiledFunction(py_func, target, signature, mode, transform=transform,
                            static_argnames=static_argnames)


def _ensure_source(filename: str, first: int, text: str) -> None:
    """Make `inspect.getsource` find the function where its file is missing (another
    machine): linecache gets the function's lines at their line numbers."""
    if not text or os.path.exists(filename) or linecache.getlines(filename):
        return
    lines = ["\n"] * (first - 1) + text.splitlines(keepends=True)
    # mtime None: linecache.checkcache keeps the entry (nothing on disk to compare with)
    linecache.cache[filename] = (len(text), None, lines, filename)


def reduce_function(fn: Any) -> tuple:
    """`__reduce__` of a Function."""
    maker = fn.maker
    roots = list(getattr(maker, "roots", None) or maker.outputs)
    outputs, updates = roots[:fn.n_outputs], roots[fn.n_outputs:]
    inputs = [(i.variable, i.name, (i.value,) if i.has_default else (), i.strict,
               fn._downcast[n], i.mutable, i.borrow) for n, i in enumerate(maker.inputs)]
    return _rebuild_function, (inputs, outputs, list(zip(fn.update_targets, updates)),
                               maker.mode, fn.kind, fn.name, fn.trust_input)


def _rebuild_function(inputs: list[tuple], outputs: list[Any], updates: list[tuple],
                      mode: Any, kind: str, name: str | None, trust_input: bool) -> Any:
    from tensordsl.runtime.function import In, function

    ins = [In(var, name=nm, strict=strict, allow_downcast=downcast, mutable=mutable,
              borrow=borrow, **({"value": default[0]} if default else {}))
           for var, nm, default, strict, downcast, mutable, borrow in inputs]
    outs: Any = outputs[0] if kind == "single" else (
        tuple(outputs) if kind == "tuple" else list(outputs))
    return function(ins, outs, mode=mode, updates=updates or None, name=name,
                    on_unused_input="ignore", trust_input=trust_input)
