"""Shared test helpers: compile under a mode, list ops, random arrays for types."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

import tensordsl as td
from tensordsl.ops.fused import FusedElemwise
from tensordsl.runtime.debugmode import values_equal
from tensordsl.runtime.mode import Mode

NO_REWRITES = Mode("NONE")


def only(*names: str) -> Mode:
    """A mode running just these rewrites (names or tags)."""
    return Mode("ONLY", include=names)


def compile_fn(inputs: list, outputs: Any, mode: Any, **kwargs: Any) -> td.Function:
    """td.function with unused inputs allowed (rewrites may drop uses)."""
    return td.function(inputs, outputs, mode=mode, on_unused_input="ignore", **kwargs)


def op_names(f: td.Function) -> list[str]:
    """str() of every op in the rewritten graph, in execution order."""
    return [str(n.op) for n in f.maker.fgraph.toposort()]


def scalar_names(f: td.Function) -> set[str]:
    """Scalar op names of Elemwise nodes, and of the bodies of fused kernels."""
    names = set()
    for node in f.maker.fgraph.toposort():
        sop = getattr(node.op, "scalar_op", None)
        if sop is not None:
            names.add(sop.name)
        if isinstance(node.op, FusedElemwise):
            names |= {n.op.name for n in node.op.kernel.body if n.op is not None}
    return names


def count_kernels(f: td.Function) -> int:
    """Number of FusedElemwise nodes in the compiled graph."""
    return sum(isinstance(n.op, FusedElemwise) for n in f.maker.fgraph.toposort())


def assert_values_equal(got: Any, want: Any, what: str = "") -> None:
    """Equal within the dtype's tolerance, same dtype and shape (NaN == NaN)."""
    got, want = np.asarray(got), np.asarray(want)
    assert values_equal(got, want), f"{what}: got {got!r}, want {want!r}"


@st.composite
def array_of(draw: Any, ttype: Any, shape: tuple[int, ...] | None = None,
             lo: float = -3.0, hi: float = 3.0) -> np.ndarray:
    """A random array of a TensorType: static sizes respected, sometimes non-contiguous."""
    if shape is None:
        shape = tuple(s if s is not None else draw(st.integers(0, 3)) for s in ttype.shape)
    dtype = np.dtype(ttype.dtype)
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    layout = draw(st.sampled_from(["c", "reversed", "strided", "transposed"]))
    big = tuple(2 * s if layout == "strided" else s for s in shape)
    if dtype.kind == "f":
        data = rng.uniform(lo, hi, size=big).astype(dtype)
    elif dtype.kind == "b":
        data = rng.integers(0, 2, size=big).astype(bool)
    else:
        data = rng.integers(int(lo), int(hi) + 1, size=big).astype(dtype)
    if layout == "strided":
        data = data[tuple(slice(None, None, 2) for _ in shape)]
    elif layout == "reversed":
        data = data[tuple(slice(None, None, -1) for _ in shape)]
    elif layout == "transposed" and data.ndim >= 2:
        data = np.ascontiguousarray(data.T).T
    return data


def shared_shape(draw: Any, types: list[Any]) -> list[np.ndarray]:
    """Arrays for same-rank types that broadcast together (one size per dim)."""
    ndim = max(t.ndim for t in types)
    sizes = [draw(st.integers(0, 3)) for _ in range(ndim)]
    arrays = []
    for t in types:
        shape = tuple(s if s is not None else sizes[ndim - t.ndim + d]
                      for d, s in enumerate(t.shape))
        arrays.append(draw(array_of(t, shape)))
    return arrays
