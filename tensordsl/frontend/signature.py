"""Argument types: the dispatch key of a call, and numba-like signature strings.

A call's key has one entry per parameter:

* an ndarray (or numpy scalar): `(dtype, broadcastable)` -> a TensorType whose size-1
  dims are static (so they broadcast) and whose other dims are unknown;
* a Python float/int/complex: the type itself -> a *weak* scalar (NEP 50);
* a Python bool, None, a string, or a parameter left at its default: static, compiled in
  (`("static", value)`).

`parse_signature("f8[:,:], f8[:]")` gives the TensorTypes of an explicit signature.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from tensordsl.graph.basic import Variable
from tensordsl.graph.type import TensorType

WEAK_KINDS = (float, int, complex)
_NUMBA_DTYPES = {
    "f2": "float16", "f4": "float32", "f8": "float64", "float32": "float32",
    "float64": "float64", "float": "float64", "double": "float64", "float16": "float16",
    "i1": "int8", "i2": "int16", "i4": "int32", "i8": "int64", "int8": "int8",
    "int16": "int16", "int32": "int32", "int64": "int64", "intp": "int64", "int": "int64",
    "u1": "uint8", "u2": "uint16", "u4": "uint32", "u8": "uint64", "uint8": "uint8",
    "uint16": "uint16", "uint32": "uint32", "uint64": "uint64", "b1": "bool",
    "bool": "bool", "boolean": "bool", "c8": "complex64", "c16": "complex128",
    "complex64": "complex64", "complex128": "complex128",
}
_ENTRY = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[([^\]]*)\])?\s*$")


def arg_key(value: Any) -> Any:
    """The dispatch key of one argument value (hashable, cheap)."""
    cls = type(value)
    if cls is np.ndarray:
        return (value.dtype, tuple([s == 1 for s in value.shape]))
    if cls in WEAK_KINDS:
        return cls
    if isinstance(value, np.generic):
        return (value.dtype, ())
    if isinstance(value, Variable):
        raise TypeError("symbolic")  # the caller takes the symbolic path
    if value is None or cls in (bool, str):
        return ("static", value)
    if isinstance(value, (list, tuple)):
        return arg_key(np.asarray(value))
    static = getattr(value, "static_key", None)
    if static is not None:
        return static
    raise TypeError(f"unsupported argument {value!r:.60} of type {cls.__name__}: pass numpy "
                    f"arrays, numpy scalars or Python numbers")


def key_type(key: Any) -> TensorType | type | None:
    """The TensorType (arrays), weak kind (Python numbers) or None (static) of a key."""
    if isinstance(key, type):
        return key
    if key[0] == "static":
        return None
    dtype, broadcastable = key
    return TensorType(dtype, tuple(1 if b else None for b in broadcastable))


def key_text(key: Any) -> str:
    """A numba-like spelling of one key entry: 'float64[:, 1]', 'float', 'static True'."""
    if isinstance(key, type):
        return key.__name__
    if key[0] == "static":
        return f"static {key[1]!r}"
    dims = ", ".join("1" if b else ":" for b in key[1])
    return f"{np.dtype(key[0]).name}[{dims}]" if key[1] else np.dtype(key[0]).name


def type_key(ttype: TensorType) -> Any:
    """The key entry of a declared TensorType."""
    return (np.dtype(ttype.dtype), tuple(s == 1 for s in ttype.shape))


def parse_signature(signature: Any) -> list[TensorType]:
    """TensorTypes from 'f8[:,:], f8[:]', 'f8(f8[:])', typed variables or TensorTypes."""
    if isinstance(signature, str):
        text = signature.strip()
        if "(" in text:
            if not text.endswith(")"):
                raise ValueError(f"signature {signature!r}: expected 'ret(args)' or 'args'")
            text = text[text.index("(") + 1:-1]
        return [_parse_entry(e, signature) for e in _split(text)]
    items = list(signature) if isinstance(signature, (list, tuple)) else [signature]
    out = []
    for item in items:
        if isinstance(item, Variable):
            out.append(item.type)
        elif isinstance(item, TensorType):
            out.append(item)
        elif isinstance(item, str):
            out.append(_parse_entry(item, signature))
        else:
            raise TypeError(f"signature entry {item!r:.40}: expected a typed variable, a "
                            f"TensorType or a string like 'f8[:]'")
    return out


def _split(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char == "["
        depth -= char == "]"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current)
    return parts


def _parse_entry(entry: str, whole: Any) -> TensorType:
    match = _ENTRY.match(entry)
    if match is None or match.group(1) not in _NUMBA_DTYPES:
        raise ValueError(f"signature {whole!r}: cannot read {entry.strip()!r}; expected e.g. "
                         f"'f8', 'f4[:]', 'int32[:, :]' (dtypes: f4 f8 i4 i8 u1 b1 c16 ...)")
    dims = [] if match.group(2) is None else [d.strip() for d in match.group(2).split(",")]
    shape = []
    for d in dims:
        if d in (":", "::1"):
            shape.append(None)
        elif d == "1":
            shape.append(1)
        else:
            raise ValueError(f"signature {whole!r}: dim {d!r} of {entry.strip()!r} must be "
                             f"':' (any size) or '1' (broadcast)")
    return TensorType(_NUMBA_DTYPES[match.group(1)], tuple(shape))


def accepts(declared: TensorType, key: Any) -> bool:
    """Whether a call with argument key `key` can run a specialisation for `declared`."""
    if isinstance(key, type):
        return declared.ndim == 0 and np.can_cast(np.result_type(key(0)), declared.dtype,
                                                  "same_kind")
    if key[0] == "static":
        return False
    dtype, broadcastable = key
    return (np.dtype(dtype).name == declared.dtype and len(broadcastable) == declared.ndim
            and all(s is None or b for s, b in zip(declared.shape, broadcastable)))
