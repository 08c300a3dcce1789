"""Hypothesis strategies for the C backend tests: operands of a given shape that may be
transposed, sliced or reversed views, with values that exercise the edge cases."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

FLOATS = ("float32", "float64")
INTS = ("int8", "int32", "int64", "uint8", "uint32")
ALL = FLOATS + INTS + ("bool",)
SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, np.nan, np.inf, -np.inf]


def elements(dtype: str, bound: float = 30.0):
    """Element values of `dtype`: moderate floats plus specials; ints over the full range
    with 0, -1 and the minimum (division and modulo edge cases) made likely."""
    if dtype in FLOATS:
        width = 32 if dtype == "float32" else 64
        return st.one_of(st.floats(-bound, bound, width=width), st.sampled_from(SPECIAL))
    if dtype == "bool":
        return st.booleans()
    info = np.iinfo(dtype)
    edge = [0, 1, 2, info.max, info.min] + ([-1, -2] if info.min < 0 else [])
    return st.one_of(st.integers(max(info.min, -100), min(info.max, 100)),
                     st.integers(int(info.min), int(info.max)), st.sampled_from(edge))


@st.composite
def shapes(draw, ndim: int = 2, max_side: int = 5):
    """A shape with sides 0..max_side (0-size and size-1 dims included)."""
    return tuple(draw(st.integers(0, max_side)) for _ in range(ndim))


@st.composite
def broadcast_to(draw, shape: tuple[int, ...]):
    """`shape` with some dims turned into 1 (runtime broadcasting)."""
    return tuple(1 if draw(st.booleans()) and draw(st.booleans()) else s for s in shape)


@st.composite
def operand(draw, shape: tuple[int, ...], dtype: str, elems=None):
    """An array of `shape`: contiguous, transposed, strided-sliced or reversed."""
    elems = elems if elems is not None else elements(dtype)
    kind = draw(st.sampled_from(["contiguous", "transposed", "sliced", "reversed"]))
    if kind == "transposed" and len(shape) >= 2:
        base = draw(hnp.arrays(dtype, shape[::-1], elements=elems))
        return base.T
    if kind == "sliced":
        base = draw(hnp.arrays(dtype, tuple(2 * s for s in shape), elements=elems))
        return base[tuple(slice(None, None, 2) for _ in shape)]
    base = draw(hnp.arrays(dtype, shape, elements=elems))
    if kind == "reversed":
        return base[tuple(slice(None, None, -1) for _ in shape)]
    return base
