"""The C backend's scalar lowering: the shared C-family table in its C99 dialect.

The rules live in `tensordsl.backends.cfamily.lowering` (shared with the OpenCL
backend); this module keeps the C backend's import path and the C-dialect helpers.
"""

from tensordsl.backends.cfamily.dialect import (
    C_TYPES,
    VECTOR_MATH,
    C,
    Dialect,
    Unsupported,
    is_float,
)
from tensordsl.backends.cfamily.lowering import (
    LIBM,
    RULES,
    Lowering,
    c_const,
    c_type,
    convert,
    element_ns,
    is_signed,
    rule,
    suffix,
)

__all__ = ["C", "C_TYPES", "LIBM", "RULES", "VECTOR_MATH", "Dialect", "Lowering",
           "Unsupported", "c_const", "c_type", "convert", "element_ns", "is_float",
           "is_signed", "rule", "suffix"]
