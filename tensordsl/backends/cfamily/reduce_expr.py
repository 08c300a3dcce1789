"""A reduction's accumulator start and combining step, in C-family syntax: the same for
the C and the OpenCL renderers (each formats the start value with its own literals)."""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl.backends.cfamily.dialect import is_float
from tensordsl.kernel.reductions import REDUCTIONS


def start_value(kind: str, dtype: str) -> Any:
    """The accumulator's first value for a `kind` reduction in `dtype`: the identity, or
    for maximum/minimum (no identity) the lowest/highest value of the dtype."""
    identity = REDUCTIONS[kind].identity
    if identity is not None:
        return identity
    highest = kind != "maximum"
    if is_float(dtype):
        return float("inf") if highest else float("-inf")
    if dtype == "bool":
        return int(highest)
    info = np.iinfo(dtype)
    return info.max if highest else info.min


def combine(kind: str, dtype: str, acc: str, value: str) -> str:
    """The expression of `acc` combined with `value` (both of the accumulator dtype).
    maximum/minimum propagate NaN as numpy does: a NaN value replaces the accumulator,
    and a NaN accumulator is never replaced (no comparison with NaN is true)."""
    ops = {"add": "+", "mul": "*", "and_": "&&", "or_": "||"}
    if kind in ops:
        return f"({acc} {ops[kind]} {value})"
    cmp = ">" if kind == "maximum" else "<"
    nan = f" || {value} != {value}" if is_float(dtype) else ""
    return f"(({value} {cmp} {acc}{nan}) ? {value} : {acc})"
