"""The C trampoline: a Function's `__call__` for graphs that are one 0-d kernel.

A call of such a Function through Python (argument filters, the thunk, ctypes, a
0-d `np.empty`) costs over a microsecond, nearly all of it interpreter work around a
kernel that runs in nanoseconds. `trampoline.c`, a fixed CPython extension shipped with
the package, does the same call in C: it binds positional and keyword arguments,
checks the common ones (exact 0-d ndarrays of the input's dtype, and the Python floats
and ints and numpy scalars that `accepted` lists), allocates the 0-d outputs and calls the
kernel's raw entry (`<entry>_raw(void *const *args)`, rendered for every 0-d kernel)
through a function pointer. Any other call goes to the `fallback` it is given, the
Function's Python path, so results and errors are that path's own.

The extension is built on first use with the configured compiler (`-O2`, the Python
and numpy include dirs) and cached like a kernel (`cache.get_library`; the source text
it is keyed by starts with the Python and numpy versions it is built against). It is
not a generated unit, so it is not pycparser-checked (it includes Python.h). Without a
compiler, Python headers or numpy headers, or if anything fails, there is no trampoline
and Functions keep their Python path: never an error.
"""

from __future__ import annotations

import ctypes
import functools
import importlib.machinery
import importlib.util
import logging
import os
import sys
import sysconfig
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import numpy as np

from tensordsl.config import config
from tensordsl.graph.type import TensorType

log = logging.getLogger("tensordsl.backends.c")
MODULE = "_td_trampoline"  # the extension's module name (its PyInit_ function)
SOURCE_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "trampoline.c")
MAX_OPERANDS = 16  # TD_MAX_OPERANDS in trampoline.c
KINDS = {"single": 0, "list": 1, "tuple": 2}
# the TD_* bits of trampoline.c: which scalars an argument may be besides a 0-d ndarray
FLOAT_AS_F64, FLOAT_AS_F32, INT_AS_F64, INT_AS_I64, NUMPY_SCALAR = 1, 2, 4, 8, 16
SCALAR_DTYPES = frozenset("bool int8 int16 int32 int64 uint8 uint16 uint32 uint64 "
                          "float32 float64".split())


def include_dirs() -> list[str] | None:
    """Python's and numpy's C header directories, or None when either is missing."""
    py_include = sysconfig.get_paths().get("include") or ""
    np_include = np.get_include()
    if not os.path.isfile(os.path.join(py_include, "Python.h")) or \
            not os.path.isfile(os.path.join(np_include, "numpy", "arrayobject.h")):
        return None
    return [py_include, np_include]


def source() -> str:
    """The extension's source, headed by what it is built against (part of the key)."""
    with open(SOURCE_PATH, encoding="utf-8") as f:
        text = f.read()
    abi = sysconfig.get_config_var("SOABI") or sys.implementation.cache_tag
    head = (f"/* built for {sys.implementation.name} {sys.version.split()[0]} ({abi}), "
            f"numpy {np.__version__} */\n")
    return head + text


def load() -> ModuleType | None:
    """The loaded extension for the current compiler and cache dir, or None."""
    return _load(config.cxx, config.compiledir)


@functools.cache
def _load(cxx: str, compiledir: str) -> ModuleType | None:
    try:
        return _build_and_import()
    except Exception as err:  # no trampoline is never an error: the Python path stays
        log.info("C backend: no trampoline (%s: %s); scalar calls take the Python path",
                 type(err).__name__, str(err).splitlines()[0] if str(err) else "")
        return None


def _build_and_import() -> ModuleType | None:
    from tensordsl.backends.c import build, cache

    includes = include_dirs()
    if includes is None or build.find_compiler() is None:
        log.info("C backend: no trampoline (no compiler or no Python/numpy headers)")
        return None
    flags = ["-O2", *[f"-I{d}" for d in includes]]
    path = cache.get_library(source(), own_flags=flags)
    loader = importlib.machinery.ExtensionFileLoader(MODULE, path)
    spec = importlib.util.spec_from_file_location(MODULE, path, loader=loader)
    if spec is None:
        return None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def accepted(dtype: np.dtype, trusted: bool) -> int:
    """Which scalars (TD_* bits) the trampoline takes for an input of `dtype`: those the
    Python path turns into exactly that dtype and value. Python floats (float64 and
    float32 inputs: `function._fast_filter` casts them), Python ints (float64 inputs up
    to 2**53, int64 inputs: `TensorType.filter` converts them exactly) and numpy scalars
    of the input's own type. With trust_input the arguments go unfiltered to the kernel
    runner, which refuses a Python float for float32 and a Python int for float64."""
    bits = NUMPY_SCALAR if dtype.name in SCALAR_DTYPES else 0
    if dtype.name == "float64":
        bits |= FLOAT_AS_F64 | (0 if trusted else INT_AS_F64)
    elif dtype.name == "float32" and not trusted:
        bits |= FLOAT_AS_F32
    elif dtype.name == "int64":
        bits |= INT_AS_I64
    return bits


@functools.cache
def raw_entry(path: str, name: str) -> Any:
    """The ctypes function `name` of the kernel library `path` (keeps it loaded)."""
    return getattr(ctypes.PyDLL(path), name)


def scalar_call(library: str, entry: str, order: Sequence[int], kernel_dtypes: Sequence[np.dtype],
                out_dtypes: Sequence[np.dtype], fallback: Callable[..., Any], kind: str,
                in_types: Sequence[Any], names: dict[str, int], trusted: bool
                ) -> Any | None:
    """A trampoline calling the 0-d kernel `entry` (raw entry `<entry>_raw` of `library`)
    for a Function whose input types are `in_types`, or None when there is none.

    Kernel input k (of dtype `kernel_dtypes[k]`) is the Function's argument `order[k]`;
    `names` maps input names to positions (keyword arguments); `fallback` gets every
    call the trampoline does not take itself. `trusted`: the Function has trust_input
    (see `accepted`)."""
    if kind not in KINDS or not 0 < len(out_dtypes) <= MAX_OPERANDS \
            or (kind == "single" and len(out_dtypes) != 1) \
            or len(in_types) > MAX_OPERANDS or len(order) > MAX_OPERANDS:
        return None
    # plain 0-d TensorTypes (whose filter the trampoline mirrors) matching the kernel's
    if any(type(t) is not TensorType or t.ndim != 0 for t in in_types):
        return None
    arg_dtypes = [np.dtype(t.dtype) for t in in_types]
    if len(order) != len(kernel_dtypes) or any(
            arg_dtypes[i] != d for i, d in zip(order, kernel_dtypes)):
        return None
    module = load()
    if module is None:
        return None
    try:
        fn = raw_entry(library, entry + "_raw")
        address = ctypes.cast(fn, ctypes.c_void_p).value
        accepts = tuple(accepted(d, trusted) for d in arg_dtypes)
        return module.ScalarCall(address, tuple(d.num for d in arg_dtypes), accepts,
                                 tuple(order), tuple(d.num for d in out_dtypes), KINDS[kind],
                                 dict(names), fallback, fn)
    except Exception as err:
        log.info("C backend: no trampoline for %s (%s)", entry, err)
        return None
