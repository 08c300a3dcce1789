"""Shared by the compiled MRG31k3p tests (tests/backends/c/test_mrg.py and
tests/backends/opencl/test_mrg.py): draws of MRG_RandomStreams on one backend, the
reference's (numpy perform) draws, and bit-for-bit comparison."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

import tensordsl
from tensordsl import tensor as T
from tensordsl.runtime.mode import target_mode
from tensordsl.sandbox.rng_mrg import M1, M2, MRG_RandomStreams, MRGUniform, mrg_sample

# sample shapes of 0-3 dims, zeros included (up to 13**3 samples)
SHAPES = st.lists(st.integers(0, 13), max_size=3).map(tuple)
SEEDS = [1, 12345, 2 ** 30 + 7, M2 - 1, (1, 2, 3, 4, 5, 6), (M1 - 1, 0, 7, 0, M2 - 1, 3)]


def same_bits(got: np.ndarray, want: np.ndarray) -> None:
    """got and want have the same dtype, shape and bits."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    as_int = {1: "uint8", 2: "uint16", 4: "uint32", 8: "uint64"}[want.dtype.itemsize]
    np.testing.assert_array_equal(got.view(as_int), want.view(as_int))


def uniform_draws(backend: str, seed: Any, size: tuple[int, ...], dtype: str,
                  nstreams: int | None, calls: int, low: float = 0.0, high: float = 1.0
                  ) -> tuple[list[np.ndarray], np.ndarray, Any]:
    """(samples of `calls` calls, the state after them, the function) of a function
    drawing uniform samples from a shared state on `backend`."""
    rng = MRG_RandomStreams(seed)
    u = rng.uniform(size, low=low, high=high, dtype=dtype, nstreams=nstreams)
    fn = tensordsl.function([], u, mode=target_mode(backend))
    values = [fn() for _ in range(calls)]
    (state, _, _, _), = rng.state_updates
    return values, state.get_value(), fn


def draw_function(backend: str, dtype: str, ndim: int) -> Any:
    """A function (state, size) -> [new state, samples] of one MRGUniform node with
    the state and the size as explicit inputs (no shared variable)."""
    state = T.matrix("state", dtype="int32")
    size = T.vector("size", dtype="int64")
    new, sample = MRGUniform(dtype, ndim)(state, size)
    return tensordsl.function([state, size], [new, sample], mode=target_mode(backend))


def reference(state: np.ndarray, shape: tuple[int, ...], dtype: str
              ) -> tuple[np.ndarray, np.ndarray]:
    """(new state, samples of `shape`) of the reference implementation."""
    new, flat = mrg_sample(state, int(np.prod(shape, dtype="int64")), dtype)
    return new, flat.reshape(shape)


@st.composite
def any_states(draw: Any, max_streams: int = 40) -> np.ndarray:
    """(streams, 6) int32 states: valid residues, or any int32 at all (negative and
    extreme values too: the wrap-around arithmetic must still match numpy's bits)."""
    n = draw(st.integers(1, max_streams))
    valid = draw(st.booleans())
    seed = draw(st.integers(0, 2 ** 32 - 1))
    rng = np.random.default_rng(seed)
    if valid:
        first = rng.integers(0, M1, size=(n, 3))
        second = rng.integers(0, M2, size=(n, 3))
        out = np.concatenate([first, second], axis=1)
    else:
        out = rng.integers(-2 ** 31, 2 ** 31, size=(n, 6))
        out[rng.random((n, 6)) < 0.2] = rng.choice([-2 ** 31, -1, 0, 2 ** 31 - 1, M1, M2])
    return out.astype("int32")


__all__ = ["SEEDS", "SHAPES", "any_states", "draw_function", "reference", "same_bits",
           "uniform_draws"]
