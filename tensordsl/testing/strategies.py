"""Hypothesis strategies for tensordsl's argument types.

`arrays(dtype, shape)` draws arrays in every memory layout a caller can hand a compiled
function (contiguous, transposed, strided, reversed); `shapes(ndim)` draws shapes with
0-size and size-1 dims; `inputs_for(fn, signature)` draws one argument tuple for a
signature, with shapes that broadcast against each other.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tensordsl.graph.type import TensorType

LAYOUTS = ("contiguous", "transposed", "strided", "reversed")
# Default element range: wide enough to reach overflow of exp in float32, narrow enough
# that typical numpy code stays finite (pass `elements=` for anything else).
DEFAULT_LOW, DEFAULT_HIGH = -10.0, 10.0
MAX_SIDE = 4


def elements(dtype: Any, low: float | None = None, high: float | None = None
             ) -> st.SearchStrategy[Any]:
    """Finite values of `dtype` within [low, high] (ints: the dtype's range, clipped)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return st.booleans()
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        lo = info.min if low is None else max(info.min, int(np.ceil(low)))
        hi = info.max if high is None else min(info.max, int(np.floor(high)))
        return st.integers(lo, hi)
    if dtype.kind == "c":
        part = elements(np.float32 if dtype.itemsize == 8 else np.float64, low, high)
        return st.builds(complex, part, part)
    if dtype.kind != "f":
        raise TypeError(f"elements: unsupported dtype {dtype.name}; expected bool, int, "
                        f"float or complex")
    lo = DEFAULT_LOW if low is None else float(low)
    hi = DEFAULT_HIGH if high is None else float(high)
    width = dtype.itemsize * 8
    if width < 64:  # bounds must be representable: round them inwards
        narrow = np.float32 if width == 32 else np.float16
        lo_n, hi_n = narrow(lo), narrow(hi)
        lo = float(lo_n if lo_n >= lo else np.nextafter(lo_n, narrow(np.inf)))
        hi = float(hi_n if hi_n <= hi else np.nextafter(hi_n, narrow(-np.inf)))
    return st.floats(lo, hi, width=width, allow_nan=False, allow_infinity=False,
                     allow_subnormal=False)


def shapes(ndim: int, min_side: int = 0, max_side: int = MAX_SIDE,
           fixed: tuple[int | None, ...] | None = None) -> st.SearchStrategy[tuple[int, ...]]:
    """Shapes of `ndim` dims, each in [min_side, max_side] (0-size and size-1 included);
    `fixed` pins some dims (an int) and leaves others free (None)."""
    if ndim < 0:
        raise ValueError(f"shapes: ndim must be >= 0, got {ndim}")
    if fixed is not None and len(fixed) != ndim:
        raise ValueError(f"shapes: `fixed` has {len(fixed)} entries for ndim={ndim}")
    side = st.integers(min_side, max_side)
    return st.tuples(*[side if fixed is None or fixed[i] is None else st.just(fixed[i])
                       for i in range(ndim)])


def _base_shape(shape: tuple[int, ...], layout: str) -> tuple[int, ...]:
    if layout == "transposed":
        return shape[::-1]
    if layout == "strided":
        return tuple(2 * s for s in shape)
    return shape


def _apply_layout(base: np.ndarray, layout: str) -> np.ndarray:
    if layout == "transposed":
        return base.T
    if layout == "strided":
        return base[(slice(None, None, 2),) * base.ndim]
    if layout == "reversed":
        return base[(slice(None, None, -1),) * base.ndim]
    return base


@st.composite
def arrays(draw: st.DrawFn, dtype: Any, shape: tuple[int, ...],
           elements: st.SearchStrategy[Any] | None = None,
           layout: str | None = None) -> np.ndarray:
    """An array of `dtype` and `shape`, often non-contiguous (`layout`: one of LAYOUTS,
    or None to draw it)."""
    if layout is not None and layout not in LAYOUTS:
        raise ValueError(f"arrays: unknown layout {layout!r}; expected one of "
                         f"{', '.join(LAYOUTS)}")
    layout = layout or draw(st.sampled_from(LAYOUTS))
    shape = tuple(shape)
    strategy = _elements_default(dtype) if elements is None else elements
    base = draw(hnp.arrays(np.dtype(dtype), _base_shape(shape, layout), elements=strategy))
    return _apply_layout(base, layout)


def _elements_default(dtype: Any) -> st.SearchStrategy[Any]:
    return elements(dtype)


def signature_types(fn: Any, signature: Any = None) -> list[TensorType]:
    """The argument TensorTypes of `fn` for `signature` (a string like "f8[:], f8[:]",
    a list of TensorTypes/typed variables, or None: the declared signature of a
    decorated function, or a `tensordsl.function`'s input types)."""
    from tensordsl.frontend import CompiledFunction
    from tensordsl.frontend.signature import parse_signature
    from tensordsl.runtime.function import Function

    if signature is not None:
        return parse_signature(signature)
    if isinstance(fn, CompiledFunction):
        if fn._declared:
            return list(fn._declared[0].built_types)
        raise TypeError(f"{fn.__qualname__}: pass `signature=` (e.g. 'f8[:], f8[:]'): the "
                        f"function declares none")
    if isinstance(fn, Function):
        return [i.variable.type for i in fn.maker.inputs]
    raise TypeError(f"expected a @tensordsl.compile function or a tensordsl.function, got "
                    f"{type(fn).__name__}")


@st.composite
def inputs_for(draw: st.DrawFn, fn: Any, signature: Any = None,
               elements: st.SearchStrategy[Any] | None = None, max_side: int = MAX_SIDE,
               min_side: int = 0) -> tuple[np.ndarray, ...]:
    """One argument tuple for `fn` under `signature` (see `signature_types`).

    Shapes broadcast together: a common shape of the largest rank is drawn, each
    argument takes its trailing dims and sometimes a 1 in place of a dim (size-1
    broadcasting); dims the signature declares as 1 are 1."""
    types = signature_types(fn, signature)
    for t in types:
        if not isinstance(t, TensorType):
            raise TypeError(f"inputs_for: signature entry {t!r} is not a tensor type")
    rank = max((t.ndim for t in types), default=0)
    common = draw(shapes(rank, min_side=min_side, max_side=max_side))
    args = []
    for t in types:
        own = list(common[rank - t.ndim:])
        for i, static in enumerate(t.shape):
            if static == 1 or (static is None and draw(st.integers(0, 4)) == 0):
                own[i] = 1  # a declared broadcast dim, or sometimes a run-time one
        args.append(draw(arrays(t.dtype, tuple(own), elements=elements)))
    return tuple(args)
