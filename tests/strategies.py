"""Hypothesis strategies shared by the test suites.

Shapes include 0-size dims and size-1 (broadcasting) dims; arrays come in every memory
layout a caller can hand us (C-contiguous, transposed, strided, reversed), so backends
never get to assume contiguous inputs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tensordsl.graph.type import TensorType

# the layouts of non-contiguous test arrays are the public strategies' (tensordsl.testing)
from tensordsl.testing.strategies import LAYOUTS, _apply_layout, _base_shape

FLOAT_DTYPES = ("float32", "float64")
INT_DTYPES = ("int8", "int16", "int32", "int64")
NUMERIC_DTYPES = FLOAT_DTYPES + INT_DTYPES

MAX_DIMS = 3
MAX_SIDE = 4


def dtypes(kind: str = "numeric") -> st.SearchStrategy[str]:
    """A dtype name: kind is 'float', 'int', 'numeric' or 'bool'."""
    choices = {"float": FLOAT_DTYPES, "int": INT_DTYPES, "numeric": NUMERIC_DTYPES,
               "bool": ("bool",), "discrete": ("bool",) + INT_DTYPES}[kind]
    return st.sampled_from(choices)


def shapes(min_dims: int = 0, max_dims: int = MAX_DIMS, min_side: int = 0,
           max_side: int = MAX_SIDE) -> st.SearchStrategy[tuple[int, ...]]:
    """Array shapes, 0-size and size-1 dims included (min_side=1 excludes empty ones)."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def broadcast_shapes(num_shapes: int = 2, min_dims: int = 0, max_dims: int = MAX_DIMS,
                     min_side: int = 0, max_side: int = MAX_SIDE
                     ) -> st.SearchStrategy[tuple[tuple[int, ...], ...]]:
    """`num_shapes` shapes that broadcast together (ranks may differ, size-1 dims stretch)."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims, min_side=min_side,
        max_side=max_side).map(lambda b: tuple(b.input_shapes))


def elements(dtype: str, low: float | None = None, high: float | None = None
             ) -> st.SearchStrategy[Any]:
    """Finite element values of `dtype`, within [low, high] when given."""
    if dtype == "bool":
        return st.booleans()
    if np.dtype(dtype).kind in "iu":
        info = np.iinfo(dtype)
        lo = info.min if low is None else max(info.min, int(np.ceil(low)))
        hi = info.max if high is None else min(info.max, int(np.floor(high)))
        return st.integers(lo, hi)
    width = np.dtype(dtype).itemsize * 8
    lo = -1e3 if low is None else low
    hi = 1e3 if high is None else high
    if width == 32:  # bounds must be float32 values: round them inwards
        lo32, hi32 = np.float32(lo), np.float32(hi)
        lo = float(lo32 if lo32 >= lo else np.nextafter(lo32, np.float32(np.inf)))
        hi = float(hi32 if hi32 <= hi else np.nextafter(hi32, np.float32(-np.inf)))
    return st.floats(lo, hi, width=width, allow_nan=False, allow_infinity=False,
                     allow_subnormal=False)


@st.composite
def arrays(draw: st.DrawFn, dtype: str, shape: tuple[int, ...],
           elements_strategy: st.SearchStrategy[Any] | None = None,
           layout: str | None = None) -> np.ndarray:
    """An array of `dtype` and `shape`, often non-contiguous (transposed/strided/reversed)."""
    layout = layout or draw(st.sampled_from(LAYOUTS))
    base = draw(hnp.arrays(dtype, _base_shape(shape, layout),
                           elements=elements(dtype) if elements_strategy is None
                           else elements_strategy))
    array = _apply_layout(base, layout)
    assert array.shape == tuple(shape) and array.dtype == np.dtype(dtype)
    return array


@st.composite
def tensor_types(draw: st.DrawFn, dtype: str, shape: tuple[int, ...]) -> TensorType:
    """A TensorType accepting arrays of `shape`: size-1 dims are sometimes declared static.

    Declaring a dim static 1 makes it broadcastable at graph-build time (Theano's
    broadcastable pattern); leaving it None exercises run-time broadcasting.
    """
    static = tuple(1 if s == 1 and draw(st.booleans()) else None for s in shape)
    return TensorType(dtype, static)


def tolerance(dtype: str, loose: bool = False) -> dict[str, float]:
    """assert_allclose tolerances for results of `dtype` (loose: reassociated maths)."""
    if dtype in ("float16",):
        return {"rtol": 1e-2, "atol": 1e-2}
    if dtype in ("float32", "complex64"):
        return {"rtol": 1e-4, "atol": 1e-5} if loose else {"rtol": 1e-5, "atol": 1e-6}
    if dtype in ("float64", "complex128"):
        return {"rtol": 1e-10, "atol": 1e-12} if loose else {"rtol": 1e-12, "atol": 1e-14}
    return {"rtol": 0, "atol": 0}
