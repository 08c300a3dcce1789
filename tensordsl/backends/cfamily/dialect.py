"""C-family dialects: how one language spells types, literals, conversions and math.

The scalar lowering (`lowering.py`) writes expressions through a `Dialect`, so the same
rules produce C99 for the C backend (`C`, the historical output, byte for byte) and
OpenCL C for the OpenCL backend (`OPENCL`). A dialect is stateless; the lowering keeps
the per-unit records (helpers used, prototypes to declare).
"""

from __future__ import annotations

import numpy as np


class Unsupported(Exception):
    """This op/dtype combination has no C-family lowering (the node falls back to numpy)."""


def is_float(dtype: str) -> bool:
    """True for the float dtypes the C-family backends render."""
    return dtype in ("float32", "float64")


# A bool array element is a byte holding 0 or 1, as in numpy, not C's `_Bool`, and a bool
# value inside a loop body is an `int` (`render.CRenderer.value_type`): gcc 12 vectorises
# neither a `_Bool` nor an `unsigned char` temporary between float operations, so one
# comparison result kept in such a variable left a whole fused loop scalar (a
# ReLU-gradient kernel ran 10x slower). Every conversion to bool is therefore written
# `(x != 0)` (`convert`), never a cast.
C_TYPES = {
    "bool": "unsigned char", "int8": "signed char", "int16": "short", "int32": "int",
    "int64": "long long", "uint8": "unsigned char", "uint16": "unsigned short",
    "uint32": "unsigned int", "uint64": "unsigned long long", "float32": "float",
    "float64": "double",
}

# OpenCL C: `long` is 64-bit on every device, `char` is signed; bool elements are bytes.
OPENCL_TYPES = {
    "bool": "uchar", "int8": "char", "int16": "short", "int32": "int", "int64": "long",
    "uint8": "uchar", "uint16": "ushort", "uint32": "uint", "uint64": "ulong",
    "float32": "float", "float64": "double",
}

# libm functions glibc's libmvec has vector variants of (declared `omp declare simd`).
VECTOR_MATH = frozenset(
    "exp exp2 exp10 log log2 log10 log1p expm1 sin cos tan asin acos atan sinh cosh tanh "
    "asinh acosh atanh erf erfc atan2 pow".split())


class Dialect:
    """C99 as gcc compiles it: libm names with an 'f' suffix for float, GCC builtins for
    NaN and infinity, 64-bit integers as `long long`."""

    name = "c"
    types = C_TYPES
    int_suffix = "LL"
    fast_fma = True  # helpers may evaluate polynomials with fma (one instruction here)

    def type_name(self, dtype: str) -> str:
        """The spelling of `dtype`, or Unsupported (float16, complex)."""
        try:
            return self.types[dtype]
        except KeyError:
            raise Unsupported(f"dtype {dtype} has no {self.name} type") from None

    def convert(self, expr: str, dtype: str) -> str:
        """`expr` converted to `dtype` (to bool: nonzero is true)."""
        if dtype == "bool":
            return f"(({expr}) != 0)"
        return f"(({self.type_name(dtype)})({expr}))"

    def const(self, value: object, dtype: str) -> str:
        """A literal of `value` as `dtype` (exact: floats are written in hex)."""
        ctype = self.type_name(dtype)
        if dtype == "bool":
            return "1" if bool(value) else "0"
        if is_float(dtype):
            v = float(np.asarray(value, dtype=dtype))
            if v != v:
                return self.nan(dtype)
            if v in (float("inf"), float("-inf")):
                return f"{'-' if v < 0 else ''}{self.inf(dtype)}"
            return self.float_literal(v, dtype)
        v = int(np.asarray(value, dtype=dtype))
        s = self.int_suffix
        if dtype.startswith("uint"):
            return f"(({ctype}){v}U{s})"
        if v == -(2 ** 63):
            return f"(({self.type_name('int64')})(-9223372036854775807{s} - 1))"
        return f"(({ctype}){v}{s})"

    def float_literal(self, v: float, dtype: str) -> str:
        return f"(({self.type_name(dtype)}){v.hex()})"

    def nan(self, dtype: str) -> str:
        return f"__builtin_nan{'f' if dtype == 'float32' else ''}(\"\")"

    def inf(self, dtype: str) -> str:
        return f"__builtin_inf{'f' if dtype == 'float32' else ''}()"

    def plain(self, value: float, dtype: str) -> str:
        """A small constant in a helper's arithmetic: C lets the usual conversions apply
        (kept as the bare number so generated C does not change)."""
        return repr(value)

    def math(self, base: str, dtype: str, nargs: int) -> tuple[str, str | None, bool]:
        """(name to call, prototype to declare or None, has a vector variant) of the
        math function `base` (its double-precision C name) for `dtype`."""
        ctype = self.type_name(dtype)
        name = base + ("f" if dtype == "float32" else "")
        args = ", ".join([ctype] * nargs)
        return name, f"{ctype} {name}({args});", base in VECTOR_MATH


class OpenCLDialect(Dialect):
    """OpenCL C 1.2: overloaded builtin math (no prototypes, no suffix), NAN/INFINITY,
    `long` for 64-bit integers, float literals with an `f` suffix (a device without
    cl_khr_fp64 has no double literals)."""

    name = "opencl"
    types = OPENCL_TYPES
    int_suffix = "L"
    fast_fma = False  # PoCL's vector fma took 2x a multiply-add (docs/opencl.md)

    def float_literal(self, v: float, dtype: str) -> str:
        if dtype == "float32":
            return f"({v.hex()}f)"
        return f"((double){v.hex()})"

    def nan(self, dtype: str) -> str:
        return "NAN" if dtype == "float32" else "((double)NAN)"

    def inf(self, dtype: str) -> str:
        return "INFINITY" if dtype == "float32" else "((double)INFINITY)"

    def plain(self, value: float, dtype: str) -> str:
        # builtins are overloaded (copysign(0, x) is ambiguous) and double literals
        # need fp64: spell the constant in the operation's own type
        return self.const(value, dtype)

    def math(self, base: str, dtype: str, nargs: int) -> tuple[str, str | None, bool]:
        self.type_name(dtype)
        return base, None, False


C = Dialect()
OPENCL = OpenCLDialect()


class OpenCLVectorDialect(OpenCLDialect):
    """OpenCL C over `width`-wide float vectors (float8, double8): the same expressions,
    each value holding `width` consecutive elements. Only float values are vectors (a
    kernel rendered with it has no bool or integer values, see opencl/render.py);
    literals stay scalars, which OpenCL widens; `((float8)(x))` is a vector literal, so
    a conversion of a value to its own type is the identity."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.name = f"opencl{width}"

    def type_name(self, dtype: str) -> str:
        base = super().type_name(dtype)
        return f"{base}{self.width}" if is_float(dtype) else base
